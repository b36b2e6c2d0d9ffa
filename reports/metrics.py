"""Headline numbers and the 8-week trend, read from the store.

Counted: third-party mentions (the brand's own accounts and content deleted upstream are left out)
created in each ISO week. Sentiment and complaint numbers count analysed mentions only, so the
complaint rate is complaints / analysed mentions. Given the brand's config, a complaint counts only when
it is about the brand (``models.targeting.about_brand``): a Reddit post that names the brand only in
passing (not in its title, not in the brand's own subreddits) is a mention but not a complaint about it;
on the demo's 376 double-labelled complaint posts that halves the over-count (101 off-brand complaints
counted before, 53 after, 4 on-brand ones lost). Sentiment shares are estimated from the label counts
with the confusion rates recorded for the model version that gave the labels (``models.quantify``:
labels tuned for macro-averaged recall over-count the rarer classes); labels of a version with no
recorded rates are counted as they are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, func, select

from miners.mention import MentionKind, Source
from models.post_heads import reads_as_post
from models.quantify import POSTS_KEY, ShareCalibration, calibration_key, format_shares
from models.targeting import HEADLINE_CHARS, about_brand
from reports.weeks import IsoWeek
from store import schema
from store.db import Store
from ugcminer.config import BrandConfig

TREND_WEEKS = 8
SENTIMENTS = ("negative", "neutral", "positive")
SOURCES = tuple(s.value for s in Source)
SOURCE_NAMES = {"reddit": "Reddit", "youtube": "YouTube"}


@dataclass
class WeekMetrics:
    """The numbers of one week."""

    period: str
    mentions: int = 0
    by_source: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    analysed: int = 0
    sentiment: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SENTIMENTS, 0))
    complaints: int = 0
    # estimated true-class counts (labels corrected for known errors) and how many labels were corrected
    sentiment_estimate: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SENTIMENTS, 0.0))
    sentiment_adjusted: int = 0

    @property
    def complaint_rate(self) -> float | None:
        """Complaints per analysed mention (None when nothing was analysed)."""
        return self.complaints / self.analysed if self.analysed else None

    def sentiment_share(self, label: str) -> float | None:
        """Estimated share of analysed mentions whose sentiment is `label` (see the module note)."""
        return self.sentiment_estimate.get(label, 0.0) / self.analysed if self.analysed else None

    def labelled_share(self, label: str) -> float | None:
        """Share of analysed mentions labelled `label` (counted as labelled)."""
        return self.sentiment.get(label, 0) / self.analysed if self.analysed else None

    def as_row(self) -> dict[str, Any]:
        """A flat table row."""
        row: dict[str, Any] = {"period": self.period, "mentions": self.mentions}
        row.update({f"mentions_{k}": v for k, v in self.by_source.items()})
        row["analysed"] = self.analysed
        row.update({f"sentiment_{k}": v for k, v in self.sentiment.items()})
        for label in SENTIMENTS:
            share = self.sentiment_share(label)
            row[f"sentiment_{label}_share_est"] = None if share is None else round(share, 4)
        row["complaints"] = self.complaints
        rate = self.complaint_rate
        row["complaint_rate"] = None if rate is None else round(rate, 4)
        return row


@dataclass(frozen=True)
class Headline:
    """One headline number with its change since the previous week."""

    key: str
    label: str
    value: float | None
    previous: float | None
    unit: str = "count"  # count | share

    @property
    def change(self) -> float | None:
        """Absolute change (percentage points for shares)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_pct(self) -> float | None:
        """Relative change of a count, in percent (None from zero)."""
        if self.unit != "count" or not self.previous or self.value is None:
            return None
        return 100.0 * (self.value - self.previous) / self.previous

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {**asdict(self), "change": self.change, "change_pct": self.change_pct}


def _rows(store: Store, brand: str, since: datetime, until: datetime) -> list[Any]:
    m, a, b = schema.mentions, schema.analyses, schema.mention_brands
    q = (
        select(
            m.c.source,
            m.c.kind,
            m.c.community,
            m.c.title,
            func.substr(m.c.text, 1, HEADLINE_CHARS).label("headline"),
            m.c.created_at,
            a.c.sentiment,
            a.c.complaint,
            a.c.mention_id,
            a.c.model_version,
        )
        .select_from(m.join(b, b.c.mention_id == m.c.id).outerjoin(a, a.c.mention_id == m.c.id))
        .where(
            and_(
                b.c.brand == brand,
                m.c.created_at >= since,
                m.c.created_at < until,
                b.c.is_official.is_(False),
                m.c.is_deleted.is_(False),
            )
        )
    )
    with store.engine.connect() as conn:
        return list(conn.execute(q))


def _about(row: Any, brand: BrandConfig | None) -> bool:
    """Whether a flagged complaint row is about the brand (always, without the brand's config)."""
    if brand is None:
        return True
    mention = SimpleNamespace(
        source=Source(row.source), kind=MentionKind(row.kind), community=row.community, title=row.title,
        text=row.headline,
    )  # fmt: skip
    return about_brand(mention, brand)  # type: ignore[arg-type]


def weekly_metrics(
    store: Store, brand: str, week: IsoWeek, weeks: int = TREND_WEEKS, *, config: BrandConfig | None = None
) -> list[WeekMetrics]:
    """Metrics of the `weeks` weeks ending with `week`, oldest first (one query); with the brand's
    `config`, complaints that name the brand only in passing are not counted as complaints.
    """
    span = week.back(weeks)
    out = {w.label: WeekMetrics(w.label) for w in span}
    by_version: dict[str, dict[str, Counter[str]]] = {w.label: defaultdict(Counter) for w in span}
    for row in _rows(store, brand, span[0].start_utc, span[-1].end_utc):
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        bucket = next((out[w.label] for w in span if w.contains(created)), None)
        if bucket is None:
            continue
        bucket.mentions += 1
        bucket.by_source[row.source] = bucket.by_source.get(row.source, 0) + 1
        if row.mention_id is None:
            continue
        bucket.analysed += 1
        if row.sentiment in bucket.sentiment:
            bucket.sentiment[row.sentiment] += 1
            # posts and videos are read by the post heads, whose error rates are their own
            key = calibration_key(row.model_version, reads_as_post(row.kind))
            by_version[bucket.period][key][row.sentiment] += 1
        bucket.complaints += int(bool(row.complaint) and _about(row, config))
    calibrations = _calibrations(store)
    for period, counts in by_version.items():
        _estimate(out[period], counts, calibrations)
    return [out[w.label] for w in span]


def _calibrations(store: Store) -> dict[str, ShareCalibration]:
    out = {}
    for version, data in store.calibrations("sentiment").items():
        try:
            calibration = ShareCalibration.from_json(data["labels"], data["confusion"])
        except (KeyError, TypeError, ValueError):
            continue  # unreadable: that version's labels are counted as they are
        if set(calibration.labels) == set(SENTIMENTS):
            out[version] = calibration
    return out


def _estimate(
    week: WeekMetrics, by_version: dict[str, Counter[str]], calibrations: dict[str, ShareCalibration]
) -> None:
    """Fill `week.sentiment_estimate`: each model version's label counts corrected with its own rates."""
    for version in sorted(by_version):
        labelled = {label: by_version[version][label] for label in SENTIMENTS}
        # posts of a version without post heads were read by its other heads: the version's own rates
        calibration = calibrations.get(version) or calibrations.get(version.removesuffix(POSTS_KEY))
        estimate = calibration.counts(labelled) if calibration else labelled
        week.sentiment_adjusted += sum(labelled.values()) if calibration else 0
        for label in SENTIMENTS:
            week.sentiment_estimate[label] += float(estimate[label])


def sentiment_note(week: WeekMetrics) -> str:
    """How the week's sentiment shares were made, with the counted label shares."""
    if not week.analysed:
        return ""
    counted = format_shares({label: week.labelled_share(label) or 0.0 for label in SENTIMENTS})
    if not week.sentiment_adjusted:
        return f"Sentiment shares count the model's labels ({counted})."
    part = (
        ""
        if week.sentiment_adjusted == week.analysed
        else (
            f" ({week.sentiment_adjusted} of {week.analysed} labels; the rest, from a model version with no "
            "recorded rates, as labelled)"
        )
    )
    return (
        "Sentiment shares are estimates: the sentiment labels corrected for the models' error rates "
        "(measured on held-out tweets and, for posts and videos, which heads fitted on labelled posts read, on "
        f"labelled posts), the more so the more mentions a week has{part}. As labelled: {counted}."
    )


def headlines(trend: list[WeekMetrics]) -> list[Headline]:
    """The headline numbers of the last week in `trend`, each against the week before."""
    cur = trend[-1]
    prev = trend[-2] if len(trend) > 1 else None
    items = [Headline("mentions", "Mentions", cur.mentions, prev.mentions if prev else None)]
    for source in cur.by_source:
        items.append(
            Headline(
                f"mentions_{source}",
                f"{SOURCE_NAMES.get(source, source)} mentions",
                cur.by_source[source],
                prev.by_source.get(source, 0) if prev else None,
            )
        )
    items.append(
        Headline(
            "complaint_rate",
            "Complaint rate",
            cur.complaint_rate,
            prev.complaint_rate if prev else None,
            unit="share",
        )
    )
    for label in SENTIMENTS:
        items.append(
            Headline(
                f"sentiment_{label}",
                f"{label.title()} sentiment",
                cur.sentiment_share(label),
                prev.sentiment_share(label) if prev else None,
                unit="share",
            )
        )
    return items
