"""Topic identity across weeks: stable ids by centroid similarity, label history, status, trends.

Each period's topics are matched one-to-one (greedily, most similar pair first) against the topics
known from *earlier* periods, each represented by the size-weighted mean of its last
`topics.match_history` centroids (a weekly topic of a dozen complaints has a noisy centroid; pooling
its recent weeks steadies it). A match needs a cosine similarity of at least `topics.match_similarity`;
an unmatched topic gets a fresh id. Because only earlier periods are consulted, re-analysing a period
gives the same ids (idempotent).

Centroids for matching live in the space complaints are clustered in: the topic encoder's
(``models.issue_encoder``, trained to tell customer issues apart), or the main encoder's for a
configured model without a topic adapter. Each week's centroids there are stored with it
(`store.insight_tables.topic_match_centroids`); for a week analysed before that, they are the means
of its topics' complaints' stored masked-text vectors, computed once and then stored
(``models.insight_stages.history_in_space``), so existing stores need no re-analysis. The default
threshold depends on the space (`MATCH_SIMILARITY`: 0.72 in the topic encoder's, 0.82 in the main
encoder's).

Why the topic encoder's space (2026-12-07; until then topics were matched by their main-encoder
centroids at 0.82). Rows the topic encoder never trained on (its held-out split), share of recurring
topics that kept their id / of new topics given an old one:

    true-label topics, 40 runs (`python -m        main 0.78     main 0.82     topic 0.70    topic 0.72    topic 0.75
    bench.topic_matching --weeks --held-out`)
    BANKING77, 8 topics of 3-6 queries, 6 weeks      0.94 / 0.05   0.87 / 0.01   0.97 / 0.02   0.96 / 0.01   0.92 / 0.01
    airline reasons, 5 topics of 4-10 tweets, 8 wks  0.55 / 0.08   0.34 / 0.00   0.61 / 0.00   0.51 / 0.00   0.39 / 0.00

    whole pipeline, small weeks                       main 0.78      main 0.82      topic 0.70     topic 0.72     topic 0.75
    (`python -m bench.small_periods --identity         0.681 / 0.091  0.585 / 0.057  0.710 / 0.087  0.680 / 0.066  0.629 / 0.057
     --runs 40`; `--main-space` for the main encoder)

The first table: consecutive weeks of clean topics drawn from one label each (fewer and smaller topics
than `--weeks` alone, since the held-out split has about 39 queries an intent).
The second: six consecutive 65-complaint weeks of held-out BANKING77 queries (five recurring intents
of 3-8 queries, each replaced by an unseen one with chance 0.25 a week, the rest one-offs), each
clustered by `fit_topics` and matched as the analyze flow does. At 0.72 the topic encoder's space keeps
more recurring topics than the main encoder's did at 0.82 on every set (clean BANKING77 0.96 vs 0.87,
airline 0.51 vs 0.34, small weeks 0.680 vs 0.585) with as few or nearly as few wrong matches (0.01 vs
0.01, 0.00 vs 0.00, 0.066 vs 0.057). Small weeks stay hard: their topics are loose (a core of 2-3
complaints plus attached one-offs; `models.topics`), so about a third of the recurring issues there
still come back as new. On the demo corpus the change gave two loose topic lineages longer lives
(week 44's Chrome/YouTube complaints took the id of week 39's "closing a youtube tab"; week 46's
"galaxy s4 (phone)" that of weeks 40-43's phone complaints). Centring topics on their closely grouped
complaints only (centroids and labels from the core; a variant of `models.topics._describe`, not kept)
moved neither small-week figure beyond noise in the main encoder's space (0.608 / 0.058 at 0.82
against 0.602 / 0.072, 12 runs) and cost one label each on the held-out large sets ("names"
BANKING77 0.624 -> 0.615, airline 0.440 -> 0.420), for 2-3 points on small-week labels; in the topic
encoder's space too (0.720 / 0.081 at 0.70 and 0.686 / 0.076 at 0.72 against 0.710 / 0.087 and
0.680 / 0.066, 40 runs of `bench.small_periods --identity` with core centroids patched in).
Matching by the highest cosine to any of a known topic's last `match_history` weekly centroids, instead
of to their size-weighted mean, was a wash as well (2026-12-08, same 40 runs, topic encoder's space:
0.712 / 0.087 at 0.70 and 0.677 / 0.070 at 0.72 against 0.710 / 0.087 and 0.680 / 0.066).

Before, in the main encoder's space (`python -m bench.topic_matching --weeks`: true-label topics of
4-16 texts drawn week by week for 8 weeks, a quarter of them replaced by unseen labels each week; 40
runs; all rows, which the main encoder never trained on; masked text):

    defaults                                  BANKING77 intents   airline complaint reasons
    latest centroid, similarity 0.80              0.982 / 0.100     0.499 / 0.068
    last 4 weeks pooled, 0.80                     0.990 / 0.116     0.594 / 0.091
    last 4 weeks pooled, 0.82 (the default then)  0.986 / 0.065     0.516 / 0.044

A new topic hidden under an old id is the costlier error (a new issue would not be flagged), so the
threshold rose with the pooling: better on both counts on both sets.

Measured and not used (2026-12-07, `python -m bench.topic_matching --weeks --corrected`, main encoder):
a size-corrected similarity, the mean cosine across two topics' members over the geometric mean of each
one's own mean pairwise cosine (about 1 for two samples of one issue, whatever their sizes; a small
topic's centroid is noisier, so its plain cosine to its own earlier weeks is lower):

    corrected, last 4 weeks pooled       0.92           0.94           0.97           1.00
    BANKING77 intents                    0.99 / 0.03    0.97 / 0.02    0.91 / 0.01    0.69 / 0.01
    airline complaint reasons            0.85 / 0.31    0.84 / 0.27    0.79 / 0.10    0.62 / 0.06

It dominates the plain cosine on these clean simulated topics (BANKING77 0.99 / 0.03 against 0.99 /
0.07), but the demo's weekly topics are loose (mean pairwise cosine 0.2-0.35: a small core and
attached one-offs), and there it matches unrelated ones: at 0.92 week 46's "songs to your mobile"
would take week 45's "galaxy s4" id (0.93), while the plain cosines stay below 0.70. Loose topics are
samples of the same "assorted complaints" spread, so a measure that forgives spread cannot tell them
apart. The demo's "galaxy s4" (week 45) and "galaxy s4 (phone)" (week 46) are 0.59 apart by plain
cosine and 0.75 corrected: two different mixes that share a phone's name.

Status, with thresholds from config (`growing_ratio`, `fading_ratio`):

    new       first seen this period
    growing   size >= growing_ratio * previous size (or back after a gap)
    fading    size <= fading_ratio * previous size (0 when it disappeared)
    steady    otherwise
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ugcminer.config import TopicsConfig


@dataclass(frozen=True)
class TopicSnapshot:
    """A stable topic as seen in one period (a row of the topic registry)."""

    topic_id: int
    period: str
    label: str
    size: int
    centroid: np.ndarray
    words: tuple[str, ...] = ()


def earlier_by_topic(history: Sequence[TopicSnapshot], before: str) -> dict[int, list[TopicSnapshot]]:
    """Each topic's snapshots from periods earlier than `before`, oldest first."""
    by_topic: dict[int, list[TopicSnapshot]] = {}
    for snap in sorted(history, key=lambda s: s.period):
        if snap.period < before:
            by_topic.setdefault(snap.topic_id, []).append(snap)
    return by_topic


def latest_snapshots(history: Sequence[TopicSnapshot], before: str) -> dict[int, TopicSnapshot]:
    """Each topic's most recent snapshot from periods earlier than `before`."""
    return {topic_id: snaps[-1] for topic_id, snaps in earlier_by_topic(history, before).items()}


# default `topics.match_similarity` by the space topics are clustered (and matched) in: True for the topic
# encoder's, False for the main encoder's (a configured model without a topic adapter)
MATCH_SIMILARITY = {True: 0.72, False: 0.82}


def match_similarity(cfg: TopicsConfig, topic_space: bool) -> float:
    """The cosine a topic needs to keep an earlier topic's id: the configured one, else the default of
    the space matching runs in.
    """
    return cfg.match_similarity if cfg.match_similarity is not None else MATCH_SIMILARITY[topic_space]


def matching_snapshots(history: Sequence[TopicSnapshot], before: str, last: int) -> list[TopicSnapshot]:
    """The snapshots `reference_centroids` reads: each topic's `last` most recent before `before`."""
    return [s for snaps in earlier_by_topic(history, before).values() for s in snaps[-max(last, 1) :]]


def reference_centroids(history: Sequence[TopicSnapshot], before: str, last: int) -> dict[int, np.ndarray]:
    """Each topic's centroid for matching: the size-weighted mean of its `last` most recent unit
    centroids from periods earlier than `before`.
    """
    return {
        topic_id: _unit(sum(max(s.size, 1) * _unit(s.centroid) for s in snaps[-max(last, 1) :]))
        for topic_id, snaps in earlier_by_topic(history, before).items()
    }


def match_topics(
    centroids: Mapping[int, np.ndarray],
    known: Mapping[int, np.ndarray],
    threshold: float,
    next_id: int,
) -> dict[int, int]:
    """Map this period's local topic ids to stable ids (matched to `known` reference centroids, else
    fresh from `next_id` on).
    """
    local = sorted(centroids)
    stable = sorted(known)
    sims = np.zeros((len(local), len(stable)), dtype=np.float32)
    if local and stable:
        sims = np.stack([_unit(centroids[i]) for i in local]) @ np.stack([_unit(known[j]) for j in stable]).T
    return match_by_similarity(sims, local, stable, threshold, next_id)


def match_by_similarity(
    sims: np.ndarray, local: Sequence[int], stable: Sequence[int], threshold: float, next_id: int
) -> dict[int, int]:
    """One-to-one matching of `local` to `stable` ids by `sims` (rows x columns), most similar pair
    first, none below `threshold`; unmatched local ids get fresh ids from `next_id` on.
    """
    mapping: dict[int, int] = {}
    pairs = sorted(
        ((float(sims[x, y]), local[x], stable[y]) for x in range(len(local)) for y in range(len(stable))),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    used: set[int] = set()
    for sim, i, j in pairs:
        if sim < threshold:
            break
        if i not in mapping and j not in used:
            mapping[i] = j
            used.add(j)
    for i in local:
        if i not in mapping:
            mapping[i] = next_id
            next_id += 1
    return mapping


def topic_status(size: int, prev_size: int, seen_before: bool, cfg: TopicsConfig) -> str:
    """Status (new, growing, steady or fading) of a topic's size against the previous period."""
    if not seen_before:
        return "new"
    if prev_size <= 0:
        return "growing" if size > 0 else "fading"
    ratio = size / prev_size
    if ratio >= cfg.growing_ratio:
        return "growing"
    if ratio <= cfg.fading_ratio:
        return "fading"
    return "steady"


def trend(history: Sequence[TopicSnapshot], periods: Sequence[str]) -> dict[int, list[tuple[str, int]]]:
    """Topics over time: for every topic seen in `periods`, its size in each of them (0 if absent)."""
    sizes: dict[int, dict[str, int]] = {}
    wanted = set(periods)
    for snap in history:
        if snap.period in wanted:
            sizes.setdefault(snap.topic_id, {})[snap.period] = snap.size
    return {t: [(p, by_period.get(p, 0)) for p in periods] for t, by_period in sorted(sizes.items())}


def label_history(history: Sequence[TopicSnapshot], topic_id: int) -> list[tuple[str, str]]:
    """(period, label) pairs of a topic, oldest first."""
    return [(s.period, s.label) for s in sorted(history, key=lambda s: s.period) if s.topic_id == topic_id]


def _unit(vec: np.ndarray) -> np.ndarray:
    vec = np.asarray(vec, dtype=np.float32)
    return vec / max(float(np.linalg.norm(vec)), 1e-12)
