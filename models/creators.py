"""A shortlist of third-party creators whose how-to content addresses the most complaint volume.

Complaint volume addressed by a creator is the summed size of the distinct complaint topics their
ranked items are about (an item counts toward one topic); ties go to more items, then the best score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.howto import ScoredHowto
from models.insight import Creator


@dataclass(frozen=True)
class CreatorPolicy:
    """How long the shortlist is and who may be on it."""

    limit: int = 10
    min_score: float = 0.0


def creator_name(item: ScoredHowto) -> str:
    """The display name of an item's creator: channel title for YouTube, account for Reddit."""
    m = item.mention
    if str(m.source) == "youtube" and m.kind == "video":
        return m.community or m.author or "unknown channel"
    return m.author or "unknown account"


def shortlist_creators(
    items: Sequence[ScoredHowto],
    item_topics: Mapping[str, int | None],
    topic_sizes: Mapping[int, int],
    policy: CreatorPolicy = CreatorPolicy(),
    topic_labels: Mapping[int, str] | None = None,
) -> list[Creator]:
    """Rank third-party creators by the complaint volume their items address; each with their best
    item (title and link) and the labels of the topics they address (`topic_labels`), largest first.
    """
    topic_labels = topic_labels or {}
    groups: dict[tuple[str, str], list[ScoredHowto]] = {}
    for item in items:
        if item.mention.is_official or item.score < policy.min_score:
            continue
        groups.setdefault((creator_name(item), str(item.mention.source)), []).append(item)
    ranked = []
    for (name, platform), own in groups.items():
        topics = sorted(
            {t for t in (item_topics.get(i.mention.id) for i in own) if t is not None and t != -1},
            key=lambda t: (-int(topic_sizes.get(t, 0)), t),
        )
        volume = sum(int(topic_sizes.get(t, 0)) for t in topics)
        best = max(own, key=lambda i: (i.score, i.mention.id))
        title = best.mention.title or (best.mention.text or "")[:80] or None
        labels = tuple(topic_labels[t] for t in topics if t in topic_labels)
        creator = Creator(name, platform, len(own), volume, best.mention.url, title, labels)
        ranked.append((volume, len(own), best.score, creator))
    ranked.sort(key=lambda r: (-r[0], -r[1], -r[2], r[3].name))
    return [r[3] for r in ranked[: policy.limit]]
