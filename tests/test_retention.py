from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from miners.mention import Mention
from store import Store
from store.db import content_hash
from store.retention import prune
from ugcminer.config import RetentionConfig

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _m(
    mid: str, source: str, kind: str, *, fetched_days: int, created_days: int, deleted: bool = False
) -> Mention:
    return Mention(
        id=mid,
        source=source,
        kind=kind,
        brand="Acme",
        native_id=mid.split(":")[-1],
        text="t",
        created_at=NOW - timedelta(days=created_days),
        fetched_at=NOW - timedelta(days=fetched_days),
        is_deleted=deleted,
    )


def test_retention__prunes_stale_youtube_old_reddit_and_deleted_content(store_url: str) -> None:
    store = Store(store_url)
    keep = [
        _m("youtube:video:fresh", "youtube", "video", fetched_days=2, created_days=400),
        _m("reddit:t3_new", "reddit", "post", fetched_days=40, created_days=40),
    ]
    drop = [
        _m("youtube:video:stale", "youtube", "video", fetched_days=31, created_days=31),
        _m("reddit:t3_old", "reddit", "post", fetched_days=1, created_days=400),
        _m("reddit:t1_gone", "reddit", "comment", fetched_days=1, created_days=3, deleted=True),
    ]
    store.upsert_mentions(keep + drop)
    store.put_embeddings(
        [(m.id, content_hash(None, "t"), np.ones(3, np.float32)) for m in keep + drop], "e@1"
    )
    result = prune(store, RetentionConfig(youtube_days=30, reddit_days=365), now=NOW)
    assert (result.youtube_expired, result.reddit_expired, result.deleted_upstream) == (1, 1, 1)
    left = {m.id for m in store.mentions(include_deleted=True)}
    assert left == {m.id for m in keep}
    assert set(store.get_embeddings([(m.id, content_hash(None, "t")) for m in keep + drop], "e@1")) == left


def test_retention__dry_run_deletes_nothing(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    store.upsert_mentions([_m("youtube:video:stale", "youtube", "video", fetched_days=31, created_days=31)])
    assert prune(store, RetentionConfig(), now=NOW, dry_run=True).total == 1
    assert store.count_mentions() == 1
