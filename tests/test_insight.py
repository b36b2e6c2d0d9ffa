from __future__ import annotations

import json

from models.insight import Creator, HowtoItem, KbGap, PeriodInsight, TopicSummary, WeakArticle


def _sample() -> PeriodInsight:
    topic = TopicSummary(
        topic_id=3,
        label="battery drains after update",
        words=["battery", "drain", "update"],
        size=12,
        prev_size=5,
        change=7,
        status="growing",
        sentiment={"negative": 0.8, "neutral": 0.15, "positive": 0.05},
        category="battery",
        representatives=[
            {"mention_id": "reddit:t3_a", "text": "battery dies", "url": "u", "source": "reddit"}
        ],
        kb_article={"id": "battery", "title": "Battery tips", "url": "https://kb/b", "similarity": 0.61},
        mention_ids=["reddit:t3_a"],
        core_size=9,
    )
    howto = HowtoItem(
        mention_id="youtube:video:x",
        title="How to fix battery drain",
        creator="Fixer",
        platform="youtube",
        url="https://youtu.be/x",
        score=0.7,
        signals={"views_per_day": 0.5},
        reasons=["1,000 views a day"],
        topic_id=3,
        topic_label="battery drains after update",
        kb_status="weak",
        recommendation="update an article",
    )
    gap = KbGap(
        kind="topic",
        ref="3",
        label="battery drains",
        volume=12,
        outline=[{"step": "Reset", "source_url": "https://youtu.be/x", "source_title": "How to"}],
    )
    weak = WeakArticle(
        article_id="battery",
        title="Battery tips",
        url=None,
        topic_id=3,
        topic_label="battery drains",
        competing=["youtube:video:x"],
        reason="loses",
    )
    creator = Creator(
        name="Fixer",
        platform="youtube",
        items=2,
        complaint_volume_addressed=12,
        best_item_url="https://youtu.be/x",
        best_item_title="Fix the drain",
        topics=("battery drains",),
    )
    return PeriodInsight(
        brand="Acme",
        period="2026-W47",
        start="2026-11-16T00:00:00+00:00",
        end="2026-11-23T00:00:00+00:00",
        topics=[topic],
        howto=[howto],
        gaps=[gap],
        weak_articles=[weak],
        creators=[creator],
        topic_history={3: [("2026-W46", 5), ("2026-W47", 12)]},
        notes=["n"],
        model_versions={"encoder": "e"},
    )


def test_period_insight__round_trips_through_json() -> None:
    insight = _sample()
    again = PeriodInsight.from_dict(json.loads(json.dumps(insight.to_dict())))
    assert again == insight


def test_period_insight__stored_before_creator_titles_and_closely_grouped_counts_still_loads() -> None:
    data = json.loads(json.dumps(_sample().to_dict()))
    for creator in data["creators"]:
        del creator["best_item_title"], creator["topics"]
    for topic in data["topics"]:
        del topic["core_size"]
    insight = PeriodInsight.from_dict(data)
    creator = insight.creators[0]
    assert (creator.name, creator.best_item_title, creator.topics) == ("Fixer", None, ())
    assert insight.topics[0].core_size is None


def test_period_insight__topic_lookup_by_id() -> None:
    insight = _sample()
    assert insight.topic(3) is insight.topics[0]
    assert insight.topic(4) is None


def test_insight_tables__period_rewrite_is_idempotent_and_round_trips(store_url: str) -> None:
    from datetime import UTC, datetime

    import numpy as np

    from models.insight_builder import load_insight
    from models.kb import Article
    from store import insight_tables as tables
    from store.db import Store

    store = Store(store_url)
    try:
        insight = _sample()
        topic = {
            "topic_id": 3,
            "label": "battery drains",
            "size": 12,
            "words": ["battery"],
            "centroid": np.arange(4, dtype=np.float32),
        }
        assignment = {"mention_id": "reddit:t3_a", "topic_id": 3, "category": "battery"}
        stamp = datetime(2026, 11, 23, tzinfo=UTC)
        for _ in range(2):  # a re-run replaces the period's rows
            tables.write_period(store, "Acme", "2026-W47", [topic], [assignment], insight.to_dict(), stamp)
        rows = tables.registry_rows(store, "Acme")
        assert len(rows) == 1 and rows[0]["centroid"].tolist() == [0.0, 1.0, 2.0, 3.0]
        assert tables.read_assignments(store, "Acme", "2026-W47") == {"reddit:t3_a": 3}
        assert tables.insight_periods(store, "Acme") == ["2026-W47"]
        assert load_insight(store, "Acme", "2026-W47") == insight
        assert load_insight(store, "Acme", "2026-W46") is None
        article = Article("a1", "Battery", "https://kb/a1", "text")
        tables.put_kb_vectors(store, "Acme", "enc", [(article, np.ones(4, dtype=np.float32))])
        tables.put_kb_vectors(store, "Acme", "enc", [(article, np.full(4, 2.0, dtype=np.float32))])
        cached = tables.kb_cache(store, "Acme", "enc")
        assert cached["a1"][0] == article.content_hash and cached["a1"][1].tolist() == [2.0] * 4
    finally:
        store.close()
