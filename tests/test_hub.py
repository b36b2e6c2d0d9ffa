"""models/hub.py: a transformers text-classification model as a head (tiny BERT built locally)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.hub import HubHead
from ugcminer.config import HeadConfig, ModelsConfig
from ugcminer.errors import ModelError

WORDS = "the card is not working refund late how to fix my account thanks great bad help".split()
BAD_ROWS = Path(__file__).parent / "fixtures" / "labeled" / "bad_rows.jsonl"
TEXTS = ["my card is not working", "how to fix the refund", "thanks great help", "bad late account"]


def build_tiny_model(folder: Path, id2label: dict[int, str]) -> Path:
    """A 2-layer BERT with random weights and a word-level vocab, saved with its tokenizer."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), model_max_length=64)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def raw_softmax(folder: Path, texts: list[str]) -> np.ndarray:
    """The model's own probabilities, straight from transformers."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    with torch.inference_mode():
        logits = model(**tokenizer(texts, padding=True, return_tensors="pt")).logits
    return torch.softmax(logits, dim=-1).numpy()


@pytest.fixture(scope="module")
def three_label_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny3"), {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})


@pytest.fixture(scope="module")
def yes_no_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny2"), {0: "no", 1: "yes"})


def test_hub_head__sentiment_columns_follow_label_map(three_label_model: Path) -> None:
    label_map = {"LABEL_0": "positive", "LABEL_1": "negative", "LABEL_2": "neutral"}
    head = HubHead(HeadConfig(backend="hub", model=str(three_label_model), label_map=label_map), "sentiment")
    proba = head.predict_proba(TEXTS)
    raw = raw_softmax(three_label_model, TEXTS)
    assert proba.shape == (4, 3)
    np.testing.assert_allclose(proba, raw[:, [1, 2, 0]], atol=1e-5)  # negative, neutral, positive
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_hub_head__binary_returns_positive_class(yes_no_model: Path) -> None:
    head = HubHead(HeadConfig(backend="hub", model=str(yes_no_model)), "complaint")
    proba = head.predict_proba(TEXTS)
    assert proba.shape == (4,)
    np.testing.assert_allclose(proba, raw_softmax(yes_no_model, TEXTS)[:, 1], atol=1e-5)


def test_hub_head__unmapped_label_is_a_clear_error(three_label_model: Path) -> None:
    cfg = HeadConfig(backend="hub", model=str(three_label_model), label_map={"LABEL_0": "negative"})
    with pytest.raises(ModelError, match=r"models.sentiment.label_map: model label 'LABEL_1'"):
        HubHead(cfg, "sentiment")


def test_hub_head__binary_without_positive_label(three_label_model: Path) -> None:
    with pytest.raises(ModelError, match=r"models.howto.label_map: none of the model labels"):
        HubHead(HeadConfig(backend="hub", model=str(three_label_model)), "howto")


def test_hub_head__missing_model_and_missing_id(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"models.complaint.model: cannot load"):
        HubHead(HeadConfig(backend="hub", model=str(tmp_path / "nowhere")), "complaint")
    with pytest.raises(ModelError, match=r"models.sentiment.model: required with backend: hub"):
        HubHead(HeadConfig(backend="hub"), "sentiment")


def test_hub_head__bad_rows_do_not_crash(yes_no_model: Path) -> None:
    head = HubHead(HeadConfig(backend="hub", model=str(yes_no_model)), "complaint", batch_size=3)
    texts = [json.loads(line).get("text") for line in BAD_ROWS.read_text().splitlines()] + ["x " * 50_000]
    proba = head.predict_proba(texts)
    assert proba.shape == (len(texts),)
    assert np.isfinite(proba).all() and ((proba >= 0) & (proba <= 1)).all()


@pytest.mark.slow
def test_hub_head__replaces_analyzer_head_by_config(three_label_model: Path) -> None:
    from models.analyzer import Analyzer

    label_map = {"LABEL_0": "negative", "LABEL_1": "neutral", "LABEL_2": "positive"}
    cfg = ModelsConfig(sentiment=HeadConfig(backend="hub", model=str(three_label_model), label_map=label_map))
    analyzer = Analyzer.from_config(cfg)
    preds = analyzer.predict(TEXTS)
    np.testing.assert_allclose(preds.sentiment, raw_softmax(three_label_model, TEXTS), atol=1e-5)
    assert preds.embeddings.shape == (4, analyzer.encoder.dim) and preds.complaint.shape == (4,)
    assert f"sentiment=hub:{three_label_model}" in analyzer.version
