from __future__ import annotations

import numpy as np

from models.topic_tracking import (
    TopicSnapshot,
    label_history,
    latest_snapshots,
    match_topics,
    reference_centroids,
    topic_status,
    trend,
)
from ugcminer.config import TopicsConfig


def _vec(*values: float) -> np.ndarray:
    v = np.zeros(8, dtype=np.float32)
    v[: len(values)] = values
    return v / np.linalg.norm(v)


def _history() -> list[TopicSnapshot]:
    return [
        TopicSnapshot(0, "2026-W46", "battery drains", 10, _vec(1, 0.1)),
        TopicSnapshot(1, "2026-W46", "app crashes on login", 6, _vec(0, 1)),
        TopicSnapshot(0, "2026-W47", "battery drains fast", 12, _vec(1, 0.2)),
    ]


def test_match_topics__same_topic_next_week_keeps_its_id() -> None:
    known = reference_centroids(_history(), before="2026-W48", last=1)
    mapping = match_topics({5: _vec(1, 0.15), 7: _vec(0, 0.05, 1)}, known, threshold=0.8, next_id=2)
    assert mapping[5] == 0
    assert mapping[7] == 2  # nothing similar enough: a fresh id


def test_match_topics__one_to_one_most_similar_wins() -> None:
    known = reference_centroids(_history(), before="2026-W48", last=1)
    mapping = match_topics({0: _vec(1, 0.19), 1: _vec(1, 0.5)}, known, threshold=0.8, next_id=2)
    assert mapping == {0: 0, 1: 2}


def test_reference_centroids__pooled_weeks_keep_a_drifting_topic() -> None:
    history = [
        TopicSnapshot(0, "2026-W44", "youtube buffers", 10, _vec(1, 0.0, 0.4)),
        TopicSnapshot(0, "2026-W45", "youtube loads slowly", 15, _vec(1, 0.0, -0.4)),
        TopicSnapshot(1, "2026-W45", "password reset", 7, _vec(0, 1)),
        TopicSnapshot(0, "2026-W47", "later", 5, _vec(0, 0, 1)),  # not before W46: ignored
    ]
    this_week = {0: _vec(1, 0.0, 0.35)}  # closer to W44 than to the noisier latest snapshot
    latest_only = reference_centroids(history, before="2026-W46", last=1)
    pooled = reference_centroids(history, before="2026-W46", last=4)
    assert float(this_week[0] @ latest_only[0]) < 0.8 <= float(this_week[0] @ pooled[0])
    assert match_topics(this_week, latest_only, threshold=0.8, next_id=2) == {0: 2}
    assert match_topics(this_week, pooled, threshold=0.8, next_id=2) == {0: 0}
    assert np.allclose(pooled[1], _vec(0, 1)) and set(pooled) == {0, 1}


def test_latest_snapshots__only_earlier_periods_count() -> None:
    known = latest_snapshots(_history(), before="2026-W47")
    assert known[0].label == "battery drains"
    assert set(known) == {0, 1}


def test_topic_status__new_growing_steady_fading() -> None:
    cfg = TopicsConfig(growing_ratio=1.5, fading_ratio=0.5)
    assert topic_status(5, 0, seen_before=False, cfg=cfg) == "new"
    assert topic_status(15, 10, seen_before=True, cfg=cfg) == "growing"
    assert topic_status(11, 10, seen_before=True, cfg=cfg) == "steady"
    assert topic_status(5, 10, seen_before=True, cfg=cfg) == "fading"
    assert topic_status(0, 10, seen_before=True, cfg=cfg) == "fading"
    assert topic_status(4, 0, seen_before=True, cfg=cfg) == "growing"


def test_trend__sizes_per_period_with_zero_gaps() -> None:
    assert trend(_history(), ["2026-W46", "2026-W47"]) == {
        0: [("2026-W46", 10), ("2026-W47", 12)],
        1: [("2026-W46", 6), ("2026-W47", 0)],
    }


def test_label_history__oldest_first() -> None:
    assert label_history(_history(), 0) == [
        ("2026-W46", "battery drains"),
        ("2026-W47", "battery drains fast"),
    ]


def test_match_similarity__default_by_the_space_topics_are_matched_in_unless_configured() -> None:
    from models.topic_tracking import MATCH_SIMILARITY, match_similarity

    assert match_similarity(TopicsConfig(), topic_space=True) == MATCH_SIMILARITY[True] == 0.72
    assert match_similarity(TopicsConfig(), topic_space=False) == MATCH_SIMILARITY[False] == 0.82
    assert match_similarity(TopicsConfig(match_similarity=0.9), topic_space=True) == 0.9
