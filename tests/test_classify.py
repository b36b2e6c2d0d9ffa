"""models/classify.py and `ugcminer classify`: rows in order, every field kept, null predictions counted."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from models.classify import (
    HEAD_FIELDS,
    TAXONOMY_FIELDS,
    ClassifyResult,
    EmbeddingCache,
    classify_rows,
    sentiment_shares_line,
    text_of,
)
from models.io import read_rows
from ugcminer.cli import app
from ugcminer.errors import ModelError

FIXTURES = Path(__file__).parent / "fixtures" / "labeled"
BAD_ROWS = FIXTURES / "bad_rows.jsonl"
SENTIMENT = FIXTURES / "semeval_sentiment_sample.jsonl"
NON_TEXT_IDS = {"empty", "whitespace", "number", "null", "missing", "list"}


@pytest.fixture(scope="session")
def analyzer():  # noqa: ANN201
    from models.analyzer import load_analyzer

    return load_analyzer()


def test_text_of__only_non_blank_strings() -> None:
    rows = read_rows(BAD_ROWS)
    assert {r["id"] for r in rows if text_of(r, "text") is None} == NON_TEXT_IDS
    assert text_of({"body": "x"}, "body") == "x"


def test_text_of__a_title_column_puts_the_title_first_as_the_analyzer_reads_posts() -> None:
    assert text_of({"title": " How to X ", "body": "1. a\n2. b"}, "body", "title") == "How to X\n1. a\n2. b"
    assert text_of({"title": "Link post", "body": ""}, "body", "title") == "Link post"
    assert text_of({"title": None, "body": "a comment"}, "body", "title") == "a comment"
    assert text_of({"title": " ", "body": None}, "body", "title") is None


def test_classify_result__summary_counts_and_rate() -> None:
    result = ClassifyResult(rows=[], predictions=[], total=10, skipped=2, seconds=2.0)
    assert (result.classified, result.rate) == (8, 4.0)
    assert result.summary() == "8 of 10 rows classified, 2 skipped (empty or non-text), 4.0 mentions/s"
    replaced = ClassifyResult([], [], 1, 0, 1.0, replaced=("category",))
    assert replaced.summary().endswith("; input columns replaced by predictions: category")


def test_classify_rows__needs_a_model() -> None:
    with pytest.raises(ValueError, match="needs an analyzer or an encoder"):
        classify_rows([{"text": "x"}])


def test_classify_cli__missing_title_column_names_the_option() -> None:
    result = CliRunner().invoke(app, ["classify", str(SENTIMENT), "--title-column", "title"])
    assert isinstance(result.exception, ModelError)
    assert str(result.exception).endswith("choose one with --title-column")


@pytest.mark.slow
def test_classify_cli__title_column_reads_posts_as_the_analyze_flow_does(analyzer, tmp_path: Path) -> None:  # noqa: ANN001
    posts = [
        {
            "title": "How to make a log stove",
            "body": "Cut the can, punch holes along the rim, stack the wood.",
        },
        {"title": "[REQUEST] how to keep mosquitos away?", "body": "Any ideas? They eat me alive."},
        {"title": "Dear Facebook: please learn how to design Android apps that don't suck", "body": ""},
    ]
    source = tmp_path / "posts.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in posts), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["classify", str(source), "--text-column", "body", "--title-column", "title", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["title"] for r in rows] == [p["title"] for p in posts]  # every input field, in order
    joined = [f"{p['title']}\n{p['body']}".strip() for p in posts]
    expected = analyzer.predict(joined, howto_form=[True] * 3).howto
    assert [r["howto_score"] for r in rows] == pytest.approx(expected.tolist(), abs=1e-4)
    assert [r["howto"] for r in rows] == [True, False, False]  # the guide, not the request or the rant


def test_classify_cli__missing_column_names_columns_found() -> None:
    result = CliRunner().invoke(app, ["classify", str(SENTIMENT), "--text-column", "body"])
    assert isinstance(result.exception, ModelError)
    assert str(result.exception) == (
        f"{SENTIMENT}: no column 'body' (columns found: 'tweet_id', 'label', 'label_id', 'text'); "
        "choose one with --text-column"
    )


@pytest.mark.slow
def test_classify_rows__bad_rows_get_nulls_in_order(analyzer) -> None:  # noqa: ANN001
    rows = [*read_rows(BAD_ROWS), {"id": "long", "text": "my card was declined " * 5000}]
    result = classify_rows(rows, analyzer=analyzer, chunk_size=4)
    assert [r["id"] for r in result.rows] == [r["id"] for r in rows]
    assert result.predictions == [{f: r[f] for f in HEAD_FIELDS} for r in result.rows]
    assert result.skipped == len(NON_TEXT_IDS) and result.total == len(rows)
    for original, out in zip(rows, result.rows, strict=True):
        assert {k: out[k] for k in original} == original  # every input field kept as is
        assert set(out) == set(original) | set(HEAD_FIELDS)
        if original["id"] in NON_TEXT_IDS:
            assert all(out[f] is None for f in HEAD_FIELDS)
        else:
            assert out["sentiment"] in ("negative", "neutral", "positive")
            assert sum(out["sentiment_scores"].values()) == pytest.approx(1.0, abs=1e-3)
            assert isinstance(out["complaint"], bool) and 0 <= out["complaint_score"] <= 1


@pytest.mark.slow
def test_classify_rows__chunking_and_cache_do_not_change_predictions(analyzer, tmp_path: Path) -> None:  # noqa: ANN001
    rows = read_rows(SENTIMENT)
    whole = classify_rows(rows, analyzer=analyzer, chunk_size=1000).rows
    chunked = classify_rows(rows, analyzer=analyzer, chunk_size=7).rows
    cache = EmbeddingCache(tmp_path / "emb.npz", analyzer.encoder.version)
    classify_rows(rows, analyzer=analyzer, cache=cache)
    cached = classify_rows(
        rows, analyzer=analyzer, cache=EmbeddingCache(tmp_path / "emb.npz", analyzer.encoder.version)
    )
    assert len(cache) == len({r["text"] for r in rows})
    for other in (chunked, cached.rows):
        assert [r["sentiment"] for r in whole] == [r["sentiment"] for r in other]
        for a, b in zip(whole, other, strict=True):
            assert a["complaint_score"] == pytest.approx(b["complaint_score"], abs=2e-4)


@pytest.mark.slow
def test_classify_cli__jsonl_with_taxonomy(tmp_path: Path) -> None:
    data = tmp_path / "bank.jsonl"
    with (FIXTURES / "banking77_sample.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["classify", str(data), "--taxonomy", str(FIXTURES / "banking77_taxonomy.yaml")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = read_rows(tmp_path / "bank.labeled.jsonl")
    assert [r["text"] for r in out] == [r["text"] for r in rows]
    assert all(set(r) == {"text", *HEAD_FIELDS, *TAXONOMY_FIELDS} for r in out)
    correct = sum(r["category"] == src["category"] for r, src in zip(out, rows, strict=True))
    assert correct >= 25  # 30 rows, 6 intents
    assert (
        f"{len(rows)} of {len(rows)} rows classified, 0 skipped" in result.stderr
        and "mentions/s" in result.stderr
    )
    assert "input columns replaced by predictions: category" in result.stderr
    assert (
        "Sentiment shares, estimated: negative" in result.stderr and "as labelled: negative" in result.stderr
    )


def test_sentiment_shares_line__estimate_beside_the_labels() -> None:
    from models.quantify import ShareCalibration

    labels = ["negative"] * 30 + ["neutral"] * 50 + ["positive"] * 20
    result = ClassifyResult([], [{"sentiment": x} for x in labels] + [{"sentiment": None}], 101, 1, 1.0)
    assert (
        sentiment_shares_line(result, None)
        == "Sentiment labels: negative 30.0%, neutral 50.0%, positive 20.0%."
    )
    calibration = ShareCalibration.from_json(
        ("negative", "neutral", "positive"), [[8, 1, 1], [3, 6, 1], [1, 1, 8]]
    )
    shares = calibration.shares({"negative": 30, "neutral": 50, "positive": 20})
    line = sentiment_shares_line(result, calibration)
    assert line is not None and f"negative {shares['negative']:.1%}" in line
    assert "as labelled: negative 30.0%" in line
    assert sentiment_shares_line(ClassifyResult([], [{"sentiment": None}], 1, 1, 1.0), calibration) is None


@pytest.mark.slow
def test_classify_cli__csv_output_with_bad_rows(tmp_path: Path) -> None:
    out = tmp_path / "labeled.csv"
    result = CliRunner().invoke(app, ["classify", str(BAD_ROWS), "--output", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        back = list(csv.DictReader(handle))
    assert [r["id"] for r in back] == [r["id"] for r in read_rows(BAD_ROWS)]
    by_id = {r["id"]: r for r in back}
    assert by_id["empty"]["sentiment"] == "" and by_id["emoji"]["sentiment"] in (
        "negative",
        "neutral",
        "positive",
    )
    assert by_id["formula"]["text"].startswith("'=")
    assert json.loads(by_id["rtl"]["sentiment_scores"]).keys() == {"negative", "neutral", "positive"}
    assert f"{len(NON_TEXT_IDS)} skipped" in result.stderr


def test_embedding_cache__round_trip_and_version_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "emb.npz"
    cache = EmbeddingCache(path, "enc@1")
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3)
    cache.put(["a", "b 😡"], vectors)
    cache.save()
    again = EmbeddingCache(path, "enc@1")
    got = again.get(["b 😡", "c", "a"])
    assert len(again) == 2 and got[1] is None
    np.testing.assert_array_equal(np.stack([got[2], got[0]]), vectors)
    assert len(EmbeddingCache(path, "enc@2")) == 0  # another encoder version: ignored
