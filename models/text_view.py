"""A second, cheap view of a text for a head: word and character n-grams (TF-IDF + logistic regression).

The encoder pass stays the only neural pass. A text view reads the same normalised text
(`models.preprocess.normalize_text`) as n-gram counts, and its class log-probabilities are added to the
head's: ``softmax(log_softmax(head logits) + fusion * log p_view + offsets)``. ``fusion`` and the
per-class ``offsets`` (macro-recall, as for the head alone) are chosen on the dev split only.

Why (measured, models/README.md): on the held-out SemEval 2013-16 test split sentiment macro recall
rises 0.728 -> 0.735, and on 10,193 airline tweets no model was trained on 0.739 -> 0.748; n-grams
catch spellings, hashtags and emoticons the sub-word encoder blurs.

Stored as plain arrays (``<task>_text_view.safetensors``: idf, weight, bias, offsets) and JSON
(``<task>_text_view.json``: the two vocabularies in feature order, n-gram ranges, fusion, labels,
training data, metrics). No pickles.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from models.preprocess import normalize_text
from ugcminer.errors import ModelError


@dataclass(frozen=True)
class TextViewPolicy:
    """How a text view is fitted (chosen on the sentiment dev split, see models/README.md)."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)  # within word boundaries (``char_wb``)
    word_features: int = 10_000  # the most frequent n-grams of the training texts
    char_features: int = 20_000
    min_df: int = 2  # n-grams in at least this many training texts (from `min_df_rows` texts up)
    min_df_rows: int = 200
    c: float = 1.0  # inverse L2 strength; classes balanced
    max_iter: int = 2000
    fusion_grid: tuple[float, ...] = (0.3, 0.5, 0.7, 1.0)


@dataclass(frozen=True)
class TextView:
    """Fitted n-gram model of one softmax task, and how it joins the head."""

    task: str
    labels: tuple[str, ...]
    word_vocab: tuple[str, ...]
    char_vocab: tuple[str, ...]
    word_ngrams: tuple[int, int]
    char_ngrams: tuple[int, int]
    idf: np.ndarray  # (n_word + n_char,)
    weight: np.ndarray  # (k, n_word + n_char)
    bias: np.ndarray  # (k,)
    fusion: float
    offsets: np.ndarray  # (k,) added to the fused log-probabilities
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def digest(self) -> str:
        """Content hash (part of the analyzer's version, so results re-score when the view changes)."""
        h = hashlib.sha1()
        for array in (self.idf, self.weight, self.bias, self.offsets):
            h.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        h.update(json.dumps([self.word_vocab, self.char_vocab, self.fusion]).encode())
        return h.hexdigest()[:8]

    @cached_property
    def _counters(self) -> list[Any]:
        return _counters((self.word_vocab, self.char_vocab), (self.word_ngrams, self.char_ngrams))

    def features(self, texts: Sequence[str]) -> Any:
        """Sparse (n, features): per block sublinear tf x idf, L2-normalised rows."""
        return _features([normalize_text(t or "") for t in texts], self._counters, self.idf)

    def log_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, k) log-probabilities of the n-gram model alone."""
        return _log_softmax(np.asarray(self.features(texts) @ self.weight.T) + self.bias)

    def fuse(self, head_logits: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """(n, k) probabilities of head and view together."""
        if not len(texts):
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        joined = _log_softmax(head_logits) + self.fusion * self.log_proba(texts) + self.offsets
        return np.exp(_log_softmax(joined)).astype(np.float32)


def fit_text_view(
    task: str,
    labels: tuple[str, ...],
    train: tuple[Sequence[str], np.ndarray],
    dev: tuple[Sequence[str], np.ndarray, np.ndarray],
    policy: TextViewPolicy = TextViewPolicy(),
) -> TextView:
    """Fit the n-gram model on `train` (texts, labels), then choose fusion weight and offsets on `dev`
    (texts, labels, the head's logits for them) for the best macro-averaged recall.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import recall_score

    from models.heads import macro_recall_bias

    texts = [normalize_text(t or "") for t in train[0]]
    min_df = policy.min_df if len(texts) >= policy.min_df_rows else 1  # tiny runs (--limit) keep every n-gram
    vocabs, idfs = [], []
    for analyzer, ngrams, size in (
        ("word", policy.word_ngrams, policy.word_features),
        ("char_wb", policy.char_ngrams, policy.char_features),
    ):
        vec = TfidfVectorizer(
            analyzer=analyzer, ngram_range=ngrams, min_df=min_df, max_features=size, sublinear_tf=True
        ).fit(texts)
        vocabs.append(tuple(str(g) for g in vec.get_feature_names_out()))  # in column order
        idfs.append(vec.idf_.astype(np.float32))
    idf = np.concatenate(idfs)
    ranges = (policy.word_ngrams, policy.char_ngrams)
    x = _features(texts, _counters((vocabs[0], vocabs[1]), ranges), idf)
    model = LogisticRegression(C=policy.c, max_iter=policy.max_iter, class_weight="balanced").fit(x, train[1])
    weight = np.zeros((len(labels), x.shape[1]), dtype=np.float32)
    bias = np.full(len(labels), -1e4, dtype=np.float32)  # a class absent from training never wins
    weight[model.classes_] = model.coef_
    bias[model.classes_] = model.intercept_
    view = TextView(
        task, labels, vocabs[0], vocabs[1], *ranges, idf, weight, bias, 0.0, np.zeros(len(labels), np.float32)
    )
    dev_texts, dev_labels, dev_logits = dev
    head_lp, view_lp = _log_softmax(dev_logits), view.log_proba(dev_texts)
    best: tuple[float, float, np.ndarray] | None = None
    for fusion in policy.fusion_grid:
        joined = head_lp + fusion * view_lp
        offsets = macro_recall_bias(joined, dev_labels)
        score = float(recall_score(dev_labels, (joined + offsets).argmax(1), average="macro"))
        if best is None or score > best[0] + 1e-9:
            best = (score, fusion, offsets)
    assert best is not None
    chosen = (head_lp + best[1] * view_lp + best[2]).argmax(1)
    confusion = np.zeros((len(labels), len(labels)), dtype=int)  # rows: true class, columns: predicted
    np.add.at(confusion, (np.asarray(dev_labels, dtype=int), chosen), 1)
    meta = {"dev_macro_recall": best[0], "dev_confusion": confusion.tolist()}  # for adjusted shares
    return replace(view, fusion=best[1], offsets=best[2].astype(np.float32), meta=meta)


def save_text_view(folder: Path, view: TextView, meta: dict[str, Any] | None = None) -> Path:
    """Write ``<task>_text_view.safetensors`` and ``.json`` to `folder`; returns the JSON path."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{view.task}_text_view"
    arrays = {"idf": view.idf, "weight": view.weight, "bias": view.bias, "offsets": view.offsets}
    save_file(
        {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()}, f"{stem}.safetensors"
    )
    document = {
        **view.meta,
        **(meta or {}),
        "task": view.task,
        "labels": list(view.labels),
        "word_ngrams": list(view.word_ngrams),
        "char_ngrams": list(view.char_ngrams),
        "fusion": view.fusion,
        "preprocessing": "models.preprocess.normalize_text, lower-cased n-grams",
        "word_vocab": list(view.word_vocab),
        "char_vocab": list(view.char_vocab),
    }
    path = Path(f"{stem}.json")
    path.write_text(json.dumps(document, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_text_view(folder: Path, task: str) -> TextView:
    """Read the text view of `task` from `folder`; a missing or broken file is a ModelError naming it."""
    from safetensors.numpy import load_file

    stem = folder / f"{task}_text_view"
    try:
        document = json.loads(Path(f"{stem}.json").read_text(encoding="utf-8"))
        arrays = load_file(f"{stem}.safetensors")
        word, char = tuple(document.pop("word_vocab")), tuple(document.pop("char_vocab"))
        view = TextView(
            task=task,
            labels=tuple(document["labels"]),
            word_vocab=word,
            char_vocab=char,
            word_ngrams=tuple(document["word_ngrams"]),  # type: ignore[arg-type]
            char_ngrams=tuple(document["char_ngrams"]),  # type: ignore[arg-type]
            idf=arrays["idf"],
            weight=arrays["weight"],
            bias=arrays["bias"],
            fusion=float(document["fusion"]),
            offsets=arrays["offsets"],
            meta=document,
        )
    except (KeyError, ValueError, OSError) as exc:
        raise ModelError(f"{stem}.json/.safetensors: text view unreadable or incomplete ({exc})") from exc
    if view.weight.shape != (len(view.labels), len(word) + len(char)) or view.idf.shape != (
        len(word) + len(char),
    ):
        raise ModelError(f"{stem}.safetensors: arrays do not match the vocabularies in {stem}.json")
    return view


def _counters(
    vocabs: tuple[tuple[str, ...], tuple[str, ...]], ranges: tuple[tuple[int, int], tuple[int, int]]
) -> list[Any]:
    """Count vectorizers over the fixed vocabularies: words, then characters within words."""
    from sklearn.feature_extraction.text import CountVectorizer

    return [
        CountVectorizer(analyzer=analyzer, ngram_range=tuple(ngrams), vocabulary=list(vocab))
        for analyzer, vocab, ngrams in zip(("word", "char_wb"), vocabs, ranges, strict=True)
    ]


def _features(texts: Sequence[str], counters: list[Any], idf: np.ndarray) -> Any:
    import scipy.sparse as sparse
    from sklearn.preprocessing import normalize

    blocks, start = [], 0
    for counter in counters:
        x = counter.transform(texts).astype(np.float32).tocsr()
        x.data = 1.0 + np.log(x.data)  # sublinear tf
        size = x.shape[1]
        x = x.multiply(idf[start : start + size]).tocsr()
        blocks.append(normalize(x))
        start += size
    return sparse.hstack(blocks, format="csr")


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
