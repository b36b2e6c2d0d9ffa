from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from miners.mention import Mention
from models.insight_builder import load_insight
from reports.weeks import parse_week
from store.db import Store
from ugcminer.config import Config, load_config

W46, W47, W48 = parse_week("2026-W46"), parse_week("2026-W47"), parse_week("2026-W48")
THEMES = {
    "battery": [
        "AcmePhone battery drains so fast after the update",
        "battery dies by noon since updating my AcmePhone",
        "the latest Acme update destroyed my battery life",
        "my battery drain is insane after the update",
        "why does my AcmePhone battery drain so fast since the update?",
    ],
    "login": [
        "Acme app crashes every time I log in",
        "cannot sign in, the Acme app crashes on the login screen",
        "login keeps crashing the app, so annoying",
        "app crash at sign in again, fix it Acme",
    ],
    "refund": [
        "still waiting for my Acme refund after three weeks",
        "where is my refund? order cancelled weeks ago",
        "Acme never sent the refund for my returned phone",
        "no refund yet, terrible Acme service",
    ],
}


def _mentions(week, themes: dict[str, int], seed: int) -> list[Mention]:
    rng = random.Random(seed)
    out = []
    for theme, count in themes.items():
        for i in range(count):
            at = week.start_utc + timedelta(hours=rng.randrange(0, 160))
            text = f"{rng.choice(['ugh', 'honestly', 'seriously', 'again'])} {rng.choice(THEMES[theme])} {rng.choice(['!', '.', ' :('])}"
            mid = f"reddit:t3_{theme}{seed}x{i}"
            out.append(
                Mention(
                    id=mid,
                    source="reddit",
                    kind="post",
                    brand="Acme",
                    native_id=mid[7:],
                    title=None,
                    text=text,
                    created_at=at,
                    fetched_at=at,
                    community="acme",
                    score=rng.randrange(1, 20),
                    author=f"a{rng.randrange(1000)}",
                    url=f"https://reddit.com/{mid}",
                )
            )
    return out


def _howto(week) -> list[Mention]:
    at = week.start_utc + timedelta(days=1)
    chapters = [
        {"start_s": 0, "title": "Intro"},
        {"start_s": 30, "title": "Turn off background sync"},
        {"start_s": 90, "title": "Recalibrate the battery"},
    ]
    video = Mention(
        id="youtube:video:v1",
        source="youtube",
        kind="video",
        brand="Acme",
        native_id="v1",
        title="How to fix AcmePhone battery drain after the update",
        text="0:00 Intro\n0:30 Sync",
        created_at=at,
        fetched_at=at,
        community="FixItFelix",
        views=50_000,
        likes=2_500,
        url="https://youtube.com/watch?v=v1",
        author="felix",
        extra={"chapters": chapters},
    )
    replies = [
        Mention(
            id=f"youtube:comment:c{i}",
            source="youtube",
            kind="video_comment",
            brand="Acme",
            native_id=f"c{i}",
            text=t,
            created_at=at + timedelta(hours=i + 1),
            fetched_at=at,
            parent_id=video.id,
            thread_id=video.id,
            author=f"u{i}",
        )
        for i, t in enumerate(["That fixed it, thanks!", "thanks, worked for me"])
    ]
    return [video, *replies]


def _refund_post(mentions: list[Mention]) -> Mention:
    """The refund complaint the solution comment answers (a plain one: "no refund yet, terrible ...")."""
    return next(m for m in mentions if "refund" in m.id and "terrible" in m.text)


def _solution(week, post: Mention) -> list[Mention]:
    """A solution comment answering one complaint post, and the poster's "that worked"."""
    at = week.start_utc + timedelta(days=2)
    common = {"source": "reddit", "brand": "Acme", "created_at": at, "fetched_at": at, "community": "acme"}
    answer = Mention(
        id="reddit:t1_sol", kind="comment", native_id="t1_sol", parent_id=post.id, thread_id=post.id,
        text="Here is how to get it back: 1. Open Orders in the app. 2. Pick the cancelled order. "
        "3. Tap 'Request refund' and it is paid within a day.",
        author="helper", score=40, url="https://reddit.com/r/acme/comments/x/sol", **common,
    )  # fmt: skip
    thanks = Mention(
        id="reddit:t1_thx", kind="comment", native_id="t1_thx", parent_id=answer.id, thread_id=post.id,
        text="That worked, thanks!", author=post.author, **common,
    )  # fmt: skip
    return [answer, thanks]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Config, Store]:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "refunds.md").write_text(
        "---\ntitle: Refund status\nurl: https://help.acme/refunds\n---\n"
        "Where is my refund? Refunds for cancelled or returned orders take 5 days.\n"
    )
    data = {
        "brands": [{"name": "Acme", "aliases": ["AcmePhone"], "knowledge_base": "kb"}],
        "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
        "topics": {"min_documents": 20, "model_dir": str(tmp_path / "tm")},
    }
    (tmp_path / "ugcminer.yaml").write_text(yaml.safe_dump(data))
    config = load_config(tmp_path / "ugcminer.yaml")
    store = Store(config.store_url())
    store.upsert_mentions(_mentions(W46, {"battery": 25, "login": 25}, seed=1))
    w47 = _mentions(W47, {"battery": 25, "refund": 25}, seed=2)
    refund_post = _refund_post(w47)
    store.upsert_mentions(w47 + _howto(W47) + _solution(W47, refund_post))
    store.upsert_mentions(_mentions(W48, {"login": 4}, seed=3))
    yield config, store
    store.close()


@pytest.mark.slow
def test_analyze_brand__topics_keep_ids_new_ones_flagged_and_rerun_changes_nothing(
    setup, prefect_harness
) -> None:
    from flows.analyze import analyze_brand, analyze_flow

    config, store = setup
    brand = config.brand("Acme")
    analyze_brand(config, brand, W46, store=store)
    first = analyze_brand(config, brand, W47, store=store)
    w46, w47 = load_insight(store, "Acme", "2026-W46"), load_insight(store, "Acme", "2026-W47")

    def topic_of(insight, word):
        return max(
            (t for t in insight.topics if t.size and word in " ".join(t.words + [t.label])),
            key=lambda t: t.size,
        )

    battery46, battery47 = topic_of(w46, "battery"), topic_of(w47, "battery")
    assert battery47.topic_id == battery46.topic_id and battery47.status in ("steady", "growing", "fading")
    refund = topic_of(w47, "refund")
    assert refund.status == "new" and refund.topic_id not in {t.topic_id for t in w46.topics}
    assert any(t.status == "fading" and t.size == 0 for t in w47.topics), [
        (t.topic_id, t.label, t.size, t.status) for t in w46.topics + w47.topics
    ]
    assert w47.topic_history[battery47.topic_id][-2:] == [
        ("2026-W46", battery46.size),
        ("2026-W47", battery47.size),
    ]
    assert refund.kb_article and refund.kb_article["url"] == "https://help.acme/refunds"
    gap = next(g for g in w47.gaps if g.kind == "topic" and g.ref == str(battery47.topic_id))
    assert gap.outline and all(s["source_url"] == "https://youtube.com/watch?v=v1" for s in gap.outline)
    battery_ids = set(battery47.mention_ids)
    assert [q["question"].split(" why ")[-1] for q in gap.questions] == [
        "does my AcmePhone battery drain so fast since the update?"
    ]  # asked in several posts with other openings: one question
    assert all(q["source_url"].removeprefix("https://reddit.com/") in battery_ids for q in gap.questions)
    top = w47.howto[0]
    assert top.mention_id == "youtube:video:v1" and "2 replies say it worked" in top.reasons
    assert top.topic_id == battery47.topic_id and top.recommendation == "write an article"
    assert w47.creators[0].name == "FixItFelix"
    # the solution comment answers a refund complaint: tied to that topic, the complaint named
    answer = next(h for h in w47.howto if h.mention_id == "reddit:t1_sol")
    assert answer.topic_id == refund.topic_id, [(h.mention_id, h.topic_label) for h in w47.howto]
    answered = _refund_post(_mentions(W47, {"battery": 25, "refund": 25}, seed=2)).id
    assert answer.closest_complaint["mention_id"] == answered and answered in refund.mention_ids
    assert list((Path(config.topics.model_dir) / "acme" / "2026-W47").glob("*.safetensors"))
    version = store.analyses([battery47.mention_ids[0]])[battery47.mention_ids[0]]["model_version"]
    assert "+posts=" in version  # these Reddit posts were read by the post heads...
    rates = store.calibrations("sentiment")
    assert rates[f"{version}#posts"] != rates[version]  # ...whose error rates the report corrects with

    again = analyze_flow(config.source_path, brand="Acme", week="2026-W47")["Acme"]
    assert again["classified"] == 0 and again["topics"] == first["topics"]
    assert load_insight(store, "Acme", "2026-W47") == w47

    small = analyze_brand(config, brand, W48, store=store)
    assert any("Too little data" in n for n in small["notes"])


@pytest.mark.slow
def test_analyze_brand__a_mention_of_two_brands_gets_each_brands_categories(
    tmp_path: Path, prefect_harness
) -> None:
    from dataclasses import replace

    from sqlalchemy import select

    from flows.analyze import analyze_brand
    from store.insight_tables import topic_assignments

    taxonomies = {
        "Acme": [("Power", "battery drains, dies, battery life"), ("Account", "login, sign in, app crashes")],
        "Globex": [("Energy", "the battery runs out too fast"), ("Access", "cannot log in, sign-in crashes")],
    }
    brands = []
    for name, cats in taxonomies.items():
        path = tmp_path / f"{name.lower()}.yaml"
        path.write_text(yaml.safe_dump({"categories": [{"name": n, "description": d} for n, d in cats]}))
        # the posts sit in r/acme, a community about both brands (their texts name Acme, not Globex)
        brands.append(
            {"name": name, "aliases": [f"{name}Phone"], "taxonomy": path.name, "brand_subreddits": ["acme"]}
        )
    data = {
        "brands": brands,
        "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
        "topics": {"min_documents": 20, "model_dir": str(tmp_path / "tm")},
    }
    (tmp_path / "ugcminer.yaml").write_text(yaml.safe_dump(data))
    config = load_config(tmp_path / "ugcminer.yaml")
    store = Store(config.store_url())
    shared = _mentions(W46, {"battery": 25, "login": 25}, seed=1)
    store.upsert_mentions(shared + [replace(m, brand="Globex") for m in shared])
    assert store.count_mentions("Acme") == store.count_mentions("Globex") == 50 == store.count_mentions()
    for name in taxonomies:  # Acme analyses them first: their stored category is Acme's
        analyze_brand(config, config.brand(name), W46, store=store)
    for name, cats in taxonomies.items():
        insight = load_insight(store, name, "2026-W46")
        t = topic_assignments
        with store.engine.connect() as conn:
            rows = conn.execute(select(t.c.category).where(t.c.brand == name, t.c.period == "2026-W46")).all()
        allowed = {n for n, _ in cats} | {"other"}
        assert rows and {r.category for r in rows} <= allowed, (name, {r.category for r in rows})
        assert {t.category for t in insight.topics if t.size} <= allowed
        assert {n for n, _ in cats} <= {r.category for r in rows}  # both categories are used
    store.close()
