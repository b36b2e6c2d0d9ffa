"""Data coverage for the report: what was mined per source, quota used, sources that failed or were
cut short, quarantined items and model versions, read from the `runs`, `quota_usage` and
`quarantine` tables for everything recorded since the report week began.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from models.insight import PeriodInsight
from reports.weeks import IsoWeek
from store import schema
from store.db import Store

_COUNTS = ("new", "updated", "unchanged", "skipped", "quarantined", "calls", "quota_units", "retries")
MAX_RUNS_SHOWN = 12


@dataclass
class SourceCoverage:
    """What one source delivered across the runs since the week began."""

    source: str
    runs: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    quarantined: int = 0
    calls: int = 0
    quota_units: int = 0
    retries: int = 0
    stopped: list[str] = field(default_factory=list)  # distinct stopped reasons (quotaExceeded, ...)
    errors: int = 0

    @property
    def status(self) -> str:
        """Either "complete" or "cut short"."""
        return "cut short" if self.stopped else "complete"

    def add(self, summary: dict[str, Any]) -> None:
        """Fold in one run's source summary (a `SourceSummary.as_dict()`)."""
        self.runs += 1
        for key in _COUNTS:
            value = summary.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                setattr(self, key, getattr(self, key) + int(value))
        reason = summary.get("stopped_reason")
        if reason and str(reason) not in self.stopped:
            self.stopped.append(str(reason))
        errors = summary.get("errors")
        self.errors += len(errors) if isinstance(errors, list) else 0

    def as_row(self) -> dict[str, Any]:
        """A flat table row."""
        row = asdict(self)
        row["stopped"] = "; ".join(self.stopped)
        row["status"] = self.status
        return row


@dataclass
class Coverage:
    """The report's data coverage section."""

    since: datetime
    sources: list[SourceCoverage] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)  # flow, status, started_at, finished_at
    failed_runs: int = 0
    quota: list[dict[str, Any]] = field(default_factory=list)  # day, method, units, calls
    quarantined: list[dict[str, Any]] = field(default_factory=list)  # source, stage, count
    model_versions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def quota_total(self) -> int:
        """YouTube quota units spent since the week began."""
        return sum(int(q["units"]) for q in self.quota)

    @property
    def quarantined_total(self) -> int:
        """Items set aside as unreadable since the week began."""
        return sum(int(q["count"]) for q in self.quarantined)


def source_summaries(summary: Any, depth: int = 0) -> list[dict[str, Any]]:
    """The per-source summaries inside a run summary (dicts with a "source" key and counters)."""
    if depth > 3:
        return []
    if isinstance(summary, dict):
        if isinstance(summary.get("source"), str) and any(k in summary for k in ("new", "calls")):
            return [summary]
        return [s for v in summary.values() for s in source_summaries(v, depth + 1)]
    if isinstance(summary, list):
        return [s for v in summary for s in source_summaries(v, depth + 1)]
    return []


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _runs(store: Store, brand: str, since: datetime) -> list[Any]:
    t = schema.runs
    q = select(t).where(and_(t.c.brand == brand, t.c.started_at >= since)).order_by(t.c.started_at.desc())
    with store.engine.connect() as conn:
        return list(conn.execute(q))


def _quota(store: Store, since: datetime) -> list[dict[str, Any]]:
    t = schema.quota_usage
    q = select(t).where(t.c.day >= since.date().isoformat()).order_by(t.c.day, t.c.method)
    with store.engine.connect() as conn:
        return [
            {"day": r.day, "method": r.method, "units": int(r.units), "calls": int(r.calls)}
            for r in conn.execute(q)
        ]


def _quarantine(store: Store, brand: str, since: datetime) -> list[dict[str, Any]]:
    t = schema.quarantine
    q = (
        select(t.c.source, t.c.stage, func.count().label("n"))
        .where(and_(t.c.created_at >= since, or_(t.c.brand == brand, t.c.brand.is_(None))))
        .group_by(t.c.source, t.c.stage)
        .order_by(t.c.source, t.c.stage)
    )
    with store.engine.connect() as conn:
        return [{"source": r.source, "stage": r.stage, "count": int(r.n)} for r in conn.execute(q)]


def read_coverage(store: Store, brand: str, week: IsoWeek, insight: PeriodInsight) -> Coverage:
    """Coverage of everything recorded since `week` began."""
    since = week.start_utc
    cov = Coverage(
        since=since,
        quota=_quota(store, since),
        quarantined=_quarantine(store, brand, since),
        model_versions=dict(insight.model_versions),
        notes=list(insight.notes),
    )
    by_source: dict[str, SourceCoverage] = {}
    for run in _runs(store, brand, since):
        if str(run.status).lower() not in ("completed", "ok", "success", "succeeded"):
            cov.failed_runs += 1
        if len(cov.runs) < MAX_RUNS_SHOWN:
            cov.runs.append(
                {
                    "flow": run.flow,
                    "status": run.status,
                    "started_at": _aware(run.started_at),
                    "finished_at": _aware(run.finished_at),
                }
            )
        for item in source_summaries(run.summary or {}):
            by_source.setdefault(item["source"], SourceCoverage(item["source"])).add(item)
    cov.sources = [by_source[k] for k in sorted(by_source)]
    return cov
