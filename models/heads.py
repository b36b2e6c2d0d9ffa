"""Small trained heads on the shared embedding, stored as plain arrays (safetensors) + JSON metadata.

``heads.safetensors`` holds ``<task>.weight`` (k, dim) and ``<task>.bias`` (k,) float32 per head;
``heads.json`` holds, per head, its kind (softmax over labels, or sigmoid for a binary head), labels,
decision threshold, training data, preprocessing and measured metrics, plus the encoder version the
heads were trained on. No pickles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ugcminer.errors import ModelError

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

    def __getitem__(self, task: str) -> LinearHead:
        try:
            return self.heads[task]
        except KeyError:
            raise ModelError(f"no trained {task!r} head (known: {', '.join(self.heads)})") from None


def save_heads(folder: Path, heads: dict[str, LinearHead], meta: dict[str, Any]) -> None:
    """Write `heads` to ``folder/heads.safetensors`` and their metadata to ``folder/heads.json``."""
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
    save_file(tensors, str(folder / HEADS_FILE))
    document = {**meta, "heads": entries}
    (folder / META_FILE).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_heads(folder: Path) -> HeadSet:
    """Read the heads saved in `folder`; a missing or broken file is a ModelError naming it."""
    from safetensors.numpy import load_file

    meta_path, tensor_path = folder / META_FILE, folder / HEADS_FILE
    if not meta_path.exists() or not tensor_path.exists():
        raise ModelError(f"{folder}: no trained heads ({META_FILE}, {HEADS_FILE}); run `ugcminer train`")
    try:
        document = json.loads(meta_path.read_text(encoding="utf-8"))
        tensors = load_file(str(tensor_path))
        heads = {task: _head(task, entry, tensors) for task, entry in document.pop("heads").items()}
    except (KeyError, ValueError, OSError) as exc:
        raise ModelError(
            f"{folder}: heads files are unreadable or incomplete ({exc}); rerun `ugcminer train`"
        ) from exc
    return HeadSet(heads=heads, encoder_version=document.get("encoder_version", ""), meta=document)


def _head(task: str, entry: dict[str, Any], tensors: dict[str, np.ndarray]) -> LinearHead:
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
