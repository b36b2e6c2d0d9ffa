"""Retention: YouTube API data not refreshed within `retention.youtube_days` (YouTube API Services
policy: refresh or delete after 30 days), Reddit data older than `retention.reddit_days`, and content
found deleted or removed upstream are deleted, with everything derived from them (embeddings,
analyses and any table with a `mention_id` column).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select

from store import schema
from store.db import Store, _chunks, now_utc
from ugcminer.config import RetentionConfig


@dataclass(frozen=True)
class PruneResult:
    """How many mentions each rule removed."""

    youtube_expired: int
    reddit_expired: int
    deleted_upstream: int

    @property
    def total(self) -> int:
        """All mentions removed."""
        return self.youtube_expired + self.reddit_expired + self.deleted_upstream


def _ids(store: Store, condition: object) -> list[str]:
    with store.engine.connect() as conn:
        return [r.id for r in conn.execute(select(schema.mentions.c.id).where(condition))]


def _delete_mentions(store: Store, ids: list[str]) -> None:
    dependents = [t for t in schema.metadata.sorted_tables if "mention_id" in t.c]
    with store.engine.begin() as conn:
        for chunk in _chunks(ids, 500):
            for table in dependents:
                conn.execute(delete(table).where(table.c.mention_id.in_(chunk)))
            conn.execute(delete(schema.mentions).where(schema.mentions.c.id.in_(chunk)))


def prune(
    store: Store, retention: RetentionConfig, *, now: datetime | None = None, dry_run: bool = False
) -> PruneResult:
    """Delete expired and deleted-upstream mentions and what was derived from them."""
    now = now or now_utc()
    m = schema.mentions
    yt_cutoff = now - timedelta(days=retention.youtube_days)
    rd_cutoff = now - timedelta(days=retention.reddit_days)
    youtube = _ids(store, and_(m.c.source == "youtube", m.c.fetched_at < yt_cutoff))
    reddit = _ids(store, and_(m.c.source == "reddit", m.c.created_at < rd_cutoff))
    gone = _ids(
        store, and_(m.c.is_deleted.is_(True), or_(m.c.source != "youtube", m.c.fetched_at >= yt_cutoff))
    )
    reddit = [i for i in reddit if i not in set(gone)]
    if not dry_run:
        _delete_mentions(store, youtube + reddit + gone)
    return PruneResult(len(youtube), len(reddit), len(gone))
