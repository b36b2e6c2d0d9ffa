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


def test_history_in_space__earlier_topics_centred_in_the_clustering_space_stored_once(store_url) -> None:
    from datetime import UTC, datetime

    from miners.mention import Mention
    from models.insight_stages import history_in_space, masked_vectors, masked_version
    from models.topic_tracking import TopicSnapshot
    from models.topics import topic_terms
    from store.db import Store
    from store.insight_tables import match_centroids, write_period
    from store.retention import _delete_mentions
    from ugcminer.config import BrandConfig

    class Encoder:  # a vector per text, counting what it encodes
        version, dim, calls = "space@1", 8, 0

        def encode(self, texts):
            Encoder.calls += len(texts)
            rows = [np.random.default_rng(sum(map(ord, t))).normal(size=8) for t in texts]
            return np.asarray([r / np.linalg.norm(r) for r in rows], dtype=np.float32)

    at = datetime(2026, 11, 10, tzinfo=UTC)
    brand = BrandConfig(name="Acme", aliases=["AcmePhone"])
    texts = ["AcmePhone battery drains", "battery dies by noon", "login loops", "the app is slow"]
    mentions = [
        Mention(id=f"reddit:t3_{i}", source="reddit", kind="post", brand="Acme", native_id=f"t3_{i}", title="",
                text=t, created_at=at, fetched_at=at)
        for i, t in enumerate(texts)
    ]  # fmt: skip
    store = Store(store_url)  # SQLite and PostgreSQL
    store.upsert_mentions(mentions)
    space = Encoder()
    stored = masked_vectors(store, mentions, topic_terms(brand), space)  # as clustering that week left them
    assignments = [{"mention_id": m.id, "topic_id": t} for m, t in zip(mentions, [0, 0, 1, -1], strict=True)]
    write_period(store, "Acme", "2026-W46", [], assignments, {}, at)  # analysed before centroids were kept
    main = np.ones(3, dtype=np.float32)  # the registry's centroids: the main encoder's space
    history = [
        TopicSnapshot(0, "2026-W46", "battery", 2, main),
        TopicSnapshot(1, "2026-W46", "login", 1, main),
        TopicSnapshot(4, "2026-W45", "pruned", 5, main),  # none of its complaints is stored any more
        TopicSnapshot(0, "2026-W47", "battery", 3, main),  # not earlier than the week being matched
    ]
    calls = Encoder.calls
    out, computed = history_in_space(store, brand, history, "2026-W47", 4, space)
    assert Encoder.calls == calls  # the stored vectors, nothing encoded again
    assert [(s.topic_id, s.period, s.size) for s in out] == [(0, "2026-W46", 2), (1, "2026-W46", 1)]
    battery = stored[:2].mean(axis=0)
    assert np.allclose(out[0].centroid, battery / np.linalg.norm(battery), atol=1e-6)
    assert np.allclose(out[1].centroid, stored[2], atol=1e-6) and out[0].centroid.shape == (8,)
    assert sorted(computed) == [("2026-W46", 0), ("2026-W46", 1)]
    assert history_in_space(store, brand, history, "2026-W46", 4, space) == ([], {})  # nothing earlier

    # week 47 is written with them: later weeks read them back, even once the complaints are pruned
    version = masked_version(space, topic_terms(brand))
    write_period(store, "Acme", "2026-W47", [], [], {}, at, {**computed, ("2026-W47", 0): stored[3]}, version)
    _delete_mentions(store, [m.id for m in mentions])
    again, none_computed = history_in_space(store, brand, history, "2026-W48", 4, space)
    assert none_computed == {} and [(s.topic_id, s.period) for s in again] == [
        (0, "2026-W46"), (0, "2026-W47"), (1, "2026-W46")
    ]  # fmt: skip
    assert np.allclose(again[0].centroid, out[0].centroid) and np.allclose(again[1].centroid, stored[3])
    write_period(store, "Acme", "2026-W47", [], [], {}, at, {("2026-W47", 5): stored[0]}, version)  # a re-run
    assert sorted(match_centroids(store, "Acme", version)) == [
        ("2026-W46", 0),
        ("2026-W46", 1),
        ("2026-W47", 5),
    ]


def test_tie_to_topics__an_item_needs_a_close_complaint_not_only_a_close_loose_centroid() -> None:
    from dataclasses import replace

    from models.insight_builder import POLICY
    from models.insight_stages import TopicStage, tie_to_topics

    def unit(*xs: float) -> np.ndarray:
        v = np.asarray(xs, dtype=np.float32)
        return v / np.linalg.norm(v)

    # topic 1: a loose mix, its centroid between unrelated complaints; topic 2: one issue
    topics = TopicStage(
        period="2026-W46",
        topics={
            1: {"size": 3, "centroid": unit(1, 1, 1, 0, 0), "mention_ids": ["c1", "c2", "tip"]},
            2: {"size": 2, "centroid": unit(0, 0, 0, 1, 0), "mention_ids": ["c4", "c5"]},
            3: {"size": 0, "centroid": unit(1, 1, 1, 0, 0), "mention_ids": []},  # faded: ties to nothing
        },
        history={}, registry_rows=[], assignments=[], notes=[],
        member_vectors={"c1": unit(1, 0, 0, 0, 0), "c2": unit(0, 1, 0, 0, 0), "tip": unit(0, 0, 1, 0, 0),
                        "c4": unit(0, 0, 0, 1, 0), "c5": unit(0, 0.2, 0, 1, 0)},
    )  # fmt: skip
    items = ["general", "fix", "tip", "far"]
    vectors = np.stack(
        [unit(1, 1, 1, 0, 0), unit(0.9, 0.1, 0, 0, 0), unit(0.2, 0.2, 1, 0, 0), unit(-1, 0, 0, 0, 0)]
    )
    in_space = np.stack(
        [unit(1, 1, 1, 0, 2), unit(1, 0.1, 0, 0, 0), unit(0, 0, 1, 0, 0), unit(-1, 0, 0, 0, 0)]
    )
    # "general" sits on the loose topic's centroid but 0.38 from each of its complaints: untied; "fix"
    # is close to complaint c1; "tip" is itself a complaint of topic 1 and close to no other; "far" is
    # close to no centroid
    assert tie_to_topics(items, vectors, in_space, topics, POLICY) == {"fix": (1, "c1")}
    # a solution comment in the thread of complaint c4 answers it, however far its text is; a reply in
    # a thread that is not one of the week's complaints is judged by its text like any item
    replies = ["answer", "elsewhere"]
    far = np.stack([unit(-1, 0, 0, 0, 0), unit(-1, 0, 0, 0, 0)])
    ties = tie_to_topics(replies, far, far, topics, POLICY, {"answer": "c4", "elsewhere": "some-post"})
    assert ties == {"answer": (2, "c4")}
    looser = replace(POLICY, howto_complaint_similarity=0.35)
    assert {i: t for i, (t, _) in tie_to_topics(items, vectors, in_space, topics, looser).items()} == {
        "general": 1,
        "fix": 1,
    }
