"""Tables and small read/write helpers of the insight layer.

    topic_registry      one row per (brand, period, stable topic id): label, size, words, centroid
    topic_assignments   one row per (brand, period, mention): its stable topic id (-1 unassigned)
    period_insights     one row per (brand, period): the PeriodInsight as JSON
    kb_articles         one row per (brand, article, encoder version): content hash and vector
    topic_match_centroids  one row per (brand, period, stable topic id, clustering space): the topic's
                        centroid in the space complaints are clustered and matched in (derived from the
                        complaints' stored vectors, kept so matching never re-reads old weeks)

Writes for a period replace that period's rows in one transaction, so a re-run is idempotent and a
crash mid-way leaves the previous state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import JSON, Column, DateTime, Integer, LargeBinary, String, Table, Text, and_, delete, select

from store.schema import metadata

topic_registry = Table(
    "topic_registry",
    metadata,
    Column("brand", String(200), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("topic_id", Integer, primary_key=True),
    Column("label", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("words", JSON, nullable=False, default=list),
    Column("centroid", LargeBinary, nullable=False),  # float32 little-endian
)

topic_assignments = Table(
    "topic_assignments",
    metadata,
    Column("brand", String(200), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("mention_id", String(200), primary_key=True),
    Column("topic_id", Integer, nullable=False),
    Column("category", String(200)),
)

period_insights = Table(
    "period_insights",
    metadata,
    Column("brand", String(200), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("insight", Text, nullable=False),  # PeriodInsight.to_dict() as JSON
    Column("created_at", DateTime(timezone=True), nullable=False),
)

kb_articles = Table(
    "kb_articles",
    metadata,
    Column("brand", String(200), primary_key=True),
    Column("article_id", String(500), primary_key=True),
    Column("encoder_version", String(200), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("title", Text),
    Column("url", Text),
    Column("vector", LargeBinary, nullable=False),
)


topic_match_centroids = Table(
    "topic_match_centroids",
    metadata,
    Column("brand", String(200), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("topic_id", Integer, primary_key=True),
    Column("space", String(300), primary_key=True),  # version of the clustering vectors (encoder + masking)
    Column("centroid", LargeBinary, nullable=False),  # float32 little-endian
)


def _vec(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").copy()


def _blob(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype="<f4").tobytes()


def registry_rows(store: Any, brand: str) -> list[dict[str, Any]]:
    """All topic registry rows of `brand` (centroids as arrays), oldest period first."""
    t = topic_registry
    with store.engine.connect() as conn:
        rows = conn.execute(select(t).where(t.c.brand == brand).order_by(t.c.period, t.c.topic_id))
        return [{**dict(r._mapping), "centroid": _vec(r.centroid)} for r in rows]


def write_period(
    store: Any,
    brand: str,
    period: str,
    topics: Sequence[Mapping[str, Any]],
    assignments: Sequence[Mapping[str, Any]],
    insight: Mapping[str, Any],
    created_at: Any,
    match_centroids: Mapping[tuple[str, int], np.ndarray] | None = None,
    match_space: str = "",
) -> None:
    """Replace a period's registry rows, assignments and insight in one transaction, with its topics'
    centroids in clustering space `match_space` (and earlier ones computed for matching) when given.
    """
    with store.begin() as conn:
        if match_space:
            _put_match_centroids(conn, brand, match_space, match_centroids or {}, period)
        for table in (topic_registry, topic_assignments, period_insights):
            conn.execute(delete(table).where(and_(table.c.brand == brand, table.c.period == period)))
        if topics:
            conn.execute(
                topic_registry.insert(),
                [
                    {**dict(t), "brand": brand, "period": period, "centroid": _blob(t["centroid"])}
                    for t in topics
                ],
            )
        if assignments:
            conn.execute(
                topic_assignments.insert(),
                [{**dict(a), "brand": brand, "period": period} for a in assignments],
            )
        conn.execute(
            period_insights.insert().values(
                brand=brand, period=period, insight=json.dumps(insight, sort_keys=True), created_at=created_at
            )
        )


def read_insight(store: Any, brand: str, period: str) -> dict[str, Any] | None:
    """The stored PeriodInsight dict of `brand` and `period`, or None."""
    t = period_insights
    with store.engine.connect() as conn:
        row = conn.execute(select(t.c.insight).where(and_(t.c.brand == brand, t.c.period == period))).first()
    return json.loads(row.insight) if row else None


def insight_periods(store: Any, brand: str) -> list[str]:
    """Periods with a stored insight for `brand`, oldest first."""
    t = period_insights
    with store.engine.connect() as conn:
        return [
            r.period for r in conn.execute(select(t.c.period).where(t.c.brand == brand).order_by(t.c.period))
        ]


def read_assignments(store: Any, brand: str, period: str) -> dict[str, int]:
    """Stable topic id of each mention in a period (-1 unassigned)."""
    t = topic_assignments
    with store.engine.connect() as conn:
        q = select(t.c.mention_id, t.c.topic_id).where(and_(t.c.brand == brand, t.c.period == period))
        return {r.mention_id: int(r.topic_id) for r in conn.execute(q)}


def match_centroids(
    store: Any, brand: str, space: str, periods: Sequence[str] | None = None
) -> dict[tuple[str, int], np.ndarray]:
    """Stored topic centroids in clustering space `space` (of `periods` only, when given):
    (period, topic id) -> vector.
    """
    t = topic_match_centroids
    where = and_(t.c.brand == brand, t.c.space == space)
    if periods is not None:
        where = and_(where, t.c.period.in_(sorted(set(periods))))
    with store.engine.connect() as conn:
        return {(r.period, int(r.topic_id)): _vec(r.centroid) for r in conn.execute(select(t).where(where))}


def _put_match_centroids(
    conn: Any, brand: str, space: str, rows: Mapping[tuple[str, int], np.ndarray], period: str
) -> None:
    """Topic centroids in clustering space `space`, keyed (period, topic id): all of `period`'s rows are
    replaced (a re-run may number its topics differently), other periods' given keys only.
    """
    t = topic_match_centroids
    mine = and_(t.c.brand == brand, t.c.space == space)
    conn.execute(delete(t).where(and_(mine, t.c.period == period)))
    for other in sorted({p for p, _ in rows} - {period}):
        ids = [topic_id for p, topic_id in rows if p == other]
        conn.execute(delete(t).where(and_(mine, t.c.period == other, t.c.topic_id.in_(ids))))
    if rows:
        conn.execute(
            t.insert(),
            [
                {"brand": brand, "period": p, "topic_id": i, "space": space, "centroid": _blob(v)}
                for (p, i), v in sorted(rows.items())
            ],
        )


def kb_cache(store: Any, brand: str, encoder_version: str) -> dict[str, tuple[str, np.ndarray]]:
    """Stored article vectors: article id -> (content_hash, vector)."""
    t = kb_articles
    with store.engine.connect() as conn:
        q = select(t).where(and_(t.c.brand == brand, t.c.encoder_version == encoder_version))
        return {r.article_id: (r.content_hash, _vec(r.vector)) for r in conn.execute(q)}


def put_kb_vectors(
    store: Any, brand: str, encoder_version: str, rows: Sequence[tuple[Any, np.ndarray]]
) -> None:
    """Upsert (Article, vector) rows."""
    if not rows:
        return
    data = [
        {
            "brand": brand,
            "article_id": a.id,
            "encoder_version": encoder_version,
            "content_hash": a.content_hash,
            "title": a.title,
            "url": a.url,
            "vector": _blob(v),
        }
        for a, v in rows
    ]
    with store.begin() as conn:
        store._upsert(conn, kb_articles, data, ["brand", "article_id", "encoder_version"])
