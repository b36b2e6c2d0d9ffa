"""The store's Python API. Every write is one transaction; upserts are idempotent on the mention id,
and a cursor advances in the same transaction as the mentions it covers, so a crash at any point
loses nothing and duplicates nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, and_, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from miners.mention import METRIC_FIELDS, Mention
from store import schema
from store.tables import all_tables  # noqa: F401  (registers feature tables on the metadata)
from ugcminer.errors import StoreError

_MENTION_COLUMNS = [c.name for c in schema.mentions.columns]
# per brand: a mention's `mentions` row holds the first brand's; `mention_brands` holds each brand's
_FIRST_BRAND_FIELDS = ("brand", "matched_alias", "is_official")


def content_hash(title: str | None, text: str | None) -> str:
    """Hash of what the models read: a changed hash means re-embed and re-analyze."""
    return hashlib.sha256(f"{title or ''}\x00{text or ''}".encode("utf-8", "surrogatepass")).hexdigest()


def now_utc() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class CursorUpdate:
    """A cursor to advance together with a batch of mentions."""

    brand: str
    source: str
    query: str
    value: str


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def mention_row(m: Mention) -> dict[str, Any]:
    """The `mentions` row for a Mention (first_seen_at set by the caller)."""
    return {
        "id": m.id,
        "brand": m.brand,
        "source": str(m.source),
        "kind": str(m.kind),
        "native_id": m.native_id,
        "matched_alias": m.matched_alias,
        "title": m.title,
        "text": m.text,
        "url": m.url,
        "author": m.author,
        "community": m.community,
        "channel_id": m.channel_id,
        "parent_id": m.parent_id,
        "thread_id": m.thread_id,
        "created_at": m.created_at,
        "fetched_at": m.fetched_at,
        "score": m.score,
        "upvote_ratio": m.upvote_ratio,
        "num_comments": m.num_comments,
        "views": m.views,
        "likes": m.likes,
        "reply_count": m.reply_count,
        "flair": m.flair,
        "is_official": m.is_official,
        "is_deleted": m.is_deleted,
        "content_hash": content_hash(m.title, m.text),
        "extra": dict(m.extra),
    }


def row_to_mention(row: Any) -> Mention:
    """Turn a `mentions` row back into a Mention."""
    data = dict(row._mapping)
    for key in ("content_hash", "first_seen_at"):
        data.pop(key, None)
    data["created_at"] = _aware(data["created_at"])
    data["fetched_at"] = _aware(data["fetched_at"])
    data["extra"] = data.get("extra") or {}
    return Mention(**data)


class Store:
    """Mentions, cursors, embeddings and analyses in one database."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        try:
            self.engine: Engine = _make_engine(url)
            if create:
                _create_tables(self.engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the store at {_redact(url)}: {exc.__class__.__name__}") from None

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()

    def begin(self) -> Any:
        """A transaction context (`with store.begin() as conn:`)."""
        return self.engine.begin()

    # ---- mentions -------------------------------------------------------------------------------
    def upsert_mentions(
        self, mentions: Sequence[Mention], cursor: CursorUpdate | None = None, conn: Connection | None = None
    ) -> UpsertResult:
        """Insert new mentions, refresh metrics/text of known ones, advance `cursor`: one transaction."""
        if conn is None:
            with self.engine.begin() as tx:
                return self.upsert_mentions(mentions, cursor, tx)
        # de-duplicate within the batch (last wins)
        by_key = {(m.id, m.brand): m for m in mentions}
        by_id = {m.id: m for m in by_key.values()}
        brands: dict[str, set[str]] = {}
        for mention_id, brand in by_key:
            brands.setdefault(mention_id, set()).add(brand)
        rows = [mention_row(m) for m in by_id.values()]
        existing: dict[str, dict[str, Any]] = {}
        linked: set[tuple[str, str]] = set()
        ids = list(by_id)
        links = schema.mention_brands
        for chunk in _chunks(ids, 500):
            for r in conn.execute(select(schema.mentions).where(schema.mentions.c.id.in_(chunk))):
                existing[r.id] = dict(r._mapping)
            for r in conn.execute(
                select(links.c.mention_id, links.c.brand).where(links.c.mention_id.in_(chunk))
            ):
                linked.add((r.mention_id, r.brand))
        updated = unchanged = 0  # per (mention, brand): a mention new to a brand is new for it
        stamp = now_utc()
        to_write = []
        for row in rows:
            old = existing.get(row["id"])
            if old is None:
                row["first_seen_at"] = stamp
                to_write.append(row)
                continue
            row["first_seen_at"] = _aware(old["first_seen_at"])
            # the row keeps the brand that stored it first; other brands are linked below
            row.update({k: old[k] for k in _FIRST_BRAND_FIELDS})
            to_write.append(row)
            changed = any(old.get(f) != row.get(f) for f in (*METRIC_FIELDS, "content_hash", "is_deleted"))
            known = sum(1 for brand in brands[row["id"]] if (row["id"], brand) in linked)
            updated, unchanged = updated + known * changed, unchanged + known * (not changed)
        new = sum(1 for k in by_key if k not in linked)
        if to_write:
            self._upsert(conn, schema.mentions, to_write, ["id"], exclude_update={"first_seen_at"})
            link_rows = [
                {
                    "mention_id": m.id, "brand": m.brand, "matched_alias": m.matched_alias,
                    "is_official": m.is_official, "first_seen_at": stamp,
                }
                for m in by_key.values()
            ]  # fmt: skip
            for chunk in _chunks(link_rows, 500):
                self._upsert(
                    conn, links, list(chunk), ["mention_id", "brand"], exclude_update={"first_seen_at"}
                )
        if cursor is not None:
            self.set_cursor(cursor, conn=conn)
        return UpsertResult(new=new, updated=updated, unchanged=unchanged)

    def mentions(
        self,
        brand: str | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        kinds: Iterable[str] | None = None,
        ids: Iterable[str] | None = None,
        include_deleted: bool = False,
    ) -> list[Mention]:
        """Mentions filtered by brand, creation time [since, until), source and kind."""
        t, links = schema.mentions, schema.mention_brands
        conds = []
        if brand is not None:
            conds.append(links.c.brand == brand)
        if since is not None:
            conds.append(t.c.created_at >= since)
        if until is not None:
            conds.append(t.c.created_at < until)
        if source is not None:
            conds.append(t.c.source == source)
        if kinds is not None:
            conds.append(t.c.kind.in_(list(kinds)))
        if not include_deleted:
            conds.append(t.c.is_deleted.is_(False))
        if brand is None:
            base = select(t)
        else:  # the brand's own alias and official flag replace the row's (first brand's) values
            own = [c for c in t.columns if c.name not in _FIRST_BRAND_FIELDS]
            base = select(*own, *(links.c[f] for f in _FIRST_BRAND_FIELDS)).join(
                links, links.c.mention_id == t.c.id
            )
        out: list[Mention] = []
        with self.engine.connect() as conn:
            if ids is not None:
                for chunk in _chunks(list(ids), 500):
                    q = base.where(and_(t.c.id.in_(chunk), *conds)).order_by(t.c.created_at, t.c.id)
                    out.extend(row_to_mention(r) for r in conn.execute(q))
                return out
            q = base.where(and_(*conds)).order_by(t.c.created_at, t.c.id)
            return [row_to_mention(r) for r in conn.execute(q)]

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of `ids` are stored."""
        found: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(list(ids), 500):
                q = select(schema.mentions.c.id).where(schema.mentions.c.id.in_(chunk))
                found.update(r.id for r in conn.execute(q))
        return found

    def mention_metrics(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Stored engagement metrics of `ids` (to skip re-fetching what is unchanged)."""
        t = schema.mentions
        cols = [t.c.id, *(t.c[f] for f in METRIC_FIELDS)]
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(ids), 500):
                for r in conn.execute(select(*cols).where(t.c.id.in_(chunk))):
                    out[r.id] = {f: getattr(r, f) for f in METRIC_FIELDS}
        return out

    def count_mentions(self, brand: str | None = None) -> int:
        """How many mentions are stored (for a brand)."""
        q = select(func.count()).select_from(schema.mentions)
        if brand is not None:
            links = schema.mention_brands
            q = select(func.count()).select_from(links).where(links.c.brand == brand)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    # ---- cursors --------------------------------------------------------------------------------
    def get_cursor(self, brand: str, source: str, query: str) -> str | None:
        """The stored cursor value, or None before the first run."""
        t = schema.cursors
        q = select(t.c.value).where(and_(t.c.brand == brand, t.c.source == source, t.c.query == query))
        with self.engine.connect() as conn:
            return conn.execute(q).scalar_one_or_none()

    def set_cursor(self, cursor: CursorUpdate, conn: Connection | None = None) -> None:
        """Store a cursor (inside `conn`'s transaction when given)."""
        if conn is None:
            with self.engine.begin() as tx:
                return self.set_cursor(cursor, tx)
        row = {
            "brand": cursor.brand,
            "source": cursor.source,
            "query": cursor.query,
            "value": cursor.value,
            "updated_at": now_utc(),
        }
        self._upsert(conn, schema.cursors, [row], ["brand", "source", "query"])
        return None

    def cursor_times(self, brand: str, source: str) -> dict[str, datetime]:
        """When each of the brand's cursors for `source` last moved, keyed by query."""
        t = schema.cursors
        q = select(t.c.query, t.c.updated_at).where(and_(t.c.brand == brand, t.c.source == source))
        with self.engine.connect() as conn:
            return {r.query: _aware(r.updated_at) for r in conn.execute(q)}

    def cursors(self, brand: str | None = None) -> dict[tuple[str, str, str], str]:
        """All cursors, keyed by (brand, source, query)."""
        t = schema.cursors
        q = select(t) if brand is None else select(t).where(t.c.brand == brand)
        with self.engine.connect() as conn:
            return {(r.brand, r.source, r.query): r.value for r in conn.execute(q)}

    # ---- embeddings -----------------------------------------------------------------------------
    def get_embeddings(self, items: Sequence[tuple[str, str]], encoder_version: str) -> dict[str, np.ndarray]:
        """Stored vectors for (mention_id, content_hash) pairs whose hash still matches."""
        t = schema.embeddings
        wanted = dict(items)
        out: dict[str, np.ndarray] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(wanted), 500):
                q = select(t).where(and_(t.c.encoder_version == encoder_version, t.c.mention_id.in_(chunk)))
                for r in conn.execute(q):
                    if r.content_hash == wanted[r.mention_id]:
                        out[r.mention_id] = np.frombuffer(r.vector, dtype="<f4").copy()
        return out

    def put_embeddings(
        self,
        rows: Sequence[tuple[str, str, np.ndarray]],
        encoder_version: str,
        conn: Connection | None = None,
    ) -> None:
        """Store (mention_id, content_hash, vector) rows for `encoder_version`."""
        if not rows:
            return
        if conn is None:
            with self.engine.begin() as tx:
                return self.put_embeddings(rows, encoder_version, tx)
        data = [
            {
                "mention_id": mid,
                "encoder_version": encoder_version,
                "content_hash": h,
                "dim": int(vec.shape[0]),
                "vector": np.asarray(vec, dtype="<f4").tobytes(),
            }
            for mid, h, vec in rows
        ]
        for chunk in _chunks(data, 500):
            self._upsert(conn, schema.embeddings, chunk, ["mention_id", "encoder_version"])
        return None

    # ---- analyses, runs, quota, quarantine --------------------------------------------------------
    def put_analyses(self, rows: Sequence[dict[str, Any]], conn: Connection | None = None) -> None:
        """Upsert `analyses` rows (keyed by mention_id)."""
        if not rows:
            return
        if conn is None:
            with self.engine.begin() as tx:
                return self.put_analyses(rows, tx)
        for chunk in _chunks(list(rows), 500):
            self._upsert(conn, schema.analyses, chunk, ["mention_id"])
        return None

    def analyses(self, ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Analyses by mention id."""
        t = schema.analyses
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            if ids is None:
                return {r.mention_id: dict(r._mapping) for r in conn.execute(select(t))}
            for chunk in _chunks(list(ids), 500):
                for r in conn.execute(select(t).where(t.c.mention_id.in_(chunk))):
                    out[r.mention_id] = dict(r._mapping)
        return out

    def put_calibration(self, model_version: str, task: str, calibration: dict[str, Any]) -> None:
        """Record `model_version`'s confusion counts for `task` (``{"labels", "confusion"}``; idempotent)."""
        row = {
            "model_version": model_version,
            "task": task,
            "labels": list(calibration["labels"]),
            "confusion": [list(r) for r in calibration["confusion"]],
        }
        with self.engine.begin() as conn:
            self._upsert(conn, schema.calibrations, [row], ["model_version", "task"])

    def calibrations(self, task: str) -> dict[str, dict[str, Any]]:
        """The recorded confusion counts of `task` by model version (``{"labels", "confusion"}``)."""
        t = schema.calibrations
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.task == task))
            return {r.model_version: {"labels": r.labels, "confusion": r.confusion} for r in rows}

    def add_quota(
        self, day: str, method: str, units: int, calls: int = 1, conn: Connection | None = None
    ) -> None:
        """Add spent YouTube quota units for `day` (Pacific date) and `method`."""
        if conn is None:
            with self.engine.begin() as tx:
                return self.add_quota(day, method, units, calls, tx)
        t = schema.quota_usage
        ins = _insert(conn, t).values(day=day, method=method, units=units, calls=calls)
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=["day", "method"],
                set_={"units": t.c.units + units, "calls": t.c.calls + calls},
            )
        )
        return None

    def quota_used(self, day: str) -> dict[str, int]:
        """Units spent per method on `day`."""
        t = schema.quota_usage
        with self.engine.connect() as conn:
            return {r.method: int(r.units) for r in conn.execute(select(t).where(t.c.day == day))}

    def quarantine_item(
        self, source: str, stage: str, reason: str, payload: str | None = None, brand: str | None = None
    ) -> None:
        """Keep a bad item aside (counted and shown in the report's coverage section)."""
        with self.engine.begin() as conn:
            conn.execute(
                schema.quarantine.insert().values(
                    brand=brand,
                    source=source,
                    stage=stage,
                    reason=reason[:2000],
                    payload=(payload or "")[:4000],
                    created_at=now_utc(),
                )
            )

    def record_run(
        self,
        run_id: str,
        flow: str,
        brand: str,
        started_at: datetime,
        status: str,
        summary: dict[str, Any],
        finished_at: datetime | None = None,
    ) -> None:
        """Store a flow run's summary."""
        row = {
            "id": run_id,
            "flow": flow,
            "brand": brand,
            "started_at": started_at,
            "finished_at": finished_at or now_utc(),
            "status": status,
            "summary": summary,
        }
        with self.engine.begin() as conn:
            self._upsert(conn, schema.runs, [row], ["id"])

    # ---- helpers ---------------------------------------------------------------------------------
    def _upsert(
        self,
        conn: Connection,
        table: Any,
        rows: list[dict[str, Any]],
        keys: list[str],
        exclude_update: set[str] | None = None,
    ) -> None:
        ins = _insert(conn, table).values(rows)
        skip = set(keys) | (exclude_update or set())
        updates = {c.name: ins.excluded[c.name] for c in table.columns if c.name not in skip}
        stmt = (
            ins.on_conflict_do_update(index_elements=keys, set_=updates)
            if updates
            else (ins.on_conflict_do_nothing(index_elements=keys))
        )
        conn.execute(stmt)


def _insert(conn: Connection, table: Any) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _redact(url: str) -> str:
    """A database URL with any password removed (never log secrets)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "<database url>"


def _create_tables(engine: Engine, attempts: int = 8) -> None:
    """`create_all`, retried with a short pause: two processes opening a fresh store at once race
    between "no such table" and CREATE TABLE (the loser fails with "already exists"), and on SQLite
    switching a new file to WAL can meet "database is locked"; the retry then finds the tables.
    """
    import time

    for attempt in range(1, attempts + 1):
        try:
            schema.metadata.create_all(engine)
            _link_legacy_mentions(engine)
            return
        except SQLAlchemyError:
            if attempt == attempts:
                raise
            engine.dispose()
            time.sleep(0.05 * attempt)


def _link_legacy_mentions(engine: Engine) -> None:
    """Link every mention to its row's brand once, in a store written before `mention_brands`
    existed (the link table is empty while mentions are not); a no-op afterwards.
    """
    t, links = schema.mentions, schema.mention_brands
    with engine.begin() as conn:
        if conn.execute(select(links.c.mention_id).limit(1)).first() is not None:
            return
        if conn.execute(select(t.c.id).limit(1)).first() is None:
            return
        cols = [t.c.id, t.c.brand, t.c.matched_alias, t.c.is_official, t.c.first_seen_at]
        conn.execute(links.insert().from_select([c.name for c in links.columns], select(*cols)))


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # WAL: readers don't block the writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True)


def open_store(url: str | None = None) -> Store:
    """Open the store at `url` (or $UGCMINER_STORE_URL, or the default SQLite file)."""
    return Store(url or os.environ.get("UGCMINER_STORE_URL") or "sqlite:///ugcminer.db")
