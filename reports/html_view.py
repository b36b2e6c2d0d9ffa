"""The view model the templates read: formatted numbers, change arrows and the SVG charts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from reports import charts
from reports.assemble import Report
from reports.metrics import SENTIMENTS, SOURCE_NAMES, Headline, sentiment_note

STATUS_LABELS = {"new": "New", "growing": "Growing", "steady": "Steady", "fading": "Fading"}
KB_LABELS = {"covered": "Covered", "gap": "GAP", "weak": "Weak article"}


def fmt_value(value: float | None, unit: str) -> str:
    """A headline value: "1,234" or "12.5%" ("n/a" when unknown)."""
    if value is None:
        return "n/a"
    return f"{value * 100:.1f}%" if unit == "share" else f"{value:,.0f}"


def fmt_change(h: Headline) -> str:
    """Like "+12 (+8%)", "-3.1 pts" or "no previous week"."""
    if h.change is None:
        return "n/a" if h.value is None or h.previous is not None else "no previous week"
    if h.unit == "share":
        return f"{h.change * 100:+.1f} pts"
    pct = f" ({h.change_pct:+.0f}%)" if h.change_pct is not None else ""
    return f"{h.change:+,.0f}{pct}"


def change_class(h: Headline) -> str:
    """CSS class: good / bad / flat (complaints and negative sentiment rising are bad; volume is neutral)."""
    if not h.change or h.key not in ("complaint_rate", "sentiment_negative", "sentiment_positive"):
        return "flat"
    bad_when_up = h.key != "sentiment_positive"
    return "bad" if (h.change > 0) == bad_when_up else "good"


@dataclass(frozen=True)
class HeadlineView:
    """A headline tile."""

    label: str
    value: str
    change: str
    css: str


def _charts(report: Report) -> dict[str, Markup]:
    labels = [w.period.split("-")[-1] for w in report.trend]
    by_source = {
        SOURCE_NAMES.get(s, s): [w.by_source.get(s, 0) for w in report.trend]
        for s in report.trend[-1].by_source
    }
    return {
        "mentions": Markup(charts.line_chart(labels, by_source, title="Mentions by source, last 8 weeks")),
        "complaint_rate": Markup(
            charts.line_chart(
                labels,
                {"Complaint rate": [w.complaint_rate for w in report.trend]},
                title="Complaint rate, last 8 weeks",
                percent=True,
            )
        ),
        "sentiment": Markup(
            charts.stacked_share_chart(
                labels,
                {s: [w.sentiment_estimate[s] for w in report.trend] for s in SENTIMENTS},
                title="Sentiment split, last 8 weeks",
                colors=charts.SENTIMENT_COLORS,
            )
        ),
    }


def _topic_views(report: Report) -> list[dict[str, Any]]:
    out = []
    for t in report.topics:
        out.append(
            {
                "t": t,
                "status": STATUS_LABELS.get(t.status, t.status),
                "sparkline": Markup(
                    charts.sparkline(
                        report.topic_trend(t.topic_id) or [t.prev_size, t.size],
                        title=f"{t.label}: weekly volume",
                    )
                ),
                "sentiment_bar": Markup(charts.sentiment_bar(t.sentiment)),
                "negative": f"{float(t.sentiment.get('negative', 0.0)) * 100:.0f}%",
                "quotes": t.representatives[:3],
            }
        )
    return out


# what "closely grouped" means, under the topics (measured in models/README.md, "Closely grouped")
GROUPED_NOTE = (
    "Closely grouped: the complaints the clustering put together. The others had no close match and "
    "were given their nearest topic (at most 10 % of a week's complaints stay outside every topic); in "
    "a small week most of those are one-offs about something else, so a topic with few closely grouped "
    "complaints is a loose one."
)


def html_context(report: Report, markdown: bool = False) -> dict[str, Any]:
    """Everything the templates need."""
    return {
        "r": report,
        "week": report.week,
        "headlines": [
            HeadlineView(h.label, fmt_value(h.value, h.unit), fmt_change(h), change_class(h))
            for h in report.headlines
        ],
        "sentiment_note": sentiment_note(report.trend[-1]) if report.trend else "",
        "complaint_note": report.complaint_note,
        "charts": {} if markdown else _charts(report),
        "topics": _topic_views(report)
        if not markdown
        else [
            {
                "t": t,
                "status": STATUS_LABELS.get(t.status, t.status),
                "quotes": t.representatives[:3],
                "negative": f"{float(t.sentiment.get('negative', 0.0)) * 100:.0f}%",
            }
            for t in report.topics
        ],
        "loose_topics": any(t.grouped_part is not None for t in report.topics),
        "grouped_note": GROUPED_NOTE,
        "kb_labels": KB_LABELS,
        "status_labels": STATUS_LABELS,
        "cov": report.coverage,
        "sources": SOURCE_NAMES,
    }
