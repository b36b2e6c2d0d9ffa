"""Metrics for a task's predictions against labels written the way the data writes them.

Labels are read as in the data: sentiment ``negative/neutral/positive`` or ``0/1/2``; binary tasks
``0/1``, ``true/false``, ``yes/no``; taxonomy categories by name. Metrics (scikit-learn): accuracy,
macro-F1, macro-averaged recall, per-class precision/recall/F1/support and the confusion matrix
(rows = true label, columns = predicted label, in ``labels`` order). Macro averages run over the labels
present in the data; a label only ever predicted (e.g. taxonomy ``other``) is listed but not averaged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ugcminer.errors import ModelError

if TYPE_CHECKING:
    from models.quantify import ShareCalibration

TASKS = ("sentiment", "complaint", "howto", "taxonomy")
SENTIMENT_ORDER = ("negative", "neutral", "positive")
BINARY_ORDER = ("false", "true")
# how label cells are read, per task family (policy as data)
LABEL_ALIASES: dict[str, dict[str, str]] = {
    "sentiment": {
        "negative": "negative", "neutral": "neutral", "positive": "positive",
        "0": "negative", "1": "neutral", "2": "positive",
        "neg": "negative", "neu": "neutral", "pos": "positive",
    },
    "binary": {
        "1": "true", "0": "false", "true": "true", "false": "false", "yes": "true", "no": "false",
        "1.0": "true", "0.0": "false", "y": "true", "n": "false", "t": "true", "f": "false",
    },
}  # fmt: skip
DEFAULT_LABEL_COLUMNS = ("label", "category")


@dataclass(frozen=True)
class ClassMetrics:
    """Precision, recall, F1 and support of one class."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvalReport:
    """The metrics of one evaluation run."""

    task: str
    n: int
    accuracy: float
    macro_f1: float
    macro_recall: float
    labels: list[str]
    per_class: dict[str, ClassMetrics]
    confusion_matrix: list[list[int]]
    skipped: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (confusion matrix with its label order)."""
        data = asdict(self)
        data["confusion_matrix"] = {"labels": self.labels, "matrix": self.confusion_matrix}
        return data

    def write_json(self, path: str | Path, **extra: Any) -> None:
        """Write the report (plus `extra` keys such as the data file) as indented JSON."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps({**self.to_dict(), **extra}, indent=2) + "\n", encoding="utf-8")


def label_family(task: str) -> str:
    """``sentiment``, ``binary`` or ``taxonomy``."""
    if task not in TASKS:
        raise ModelError(f"unknown task {task!r} (choose one of {', '.join(TASKS)})")
    return "binary" if task in ("complaint", "howto") else task


def parse_label(value: Any, task: str) -> str | None:
    """The canonical label of one cell (None for an empty cell); unknown values raise ModelError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    family = label_family(task)
    text = str(value).strip()
    if family == "taxonomy":
        return text
    canonical = LABEL_ALIASES[family].get(text.lower())
    if canonical is None:
        allowed = ", ".join(sorted(LABEL_ALIASES[family]))
        raise ModelError(f"label {text!r} is not a {task} label (accepted: {allowed})")
    return canonical


def label_order(task: str, seen: Sequence[str]) -> list[str]:
    """The labels to report, in the task's canonical order (taxonomy: sorted; 'other' last)."""
    present = set(seen)
    family = label_family(task)
    if family == "sentiment":
        return [lab for lab in SENTIMENT_ORDER if lab in present]
    if family == "binary":
        return [lab for lab in BINARY_ORDER if lab in present]
    return sorted(present, key=lambda lab: (lab == "other", lab))


def compute_metrics(task: str, y_true: Sequence[str], y_pred: Sequence[str], skipped: int = 0) -> EvalReport:
    """Accuracy, macro-F1, macro recall, per-class metrics and confusion matrix of `y_pred`."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    if len(y_true) != len(y_pred):
        raise ModelError(f"{len(y_true)} labels but {len(y_pred)} predictions")
    if not y_true:
        raise ModelError("no labelled rows to evaluate")
    labels = label_order(task, [*y_true, *y_pred])
    prec, rec, f1, sup = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    gold = sup > 0  # macro averages over the labels in the data (a predicted-only "other" is no class)
    per_class = {
        lab: ClassMetrics(round(float(p), 6), round(float(r), 6), round(float(f), 6), int(s))
        for lab, p, r, f, s in zip(labels, prec, rec, f1, sup, strict=True)
    }
    return EvalReport(
        task=task,
        n=len(y_true),
        accuracy=round(float(accuracy_score(y_true, y_pred)), 6),
        macro_f1=round(float(f1[gold].mean()), 6),
        macro_recall=round(float(rec[gold].mean()), 6),
        labels=labels,
        per_class=per_class,
        confusion_matrix=confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        skipped=skipped,
    )


def find_label_column(columns: Sequence[str], requested: str | None, source: str | Path) -> str:
    """The label column: `requested`, else the first of ``label``, ``category`` present."""
    if requested is not None:
        if requested not in columns:
            raise ModelError(f"{source}: no label column {requested!r} (columns found: {', '.join(columns)})")
        return requested
    for name in DEFAULT_LABEL_COLUMNS:
        if name in columns:
            return name
    raise ModelError(
        f"{source}: no label column named {' or '.join(DEFAULT_LABEL_COLUMNS)} "
        f"(columns found: {', '.join(columns)}); choose one with --label-column"
    )


def render_table(report: EvalReport, title: str | None = None) -> Any:
    """A rich Table of the per-class metrics and the macro averages."""
    from rich.table import Table

    table = Table(title=title or f"{report.task}: {report.n} rows")
    for name in ("label", "precision", "recall", "f1", "support"):
        table.add_column(name, justify="left" if name == "label" else "right")
    for lab, m in report.per_class.items():
        table.add_row(lab, f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}", str(m.support))
    table.add_section()
    table.add_row("accuracy", "", "", f"{report.accuracy:.4f}", str(report.n))
    table.add_row("macro", "", f"{report.macro_recall:.4f}", f"{report.macro_f1:.4f}", str(report.n))
    return table


def share_report(
    report: EvalReport, calibration: ShareCalibration | None
) -> dict[str, dict[str, float]] | None:
    """Per class: its true share in the data, the share of rows labelled with it, and the estimate the
    weekly report would show from those labels (``models.quantify``); None without a calibration.
    """
    if calibration is None or set(calibration.labels) != set(report.labels) or not report.n:
        return None
    matrix = np.asarray(report.confusion_matrix, dtype=float)
    true, labelled = matrix.sum(axis=1) / report.n, matrix.sum(axis=0) / report.n
    estimate = calibration.shares(dict(zip(report.labels, matrix.sum(axis=0).tolist(), strict=True)))
    assert estimate is not None
    return {
        label: {
            "true": round(float(t), 4),
            "labelled": round(float(q), 4),
            "estimated": round(estimate[label], 4),
        }
        for label, t, q in zip(report.labels, true, labelled, strict=True)
    }


PREDICTION_FIELD = {
    "sentiment": "sentiment",
    "complaint": "complaint",
    "howto": "howto",
    "taxonomy": "category",
}


def predicted_label(value: Any) -> str | None:
    """A classified row's prediction as a label (booleans as ``true``/``false``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def evaluate_classified(
    task: str, rows: Sequence[dict[str, Any]], predictions: Sequence[dict[str, Any]], label_column: str
) -> EvalReport:
    """Metrics of `predictions` (row-aligned prediction fields) against the input `rows`' `label_column`;
    rows without a label or a prediction (empty text) are skipped and counted.
    """
    if len(rows) != len(predictions):
        raise ModelError(f"{len(rows)} rows but {len(predictions)} predictions")
    field = PREDICTION_FIELD[task]
    y_true: list[str] = []
    y_pred: list[str] = []
    for number, (row, prediction) in enumerate(zip(rows, predictions, strict=True), start=1):
        try:
            truth = parse_label(row.get(label_column), task)
        except ModelError as exc:
            raise ModelError(f"row {number}, column {label_column!r}: {exc}") from None
        guess = predicted_label(prediction.get(field))
        if truth is not None and guess is not None:
            y_true.append(truth)
            y_pred.append(guess)
    return compute_metrics(task, y_true, y_pred, skipped=len(rows) - len(y_true))
