"""A brand's own issue taxonomy: texts to categories from a handful of examples, or descriptions alone.

YAML format::

    categories:
      - name: Card arrival
        description: The customer is waiting for a new card to arrive.   # optional
        examples: ["I am still waiting on my card?", ...]                # optional

Method (measured on BANKING77, see models/README.md): every category contributes its examples and one
"description" text (the description, else its name made readable). All are embedded once per taxonomy
and encoder version by the classifier's encoder: the topic encoder (`taxonomy_encoder`), @handles and
URLs masked. With examples, a multinomial logistic regression on those embeddings scores each text's
embedding by that encoder (stored embeddings are reused when they are that encoder's, see
`TaxonomyClassifier.predict_texts`, else the texts get that pass); with descriptions only, a
temperature softmax over cosine similarity to the description embeddings. A best score below the
threshold (config ``models.taxonomy_threshold``, default 0.2), or a text far from every example and
description (off-topic), gives the category ``other``. "Far" is relative to how close the taxonomy's
own examples sit to each other (`TaxonomyClassifier.floor`): a tight taxonomy such as 77 banking intents
rejects stray tweets its examples never come near, a loose one (tweets of nine airline complaint reasons)
falls back to the absolute floor ``TaxonomyPolicy.min_similarity``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ugcminer.config import read_yaml
from ugcminer.errors import ConfigError

OTHER = "other"
_CATEGORY_KEYS = ("name", "description", "examples")


@dataclass(frozen=True)
class TaxonomyPolicy:
    """How the few-shot classifier is fitted (chosen by measurement on BANKING77 10-shot)."""

    c: float = 30.0  # inverse L2 strength of the logistic regression
    max_iter: int = 3000
    description_temperature: float = 0.05  # softmax temperature over cosine (descriptions only)
    # off-topic floor: a text whose best cosine to every example and description is below this is
    # "other" whatever its probability (BANKING77 in-domain rows: 0.1 % quantile 0.39; chit-chat ~0.1)
    min_similarity: float = 0.25
    # relative off-topic floor: `floor_factor` x the `floor_quantile` quantile of each example's cosine to
    # its nearest other example or description (leave-one-out). BANKING77 10-shot (held-out rows vs 600
    # SemEval tweets): floor 0.45, in-domain rows rejected 0.2 %, tweets 99.8 % (0.25 alone: 0.1 % / 71 %)
    floor_factor: float = 0.8
    floor_quantile: float = 0.02


DEFAULT_POLICY = TaxonomyPolicy()


class SupportsEncode(Protocol):
    """What the classifier needs of the encoder."""

    version: str

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None, progress: bool = False) -> Any:
        """Embed texts: (n, dim) float32, L2-normalised."""


@dataclass(frozen=True)
class Category:
    """One category of a taxonomy."""

    name: str
    description: str | None = None
    examples: tuple[str, ...] = ()

    @property
    def description_text(self) -> str:
        """The description, else the name made readable (``card_arrival`` -> ``card arrival``)."""
        return self.description or self.name.replace("_", " ").replace("-", " ").strip()


@dataclass(frozen=True)
class Taxonomy:
    """A validated taxonomy."""

    categories: tuple[Category, ...]
    source: str = "taxonomy"
    digest: str = field(default="", compare=False)

    @property
    def names(self) -> list[str]:
        """Category names in file order."""
        return [c.name for c in self.categories]

    @property
    def has_examples(self) -> bool:
        """Whether any category has examples."""
        return any(c.examples for c in self.categories)


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate the taxonomy YAML at `path`; errors name the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: taxonomy file not found")
    return parse_taxonomy(read_yaml(path), source=str(path))


def parse_taxonomy(data: Any, source: str = "taxonomy") -> Taxonomy:
    """Validate a parsed taxonomy mapping (``categories: [{name, description, examples}]``)."""
    if not isinstance(data, dict) or "categories" not in data:
        raise ConfigError(f"{source}: expected a mapping with a 'categories' list at the top level")
    raw = data["categories"]
    if not isinstance(raw, list) or len(raw) < 2:
        raise ConfigError(
            f"{source}: categories: must be a list of at least two {{name, description, examples}}"
        )
    categories = tuple(_parse_category(item, f"{source}: categories[{i}]") for i, item in enumerate(raw))
    seen: set[str] = set()
    for i, cat in enumerate(categories):
        if cat.name.lower() in seen:
            raise ConfigError(f"{source}: categories[{i}].name: duplicate category {cat.name!r}")
        seen.add(cat.name.lower())
    digest = hashlib.sha1(json.dumps([_as_dict(c) for c in categories]).encode()).hexdigest()
    return Taxonomy(categories=categories, source=source, digest=digest)


def _as_dict(cat: Category) -> dict[str, Any]:
    return {"name": cat.name, "description": cat.description, "examples": list(cat.examples)}


def _parse_category(item: Any, where: str) -> Category:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: must be a mapping with name, description, examples")
    unknown = [k for k in item if k not in _CATEGORY_KEYS]
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key (allowed: {', '.join(_CATEGORY_KEYS)})")
    name = item.get("name")
    if not isinstance(name, str | int) or not str(name).strip():
        raise ConfigError(f"{where}.name: required, a non-empty text")
    name = str(name).strip()
    if name.lower() == OTHER:
        raise ConfigError(f"{where}.name: {OTHER!r} is reserved for texts that fit no category")
    description = item.get("description")
    if description is not None and not isinstance(description, str):
        raise ConfigError(f"{where}.description: must be a text")
    examples = item.get("examples") or []
    if not isinstance(examples, list):
        raise ConfigError(f"{where}.examples: must be a list of texts")
    for j, example in enumerate(examples):
        if not isinstance(example, str) or not example.strip():
            raise ConfigError(f"{where}.examples[{j}]: must be a non-empty text")
    return Category(name=name, description=(description or "").strip() or None, examples=tuple(examples))


class TaxonomyClassifier:
    """Maps embeddings (from the one encoder pass) to taxonomy categories, or ``other``."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        encoder: SupportsEncode,
        threshold: float = 0.2,
        policy: TaxonomyPolicy = DEFAULT_POLICY,
    ) -> None:
        self.taxonomy = taxonomy
        self.threshold = float(threshold)
        self.policy = policy
        self.labels = taxonomy.names
        self.encoder = encoder
        self.encoder_version = getattr(encoder, "version", "unknown")
        texts, targets = _training_texts(taxonomy)
        embeddings = self.embed(texts)
        self._descriptions = embeddings[: len(self.labels)]
        self._known = embeddings
        self._model = _fit(embeddings, targets, policy) if taxonomy.has_examples else None
        self.floor = _off_topic_floor(embeddings, len(self.labels), policy)

    @property
    def method(self) -> str:
        """``few-shot logistic regression`` or ``description similarity``."""
        return "few-shot logistic regression" if self._model is not None else "description similarity"

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """(n, k) category probabilities in ``self.labels`` order."""
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.ndim != 2 or embeddings.shape[1] != self._descriptions.shape[1]:
            raise ValueError(f"embeddings of shape {embeddings.shape} do not match the encoder")
        if not len(embeddings):
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        if self._model is None:
            return _softmax(embeddings @ self._descriptions.T / self.policy.description_temperature)
        proba = np.zeros((len(embeddings), len(self.labels)), dtype=np.float32)
        proba[:, self._model.classes_] = self._model.predict_proba(embeddings)
        return proba

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """`texts` in this classifier's space: its encoder on the text with @handles and URLs masked."""
        from models.topics import mask_text

        return np.asarray(self.encoder.encode([mask_text(t) or t for t in texts]), dtype=np.float32)

    def predict_texts(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None, version: str | None = None
    ) -> tuple[list[str], np.ndarray]:
        """Categories of `texts`: from `embeddings` when they were made by this classifier's encoder
        (`version`), else from its own pass over the texts.
        """
        if embeddings is None or version != self.encoder_version:
            embeddings = self.embed(texts)
        return self.predict(embeddings)

    def predict(self, embeddings: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Category per row (``other`` below the threshold) and the best category's probability."""
        proba = self.scores(embeddings)
        if not len(proba):
            return [], np.zeros(0, dtype=np.float32)
        best = proba.argmax(axis=1)
        top = proba[np.arange(len(proba)), best]
        near = (np.asarray(embeddings, dtype=np.float32) @ self._known.T).max(axis=1)
        fits = (top >= self.threshold) & (near >= self.floor)
        labels = [self.labels[b] if ok else OTHER for b, ok in zip(best, fits, strict=True)]
        return labels, top.astype(np.float32)


_FITTED: dict[tuple[str, str, float], TaxonomyClassifier] = {}


def taxonomy_classifier(taxonomy: Taxonomy, encoder: SupportsEncode, threshold: float) -> TaxonomyClassifier:
    """A fitted classifier, reused per (taxonomy content, encoder version, threshold) in this process."""
    key = (taxonomy.digest, getattr(encoder, "version", str(id(encoder))), float(threshold))
    if key not in _FITTED:
        _FITTED[key] = TaxonomyClassifier(taxonomy, encoder, threshold)
    return _FITTED[key]


def taxonomy_encoder(cfg: Any = None) -> Any:
    """The encoder taxonomies classify with: the topic encoder (``models.issue_encoder``), trained to
    tell customer issues apart; the main encoder where no topic encoder exists for the configured model.
    """
    from models.issue_encoder import load_topic_encoder

    return load_topic_encoder(cfg)


def _training_texts(taxonomy: Taxonomy) -> tuple[list[str], np.ndarray]:
    """Description texts first (one per category, in order), then every example."""
    texts = [c.description_text for c in taxonomy.categories]
    targets = list(range(len(taxonomy.categories)))
    for index, cat in enumerate(taxonomy.categories):
        texts.extend(cat.examples)
        targets.extend([index] * len(cat.examples))
    return texts, np.asarray(targets)


def _off_topic_floor(known: np.ndarray, n_descriptions: int, policy: TaxonomyPolicy) -> float:
    """The cosine below which a text is off-topic: `policy.min_similarity`, raised to
    `floor_factor` x a low quantile of the examples' leave-one-out nearest similarity when the taxonomy
    has examples (`known` = description embeddings first, then the examples').
    """
    if len(known) - n_descriptions < 2:
        return policy.min_similarity
    sims = known[n_descriptions:] @ known.T
    sims[np.arange(len(sims)), np.arange(n_descriptions, len(known))] = -1.0  # not itself
    nearest = sims.max(axis=1)
    return max(
        policy.min_similarity, policy.floor_factor * float(np.quantile(nearest, policy.floor_quantile))
    )


def _fit(embeddings: np.ndarray, targets: np.ndarray, policy: TaxonomyPolicy) -> Any:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=policy.c, max_iter=policy.max_iter)
    return model.fit(embeddings, targets)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
