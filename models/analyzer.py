"""One encoder pass per mention feeding every head; the embedding is returned for topics/KB/taxonomy.

    analyzer = load_analyzer(config.models)
    preds = analyzer.predict(texts)               # encodes once
    preds = analyzer.predict(texts, embeddings=stored)   # stored embeddings: no encoder call
    preds = analyzer.predict(texts, posts=is_post)       # posts read by the post heads

Rows marked as posts (``posts``: Reddit submissions and YouTube videos in the analyze flow) get their
sentiment and complaint from the heads fitted on labelled Reddit posts (``models.post_heads``;
``models.post_heads: false`` turns them off), computed from the same embedding and sentiment
probabilities: no second pass.

Heads configured with ``backend: hub`` are served by ``models.hub.HubHead`` (imported lazily) and read
the texts instead of the embedding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.encoder import WEIGHTS_DIR, Encoder, load_encoder
from models.heads import HeadSet, load_heads
from models.instructional import VERSION_TAG, InstructionalModel, instructional_for, post_item
from models.post_heads import PostHeads, load_post_heads
from models.quantify import ShareCalibration
from ugcminer.config import HeadConfig, ModelsConfig
from ugcminer.errors import ModelError

SENTIMENT_LABELS = ("negative", "neutral", "positive")
BINARY_TASKS = ("complaint", "howto")
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Predictions:
    """What the models say about a batch of texts, row-aligned with the input."""

    embeddings: np.ndarray  # (n, dim) the one pass's embedding
    sentiment: np.ndarray  # (n, 3) probabilities in SENTIMENT_LABELS order
    complaint: np.ndarray  # (n,) probability
    howto: np.ndarray  # (n,) probability
    thresholds: dict[str, float]  # {"complaint": t, "howto": t}

    def sentiment_labels(self) -> list[str]:
        """The most probable sentiment label per row."""
        return [SENTIMENT_LABELS[i] for i in self.sentiment.argmax(axis=1)]

    def flags(self, task: str) -> np.ndarray:
        """Boolean decisions for a binary task at its threshold."""
        return getattr(self, task) >= self.thresholds[task]


class Analyzer:
    """Encoder + sentiment, complaint and how-to heads."""

    def __init__(
        self,
        encoder: Encoder,
        heads: HeadSet | None,
        head_configs: dict[str, HeadConfig] | None = None,
        post_heads: PostHeads | None = None,
        instructional: InstructionalModel | None = None,
    ) -> None:
        self.encoder = encoder
        self.heads = heads
        self.head_configs = head_configs or {t: HeadConfig() for t in ("sentiment", *BINARY_TASKS)}
        self._hub: dict[str, Any] = {}
        builtin = [t for t, c in self.head_configs.items() if c.backend == "builtin"]
        if builtin:
            if heads is None:
                raise ModelError("no trained heads found; run `ugcminer train` or configure hub heads")
            # heads are for the weights (train.py records its 256-token encoder's version); the
            # truncation only tags the embeddings' version
            weights = getattr(encoder, "weights_version", encoder.version)
            if heads.encoder_version not in (weights, encoder.version):
                raise ModelError(
                    f"the trained heads are for encoder {heads.encoder_version}, not {weights}; "
                    "retrain them with `ugcminer train` or restore models.encoder's default model/adapter"
                )
        for task, cfg in self.head_configs.items():
            if cfg.backend == "hub":
                from models.hub import HubHead

                self._hub[task] = HubHead(cfg, task)
        # the post heads read the built-in sentiment probabilities; a hub head replaces its task everywhere
        self.post_heads = post_heads if "sentiment" not in self._hub and heads is not None else None
        self.post_tasks = tuple(
            t for t in (post_heads.heads if self.post_heads else ()) if t not in self._hub
        )
        # the instructional model reads the built-in how-to head's probability
        self.instructional = instructional if "howto" not in self._hub and heads is not None else None
        self.version = self._version()

    @classmethod
    def from_config(cls, cfg: ModelsConfig, heads_dir: Path | None = None) -> Analyzer:
        """Build the analyzer `cfg` describes (heads from ``models/weights`` unless `heads_dir`)."""
        encoder = load_encoder(cfg.encoder)
        configs = {"sentiment": cfg.sentiment, "complaint": cfg.complaint, "howto": cfg.howto}
        needs_builtin = any(c.backend == "builtin" for c in configs.values())
        heads = load_heads(heads_dir or WEIGHTS_DIR) if needs_builtin else None
        post = None
        if cfg.post_heads and heads is not None and "sentiment" in heads.heads:
            post = load_post_heads(heads_dir or WEIGHTS_DIR, heads.digest("sentiment"))
        instructional = instructional_for(cfg, encoder, heads, heads_dir or WEIGHTS_DIR)
        return cls(encoder, heads, configs, post, instructional)

    def _version(self) -> str:
        parts = [self.encoder.version]
        for task, cfg in sorted(self.head_configs.items()):
            if cfg.backend == "hub":
                parts.append(f"{task}=hub:{cfg.model}")
            else:
                parts.append(f"{task}={self.heads.digest(task)}")  # type: ignore[union-attr]
        if self.post_tasks:
            parts.append(f"posts={self.post_heads.digest}")  # type: ignore[union-attr]
        version = "+".join(parts)
        return version + VERSION_TAG + self.instructional.digest if self.instructional else version

    def thresholds(self) -> dict[str, float]:
        """Decision thresholds: the config's, else the trained head's, else 0.5."""
        out = {}
        for task in BINARY_TASKS:
            cfg = self.head_configs[task]
            trained = self.heads.heads.get(task) if self.heads and cfg.backend == "builtin" else None
            out[task] = cfg.threshold or (
                trained.threshold if trained and trained.threshold else DEFAULT_THRESHOLD
            )
        return out

    def share_calibration(self, task: str = "sentiment", *, posts: bool = False) -> ShareCalibration | None:
        """The dev-split confusion of `task`'s labels, for adjusted class shares (``models.quantify``);
        with `posts`, the post head's out-of-fold confusion on the labelled posts (the tweet head's when
        posts are not read by a post head); None for a hub head or weights that carry none.
        """
        if posts and task in self.post_tasks:
            data = self.post_heads.calibration()  # type: ignore[union-attr]
            return ShareCalibration.from_json(data["labels"], data["confusion"]) if data else None
        if task in self._hub or self.heads is None or task not in self.heads.text_views:
            return None
        view = self.heads.text_views[task]
        confusion = view.meta.get("dev_confusion")
        return ShareCalibration.from_json(view.labels, confusion) if confusion else None

    def predict(
        self,
        texts: Sequence[str],
        *,
        embeddings: np.ndarray | None = None,
        progress: bool = False,
        posts: Sequence[bool] | np.ndarray | None = None,
        howto_form: Sequence[bool] | np.ndarray | None = None,
    ) -> Predictions:
        """Score `texts`; pass stored `embeddings` (same encoder version) to skip the encoder, and
        `posts` (one flag per text) to have forum posts read by the post heads and their how-to score
        given by the instructional model (``models.instructional``; a post's text is its title, a line
        break and its body); `howto_form` (default: `posts`) names the rows whose how-to score that model
        gives (``ugcminer classify`` gives it for every row).
        """
        if embeddings is None:
            embeddings = self.encoder.encode(texts, progress=progress)
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.shape != (len(texts), self.encoder.dim):
            raise ModelError(
                f"embeddings have shape {embeddings.shape}, expected ({len(texts)}, {self.encoder.dim})"
            )
        scores = {task: self._score(task, texts, embeddings) for task in ("sentiment", *BINARY_TASKS)}
        mask = np.zeros(len(texts), dtype=bool) if posts is None else np.asarray(posts, dtype=bool)
        if self.post_tasks and mask.any():
            post = self.post_heads.predict(embeddings[mask], scores["sentiment"][mask])  # type: ignore[union-attr]
            for task in self.post_tasks:
                scores[task] = scores[task].copy()
                scores[task][mask] = post[task]
        form = mask if howto_form is None else np.asarray(howto_form, dtype=bool)
        if self.instructional is not None and form.any():
            items = [post_item(texts[i]) for i in np.flatnonzero(form)]
            scores["howto"] = scores["howto"].copy()
            scores["howto"][form] = self.instructional.probabilities(
                embeddings[form], scores["howto"][form], items
            )
        return Predictions(embeddings=embeddings, thresholds=self.thresholds(), **scores)

    def _score(self, task: str, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        if task in self._hub:
            proba = np.asarray(self._hub[task].predict_proba(list(texts)), dtype=np.float32)
            return proba[:, -1] if task in BINARY_TASKS and proba.ndim == 2 else proba
        return self.heads.predict_proba(task, embeddings, texts)  # type: ignore[union-attr]


_CACHE: dict[str, Analyzer] = {}


def load_analyzer(cfg: ModelsConfig | None = None) -> Analyzer:
    """The analyzer for `cfg` (default config when None), cached per config in this process."""
    cfg = cfg or ModelsConfig()
    key = cfg.model_dump_json()
    if key not in _CACHE:
        _CACHE[key] = Analyzer.from_config(cfg)
    return _CACHE[key]
