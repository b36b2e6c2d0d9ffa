"""Calibration on the dev split and scores on the held-out test split, for the trained heads.

Policy: sentiment gets per-class logit offsets maximising macro-averaged recall; complaint a threshold
maximising macro-F1; how-to the lowest threshold with dev precision >= the target. The banking77
few-shot check measures how good the (adapted) embedding stays for topics, KB and taxonomy matching.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.data import Dataset
from models.encoder import Encoder
from models.heads import (
    LinearHead,
    joint_proba,
    macro_recall_bias,
    threshold_for_precision,
    threshold_max_macro_f1,
    with_calibration,
)

if TYPE_CHECKING:
    from models.text_view import TextView

FEW_SHOT = 10
FEW_SHOT_QUERIES = 30


def calibrate(
    encoder: Encoder, heads: dict[str, LinearHead], sets: dict[str, Dataset], precision: float
) -> dict[str, LinearHead]:
    """Heads with dev-tuned offsets/thresholds (dev split only; the test split is never used here)."""
    out = {}
    for task, head in heads.items():
        texts, labels = sets[task].part("dev")
        emb = encoder.encode(texts)
        if head.kind == "softmax":
            out[task] = with_calibration(head, bias_shift=macro_recall_bias(head.logits(emb), labels))
        elif task == "howto":
            out[task] = with_calibration(
                head, threshold=threshold_for_precision(head.predict_proba(emb), labels, precision)
            )
        else:
            out[task] = with_calibration(
                head, threshold=threshold_max_macro_f1(head.predict_proba(emb), labels)
            )
    return out


def classification_scores(y: np.ndarray, pred: np.ndarray, names: tuple[str, ...]) -> dict[str, Any]:
    """Accuracy, macro-F1, macro recall, per-class precision/recall/F1 and the confusion matrix."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    p, r, f, n = precision_recall_fscore_support(y, pred, labels=range(len(names)), zero_division=0)
    return {
        "n": int(len(y)),
        "accuracy": round(float(accuracy_score(y, pred)), 4),
        "macro_f1": round(float(f1_score(y, pred, average="macro")), 4),
        "macro_recall": round(float(np.mean(r)), 4),
        "per_class": {
            name: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(n[i]),
            }
            for i, name in enumerate(names)
        },
        "confusion": confusion_matrix(y, pred, labels=range(len(names))).tolist(),
    }


def score_heads(
    encoder: Encoder,
    heads: dict[str, LinearHead],
    sets: dict[str, Dataset],
    split: str = "test",
    views: dict[str, TextView] | None = None,
) -> dict[str, Any]:
    """Scores of every head (joined with its text view, if any) on `split` (default: the held-out
    test split).
    """
    from sklearn.metrics import average_precision_score

    out: dict[str, Any] = {}
    for task, head in heads.items():
        texts, labels = sets[task].part(split)
        proba = joint_proba(head, (views or {}).get(task), encoder.encode(texts), texts)
        if head.kind == "softmax":
            out[task] = classification_scores(labels, proba.argmax(1), head.labels)
            continue
        out[task] = classification_scores(labels, (proba >= head.threshold).astype(int), head.labels)
        out[task]["threshold"] = head.threshold
        out[task]["average_precision"] = round(float(average_precision_score(labels, proba)), 4)
    return out


def _banking_split(root: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    rows: dict[str, list[str]] = {}
    with (root / "banking77" / "train.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows.setdefault(row["category"], []).append(row["text"])
    shots, shot_y, queries, query_y = [], [], [], []
    for category in sorted(rows):
        texts = sorted(rows[category], key=lambda t: hashlib.sha1(t.encode("utf-8")).hexdigest())
        shots += texts[:FEW_SHOT]
        shot_y += [category] * FEW_SHOT
        take = texts[FEW_SHOT : FEW_SHOT + FEW_SHOT_QUERIES]
        queries += take
        query_y += [category] * len(take)
    return shots, shot_y, queries, query_y


def banking77_few_shot(encoder: Encoder, root: Path) -> float:
    """BANKING77 10-shot nearest-centroid accuracy (10 support + 30 query texts per intent, from train.csv)."""
    shots, shot_y, queries, query_y = _banking_split(root)
    names = sorted(set(shot_y))
    emb = encoder.encode(shots)
    centroids = np.stack([emb[[i for i, y in enumerate(shot_y) if y == n]].mean(0) for n in names])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    pred = (encoder.encode(queries) @ centroids.T).argmax(1)
    return round(float(np.mean([names[p] == y for p, y in zip(pred, query_y, strict=True)])), 4)
