"""What the insight layer produces for one brand and one ISO week: plain, frozen records.

`PeriodInsight` is the contract between the analyze flow (which builds and stores it) and the report
(which renders it). Every record round-trips through JSON with `to_dict` / `from_dict`:

    PeriodInsight
    ├── topics:        list[TopicSummary]   complaint topics, stable ids across weeks, status
    ├── howto:         list[HowtoItem]      third-party how-to content ranked by success, with reasons
    ├── gaps:          list[KbGap]          topics / how-to items with no matching KB article + outline
    ├── weak_articles: list[WeakArticle]    articles that lose to third-party content
    ├── creators:      list[Creator]        third-party creators addressing the most complaint volume
    └── topic_history: {topic_id: [(period, size), ...]}   trend lines
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

TopicStatus = Literal["new", "growing", "steady", "fading"]
KbStatus = Literal["covered", "gap", "weak"]
Recommendation = Literal["write an article", "update an article", "link to it", "reach out to the creator"]
GapKind = Literal["topic", "howto"]

SENTIMENT_KEYS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class TopicSummary:
    """One complaint topic in a period.

    `change` is `size - prev_size` (prev_size 0 for a new topic). `representatives` are dicts with
    keys mention_id, text, url, source. `kb_article` is {id, title, url, similarity} or None.
    """

    topic_id: int
    label: str
    words: list[str]
    size: int
    prev_size: int
    change: int
    status: TopicStatus
    sentiment: dict[str, float]
    category: str | None
    representatives: list[dict[str, Any]]
    kb_article: dict[str, Any] | None
    mention_ids: list[str]
    # of `size`, the complaints the clustering grouped itself; the rest had no close match and were given
    # their nearest topic (in a small week mostly one-offs). None when not known (a topic gone this week,
    # or an insight stored before this was kept)
    core_size: int | None = None

    @property
    def grouped_part(self) -> int | None:
        """`core_size` when the clustering grouped only part of the topic (a loose topic), else None."""
        return self.core_size if self.core_size is not None and self.core_size < self.size else None

    @property
    def kb_gap(self) -> bool:
        """No article covers it and it has complaints this week (a topic gone this week needs none)."""
        return self.kb_article is None and self.size > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TopicSummary:
        """Inverse of `to_dict`."""
        return cls(**{**data, "topic_id": int(data["topic_id"])})


@dataclass(frozen=True)
class HowtoItem:
    """A third-party how-to video, post or solution comment, with why it ranks.

    `signals` maps each score component to its value (e.g. "views_per_day": 0.8); `reasons` says the
    same in plain words ("2,400 views a day, 4x the median", "3 replies say it worked").
    """

    mention_id: str
    title: str
    creator: str | None
    platform: str
    url: str | None
    score: float
    signals: dict[str, float]
    reasons: list[str]
    topic_id: int | None
    topic_label: str | None
    kb_status: KbStatus
    recommendation: Recommendation
    # the complaint of its topic the item sits closest to ({mention_id, text, url}): why it is tied to
    # the topic, for the reader to judge (None when it is tied to none)
    closest_complaint: dict[str, Any] | None = None
    # the official article that covers it ({id, title, url, similarity}; its own match, else its
    # topic's), so "covered" and "link to it" say which article; None when not covered
    kb_article: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HowtoItem:
        """Inverse of `to_dict` (insights stored before `closest_complaint` or `kb_article` existed load
        too).
        """
        return cls(**data)


@dataclass(frozen=True)
class KbGap:
    """A topic or successful how-to item with no close knowledge-base article, with a draft outline.

    `ref` is the topic id (as a string) or the mention id; each outline step is
    {step, source_url, source_title}.
    """

    kind: GapKind
    ref: str
    label: str
    volume: int
    outline: list[dict[str, Any]]
    # what this week's complaints on the topic ask, most central first: {question, source_url}
    questions: list[dict[str, Any]] = field(default_factory=list)
    url: str | None = None  # a how-to gap's item
    # where a how-to item's steps are when its own text holds none ("in the video", "on the page it links to
    # (example.com)"): the outline is empty, and the writer needs to know where to look
    steps_elsewhere: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KbGap:
        """Inverse of `to_dict` (insights stored before `questions`, `url` or `steps_elsewhere` existed
        read as without).
        """
        return cls(**data)


@dataclass(frozen=True)
class WeakArticle:
    """An article that exists but loses to third-party content while complaints persist."""

    article_id: str
    title: str
    url: str | None
    topic_id: int | None
    topic_label: str | None
    competing: list[str]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WeakArticle:
        """Inverse of `to_dict`."""
        return cls(**data)


@dataclass(frozen=True)
class Creator:
    """A third-party creator or account whose content addresses complaint volume."""

    name: str
    platform: str
    items: int
    complaint_volume_addressed: int
    best_item_url: str | None
    best_item_title: str | None = None  # (stored insights from before these fields lack them)
    topics: tuple[str, ...] = ()  # labels of the complaint topics their items address, largest first

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Creator:
        """Inverse of `to_dict`."""
        return cls(**{**data, "topics": tuple(data.get("topics") or ())})


@dataclass(frozen=True)
class PeriodInsight:
    """Everything the insight layer found for one brand in one ISO week (`period` like "2026-W47").

    `start`/`end` are ISO-8601 timestamps (UTC, end exclusive). `topic_history` maps a topic id to
    [(period, size), ...] oldest first, for trend lines. `notes` carry plain-language caveats such
    as "too little data". `model_versions` names the encoder/heads/topic model used.
    """

    brand: str
    period: str
    start: str
    end: str
    topics: list[TopicSummary] = field(default_factory=list)
    howto: list[HowtoItem] = field(default_factory=list)
    gaps: list[KbGap] = field(default_factory=list)
    weak_articles: list[WeakArticle] = field(default_factory=list)
    creators: list[Creator] = field(default_factory=list)
    topic_history: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    model_versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (topic ids in `topic_history` become strings, tuples become lists)."""
        return {
            "brand": self.brand,
            "period": self.period,
            "start": self.start,
            "end": self.end,
            "topics": [t.to_dict() for t in self.topics],
            "howto": [h.to_dict() for h in self.howto],
            "gaps": [g.to_dict() for g in self.gaps],
            "weak_articles": [w.to_dict() for w in self.weak_articles],
            "creators": [c.to_dict() for c in self.creators],
            "topic_history": {str(k): [[p, int(n)] for p, n in v] for k, v in self.topic_history.items()},
            "notes": list(self.notes),
            "model_versions": dict(self.model_versions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PeriodInsight:
        """Inverse of `to_dict`."""
        return cls(
            brand=data["brand"],
            period=data["period"],
            start=data["start"],
            end=data["end"],
            topics=[TopicSummary.from_dict(t) for t in data.get("topics", [])],
            howto=[HowtoItem.from_dict(h) for h in data.get("howto", [])],
            gaps=[KbGap.from_dict(g) for g in data.get("gaps", [])],
            weak_articles=[WeakArticle.from_dict(w) for w in data.get("weak_articles", [])],
            creators=[Creator.from_dict(c) for c in data.get("creators", [])],
            topic_history={
                int(k): [(str(p), int(n)) for p, n in v] for k, v in data.get("topic_history", {}).items()
            },
            notes=list(data.get("notes", [])),
            model_versions=dict(data.get("model_versions", {})),
        )

    def topic(self, topic_id: int) -> TopicSummary | None:
        """The topic with `topic_id`, if present this period."""
        return next((t for t in self.topics if t.topic_id == topic_id), None)
