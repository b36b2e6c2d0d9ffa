"""Pieces of the analyze flow's insight stages that stand alone."""

from __future__ import annotations

import numpy as np

from models.insight_stages import _distinguish_from_fading, _unassigned_note
from models.topics import Topic, TopicResult
from ugcminer.config import Config


def _result(assignments: list[int]) -> TopicResult:
    topic = Topic(0, "card arrival", ["card"], assignments.count(0), np.ones(4, dtype=np.float32), [0])
    return TopicResult(np.asarray(assignments), {0: topic} if 0 in assignments else {})


def test_unassigned_note__says_how_many_complaints_fit_no_topic_and_which_setting_decides() -> None:
    config = Config.model_validate({"brands": [{"name": "Acme"}], "topics": {"attach_min_similarity": 0.4}})
    (note,) = _unassigned_note(_result([0, 0, -1, 0, -1]), config)
    assert note.startswith("2 of 5 complaints this week fit no topic") and "0.40" in note
    assert "topics.attach_min_similarity" in note
    assert _unassigned_note(_result([0, 0, 0]), config) == []
    assert _unassigned_note(_result([-1, -1]), config) == []  # no topics at all: fit_topics says why


def test_distinguish_from_fading__a_new_topic_named_like_a_fading_one_gets_a_word() -> None:
    topics = {
        3: {"topic_id": 3, "label": "galaxy s4", "words": ["galaxy", "s4", "battery"], "size": 0},
        7: {"topic_id": 7, "label": "galaxy s4", "words": ["s4", "screen", "galaxy"], "size": 6},
        8: {"topic_id": 8, "label": "refund", "words": ["refund"], "size": 4},
        9: {"topic_id": 9, "label": "refund claim", "words": ["refund", "claim"], "size": 0},
    }
    _distinguish_from_fading(topics)
    assert [topics[t]["label"] for t in (3, 7, 8, 9)] == [
        "galaxy s4",
        "galaxy s4 (screen)",
        "refund",
        "refund claim",
    ]


def test_passing_note__complaints_naming_the_brand_only_in_passing_stay_out_of_the_topics() -> None:
    from datetime import UTC, datetime, timedelta

    from miners.mention import Mention
    from models.insight_builder import _Week
    from models.insight_stages import _passing_note
    from ugcminer.config import BrandConfig

    at = datetime(2026, 11, 10, tzinfo=UTC)

    def post(i: int, title: str, community: str) -> Mention:
        return Mention(
            id=f"reddit:t3_{i}", source="reddit", kind="post", brand="Acme", native_id=f"t3_{i}", title=title,
            text="my AcmePhone too", created_at=at, fetched_at=at, community=community,
        )  # fmt: skip

    brand = BrandConfig(name="Acme", subreddits=["acme", "techsupport"], brand_subreddits=["acme"])
    mentions = [
        post(1, "Wifi drops", "acme"),
        post(2, "Acme wifi drops", "gadgets"),
        post(3, "Yahoo hacked", "techsupport"),
    ]
    analyses = {m.id: {"complaint": True} for m in mentions}
    week = _Week(brand, "2026-W46", at - timedelta(days=1), at + timedelta(days=1), mentions, analyses, {})
    assert [m.id for m in week.complaints()] == ["reddit:t3_1", "reddit:t3_2"]
    assert [m.id for m in week.complaints(passing=True)] == ["reddit:t3_3"]
    (note,) = _passing_note(week)
    assert note.startswith("1 complaint post(s) name Acme only in passing") and "r/acme;" in note
    assert "brands.brand_subreddits" in note
