"""Which posts and videos are instructional: the labelled data, fitting, the shipped files and their use."""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from miners.mention import Mention
from models.analyzer import Analyzer, load_analyzer
from models.encoder import WEIGHTS_DIR
from models.heads import load_heads
from models.howto import form_digest
from models.insight_stages import judged_items
from models.instructional import (
    LABELLED,
    VERSION_TAG,
    Labelled,
    features,
    fit_instructional,
    instructional_for,
    load_instructional,
    load_labelled,
    post_item,
)
from ugcminer.config import EncoderConfig, HeadConfig, ModelsConfig


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return load_analyzer(ModelsConfig(encoder=EncoderConfig(threads=2)))


NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_instructional__labelled_files_are_complete_and_double_annotated():
    ids: set[str] = set()
    for path, size, agreeing, candidates in ((LABELLED[0], 518, 500, 2012), (LABELLED[1], 400, 399, 1856)):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == size and len({r["id"] for r in rows}) == size
        assert all(r["title"].strip() and r["instructional"] in ("true", "false") for r in rows)
        agreed = [r for r in rows if r["instructional_a"] == r["instructional_b"]]
        assert all(r["instructional"] == r["instructional_a"] for r in agreed)
        assert len(agreed) >= agreeing  # 509 of 518, 399 of 400: the others settled by a third reading
        data = load_labelled(path)
        assert data.label.sum() == sum(r["instructional"] == "true" for r in rows)
        # each stratum weighs what it stands for among the candidates its draw sampled
        assert round(data.weight.sum()) == candidates
        assert not ids & {r["id"] for r in rows}  # the second draw left out what the first labelled
        ids |= {r["id"] for r in rows}
    assert len(load_labelled().label) == 918


def test_instructional__features_are_the_embedding_the_head_logit_and_the_form():
    items = [
        SimpleNamespace(
            title="How to reset the router", text="1. Unplug it\n2. Wait\n3. Plug it in", extra={}
        ),
        SimpleNamespace(title="[REQUEST] how to keep mosquitos away?", text="", extra={}),
    ]
    x = features(np.ones((2, 4), dtype=np.float32), [0.5, 0.9], items)
    assert x.shape == (2, 4 + 1 + 6)
    assert x[0, 4] == pytest.approx(0.0) and x[1, 4] > 0  # logit / 4 of 0.5 and 0.9
    assert x[0, 5:].tolist() == [1.0, 0.0, 1.0, 0.0, 0.0, 0.0]  # how-to title, listed steps
    assert x[1, 5:].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0, 0.0]  # a request with no body


def test_instructional__fit_learns_what_the_form_misleads_on():
    """Half of the how-to titles are instructions and half are not; only the embedding knows which."""
    rng = np.random.default_rng(5)
    n = 300
    emb = rng.normal(size=(n, 6)).astype(np.float32)
    label = (emb[:, 0] > 0).astype(int)
    items = [
        SimpleNamespace(title="How to fix it" if i % 2 else "Look at this", text="", extra={})
        for i in range(n)
    ]
    data = Labelled(items, label, np.ones(n))
    x = features(emb, np.full(n, 0.5), items)
    head, report = fit_instructional(x, data, align_to=0.3)
    assert report["out_of_fold"]["precision"] > 0.9 and report["out_of_fold"]["recall"] >= 0.7
    chosen = report["chosen_threshold"]  # the highest grid threshold keeping recall >= 0.7
    assert all(r["recall"] < 0.7 for t, r in report["out_of_fold_by_threshold"].items() if float(t) > chosen)
    assert head.weight.shape == (1, 6 + 1 + 6) and head.threshold == 0.3
    # the bias shift puts the chosen operating point on the aligned threshold
    unshifted = 1 / (
        1 + np.exp(-(x @ head.weight[0] + head.bias[0] - np.log(0.3 / 0.7) + np.log(chosen / (1 - chosen))))
    )
    assert np.array_equal(head.predict_proba(x) >= 0.3, unshifted >= chosen)


def test_instructional_for__only_for_the_encoder_and_howto_head_it_was_fitted_on(tmp_path, caplog):
    model = load_instructional()
    assert model is not None
    heads = load_heads(WEIGHTS_DIR)
    right = SimpleNamespace(weights_version=model.encoder_version)
    cfg = ModelsConfig()
    assert instructional_for(cfg, right, heads) is not None
    assert instructional_for(cfg.model_copy(update={"instructional": False}), right, heads) is None
    hub = cfg.model_copy(update={"howto": HeadConfig(backend="hub", model="x")})
    assert instructional_for(hub, right, heads) is None
    with caplog.at_level(logging.WARNING, logger="models.instructional"):
        assert instructional_for(cfg, SimpleNamespace(weights_version="other@1234567890"), heads) is None
    assert f"refit it with `ugcminer train --mode instructional --out {WEIGHTS_DIR}`" in caplog.text
    assert instructional_for(cfg, right, heads, tmp_path) is None  # no model files: the head scores posts


def test_analyzer__posts_get_the_instructional_score_and_other_rows_the_head(analyzer):
    texts = [
        "[REQUEST] how to keep mosquitos away during camp fires?\nAnything that works outdoors?",
        "How to make a log stove\nCut the can, punch holes along the rim, stack the wood inside.",
        "How to make a log stove",
    ]
    mask = [True, True, False]
    plain = analyzer.predict(texts)
    read = analyzer.predict(texts, posts=mask)
    model = analyzer.instructional
    assert model is not None and VERSION_TAG + model.digest in analyzer.version
    assert model.digest.endswith(form_digest())  # new form patterns re-score stored items too
    expected = model.probabilities(plain.embeddings[:2], plain.howto[:2], [post_item(t) for t in texts[:2]])
    assert read.howto[:2] == pytest.approx(expected, abs=1e-6)
    assert read.howto[2] == pytest.approx(plain.howto[2])  # not a post: the how-to head's score
    assert read.howto[0] < 0.5 < read.howto[1]  # a request is not instructions; a guide is
    assert np.array_equal(read.complaint[2:], plain.complaint[2:])
    assert post_item(texts[1]).title == "How to make a log stove" and post_item(texts[2]).text == ""


def _mention(mid: str, kind: str, title: str | None) -> Mention:
    return Mention(
        id=mid, source="reddit", kind=kind, brand="Acme", native_id=mid, title=title, text="",
        created_at=NOW, fetched_at=NOW,
    )  # fmt: skip


def test_judged_items__posts_and_videos_scored_by_the_model_are_judged():
    window = [
        _mention(i, k, "How to reset the router")
        for i, k in (("p1", "post"), ("p2", "post"), ("c1", "comment"))
    ]
    analyses = {
        "p1": {"model_version": "enc+howto=ab" + VERSION_TAG + "cd", "howto_score": 0.3, "howto": False},
        "p2": {"model_version": "enc+howto=ab", "howto_score": 0.9, "howto": True},  # made without the model
        "c1": {"model_version": "enc+howto=ab" + VERSION_TAG + "cd", "howto_score": 0.9, "howto": True},
    }
    assert judged_items(SimpleNamespace(window=window, analyses=analyses)) == {"p1": (0.3, False)}


@pytest.mark.slow
def test_instructional__refit_reproduces_the_shipped_files_and_beats_the_rule(tmp_path: Path):
    from models.instructional import fit_and_save

    meta = fit_and_save(tmp_path, threads=2)
    assert fit_and_save(tmp_path, threads=2) == meta  # a re-run on one machine changes nothing
    fresh, shipped = load_instructional(tmp_path), load_instructional()
    # another CPU's float rounding in the encoder moves fitted weights by about 0.01 (see test_post_heads)
    assert np.allclose(fresh.head.weight, shipped.head.weight, atol=0.03)
    report = meta["report"]
    # recall at 0.65 is 0.729, at 0.7 0.695: another machine may pick a neighbouring grid point
    assert report["chosen_threshold"] in (0.6, 0.65, 0.7)
    if report["chosen_threshold"] == shipped.meta["report"]["chosen_threshold"]:
        assert np.allclose(fresh.head.bias, shipped.head.bias, atol=0.03)
    model, rule = report["out_of_fold"], report["rule_before"]
    assert model["precision"] >= rule["precision"] + 0.2  # 0.87 against 0.62
    assert model["recall"] >= 0.7  # 0.73 (the rule's: 0.83)


def test_classify__every_row_gets_its_howto_score_from_the_instructional_model(analyzer):
    from models.classify import classify_rows

    rows = [
        {"text": "[REQUEST] how to keep mosquitos away?"},
        {"text": "How to make a log stove\nCut the can, punch holes along the rim, stack the wood inside."},
        {"text": "Dear Facebook: please learn how to design Android apps that don't suck"},
    ]
    result = classify_rows(rows, analyzer=analyzer)
    texts = [r["text"] for r in rows]
    expected = analyzer.predict(texts, howto_form=[True] * 3)
    assert [r["howto_score"] for r in result.rows] == pytest.approx(expected.howto.tolist(), abs=1e-4)
    assert [r["howto"] for r in result.rows] == [False, True, False]
    assert not np.allclose(expected.howto, analyzer.predict(texts).howto)  # not the head's scores


@pytest.mark.slow
def test_cli_train__instructional_mode_fits_the_model_for_the_weights_in_out(tmp_path: Path):
    import shutil

    from typer.testing import CliRunner

    from models.encoder import load_encoder
    from ugcminer.cli import app

    for name in ("heads.json", "heads.safetensors", "encoder_adapter.safetensors"):
        shutil.copy(WEIGHTS_DIR / name, tmp_path / name)
    for name in WEIGHTS_DIR.glob("*_text_view.*"):  # heads.json names the sentiment text view
        shutil.copy(name, tmp_path / name.name)
    result = CliRunner().invoke(app, ["train", "--mode", "instructional", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "out-of-fold" in result.output and f"Added the instructional model to {tmp_path}" in result.output
    encoder = load_encoder(EncoderConfig(adapter=str(tmp_path / "encoder_adapter.safetensors")))
    model = instructional_for(ModelsConfig(), encoder, load_heads(tmp_path), tmp_path)
    assert model is not None and model.meta["report"]["rows"] == 918
    # the same adapter and heads as the shipped files: the same model, up to another CPU's float rounding
    assert np.allclose(model.head.weight, load_instructional().head.weight, atol=0.03)
