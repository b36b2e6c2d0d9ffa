"""Small trained heads on the shared embedding, stored as plain arrays (safetensors) + JSON metadata.

``heads.safetensors`` holds ``<task>.weight`` (k, dim) and ``<task>.bias`` (k,) float32 per head;
``heads.json`` holds, per head, its kind (softmax over labels, or sigmoid for a binary head), labels,
decision threshold, training data, preprocessing and measured metrics, plus the encoder version the
heads were trained on and the tasks whose head is joined with an n-gram text view (``text_views``,
files of their own: ``models.text_view``). No pickles.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ugcminer.errors import ModelError

if TYPE_CHECKING:
    from models.text_view import TextView

HEADS_FILE = "heads.safetensors"
META_FILE = "heads.json"
TASKS = ("sentiment", "complaint", "howto")


@dataclass(frozen=True)
class LinearHead:
    """A linear layer plus softmax (multi-class) or sigmoid (binary, one logit)."""

    task: str
    weight: np.ndarray  # (k, dim)
    bias: np.ndarray  # (k,)
    kind: Literal["softmax", "sigmoid"]
    labels: tuple[str, ...]
    threshold: float | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def logits(self, embeddings: np.ndarray) -> np.ndarray:
        """Raw scores, (n, k)."""
        return embeddings.astype(np.float32) @ self.weight.T + self.bias

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        """Probabilities: (n, k) for a softmax head, (n,) positive-class probability for a sigmoid head."""
        z = self.logits(embeddings)
        if self.kind == "sigmoid":
            return (1.0 / (1.0 + np.exp(-z[:, 0]))).astype(np.float32)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class HeadSet:
    """The heads trained together on one encoder version."""

    heads: dict[str, LinearHead]
    encoder_version: str
    meta: dict[str, Any]
    text_views: dict[str, TextView] = field(default_factory=dict)

    def __getitem__(self, task: str) -> LinearHead:
        try:
            return self.heads[task]
        except KeyError:
            raise ModelError(f"no trained {task!r} head (known: {', '.join(self.heads)})") from None

    def predict_proba(self, task: str, embeddings: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """The head's probabilities for `embeddings`, joined with its text view (``models.text_view``)
        of `texts` where the task has one.
        """
        return joint_proba(self[task], self.text_views.get(task), embeddings, texts)

    def digest(self, task: str) -> str:
        """Content hash of the task's head (and text view): results re-score when it changes."""
        view = self.text_views.get(task)
        digest = head_digest(self[task])
        return f"{digest}.{view.digest}" if view is not None else digest


def head_digest(head: LinearHead) -> str:
    """Content hash of a head's weights (a text view records the head it was joined to)."""
    return hashlib.sha1(head.weight.tobytes() + head.bias.tobytes()).hexdigest()[:8]


def joint_proba(
    head: LinearHead, view: TextView | None, embeddings: np.ndarray, texts: Sequence[str]
) -> np.ndarray:
    """`head`'s probabilities for `embeddings`, joined with `view` of `texts` when there is one."""
    return head.predict_proba(embeddings) if view is None else view.fuse(head.logits(embeddings), texts)


def save_heads(
    folder: Path,
    heads: dict[str, LinearHead],
    meta: dict[str, Any],
    files: tuple[str, str] = (HEADS_FILE, META_FILE),
) -> None:
    """Write `heads` to ``folder/heads.safetensors`` and their metadata to ``folder/heads.json`` (or the
    tensor and JSON file names in `files`).
    """
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, np.ndarray] = {}
    entries: dict[str, Any] = {}
    for task, head in sorted(heads.items()):
        tensors[f"{task}.weight"] = np.ascontiguousarray(head.weight, dtype=np.float32)
        tensors[f"{task}.bias"] = np.ascontiguousarray(head.bias, dtype=np.float32)
        entries[task] = {
            "kind": head.kind,
            "labels": list(head.labels),
            "threshold": head.threshold,
            **head.meta,
        }
    save_file(tensors, str(folder / files[0]))
    document = {**meta, "heads": entries}
    (folder / files[1]).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_head_files(
    meta_path: Path, tensor_path: Path, what: str, rerun: str
) -> tuple[dict[str, Any], dict[str, LinearHead]]:
    """The JSON document (without its "heads") and the heads of a heads JSON + safetensors pair; a
    broken pair is a ModelError naming `what` and the command (`rerun`) that writes it again.
    """
    from safetensors.numpy import load_file

    try:
        document = json.loads(meta_path.read_text(encoding="utf-8"))
        tensors = load_file(str(tensor_path))
        heads = {task: head_from_entry(task, entry, tensors) for task, entry in document.pop("heads").items()}
    except (KeyError, ValueError, OSError) as exc:
        raise ModelError(
            f"{meta_path.parent}: {what} are unreadable or incomplete ({exc}); rerun {rerun}"
        ) from exc
    return document, heads


def load_heads(folder: Path) -> HeadSet:
    """Read the heads saved in `folder`; a missing or broken file is a ModelError naming it."""
    meta_path, tensor_path = folder / META_FILE, folder / HEADS_FILE
    if not meta_path.exists() or not tensor_path.exists():
        raise ModelError(f"{folder}: no trained heads ({META_FILE}, {HEADS_FILE}); run `ugcminer train`")
    document, heads = read_head_files(meta_path, tensor_path, "heads files", "`ugcminer train`")
    from models.text_view import load_text_view

    views = {task: load_text_view(folder, task) for task in document.get("text_views", [])}
    for task, view in views.items():
        joined_to = view.meta.get("head_digest")
        if task not in heads or (joined_to and joined_to != head_digest(heads[task])):
            raise ModelError(
                f"{folder}: the {task} text view was fitted for another {task} head; "
                "rerun `python -m models.train --mode text-view`"
            )
    return HeadSet(
        heads=heads, encoder_version=document.get("encoder_version", ""), meta=document, text_views=views
    )


def head_from_entry(task: str, entry: dict[str, Any], tensors: dict[str, np.ndarray]) -> LinearHead:
    """A head from its JSON entry and the tensors file's arrays (KeyError when one is missing)."""
    extra = {k: v for k, v in entry.items() if k not in ("kind", "labels", "threshold")}
    return LinearHead(
        task=task,
        weight=tensors[f"{task}.weight"],
        bias=tensors[f"{task}.bias"],
        kind=entry["kind"],
        labels=tuple(entry["labels"]),
        threshold=entry.get("threshold"),
        meta=extra,
    )


def with_calibration(
    head: LinearHead, *, bias_shift: np.ndarray | None = None, threshold: float | None = None
) -> LinearHead:
    """A copy of `head` with `bias_shift` added to its bias and/or a new decision threshold."""
    bias = head.bias + bias_shift if bias_shift is not None else head.bias
    return LinearHead(
        task=head.task,
        weight=head.weight,
        bias=bias.astype(np.float32),
        kind=head.kind,
        labels=head.labels,
        threshold=head.threshold if threshold is None else float(threshold),
        meta=head.meta,
    )


def macro_recall_bias(
    logits: np.ndarray, labels: np.ndarray, span: float = 3.0, step: float = 0.05
) -> np.ndarray:
    """Per-class logit offsets (class 1 fixed at 0) maximising macro-averaged recall on a dev split."""
    grid = np.arange(-span, span + step / 2, step)
    onehot = np.eye(logits.shape[1], dtype=bool)[labels]
    counts = np.maximum(onehot.sum(axis=0), 1)
    best, best_score = np.zeros(logits.shape[1]), -1.0
    for b0 in grid:
        shifted = (
            logits[:, None, :] + np.stack([np.full_like(grid, b0), np.zeros_like(grid), grid], axis=1)[None]
        )
        hits = onehot[:, None, :] & (shifted.argmax(axis=2)[:, :, None] == np.arange(logits.shape[1]))
        scores = (hits.sum(axis=0) / counts).mean(axis=1)
        i = int(scores.argmax())
        if scores[i] > best_score + 1e-9:
            best, best_score = np.array([b0, 0.0, grid[i]]), float(scores[i])
    return best.astype(np.float32)


def threshold_max_macro_f1(proba: np.ndarray, labels: np.ndarray) -> float:
    """The threshold on a binary probability that maximises macro-F1 on a dev split."""
    from sklearn.metrics import f1_score

    candidates = np.unique(np.round(proba, 4))
    scores = [f1_score(labels, proba >= t, average="macro") for t in candidates]
    return float(candidates[int(np.argmax(scores))])


def threshold_for_precision(proba: np.ndarray, labels: np.ndarray, precision: float) -> float:
    """The lowest threshold whose dev precision is at least `precision` (most recall), else max-F1."""
    order = np.argsort(-proba)
    hits = np.cumsum(labels[order] == 1)
    prec = hits / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(prec >= precision)
    ok = ok[ok >= 4]  # ignore the first few rows' noisy precision
    if len(ok):
        return float(proba[order][ok.max()])
    return threshold_max_macro_f1(proba, labels)


def fit_logistic(
    task: str, x: np.ndarray, y: np.ndarray, labels: tuple[str, ...], c: float, seed: int = 0
) -> LinearHead:
    """A logistic-regression head on embeddings (softmax for > 2 labels, one sigmoid logit for 2)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000, random_state=seed).fit(x, y)
    kind: Literal["softmax", "sigmoid"] = "softmax" if len(labels) > 2 else "sigmoid"
    return LinearHead(task, model.coef_.astype(np.float32), model.intercept_.astype(np.float32), kind, labels)


def balanced_logistic(x: np.ndarray, y: np.ndarray, c: float, sample_weight: np.ndarray | None = None) -> Any:
    """A class-balanced scikit-learn logistic regression fitted on `x`, `y` (rows weighted by
    `sample_weight` when given): the post heads and the instructional model.
    """
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(
        x, y, sample_weight=sample_weight
    )


def macro_f1_by_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Binary macro-F1 at every distinct threshold ``t`` (positive when ``score >= t``), vectorised.

    Returns ``(thresholds, macro_f1)``, thresholds in decreasing order (every distinct score).
    """
    order = np.argsort(-scores, kind="stable")
    ordered = scores[order]
    pos = labels[order].astype(np.float64)
    tp, fp = np.cumsum(pos), np.cumsum(1.0 - pos)
    last = np.r_[ordered[1:] != ordered[:-1], True]
    tp, fp, ordered = tp[last], fp[last], ordered[last]
    fn, tn = pos.sum() - tp, (len(pos) - pos.sum()) - fp
    f1_pos = 2 * tp / np.maximum(2 * tp + fp + fn, 1e-12)
    f1_neg = 2 * tn / np.maximum(2 * tn + fn + fp, 1e-12)
    return ordered, (f1_pos + f1_neg) / 2


def best_macro_f1_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The score threshold maximising binary macro-F1 (the highest one on ties)."""
    thresholds, f1 = macro_f1_by_threshold(scores, labels)
    return float(thresholds[int(np.argmax(f1))])


def dev_fold_cv(
    fit_score: Any,
    labels: np.ndarray,
    train_idx: np.ndarray,
    dev_idx: np.ndarray,
    *,
    folds: int = 5,
    repeats: int = 10,
    seed: int = 13,
) -> dict[str, Any]:
    """Repeated stratified k-fold over the **dev rows only**, every model also fitted on all train rows.

    Used when the train rows' embeddings come from an encoder fine-tuned on those very labels (they are
    memorised: out-of-fold scores on them are ~perfect), so only dev rows give honest estimates.
    ``fit_score(fit_idx, score_idx)`` fits on rows `fit_idx` and returns scores (logits) for `score_idx`.
    Per repeat: out-of-fold dev scores; each fold's rows are thresholded at the macro-F1-best threshold
    of the *other* folds' out-of-fold scores (nested, so the figure is not tuned on the rows it scores).
    Returns the mean/sd of that macro-F1 over repeats, the mean ROC AUC, and the pooled out-of-fold
    scores (``oof``: (repeats, len(dev_idx))) for choosing the final threshold.
    """
    from sklearn.metrics import f1_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    y_dev = labels[dev_idx]
    oof = np.zeros((repeats, len(dev_idx)))
    nested, aucs = [], []
    for r in range(repeats):
        fold_of = np.zeros(len(dev_idx), dtype=int)
        split = StratifiedKFold(folds, shuffle=True, random_state=seed + r).split(dev_idx, y_dev)
        for k, (fit_part, score_part) in enumerate(split):
            fit_idx = np.concatenate([train_idx, dev_idx[fit_part]])
            oof[r, score_part] = fit_score(fit_idx, dev_idx[score_part])
            fold_of[score_part] = k
        pred = np.zeros(len(dev_idx), dtype=bool)
        for k in range(folds):
            other = fold_of != k
            pred[~other] = oof[r, ~other] >= best_macro_f1_threshold(oof[r, other], y_dev[other])
        nested.append(float(f1_score(y_dev, pred, average="macro")))
        aucs.append(float(roc_auc_score(y_dev, oof[r])))
    return {
        "macro_f1": round(float(np.mean(nested)), 4),
        "macro_f1_sd": round(float(np.std(nested)), 4),
        "roc_auc": round(float(np.mean(aucs)), 4),
        "oof": oof,
    }
