"""Class shares from biased labels: adjusted classify-and-count and the size-weighted estimate."""

from __future__ import annotations

import numpy as np
import pytest

from models.quantify import SHRINK_ROWS, ShareCalibration

LABELS = ("negative", "neutral", "positive")
# the shipped sentiment model's kind of bias: many neutral texts labelled negative
CONFUSION = [[80, 15, 5], [20, 60, 20], [5, 20, 75]]


def _labelled(true_shares: list[float], n: int) -> dict[str, float]:
    """The label counts a batch of `n` with `true_shares` gets in expectation."""
    rates = ShareCalibration.from_json(LABELS, CONFUSION).rates
    return dict(zip(LABELS, (n * np.asarray(true_shares) @ rates).tolist(), strict=True))


def test_adjusted__recovers_the_true_mix_that_the_labels_misstate():
    calibration = ShareCalibration.from_json(LABELS, CONFUSION)
    counts = _labelled([0.1, 0.6, 0.3], 1000)
    assert counts["negative"] / 1000 == pytest.approx(0.215)  # counting says 21.5 % negative
    adjusted = calibration.adjusted(counts)
    assert adjusted is not None
    assert [adjusted[x] for x in LABELS] == pytest.approx([0.1, 0.6, 0.3], abs=1e-3)


def test_adjusted__impossible_counts_give_shares_that_sum_to_one_and_are_not_negative():
    calibration = ShareCalibration.from_json(LABELS, CONFUSION)
    adjusted = calibration.adjusted({"negative": 0, "neutral": 0, "positive": 40})  # beyond the rates
    assert adjusted is not None
    assert min(adjusted.values()) >= 0 and sum(adjusted.values()) == pytest.approx(1.0)
    assert adjusted["positive"] == max(adjusted.values())


def test_shares__move_from_counted_to_adjusted_with_the_batch_size():
    calibration = ShareCalibration.from_json(LABELS, CONFUSION)
    for n in (20, SHRINK_ROWS, 20_000):
        counts = _labelled([0.1, 0.6, 0.3], n)
        shares, adjusted = calibration.shares(counts), calibration.adjusted(counts)
        assert shares is not None and adjusted is not None
        weight = n / (n + SHRINK_ROWS)
        expected = (1 - weight) * counts["negative"] / n + weight * adjusted["negative"]
        assert shares["negative"] == pytest.approx(expected)
        assert sum(shares.values()) == pytest.approx(1.0)
    big = calibration.counts(_labelled([0.1, 0.6, 0.3], 20_000))
    assert big["negative"] == pytest.approx(0.1 * 20_000, rel=0.02)


def test_shares__empty_batch_is_none():
    calibration = ShareCalibration.from_json(LABELS, CONFUSION)
    assert calibration.shares({}) is None
    assert calibration.counts({}) == {"negative": 0.0, "neutral": 0.0, "positive": 0.0}


@pytest.mark.parametrize("confusion", [[[1, 0], [0, 1]], [[1, 0, 0], [0, 0, 0], [0, 0, 1]], [[-1, 2, 0]] * 3])
def test_from_json__rejects_a_matrix_that_is_not_usable(confusion):
    with pytest.raises(ValueError, match="3x3"):
        ShareCalibration.from_json(LABELS, confusion)


def test_shipped_sentiment_view__carries_its_dev_confusion():
    import json
    from pathlib import Path

    meta = json.loads((Path(__file__).parents[1] / "models/weights/sentiment_text_view.json").read_text())
    calibration = ShareCalibration.from_json(meta["labels"], meta["dev_confusion"])
    assert calibration.confusion.sum() == 4694  # the dev split's rows
    assert (np.diag(calibration.rates) > 0.6).all()
