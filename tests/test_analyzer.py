from dataclasses import replace

import numpy as np
import pytest

from models.analyzer import SENTIMENT_LABELS, Analyzer, Predictions, load_analyzer
from models.data import load_task
from models.heads import load_heads
from ugcminer.config import EncoderConfig, HeadConfig, ModelsConfig
from ugcminer.errors import ModelError

CFG = ModelsConfig(encoder=EncoderConfig(threads=2))


class CountingEncoder:
    """The real encoder, counting how many texts it embeds."""

    def __init__(self, inner):
        self.inner, self.calls, self.texts = inner, 0, 0
        self.version, self.dim = inner.version, inner.dim
        self.weights_version = inner.weights_version

    def encode(self, texts, **kwargs):
        self.calls += 1
        self.texts += len(texts)
        return self.inner.encode(texts, **kwargs)


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return load_analyzer(CFG)


@pytest.fixture(scope="session")
def held_out():
    """A few real texts from the held-out test split of each task, per label."""
    out = {}
    for task in ("sentiment", "complaint", "howto"):
        texts, labels = load_task(task).part("test")
        out[task] = {
            k: [t for t, y in zip(texts, labels, strict=True) if y == k][:25] for k in sorted(set(labels))
        }
    return out


def test_analyzer__one_encoder_pass_feeds_every_head(analyzer):
    counting = CountingEncoder(analyzer.encoder)
    one_pass = Analyzer(counting, analyzer.heads)
    texts = ["my order never arrived", "how to reset your router in 3 steps", "lovely day"]
    preds = one_pass.predict(texts)
    assert (counting.calls, counting.texts) == (1, 3)
    assert preds.embeddings.shape == (3, analyzer.encoder.dim)
    again = one_pass.predict(texts, embeddings=preds.embeddings)
    assert counting.calls == 1
    assert np.allclose(again.sentiment, preds.sentiment) and np.allclose(again.howto, preds.howto)


def test_analyzer__shapes_probabilities_and_thresholds(analyzer):
    preds = analyzer.predict(["fine", "", "terrible service, still no refund"])
    assert isinstance(preds, Predictions)
    assert preds.sentiment.shape == (3, 3) and np.allclose(preds.sentiment.sum(1), 1, atol=1e-5)
    assert preds.complaint.shape == preds.howto.shape == (3,)
    assert set(preds.thresholds) == {"complaint", "howto"}
    assert preds.sentiment_labels()[2] in SENTIMENT_LABELS and preds.flags("complaint").dtype == bool


def test_analyzer__held_out_sentiment_goes_the_right_way(analyzer, held_out):
    neg, pos = held_out["sentiment"][0], held_out["sentiment"][2]
    p_neg, p_pos = analyzer.predict(neg).sentiment, analyzer.predict(pos).sentiment
    assert p_neg[:, 0].mean() > p_pos[:, 0].mean() + 0.2
    assert p_pos[:, 2].mean() > p_neg[:, 2].mean() + 0.2


def test_analyzer__held_out_complaints_and_howto_score_higher(analyzer, held_out):
    for task in ("complaint", "howto"):
        no, yes = held_out[task][0], held_out[task][1]
        scores_yes = getattr(analyzer.predict(yes), task)
        scores_no = getattr(analyzer.predict(no), task)
        assert scores_yes.mean() > scores_no.mean() + 0.2, task


def test_analyzer__wrong_embedding_shape_is_a_model_error(analyzer):
    with pytest.raises(ModelError, match="expected"):
        analyzer.predict(["a", "b"], embeddings=np.zeros((2, 5), np.float32))


def test_analyzer__heads_for_another_encoder_are_refused(analyzer):
    heads = load_heads(__import__("models.encoder", fromlist=["WEIGHTS_DIR"]).WEIGHTS_DIR)
    stale = type(heads)(heads=heads.heads, encoder_version="other@0000000000", meta=heads.meta)
    with pytest.raises(ModelError, match="ugcminer train"):
        Analyzer(analyzer.encoder, stale)


def test_analyzer__config_threshold_wins(analyzer):
    custom = Analyzer(
        analyzer.encoder,
        analyzer.heads,
        {"sentiment": HeadConfig(), "complaint": HeadConfig(threshold=0.9), "howto": HeadConfig()},
        analyzer.post_heads,
        analyzer.instructional,
    )
    assert custom.thresholds()["complaint"] == 0.9
    assert custom.thresholds()["howto"] == analyzer.heads["howto"].threshold
    assert custom.version == analyzer.version and analyzer.version.startswith(analyzer.encoder.version)


def test_analyzer__sentiment_calibration_comes_with_the_shipped_view_and_not_with_a_hub_head(analyzer):
    calibration = analyzer.share_calibration("sentiment")
    assert calibration is not None and calibration.labels == ("negative", "neutral", "positive")
    assert analyzer.share_calibration("complaint") is None  # a binary head has no text view
    without_views = Analyzer(analyzer.encoder, replace(analyzer.heads, text_views={}))
    assert without_views.share_calibration("sentiment") is None
