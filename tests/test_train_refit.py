"""The complaint refit mode (models.train.refit_complaint) and its CV helpers (models.heads)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from models.data import load_task
from models.encoder import WEIGHTS_DIR
from models.heads import best_macro_f1_threshold, dev_fold_cv, load_heads, macro_f1_by_threshold
from models.train import main, refit_complaint
from ugcminer.errors import ModelError

TEXT_VIEW_FILES = ("sentiment_text_view.json", "sentiment_text_view.safetensors")


def test_macro_f1_by_threshold__equals_sklearn_at_every_threshold():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = np.round(rng.normal(size=200) + y, 1)  # ties on purpose
    thresholds, f1 = macro_f1_by_threshold(s, y)
    assert np.all(np.diff(thresholds) < 0)
    for t, f in zip(thresholds, f1, strict=True):
        assert f == pytest.approx(f1_score(y, s >= t, average="macro"))
    assert best_macro_f1_threshold(s, y) == thresholds[int(np.argmax(f1))]


def test_dev_fold_cv__separable_scores_are_perfect_and_the_result_deterministic():
    y = np.array([0, 1] * 60)
    train, dev = np.arange(60), np.arange(60, 120)
    perfect = dev_fold_cv(lambda _fit, rows: y[rows] * 2.0 - 1, y, train, dev, repeats=3)
    assert perfect["macro_f1"] == 1.0 and perfect["roc_auc"] == 1.0 and perfect["oof"].shape == (3, 60)
    noise = np.random.default_rng(1).normal(size=120) + y

    def fit_score(fit, rows):
        assert not set(fit) & set(rows) and set(train) <= set(fit)  # never scores a row it fitted on
        return noise[rows]

    a, b = (dev_fold_cv(fit_score, y, train, dev, repeats=2, seed=5) for _ in range(2))
    assert a["macro_f1"] == b["macro_f1"] and np.array_equal(a["oof"], b["oof"])


@pytest.fixture(scope="module")
def synthetic_embeddings():
    """Embeddings of the complaint rows carrying the label (no encoder pass in the test)."""
    ds = load_task("complaint")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(len(ds.texts), 384)).astype(np.float32)
    x[:, 0] += 2.0 * ds.labels
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_refit_complaint__replaces_only_the_complaint_head_reproducibly(tmp_path, synthetic_embeddings):
    weights = tmp_path / "weights"
    weights.mkdir()
    for name in ("heads.json", "heads.safetensors", "metrics.json", *TEXT_VIEW_FILES):
        shutil.copy(WEIGHTS_DIR / name, weights / name)
    runs = []
    for out in (tmp_path / "a", tmp_path / "b"):
        result = refit_complaint(
            weights=weights,
            out=out,
            grid=((0.1, None), (1.0, "balanced")),
            repeats=2,
            embeddings=synthetic_embeddings,
            log=lambda *_: None,
        )
        assert result["changed"] and set(result["cv"]) == {
            "current",
            "lr C=0.1 class_weight=None",
            "lr C=1 class_weight=balanced",
        }
        runs.append(out)
    assert (runs[0] / "heads.safetensors").read_bytes() == (runs[1] / "heads.safetensors").read_bytes()
    old, new = load_heads(weights), load_heads(runs[0])
    assert new.encoder_version == old.encoder_version
    for task in ("sentiment", "howto"):
        assert (
            np.array_equal(new[task].weight, old[task].weight) and new[task].threshold == old[task].threshold
        )
    assert new.text_views["sentiment"].digest == old.text_views["sentiment"].digest
    head = new["complaint"]
    assert head.kind == "sigmoid" and head.weight.shape == (1, 384) and 0 < head.threshold < 1
    assert head.meta["refit"]["command"].startswith("python -m models.train --mode complaint-refit")
    assert head.meta["metrics"]["n"] == 367 and head.meta["metrics"]["macro_f1"] > 0.7
    metrics = json.loads((runs[0] / "metrics.json").read_text())
    assert metrics["scores"]["complaint"] == head.meta["metrics"] and "complaint_refit" in metrics


def test_refit_complaint__refuses_to_overwrite_the_shipped_weights():
    with pytest.raises(ModelError, match="pass --out"):
        main(["--mode", "complaint-refit", "--weights", str(WEIGHTS_DIR), "--out", str(WEIGHTS_DIR)])


def test_refit_complaint__refit_head_is_not_a_candidate_against_itself(tmp_path, synthetic_embeddings):
    first = refit_complaint(
        out=tmp_path / "a",
        grid=((0.1, None),),
        repeats=2,
        embeddings=synthetic_embeddings,
        log=lambda *_: None,
    )
    second = refit_complaint(
        weights=tmp_path / "a",
        out=tmp_path / "b",
        grid=((0.1, None),),
        repeats=2,
        embeddings=synthetic_embeddings,
        log=lambda *_: None,
    )
    assert second["cv"]["current"]["carried_from_previous_refit"] is True
    assert second["cv"]["current"]["macro_f1"] == first["cv"]["current"]["macro_f1"]
    assert np.array_equal(
        load_heads(tmp_path / "a")["complaint"].weight, load_heads(tmp_path / "b")["complaint"].weight
    )
    assert Path(tmp_path / "b" / "heads.json").exists()
