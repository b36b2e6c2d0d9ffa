import json

import numpy as np
import pytest

from models.encoder import WEIGHTS_DIR
from models.heads import (
    TASKS,
    LinearHead,
    fit_logistic,
    load_heads,
    macro_recall_bias,
    save_heads,
    threshold_for_precision,
    threshold_max_macro_f1,
    with_calibration,
)
from ugcminer.errors import ModelError


def test_load_heads__packaged_files_have_every_task_with_metadata():
    heads = load_heads(WEIGHTS_DIR)
    assert set(heads.heads) == set(TASKS)
    assert heads["sentiment"].kind == "softmax" and heads["sentiment"].labels == (
        "negative",
        "neutral",
        "positive",
    )
    for task in ("complaint", "howto"):
        head = heads[task]
        assert head.kind == "sigmoid" and 0 < head.threshold < 1
        assert "macro_f1" in head.meta["metrics"] and head.meta["training_data"]
    assert heads.encoder_version.startswith("all-MiniLM-L6-v2@")


def test_save_heads__roundtrip_keeps_arrays_and_meta(tmp_path):
    rng = np.random.default_rng(0)
    head = LinearHead(
        "complaint",
        rng.normal(size=(1, 8)).astype(np.float32),
        np.array([0.1], np.float32),
        "sigmoid",
        ("no", "yes"),
        0.4,
        {"metrics": {"f1": 0.5}},
    )
    save_heads(tmp_path, {"complaint": head}, {"encoder_version": "x@1"})
    loaded = load_heads(tmp_path)
    assert loaded.encoder_version == "x@1"
    assert np.array_equal(loaded["complaint"].weight, head.weight) and loaded["complaint"].threshold == 0.4
    assert json.loads((tmp_path / "heads.json").read_text())["heads"]["complaint"]["metrics"] == {"f1": 0.5}
    with pytest.raises(ModelError, match="no trained 'howto' head"):
        loaded["howto"]


def test_load_heads__missing_or_broken_files_name_the_fix(tmp_path):
    with pytest.raises(ModelError, match="ugcminer train"):
        load_heads(tmp_path)
    (tmp_path / "heads.json").write_text("{not json")
    (tmp_path / "heads.safetensors").write_bytes(b"junk")
    with pytest.raises(ModelError, match="unreadable"):
        load_heads(tmp_path)


def test_linear_head__softmax_rows_sum_to_one_and_sigmoid_in_unit_interval():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    soft = LinearHead(
        "s", rng.normal(size=(3, 4)).astype(np.float32), np.zeros(3, np.float32), "softmax", ("a", "b", "c")
    )
    sig = LinearHead(
        "b", rng.normal(size=(1, 4)).astype(np.float32), np.zeros(1, np.float32), "sigmoid", ("no", "yes")
    )
    assert np.allclose(soft.predict_proba(x).sum(1), 1, atol=1e-5)
    p = sig.predict_proba(x)
    assert p.shape == (5,) and ((p > 0) & (p < 1)).all()


def _recall(logits, y):
    pred = logits.argmax(1)
    return np.mean([(pred[y == k] == k).mean() for k in range(3)])


def test_macro_recall_bias__improves_macro_recall_on_skewed_scores():
    rng = np.random.default_rng(2)
    y = rng.choice(3, size=3000, p=[0.15, 0.5, 0.35])
    logits = rng.normal(size=(3000, 3))
    logits[np.arange(3000), y] += 1.5
    logits[:, 1] += 1.0  # a model biased towards the frequent class
    bias = macro_recall_bias(logits, y)
    assert _recall(logits + bias, y) > _recall(logits, y) + 0.03
    head = LinearHead("s", np.eye(3, dtype=np.float32), np.zeros(3, np.float32), "softmax", ("a", "b", "c"))
    assert np.allclose(with_calibration(head, bias_shift=bias).bias, bias)


def test_thresholds__precision_target_and_macro_f1():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 2000)
    p = np.clip(0.5 + (y - 0.5) * 0.4 + rng.normal(0, 0.2, 2000), 0, 1)
    t = threshold_for_precision(p, y, 0.95)
    assert (y[p >= t] == 1).mean() >= 0.95
    assert (y[p >= t - 0.05] == 1).mean() < 0.97  # the lowest such threshold, not an arbitrary high one
    t_f1 = threshold_max_macro_f1(p, y)
    assert 0.3 < t_f1 < 0.7


def test_fit_logistic__binary_gives_one_sigmoid_logit():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 6))
    y = (x[:, 0] > 0).astype(int)
    head = fit_logistic("complaint", x, y, ("no", "yes"), c=1.0)
    assert head.weight.shape == (1, 6) and head.kind == "sigmoid"
    assert ((head.predict_proba(x) > 0.5) == y).mean() > 0.9
