"""A transformers text-classification model (hub id or local folder) serving one head.

Selected per head in the config::

    models:
      sentiment:
        backend: hub
        model: cardiffnlp/twitter-roberta-base-sentiment-latest   # or a local folder
        label_map: {LABEL_0: negative, LABEL_1: neutral, LABEL_2: positive}

The model's labels (``config.id2label``, read through ``label_map`` when given) are mapped to the
project's: sentiment to ``negative/neutral/positive`` (3 columns in that order); complaint and how-to
to the positive class (``true/yes/1/<task>``; for an unmapped two-label model, the second label).
Texts go through the same normalisation as the built-in heads. Nothing is downloaded when
``HF_HUB_OFFLINE=1``; a missing model is one clear `ModelError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from models.evaluate import LABEL_ALIASES, SENTIMENT_ORDER
from models.io import safe_text
from models.preprocess import normalize_text
from ugcminer.config import HeadConfig
from ugcminer.errors import ModelError

HUB_TASKS = ("sentiment", "complaint", "howto")
DEFAULT_BATCH_SIZE = 32
DEFAULT_MAX_LENGTH = 256


def clean_text(text: Any) -> str:
    """Normalised text that any tokenizer accepts (lone surrogates become U+FFFD)."""
    return normalize_text(safe_text(text)) if isinstance(text, str) else ""


class HubHead:
    """One head served by a transformers sequence-classification model."""

    def __init__(self, cfg: HeadConfig, task: str, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if task not in HUB_TASKS:
            raise ModelError(f"models.{task}: the hub backend serves {', '.join(HUB_TASKS)}, not {task!r}")
        if not cfg.model:
            raise ModelError(
                f"models.{task}.model: required with backend: hub (a hub model id or local folder)"
            )
        self.task = task
        self.model_name = cfg.model
        self.batch_size = batch_size
        self.tokenizer, self.model = _load(cfg.model, task)
        model_labels = [str(self.model.config.id2label[i]) for i in range(self.model.config.num_labels)]
        mapped = [cfg.label_map.get(label, label) for label in model_labels]
        self.columns = _columns(task, model_labels, mapped)
        self.version = f"hub:{cfg.model}"

    def predict_proba(self, texts: Sequence[Any]) -> np.ndarray:
        """Sentiment: (n, 3) in negative/neutral/positive order; binary: (n,) positive-class probability."""
        clean = [clean_text(t) for t in texts]
        width = len(SENTIMENT_ORDER) if self.task == "sentiment" else 1
        out = np.zeros((len(clean), width), dtype=np.float32)
        for start in range(0, len(clean), self.batch_size):
            probs = self._model_proba(clean[start : start + self.batch_size])
            out[start : start + len(probs)] = probs @ self.columns
        return out if self.task == "sentiment" else out[:, 0]

    def _model_proba(self, texts: list[str]) -> np.ndarray:
        import torch

        batch = self.tokenizer(
            texts, truncation=True, max_length=_max_length(self.tokenizer), padding=True, return_tensors="pt"
        )
        with torch.inference_mode():
            logits = self.model(**batch).logits.float()
        if getattr(self.model.config, "problem_type", None) == "multi_label_classification":
            return torch.sigmoid(logits).numpy()
        return torch.softmax(logits, dim=-1).numpy()


def _load(model: str, task: str) -> tuple[Any, Any]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model)
        network = AutoModelForSequenceClassification.from_pretrained(model).eval()
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"models.{task}.model: cannot load {model!r} as a text-classification model "
            f"(offline: a local folder or a model already in the hub cache) ({exc})"
        ) from exc
    return tokenizer, network


def _max_length(tokenizer: Any) -> int:
    limit = getattr(tokenizer, "model_max_length", DEFAULT_MAX_LENGTH) or DEFAULT_MAX_LENGTH
    return int(min(limit, 512))


def _columns(task: str, model_labels: list[str], mapped: list[str]) -> np.ndarray:
    """A (model labels x project columns) 0/1 matrix that folds model probabilities into the project's."""
    if task == "sentiment":
        return _sentiment_columns(model_labels, mapped)
    return _binary_columns(task, model_labels, mapped)


def _sentiment_columns(model_labels: list[str], mapped: list[str]) -> np.ndarray:
    aliases = LABEL_ALIASES["sentiment"]
    matrix = np.zeros((len(mapped), len(SENTIMENT_ORDER)), dtype=np.float32)
    for row, label in enumerate(mapped):
        canonical = aliases.get(label.strip().lower())
        if canonical is None:
            raise ModelError(
                f"models.sentiment.label_map: model label {model_labels[row]!r} (as {label!r}) is not "
                f"negative/neutral/positive; map every label, e.g. {{{model_labels[row]}: negative}}"
            )
        matrix[row, SENTIMENT_ORDER.index(canonical)] = 1.0
    missing = [lab for i, lab in enumerate(SENTIMENT_ORDER) if not matrix[:, i].any()]
    if missing:
        raise ModelError(f"models.sentiment.label_map: no model label maps to {', '.join(missing)}")
    return matrix


def _binary_columns(task: str, model_labels: list[str], mapped: list[str]) -> np.ndarray:
    aliases = {**LABEL_ALIASES["binary"], task: "true", f"not_{task}": "false", f"no_{task}": "false"}
    canonical = [aliases.get(label.strip().lower()) for label in mapped]
    matrix = np.zeros((len(mapped), 1), dtype=np.float32)
    if "true" in canonical:
        matrix[[i for i, c in enumerate(canonical) if c == "true"], 0] = 1.0
    elif len(mapped) == 2 and all(lab.upper().startswith("LABEL_") for lab in mapped):
        matrix[1, 0] = 1.0  # unmapped binary model: LABEL_1 is the positive class by convention
    else:
        raise ModelError(
            f"models.{task}.label_map: none of the model labels {model_labels} maps to the positive class; "
            f"map one to 'true', e.g. {{{model_labels[-1]}: 'true'}}"
        )
    return matrix
