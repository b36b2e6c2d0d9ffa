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
) -> list[Creator]:
    """Rank third-party creators by the complaint volume their items address."""
    groups: dict[tuple[str, str], list[ScoredHowto]] = {}
    for item in items:
        if item.mention.is_official or item.score < policy.min_score:
            continue
        groups.setdefault((creator_name(item), str(item.mention.source)), []).append(item)
    ranked = []
    for (name, platform), own in groups.items():
        topics = {item_topics.get(i.mention.id) for i in own} - {None, -1}
        volume = sum(int(topic_sizes.get(t, 0)) for t in topics if t is not None)
        best = max(own, key=lambda i: (i.score, i.mention.id))
        ranked.append(
            (volume, len(own), best.score, Creator(name, platform, len(own), volume, best.mention.url))
        )
    ranked.sort(key=lambda r: (-r[0], -r[1], -r[2], r[3].name))
    return [r[3] for r in ranked[: policy.limit]]
