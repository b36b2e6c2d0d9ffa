"""The classify pipeline over rows: one encoder pass per text feeding the heads and the taxonomy.

    result = classify_rows(rows, analyzer=load_analyzer(cfg.models), taxonomy=classifier)
    write_rows("labeled.jsonl", result.rows)

Rows keep their input order and every input field. A row whose text is missing, not a string, or only
whitespace gets null predictions and is counted in ``result.skipped``. Work goes in chunks so a long
input shows a progress bar and memory stays flat.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.io import Row, safe_text

if TYPE_CHECKING:
    from models.analyzer import Analyzer, Predictions
    from models.quantify import ShareCalibration
    from models.taxonomy import TaxonomyClassifier

HEAD_FIELDS = ("sentiment", "sentiment_scores", "complaint", "complaint_score", "howto", "howto_score")
TAXONOMY_FIELDS = ("category", "category_score")
DEFAULT_CHUNK_SIZE = 256
SCORE_DECIMALS = 4


@dataclass(frozen=True)
class ClassifyResult:
    """Classified rows (input order) and how the run went."""

    rows: list[Row]  # input fields plus predictions (a prediction replaces an input field of its name)
    predictions: list[Row]  # prediction fields alone, row-aligned (all None for a skipped row)
    total: int
    skipped: int
    seconds: float
    replaced: tuple[str, ...] = ()  # input columns that a prediction field replaced

    @property
    def classified(self) -> int:
        """Rows that got predictions."""
        return self.total - self.skipped

    @property
    def rate(self) -> float:
        """Classified texts per second."""
        return self.classified / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One closing line: counts and throughput (and input columns that predictions replaced)."""
        line = (
            f"{self.classified} of {self.total} rows classified, {self.skipped} skipped "
            f"(empty or non-text), {self.rate:.1f} mentions/s"
        )
        if self.replaced:
            line += f"; input columns replaced by predictions: {', '.join(self.replaced)}"
        return line


def sentiment_shares_line(result: ClassifyResult, calibration: ShareCalibration | None) -> str | None:
    """The file's sentiment shares, estimated as the weekly report does (``models.quantify``), beside
    the shares of the labels themselves; None without sentiment labels.
    """
    from models.analyzer import SENTIMENT_LABELS
    from models.quantify import format_shares

    counts = {x: sum(p.get("sentiment") == x for p in result.predictions) for x in SENTIMENT_LABELS}
    total = sum(counts.values())
    if not total:
        return None
    counted = format_shares({x: counts[x] / total for x in SENTIMENT_LABELS})
    shares = calibration.shares(counts) if calibration is not None else None
    if shares is None:
        return f"Sentiment labels: {counted}."
    estimate = format_shares({x: shares[x] for x in SENTIMENT_LABELS})
    return (
        f"Sentiment shares, estimated: {estimate} (as labelled: {counted}; the labels favour the rarer "
        "classes, see models/README.md)."
    )


def text_of(row: Row, column: str, title_column: str | None = None) -> str | None:
    """The row's text, or None when it is missing, not a string or only whitespace. With `title_column`,
    a post's title and body as the analyzer reads a post (``Mention.full_text``: the title, a line
    break, the body); either alone when the other is missing.
    """
    parts = [row.get(title_column) if title_column else None, row.get(column)]
    kept = [p.strip() for p in parts if isinstance(p, str) and p.strip()]
    return safe_text("\n".join(kept)) if kept else None


def classify_rows(
    rows: Sequence[Row],
    *,
    analyzer: Analyzer | None = None,
    encoder: Any = None,
    taxonomy: TaxonomyClassifier | None = None,
    text_column: str = "text",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool = False,
    cache: EmbeddingCache | None = None,
    posts: bool = False,
    title_column: str | None = None,
) -> ClassifyResult:
    """Classify `rows` with the analyzer's heads (when given) and the taxonomy (when given).

    Without an analyzer, `encoder` provides the one pass and only taxonomy fields are added. With a
    `cache`, texts embedded before by the same encoder version are not encoded again. With `posts`, the
    rows are forum posts (title and body): sentiment and complaint come from the post heads. How-to comes
    from the instructional model for every row (``models.instructional``; the how-to head where that
    model is off), reading a text's first line as its title; `title_column` names a column of titles
    to put before each text (a post's title and body, as the analyze flow reads posts).
    """
    if analyzer is None and encoder is None:
        raise ValueError("classify_rows needs an analyzer or an encoder")
    encoder = analyzer.encoder if analyzer is not None else encoder
    fields = (HEAD_FIELDS if analyzer is not None else ()) + (TAXONOMY_FIELDS if taxonomy else ())
    started = time.perf_counter()
    texts = [text_of(row, text_column, title_column) for row in rows]
    valid = [i for i, text in enumerate(texts) if text is not None]
    predictions: dict[int, Row] = {}
    with _Progress(len(valid), enabled=progress and len(valid) > chunk_size) as bar:
        for start in range(0, len(valid), chunk_size):
            index = valid[start : start + chunk_size]
            chunk = [texts[i] or "" for i in index]
            embeddings = _embed(chunk, encoder, cache)
            preds = _predict_chunk(
                chunk, embeddings, analyzer, taxonomy, getattr(encoder, "version", None), posts
            )
            for i, pred in zip(index, preds, strict=True):
                predictions[i] = pred
            bar.advance(len(index))
    if cache is not None:
        cache.save()
    empty = dict.fromkeys(fields)
    preds = [predictions.get(i, empty) for i in range(len(rows))]
    out = [{**row, **pred} for row, pred in zip(rows, preds, strict=True)]
    replaced = tuple(f for f in fields if any(f in row for row in rows))
    seconds = time.perf_counter() - started
    return ClassifyResult(out, preds, len(rows), len(rows) - len(valid), seconds, replaced)


def _embed(texts: list[str], encoder: Any, cache: EmbeddingCache | None) -> np.ndarray:
    if cache is None:
        return np.asarray(encoder.encode(texts), dtype=np.float32)
    found = cache.get(texts)
    missing = [i for i, vector in enumerate(found) if vector is None]
    fresh = np.asarray(encoder.encode([texts[i] for i in missing]), dtype=np.float32)
    cache.put([texts[i] for i in missing], fresh)
    for i, vector in zip(missing, fresh, strict=True):
        found[i] = vector
    return np.stack(found).astype(np.float32) if found else np.zeros((0, encoder.dim), np.float32)


def _predict_chunk(
    texts: list[str],
    embeddings: np.ndarray,
    analyzer: Analyzer | None,
    taxonomy: TaxonomyClassifier | None,
    version: str | None,
    posts: bool = False,
) -> list[Row]:
    if analyzer is not None:
        n = len(texts)
        # how-to for every row by the instructional model: a text's first line is read as its title
        out = _head_fields(
            analyzer.predict(texts, embeddings=embeddings, posts=[posts] * n, howto_form=[True] * n)
        )
    else:
        out = [{} for _ in texts]
    if taxonomy is not None:
        labels, scores = taxonomy.predict_texts(texts, embeddings, version)
        for row, label, score in zip(out, labels, scores, strict=True):
            row["category"] = label
            row["category_score"] = _round(score)
    return out


def _head_fields(preds: Predictions) -> list[Row]:
    from models.analyzer import SENTIMENT_LABELS

    complaint, howto = preds.flags("complaint"), preds.flags("howto")
    out = []
    for i, scores in enumerate(preds.sentiment):
        out.append(
            {
                "sentiment": SENTIMENT_LABELS[int(np.argmax(scores))],
                "sentiment_scores": {lab: _round(s) for lab, s in zip(SENTIMENT_LABELS, scores, strict=True)},
                "complaint": bool(complaint[i]),
                "complaint_score": _round(preds.complaint[i]),
                "howto": bool(howto[i]),
                "howto_score": _round(preds.howto[i]),
            }
        )
    return out


def _round(value: Any) -> float:
    return round(float(value), SCORE_DECIMALS)


class EmbeddingCache:
    """Embeddings by text for one encoder version, in an ``.npz`` file (for repeated evaluations).

    A file written by another encoder version is ignored and replaced; nothing is pickled.
    """

    def __init__(self, path: str | Path, encoder_version: str) -> None:
        self.path = Path(path)
        self.version = encoder_version
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        if self.path.is_file():
            with np.load(self.path, allow_pickle=False) as data:
                if str(data["version"]) == encoder_version:
                    self._vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    @staticmethod
    def key(text: str) -> str:
        """The cache key of a text."""
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """The stored vector of each text, or None."""
        return [self._vectors.get(self.key(t)) for t in texts]

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Remember `vectors` (row-aligned with `texts`)."""
        for text, vector in zip(texts, vectors, strict=True):
            self._vectors[self.key(text)] = vector
            self._dirty = True

    def save(self) -> None:
        """Write the file when something was added."""
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._vectors), dtype="<U40")
        vectors = np.stack(list(self._vectors.values())).astype(np.float32)
        with self.path.open("wb") as handle:
            np.savez(handle, version=np.array(self.version), keys=keys, vectors=vectors)
        self._dirty = False


class _Progress:
    """A rich progress bar on stderr (a no-op when disabled)."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress

            self._progress = Progress(console=Console(stderr=True), transient=True)
            self._progress.start()
            self._task = self._progress.add_task("classifying", total=self.total)
        return self

    def advance(self, count: int) -> None:
        """Move the bar by `count` rows."""
        if self._progress is not None:
            self._progress.advance(self._task, count)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
