"""Tables. One `metadata`; feature modules may define more tables on it in their own
`store/<feature>_tables.py` (import them in `store/tables.py` so `create_all` sees them).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

mentions = Table(
    "mentions",
    metadata,
    Column("id", String(200), primary_key=True),  # e.g. reddit:t1_abc, youtube:video:XYZ
    Column("brand", String(200), nullable=False),
    Column("source", String(20), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("native_id", String(200), nullable=False),
    Column("matched_alias", String(200)),
    Column("title", Text),
    Column("text", Text, nullable=False),
    Column("url", Text),
    Column("author", String(100)),
    Column("community", String(300)),
    Column("channel_id", String(100)),
    Column("parent_id", String(200)),
    Column("thread_id", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("score", Integer),
    Column("upvote_ratio", Float),
    Column("num_comments", Integer),
    Column("views", Integer),
    Column("likes", Integer),
    Column("reply_count", Integer),
    Column("flair", String(300)),
    Column("is_official", Boolean, nullable=False, default=False),
    Column("is_deleted", Boolean, nullable=False, default=False),
    Column("content_hash", String(64), nullable=False),  # hash of title+text: analyses/embeddings key
    Column("extra", JSON, nullable=False, default=dict),
    Index("ix_mentions_brand_created", "brand", "created_at"),
    Index("ix_mentions_thread", "thread_id"),
)

# Which brands a mention belongs to: one post can name two configured brands (a comparison, a
# competitor), and each brand must see it with its own matched alias and official flag. The
# `mentions` row keeps the content once (and the first brand's values in its own brand columns);
# every query by brand goes through this table.
mention_brands = Table(
    "mention_brands",
    metadata,
    Column("mention_id", String(200), primary_key=True),
    Column("brand", String(200), primary_key=True),
    Column("matched_alias", String(200)),
    Column("is_official", Boolean, nullable=False, default=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Index("ix_mention_brands_brand", "brand"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("brand", String(200), primary_key=True),
    Column("source", String(20), primary_key=True),
    Column("query", String(500), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

embeddings = Table(
    "embeddings",
    metadata,
    Column("mention_id", String(200), primary_key=True),
    Column("encoder_version", String(200), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32 little-endian
)

analyses = Table(
    "analyses",
    metadata,
    Column("mention_id", String(200), primary_key=True),
    Column("model_version", String(200), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("sentiment", String(20)),
    Column("sentiment_negative", Float),
    Column("sentiment_neutral", Float),
    Column("sentiment_positive", Float),
    Column("complaint", Boolean),
    Column("complaint_score", Float),
    Column("howto", Boolean),
    Column("howto_score", Float),
    Column("category", String(200)),
    Column("category_score", Float),
    Column("analyzed_at", DateTime(timezone=True), nullable=False),
)

calibrations = Table(  # per model version and task: confusion counts on its dev split (adjusted shares)
    "calibrations",
    metadata,
    Column("model_version", String(200), primary_key=True),
    Column("task", String(20), primary_key=True),
    Column("labels", JSON, nullable=False),
    Column("confusion", JSON, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("flow", String(50), nullable=False),
    Column("brand", String(200), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),
    Column("summary", JSON, nullable=False, default=dict),
)

quota_usage = Table(
    "quota_usage",
    metadata,
    Column("day", String(10), primary_key=True),  # Pacific-time date, as YouTube resets quota
    Column("method", String(50), primary_key=True),
    Column("units", Integer, nullable=False, default=0),
    Column("calls", Integer, nullable=False, default=0),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("brand", String(200)),
    Column("source", String(20), nullable=False),
    Column("stage", String(30), nullable=False),  # mine | analyze | report
    Column("reason", Text, nullable=False),
    Column("payload", Text),  # truncated, never secrets
    Column("created_at", DateTime(timezone=True), nullable=False),
)
