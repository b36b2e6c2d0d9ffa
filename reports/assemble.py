"""The `Report` model: one brand, one ISO week, everything the templates and exports need.

Built from the week's `PeriodInsight` (topics, how-to, gaps, weak articles, creators), the store's
headline numbers and trend (`reports.metrics`), and data coverage read from `runs`, `quota_usage`
and `quarantine` (everything recorded since the week began).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from models.insight import HowtoItem, KbGap, PeriodInsight, TopicSummary
from reports.coverage import Coverage, read_coverage
from reports.metrics import TREND_WEEKS, Headline, WeekMetrics, headlines, weekly_metrics
from reports.weeks import IsoWeek, parse_week
from store.db import Store
from ugcminer.config import BrandConfig

MAX_ACTIONS = 6
METHODS_NOTE = (
    "Mentions of the brand were mined from Reddit (search and watched subreddits, with comment trees) and "
    "YouTube (videos and comments), excluding the brand's own accounts. Each mention was embedded once by "
    "a sentence-transformer encoder; small trained heads classify sentiment, complaints and how-to content "
    "on that embedding. Complaint topics come from BERTopic on the week's complaints and are matched to "
    "earlier weeks by centroid similarity (new / growing / steady / fading). How-to items are ranked by "
    "engagement normalised for age and audience and by 'it worked' replies, and join a topic "
    "only when close to one of its complaints. Knowledge-base "
    "coverage compares topics and how-to items with the brand's articles by embedding similarity; draft "
    "outlines cite the third-party content they are drawn from. Numbers are counts of "
    "mentions created in the week (brand timezone); changes compare with the previous ISO week. "
    "Headline sentiment shares are corrected for the model's measured error rates."
)
COMPLAINT_NOTE = (
    "The complaint rate counts complaints about the brand: a Reddit post that names it only in passing "
    "(not in its title, not in the brand's own subreddits) is a mention, not a complaint about it."
)


@dataclass(frozen=True)
class Action:
    """One thing the content team should do next."""

    kind: str  # write | update | link | reach out
    title: str
    why: str
    topic_label: str | None = None
    outline: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)  # {title, url}
    questions: list[dict[str, Any]] = field(default_factory=list)  # {question, source_url}
    # what the topic's most central complaints say, when there is neither outline nor question: {text, url}
    quotes: list[dict[str, Any]] = field(default_factory=list)

    def as_row(self) -> dict[str, Any]:
        """A flat table row."""
        return {
            "action": self.kind,
            "title": self.title,
            "why": self.why,
            "topic": self.topic_label,
            "outline": " / ".join(str(s.get("step", "")) for s in self.outline),
            "sources": " ".join(str(s.get("source_url") or "") for s in self.outline).strip(),
            "questions": " / ".join(str(q.get("question", "")) for q in self.questions),
            "customers_say": " / ".join(str(q.get("text", "")) for q in self.quotes),
        }


@dataclass
class Report:
    """Everything shown for one brand and one week."""

    brand: str
    week: IsoWeek
    generated_at: datetime
    insight: PeriodInsight
    trend: list[WeekMetrics]
    headlines: list[Headline]
    coverage: Coverage
    actions: list[Action]
    top_topics: int = 10
    top_howto: int = 10
    methods: str = METHODS_NOTE
    complaint_note: str = ""  # what the complaint rate counts, when the brand's config decided it

    @property
    def period(self) -> str:
        """Like "2026-W47"."""
        return self.week.label

    @property
    def topics(self) -> list[TopicSummary]:
        """The top complaint topics, largest first."""
        return sorted(self.insight.topics, key=lambda t: (-t.size, t.topic_id))[: self.top_topics]

    @property
    def emerging(self) -> list[TopicSummary]:
        """New and growing topics, biggest rise first."""
        rising = [t for t in self.insight.topics if t.status in ("new", "growing")]
        return sorted(rising, key=lambda t: (-t.change, -t.size, t.topic_id))

    @property
    def howto(self) -> list[HowtoItem]:
        """The how-to leaderboard, best first."""
        return sorted(self.insight.howto, key=lambda h: -h.score)[: self.top_howto]

    def back_after(self, topic: TopicSummary) -> str:
        """For a topic back this week after weeks without complaints: "back after 2 weeks (last seen
        2026-W43, 26 mentions)"; else "" (its trend window, `topic_history`, says when it was seen).
        """
        if not topic.size or topic.prev_size or topic.status == "new":
            return ""
        seen = [
            (p, n) for p, n in self.insight.topic_history.get(topic.topic_id, []) if n and p < self.period
        ]
        if not seen:
            return ""
        period, size = seen[-1]
        gap = (self.week.first_day - parse_week(period).first_day).days // 7 - 1
        weeks = f"{gap} week{'s' if gap != 1 else ''}"
        return f"back after {weeks} (last seen {period}, {size} mention{'s' if size != 1 else ''})"

    def said(self, gap: KbGap) -> list[dict[str, Any]]:
        """For a topic gap with neither outline steps nor customer questions: what its most central
        complaints say ({text, url}), so a writer still sees what the topic is about; else [].
        """
        return gap_quotes(self.insight, gap)

    def topic_trend(self, topic_id: int) -> list[int]:
        """The topic's weekly sizes, oldest first (for a sparkline)."""
        return [int(n) for _, n in self.insight.topic_history.get(topic_id, [])][-TREND_WEEKS:]

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every table of the report as flat rows (CSV/JSON exports and artifacts)."""
        from reports.tables import report_tables

        return report_tables(self)


def _grouped(insight: PeriodInsight, topic_ref: str) -> str:
    """The text " (3 closely grouped)" when the clustering grouped only some of a topic's complaints."""
    topic = insight.topic(int(topic_ref))
    part = topic.grouped_part if topic else None
    return "" if part is None else f" ({part} closely grouped)"


#: how many of a topic's central complaints a gap without outline or questions quotes
GAP_QUOTES = 3


def gap_quotes(insight: PeriodInsight, gap: KbGap) -> list[dict[str, Any]]:
    """What a topic gap's most central complaints say ({text, url}), when the gap has neither outline
    steps nor customer questions to show; else [].
    """
    if gap.kind != "topic" or gap.outline or gap.questions:
        return []
    topic = insight.topic(int(gap.ref))
    reps = topic.representatives if topic else []
    return [{"text": r.get("text") or "", "url": r.get("url")} for r in reps[:GAP_QUOTES] if r.get("text")]


def _gap_actions(insight: PeriodInsight, kind: str) -> list[Action]:
    by_id = {h.mention_id: h for h in insight.howto}
    out = []
    for gap in sorted((g for g in insight.gaps if g.kind == kind), key=lambda g: -g.volume):
        item = by_id.get(gap.ref)
        if kind == "topic":
            why = f"{gap.volume} complaint mentions this week{_grouped(insight, gap.ref)} and no matching help article"
        else:
            why = (
                "; ".join(item.reasons[:2])
                if item and item.reasons
                else "successful third-party how-to content"
            )
            why = f"third-party how-to content that works ({why}) and no matching help article"
            if gap.steps_elsewhere and not gap.outline:  # a link post or a video: say where to read the steps
                why += f"; its steps are {gap.steps_elsewhere}"
        links = [{"title": f"Model it on: {item.title}", "url": item.url}] if item else []
        topic = gap.label if kind == "topic" else (item.topic_label if item else None)
        out.append(
            Action(
                "write",
                f"Write an article: {gap.label}",
                why,
                topic,
                list(gap.outline),
                links,
                list(gap.questions),
                gap_quotes(insight, gap),
            )
        )
    return out


def _weak_actions(insight: PeriodInsight) -> list[Action]:
    by_id = {h.mention_id: h for h in insight.howto}
    out = []
    for weak in insight.weak_articles:
        links = [{"title": by_id[c].title, "url": by_id[c].url} for c in weak.competing if c in by_id]
        links.insert(0, {"title": f"Current article: {weak.title}", "url": weak.url})
        out.append(
            Action("update", f"Update the article: {weak.title}", weak.reason, weak.topic_label, links=links)
        )
    return out


def _howto_actions(insight: PeriodInsight) -> list[Action]:
    kinds = {"link to it": "link", "reach out to the creator": "reach out"}
    out = []
    for item in sorted(insight.howto, key=lambda h: -h.score):
        kind = kinds.get(item.recommendation)
        if kind is None:
            continue
        verb = "Link to" if kind == "link" else f"Reach out to {item.creator or 'the creator'} about"
        why = "; ".join(item.reasons[:2]) or f"success score {item.score:.2f}"
        links = [{"title": item.title, "url": item.url}]
        if item.kb_article:  # the article that covers it: where the link goes, and a check of the match
            article = item.kb_article
            links.append(
                {"title": f"From the article that covers it: {article['title']}", "url": article.get("url")}
            )
        out.append(Action(kind, f"{verb}: {item.title}", why, item.topic_label, links=links))
    return out


#: how many actions of each group "what to do next" shows at most, in this order
ACTION_QUOTAS = (("topic gaps", 3), ("weak articles", 2), ("howto gaps", 2), ("use content", 2))


def next_actions(insight: PeriodInsight, limit: int = MAX_ACTIONS) -> list[Action]:
    """What to do next: articles to write for the biggest complaint gaps, articles to update, articles
    modelled on successful third-party how-tos, then content to link to or creators to reach out to.
    """
    groups = {
        "topic gaps": _gap_actions(insight, "topic"),
        "weak articles": _weak_actions(insight),
        "howto gaps": _gap_actions(insight, "howto"),
        "use content": _howto_actions(insight),
    }
    return [a for name, quota in ACTION_QUOTAS for a in groups[name][:quota]][:limit]


def empty_insight(brand: str, week: IsoWeek, note: str) -> PeriodInsight:
    """An insight with nothing in it but a note (analysis has not run for this week)."""
    return PeriodInsight(
        brand=brand,
        period=week.label,
        start=week.start_utc.isoformat(),
        end=week.end_utc.isoformat(),
        notes=[note],
    )


def assemble_report(
    store: Store,
    brand: str,
    week: IsoWeek,
    insight: PeriodInsight | None,
    *,
    top_topics: int = 10,
    top_howto: int = 10,
    now: datetime | None = None,
    config: BrandConfig | None = None,
) -> Report:
    """Build the report of `brand` for `week`; with the brand's `config`, the complaint rate counts
    only complaints about the brand (``reports.metrics``).
    """
    if insight is None:
        insight = empty_insight(
            brand,
            week,
            "No analysis was found for this week: run ugcminer analyze "
            "for it to see topics, how-to content and gaps.",
        )
    trend = weekly_metrics(store, brand, week, config=config)
    return Report(
        brand=brand,
        week=week,
        generated_at=now or datetime.now(UTC),
        insight=insight,
        trend=trend,
        headlines=headlines(trend),
        coverage=read_coverage(store, brand, week, insight),
        actions=next_actions(insight),
        top_topics=top_topics,
        top_howto=top_howto,
        complaint_note=COMPLAINT_NOTE if config is not None else "",
    )
