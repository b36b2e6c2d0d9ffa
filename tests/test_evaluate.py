"""models/evaluate.py and `ugcminer evaluate`: metrics against labels written as in the data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from models.evaluate import (
    compute_metrics,
    evaluate_classified,
    find_label_column,
    label_order,
    parse_label,
    render_table,
    share_report,
)
from ugcminer.cli import app
from ugcminer.errors import ModelError

FIXTURES = Path(__file__).parent / "fixtures" / "labeled"

# hand-computed tiny case: true vs predicted sentiment
TRUE = ["negative", "negative", "neutral", "positive", "positive", "positive"]
PRED = ["negative", "neutral", "neutral", "positive", "negative", "positive"]


def test_compute_metrics__matches_hand_computation() -> None:
    report = compute_metrics("sentiment", TRUE, PRED)
    assert report.labels == ["negative", "neutral", "positive"]
    assert report.confusion_matrix == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert report.accuracy == pytest.approx(4 / 6, abs=1e-6)
    # precision 1/2, 1/2, 2/2; recall 1/2, 1/1, 2/3; f1 1/2, 2/3, 4/5
    assert report.per_class["negative"].precision == pytest.approx(0.5)
    assert report.per_class["neutral"].f1 == pytest.approx(2 / 3, abs=1e-6)
    assert report.per_class["positive"].recall == pytest.approx(2 / 3, abs=1e-6)
    assert report.per_class["positive"].f1 == pytest.approx(0.8)
    assert report.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0.8) / 3, abs=1e-6)
    assert report.macro_recall == pytest.approx((0.5 + 1 + 2 / 3) / 3, abs=1e-6)
    assert [m.support for m in report.per_class.values()] == [2, 1, 3]


def test_parse_label__numeric_and_named_sentiment_agree() -> None:
    numeric = [parse_label(v, "sentiment") for v in [0, "0", 1, 2, " 2 "]]
    named = [parse_label(v, "sentiment") for v in ["negative", "Negative", "neutral", "POSITIVE", "positive"]]
    assert numeric == named == ["negative", "negative", "neutral", "positive", "positive"]
    by_number = compute_metrics("sentiment", [parse_label(v, "sentiment") for v in [0, 0, 1, 2, 2, 2]], PRED)
    assert by_number == compute_metrics("sentiment", TRUE, PRED)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 0, "1", "0"], ["true", "false", "true", "false"]),
        (["true", "False", "yes", "NO"], ["true", "false", "true", "false"]),
        ([True, False, 1.0, "0.0"], ["true", "false", "true", "false"]),
    ],
)
def test_parse_label__binary_spellings(values: list[object], expected: list[str]) -> None:
    assert [parse_label(v, "complaint") for v in values] == expected


def test_parse_label__empty_is_none_and_unknown_raises() -> None:
    assert parse_label("  ", "howto") is None and parse_label(None, "sentiment") is None
    with pytest.raises(ModelError, match=r"label 'maybe' is not a complaint label"):
        parse_label("maybe", "complaint")
    with pytest.raises(ModelError, match=r"unknown task 'topic'"):
        parse_label("x", "topic")


def test_label_order__taxonomy_sorted_with_other_last() -> None:
    assert label_order("taxonomy", ["b", "other", "a", "b"]) == ["a", "b", "other"]
    assert label_order("complaint", ["true", "false"]) == ["false", "true"]


def test_find_label_column__defaults_and_errors() -> None:
    assert find_label_column(["text", "category"], None, "f.csv") == "category"
    assert find_label_column(["label", "category"], None, "f.csv") == "label"
    assert find_label_column(["text", "y"], "y", "f.csv") == "y"
    with pytest.raises(
        ModelError, match=r"f.csv: no label column named label or category \(columns found: text, y\)"
    ):
        find_label_column(["text", "y"], None, "f.csv")
    with pytest.raises(ModelError, match=r"no label column 'z'"):
        find_label_column(["text", "y"], "z", "f.csv")


def test_evaluate_classified__skips_rows_without_prediction_or_label() -> None:
    rows = [{"label": "1"}, {"label": "0"}, {"label": ""}, {"label": "0"}]
    predictions = [
        {"complaint": True},
        {"complaint": None},  # empty text: no prediction
        {"complaint": False},  # no label
        {"complaint": True},
    ]
    report = evaluate_classified("complaint", rows, predictions, "label")
    assert (report.n, report.skipped) == (2, 2)
    assert report.confusion_matrix == [[0, 1], [0, 1]]
    with pytest.raises(ModelError, match=r"row 1, column 'label'"):
        evaluate_classified("complaint", [{"label": "bad"}], [{"complaint": True}], "label")


def test_evaluate_classified__label_column_named_like_a_prediction() -> None:
    # the input's `category` label must be compared with the predicted category, not with itself
    rows = [{"category": "a"}, {"category": "b"}]
    report = evaluate_classified("taxonomy", rows, [{"category": "a"}, {"category": "a"}], "category")
    assert report.accuracy == 0.5 and report.confusion_matrix == [[1, 0], [1, 0]]


def test_render_table__lists_labels_and_averages() -> None:
    console = Console(width=120, record=True)
    console.print(render_table(compute_metrics("sentiment", TRUE, PRED)))
    text = console.export_text()
    assert all(word in text for word in ["negative", "neutral", "positive", "accuracy", "0.6667", "0.6556"])


def test_eval_report__json_has_confusion_label_order(tmp_path: Path) -> None:
    report = compute_metrics("sentiment", TRUE, PRED)
    report.write_json(tmp_path / "m.json", data="x.csv")
    data = json.loads((tmp_path / "m.json").read_text())
    assert data["confusion_matrix"] == {"labels": report.labels, "matrix": report.confusion_matrix}
    assert set(data["per_class"]["neutral"]) == {"precision", "recall", "f1", "support"}
    assert data["data"] == "x.csv" and data["accuracy"] == report.accuracy


def test_evaluate_cli__taxonomy_needs_taxonomy_file() -> None:
    result = CliRunner().invoke(
        app, ["evaluate", "--task", "taxonomy", "--data", str(FIXTURES / "banking77_sample.csv")]
    )
    assert isinstance(result.exception, ModelError)
    assert "--task taxonomy needs --taxonomy FILE" in str(result.exception)


@pytest.mark.slow
def test_evaluate_cli__sentiment_string_and_numeric_labels_same_metrics(tmp_path: Path) -> None:
    data = FIXTURES / "semeval_sentiment_sample.jsonl"
    outs = []
    for column in ("label", "label_id"):
        out = tmp_path / f"{column}.json"
        args = [
            "evaluate",
            "--task",
            "sentiment",
            "--data",
            str(data),
            "--label-column",
            column,
            "--output",
            str(out),
        ]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "macro" in result.stdout and "negative" in result.stdout
        outs.append(json.loads(out.read_text()))
    named, numeric = outs
    for key in ("accuracy", "macro_f1", "macro_recall", "per_class", "confusion_matrix"):
        assert named[key] == numeric[key]
    assert named["n"] == 30 and sum(m["support"] for m in named["per_class"].values()) == 30
    assert named["macro_recall"] > 0.5  # trained heads on their own training rows: well above chance
    matrix = named["confusion_matrix"]["matrix"]
    negative = named["shares"]["negative"]
    assert negative["true"] == pytest.approx(sum(matrix[0]) / 30, abs=1e-4)
    assert negative["labelled"] == pytest.approx(sum(r[0] for r in matrix) / 30, abs=1e-4)
    assert sum(v["estimated"] for v in named["shares"].values()) == pytest.approx(1.0, abs=1e-3)
    assert "Class shares, true / as labelled / estimated" in result.stderr


@pytest.mark.slow
def test_evaluate_cli__complaint_on_real_sample(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    args = [
        "evaluate",
        "--task",
        "complaint",
        "--data",
        str(FIXTURES / "complaints_sample.csv"),
        "--output",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["labels"] == ["false", "true"] and data["n"] == 24 and data["label_column"] == "label"
    assert sum(map(sum, data["confusion_matrix"]["matrix"])) == 24
    assert data["accuracy"] > 0.6


def test_models_config__from_file_or_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ugcminer.cli.modelling import models_config
    from ugcminer.config import ModelsConfig

    monkeypatch.chdir(tmp_path)
    assert models_config(None) == ModelsConfig()
    (tmp_path / "ugcminer.yaml").write_text("brands: [{name: Acme}]\nmodels: {taxonomy_threshold: 0.2}\n")
    assert models_config(None).taxonomy_threshold == 0.2
    assert models_config(tmp_path / "ugcminer.yaml").taxonomy_threshold == 0.2


def test_share_report__true_labelled_and_estimated_shares_per_class() -> None:
    from models.quantify import ShareCalibration

    report = compute_metrics("sentiment", ["negative"] * 2 + ["neutral"] * 6 + ["positive"] * 2,
                             ["negative"] * 2 + ["negative", "neutral", "neutral", "neutral", "neutral", "positive"] + ["positive"] * 2)  # fmt: skip
    labels = ("negative", "neutral", "positive")
    calibration = ShareCalibration.from_json(labels, [[9, 1, 0], [2, 7, 1], [0, 1, 9]])
    shares = share_report(report, calibration)
    assert shares is not None
    assert (shares["negative"]["true"], shares["negative"]["labelled"]) == (0.2, 0.3)
    expected = calibration.shares({"negative": 3, "neutral": 4, "positive": 3})
    assert shares["negative"]["estimated"] == pytest.approx(expected["negative"], abs=1e-4)
    assert share_report(report, None) is None
    binary = compute_metrics("complaint", ["true", "false"], ["true", "true"])
    assert share_report(binary, calibration) is None  # another label set


def test_compute_metrics__predicted_only_label_listed_not_averaged() -> None:
    report = compute_metrics("taxonomy", ["a", "a", "b", "b"], ["a", "other", "b", "b"])
    assert report.labels == ["a", "b", "other"] and report.per_class["other"].support == 0
    assert report.macro_recall == pytest.approx((0.5 + 1.0) / 2)
    assert report.macro_f1 == pytest.approx((2 / 3 + 1.0) / 2)  # a: p=1, r=1/2, f1=2/3; b: p=r=f1=1
