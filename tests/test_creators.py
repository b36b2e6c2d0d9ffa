from __future__ import annotations

from datetime import UTC, datetime

from miners.mention import Mention
from models.creators import CreatorPolicy, shortlist_creators
from models.howto import ScoredHowto

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _item(mid: str, channel: str, score: float, official: bool = False) -> ScoredHowto:
    m = Mention(
        id=mid,
        source="youtube",
        kind="video",
        brand="A",
        native_id=mid,
        title=f"Fix {mid}",
        text="",
        created_at=NOW,
        fetched_at=NOW,
        community=channel,
        url=f"https://y/{mid}",
        is_official=official,
    )
    return ScoredHowto(m, score, {}, [])


def test_shortlist_creators__ranked_by_complaint_volume_addressed() -> None:
    items = [
        _item("a1", "FixIt", 0.5),
        _item("a2", "FixIt", 0.7),
        _item("b1", "TechTips", 0.9),
        _item("o1", "Acme", 0.99, official=True),
    ]
    topics = {"a1": 1, "a2": 2, "b1": 1, "o1": 2}
    creators = shortlist_creators(items, topics, {1: 30, 2: 12}, topic_labels={1: "battery drain", 2: "sync"})
    assert [(c.name, c.items, c.complaint_volume_addressed, c.best_item_url) for c in creators] == [
        ("FixIt", 2, 42, "https://y/a2"),
        ("TechTips", 1, 30, "https://y/b1"),
    ]
    assert [(c.best_item_title, c.topics) for c in creators] == [
        ("Fix a2", ("battery drain", "sync")),  # the topics largest first
        ("Fix b1", ("battery drain",)),
    ]


def test_shortlist_creators__limit_and_items_without_topic() -> None:
    items = [_item("a1", "FixIt", 0.5), _item("b1", "TechTips", 0.9)]
    creators = shortlist_creators(items, {"a1": None, "b1": 1}, {1: 5}, CreatorPolicy(limit=1))
    assert [(c.name, c.complaint_volume_addressed) for c in creators] == [("TechTips", 5)]
