from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy.exc import IntegrityError

from miners.mention import Mention
from store import Store
from store.db import CursorUpdate, content_hash

T0 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def _m(i: int, **kw) -> Mention:
    base = dict(
        id=f"reddit:t3_{i}",
        source="reddit",
        kind="post",
        brand="Acme",
        native_id=f"t3_{i}",
        title=f"title {i}",
        text=f"text {i}",
        created_at=T0 + timedelta(hours=i),
        fetched_at=T0,
        score=i,
    )
    base.update(kw)
    return Mention(**base)


def test_store__upsert_is_idempotent_and_refreshes_metrics(store_url: str) -> None:
    store = Store(store_url)
    first = store.upsert_mentions([_m(1), _m(2)])
    again = store.upsert_mentions([_m(1), _m(2)])
    refreshed = store.upsert_mentions([_m(1, score=99)])
    assert (first.new, again.new, again.unchanged) == (2, 0, 2)
    assert (refreshed.updated, refreshed.new) == (1, 0)
    stored = {m.id: m for m in store.mentions("Acme")}
    assert stored["reddit:t3_1"].score == 99
    assert store.count_mentions("Acme") == 2


def test_store__round_trips_a_mention_exactly(store_url: str) -> None:
    store = Store(store_url)
    m = _m(3, extra={"tags": ["a", "b"]}, flair="Solved", upvote_ratio=0.97, is_official=True)
    store.upsert_mentions([m])
    assert store.mentions("Acme")[0] == m


def test_store__a_mention_of_two_brands_belongs_to_both(store_url: str) -> None:
    store = Store(store_url)
    acme = _m(4, matched_alias="acme", text="acme vs globex, which one?")
    globex = _m(
        4, brand="Globex", matched_alias="globex", text="acme vs globex, which one?", is_official=True
    )
    first, second = store.upsert_mentions([acme]), store.upsert_mentions([globex])
    again = store.upsert_mentions([acme, globex])
    assert (first.new, second.new, again.new, again.unchanged) == (1, 1, 0, 2)
    (as_acme,) = store.mentions("Acme")
    (as_globex,) = store.mentions("Globex")
    assert as_acme == acme and as_globex == globex  # each with its own alias and official flag
    assert store.count_mentions("Acme") == store.count_mentions("Globex") == 1
    assert store.count_mentions() == 1  # the content is stored once
    store.upsert_mentions([_m(4, brand="Globex", matched_alias="globex", text="edited", is_official=True)])
    assert [m.text for m in store.mentions("Acme")] == ["edited"]  # and refreshed for both
    assert store.mentions("Nobody") == []


def test_store__a_store_from_before_brand_links_is_linked_on_open(store_url: str) -> None:
    from sqlalchemy import delete

    from store import schema

    store = Store(store_url)
    store.upsert_mentions([_m(5), _m(6, brand="Globex")])
    with store.begin() as conn:  # as a store written by an earlier version looks
        conn.execute(delete(schema.mention_brands))
    assert store.mentions("Acme") == []
    reopened = Store(store_url)
    assert [m.id for m in reopened.mentions("Acme")] == ["reddit:t3_5"]
    assert [m.id for m in reopened.mentions("Globex")] == ["reddit:t3_6"]


def test_store__cursor_advances_with_its_batch_in_one_transaction(store_url: str) -> None:
    store = Store(store_url)
    bad = _m(5).replace(text=None)  # violates NOT NULL: the whole batch must roll back
    with pytest.raises(IntegrityError):
        store.upsert_mentions([_m(4), bad], CursorUpdate("Acme", "reddit", "q", "t3_5"))
    assert store.get_cursor("Acme", "reddit", "q") is None
    assert store.count_mentions() == 0
    store.upsert_mentions([_m(4)], CursorUpdate("Acme", "reddit", "q", "t3_4"))
    assert store.get_cursor("Acme", "reddit", "q") == "t3_4"


def test_store__embeddings_are_returned_only_for_unchanged_content(store_url: str) -> None:
    store = Store(store_url)
    vec = np.arange(4, dtype=np.float32)
    h = content_hash("t", "x")
    store.put_embeddings([("reddit:t3_1", h, vec)], "enc@1")
    assert np.array_equal(store.get_embeddings([("reddit:t3_1", h)], "enc@1")["reddit:t3_1"], vec)
    assert store.get_embeddings([("reddit:t3_1", content_hash("t", "changed"))], "enc@1") == {}
    assert store.get_embeddings([("reddit:t3_1", h)], "enc@2") == {}


def test_store__quota_units_accumulate_per_day_and_method(store_url: str) -> None:
    store = Store(store_url)
    store.add_quota("2026-11-20", "search.list", 100)
    store.add_quota("2026-11-20", "search.list", 100)
    store.add_quota("2026-11-20", "videos.list", 1)
    assert store.quota_used("2026-11-20") == {"search.list": 200, "videos.list": 1}
    assert store.quota_used("2026-11-21") == {}


def test_store__a_model_versions_calibration_is_kept_once_per_task(store_url: str) -> None:
    store = Store(store_url)
    first = {"labels": ["negative", "neutral", "positive"], "confusion": [[8, 1, 1], [2, 6, 2], [1, 2, 7]]}
    store.put_calibration("enc@1+sentiment=ab", "sentiment", first)
    store.put_calibration("enc@1+sentiment=ab", "sentiment", {**first, "confusion": [[9, 1, 0]] * 3})
    store.put_calibration("enc@2+sentiment=cd", "sentiment", first)
    got = store.calibrations("sentiment")
    assert set(got) == {"enc@1+sentiment=ab", "enc@2+sentiment=cd"}
    assert got["enc@1+sentiment=ab"]["confusion"] == [[9, 1, 0]] * 3  # the latest record wins
    assert got["enc@2+sentiment=cd"] == first
    assert store.calibrations("complaint") == {}
