"""Topics in small weeks: how clean are the topics of a week with a few dozen complaints?

    .venv/bin/python -m bench.small_periods              # 30 simulated weeks per dataset
    .venv/bin/python -m bench.small_periods --weeks 60
    .venv/bin/python -m bench.small_periods --identity        # topic ids across simulated weeks

A week below `TopicParams.density_min_documents` complaints is grouped by agglomerative clustering;
complaints left alone are then given their nearest topic, keeping at most `max_outlier_share` (10 %)
out, and only those under `outlier_min_similarity` (0.30). In a diverse week most complaints are
one-offs, so that step decides what a topic holds. This replays simulated weeks of 65 complaints
(the demo's weeks hold 41-75) from the rows the topic encoder never trained on, through `fit_topics`
exactly as the analyze flow calls it (topic-encoder space for clustering, main encoder for the rest):

* ``banking77``: five recurring issues (8, 6, 5, 3 and 3 queries of one intent each), the rest one
  query each from other intents: a week with a few real topics and many one-offs;
* ``airline``: 65 random negative tweets (eight complaint reasons, so every reason recurs).

Columns: ``purity`` (share of assigned complaints in their topic's majority class), ``one-offs in
topics`` (banking77: share of the single-intent queries put in a topic), ``recurring found`` (share of
complaints of an issue that recurs three times or more that sit in a topic whose majority is their
issue), ``unassigned`` and topics per week. Policies: the default, and nearest-topic floors with no
cap on the unassigned share (``TopicParams(max_outlier_share=1.0, outlier_min_similarity=F)``).

A second table, for the default policy, checks what the report's "closely grouped" count says: the
share of assigned complaints the clustering grouped itself (`TopicResult.clustered`), and how often a
closely grouped complaint and a complaint merely given its nearest topic share the issue of the topic's
closely grouped majority.

With ``--identity`` (BANKING77 only): does a recurring issue keep its topic id from one small week to the
next? `--runs` runs of six consecutive 65-complaint weeks; five recurring intents (8, 6, 5, 3 and 3
queries a week, fresh queries every week), each replaced by an unseen intent with probability 0.25 a
week, plus one-offs. Every week goes through `fit_topics` and then the analyze flow's matching
(`models.topic_tracking.reference_centroids` over `topics.match_history` weeks, `match_topics`) at each
threshold, by centroids in the topic encoder's space as the flow matches (``--main-space``: the main
encoder's, as it matched before). A topic stands for an issue when at least half its closely grouped complaints are of one
recurring intent. Printed: the share of topics of an issue seen in an earlier week that kept (one of)
its earlier ids, and the share of topics of an issue never seen before that were given an old id.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from bench.topic_quality import airline, banking77, embed

POLICIES = {
    "default (cap 10 %)": {},
    "floor 0.40, no cap": {"max_outlier_share": 1.0, "outlier_min_similarity": 0.40},
    "floor 0.50, no cap": {"max_outlier_share": 1.0, "outlier_min_similarity": 0.50},
}
RECURRING = (8, 6, 5, 3, 3)
WEEK_SIZE = 65
IDENTITY_WEEKS = 6
# thresholds tried in the space topics are matched in: the topic encoder's (as the analyze flow does),
# or with --main-space the main encoder's centroids (how it matched until 2026-12-07)
IDENTITY_THRESHOLDS = {False: (0.68, 0.70, 0.72, 0.75), True: (0.74, 0.78, 0.82)}
REPLACE_CHANCE = 0.25


def banking_weeks(labels: list[str], count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Weeks of five recurring intents and one-offs from other intents."""
    classes = sorted(set(labels))
    rows = {c: [i for i, label in enumerate(labels) if label == c] for c in classes}
    weeks = []
    for _ in range(count):
        order = list(rng.permutation(classes))
        week = [int(i) for n, c in zip(RECURRING, order, strict=False) for i in rng.choice(rows[c], n, False)]
        rest = order[len(RECURRING) :]
        week += [int(rng.choice(rows[rest[j % len(rest)]])) for j in range(WEEK_SIZE - len(week))]
        weeks.append(np.asarray(week))
    return weeks


def score_week(labels: np.ndarray, assignments: np.ndarray) -> tuple[float, float, float, float, int]:
    """purity, one-offs in topics, recurring found, unassigned share, topics."""
    counts = Counter(labels.tolist())
    assigned = assignments >= 0
    topics = sorted(set(assignments[assigned].tolist()))
    majority = {t: Counter(labels[assignments == t].tolist()).most_common(1)[0] for t in topics}
    purity = sum(n for _, n in majority.values()) / max(int(assigned.sum()), 1)
    one_off = np.asarray([counts[x] == 1 for x in labels])
    recurring = np.asarray([counts[x] >= 3 for x in labels])
    found = np.asarray(
        [a >= 0 and majority[int(a)][0] == x for a, x in zip(assignments, labels, strict=True)]
    )
    return (
        purity,
        float(assigned[one_off].mean()) if one_off.any() else float("nan"),
        float(found[recurring].mean()) if recurring.any() else float("nan"),
        float(1 - assigned.mean()),
        len(topics),
    )


def grouped_agreement(labels: np.ndarray, assignments: np.ndarray, clustered: np.ndarray) -> np.ndarray:
    """(closely grouped, of them in their topic's core majority, attached, of them in it) for one week."""
    out = np.zeros(4)
    for topic in sorted(set(assignments.tolist()) - {-1}):
        members = np.flatnonzero(assignments == topic)
        core, attached = members[clustered[members]], members[~clustered[members]]
        majority = Counter(labels[core if len(core) else members].tolist()).most_common(1)[0][0]
        out += [
            len(core),
            (labels[core] == majority).sum(),
            len(attached),
            (labels[attached] == majority).sum(),
        ]
    return out


def core_issue(labels: np.ndarray, assignments: np.ndarray, clustered: np.ndarray, topic: int) -> str | None:
    """The intent of at least half a topic's closely grouped complaints (all its complaints without any)."""
    members = np.flatnonzero(assignments == topic)
    core = members[clustered[members]] if clustered[members].any() else members
    label, n = Counter(labels[core].tolist()).most_common(1)[0]
    return str(label) if n >= len(core) / 2 else None


class IdentityRun:
    """One run's topic history under one matching threshold, and what it got right."""

    def __init__(self, threshold: float) -> None:
        self.threshold, self.history, self.next_id = threshold, [], 0
        self.ids_of: dict[str, set[int]] = {}  # issue -> stable ids its topics had so far

    def week(
        self,
        period: str,
        result: object,
        labels: np.ndarray,
        recurring: list[str],
        centroids: dict | None = None,
    ) -> Counter:
        """Match one week's topics by `centroids` (local topic id -> vector; default each topic's main-space
        centroid); count (kept, recurring, wrongly old, new) over the recurring issues.
        """
        from models.topic_tracking import TopicSnapshot, match_topics, reference_centroids
        from ugcminer.config import TopicsConfig

        cfg = TopicsConfig()
        known = reference_centroids(self.history, period, cfg.match_history)
        local = centroids if centroids is not None else {t: x.centroid for t, x in result.topics.items()}
        mapping = match_topics(local, known, self.threshold, self.next_id)
        self.next_id = max([self.next_id - 1, *mapping.values()]) + 1
        out: Counter = Counter()
        issues = {t: core_issue(labels, result.assignments, result.clustered, t) for t in result.topics}
        for t, issue in issues.items():
            if issue not in recurring:
                continue
            if issue in self.ids_of:
                out["recurring"] += 1
                out["kept"] += mapping[t] in self.ids_of[issue]
            else:
                out["new"] += 1
                out["wrong"] += mapping[t] in known
        for t, topic in result.topics.items():
            if issues[t] is not None:
                self.ids_of.setdefault(issues[t], set()).add(mapping[t])
            self.history.append(TopicSnapshot(mapping[t], period, topic.label, topic.size, local[t]))
        return out


def identity(
    texts: list[str],
    labels: list[str],
    vectors: np.ndarray,
    space: np.ndarray,
    runs: int,
    seed: int,
    main_space: bool = False,
) -> None:
    """Print how often recurring issues keep their topic id across simulated small weeks (topics matched
    by their centroids in the clustering space `space`, or with `main_space` in that of `vectors`).
    """
    from models.encoder import load_encoder
    from models.topics import fit_topics, topic_centroids

    encode = load_encoder().encode
    truth = np.asarray(labels)
    classes = sorted(set(labels))
    rng = np.random.default_rng(seed)
    thresholds = IDENTITY_THRESHOLDS[main_space]
    totals = {t: Counter() for t in thresholds}
    for _ in range(runs):
        unused = {c: set(np.flatnonzero(truth == c).tolist()) for c in classes}  # a query is drawn once a run
        order = [str(c) for c in rng.permutation(classes)]
        recurring, pool = order[: len(RECURRING)], order[len(RECURRING) :]
        matchers = [IdentityRun(t) for t in thresholds]
        for k in range(IDENTITY_WEEKS):
            if k:
                recurring = [pool.pop() if rng.random() < REPLACE_CHANCE else c for c in recurring]
            week: list[int] = []
            for n, c in zip(RECURRING, recurring, strict=True):
                week += _draw(unused, c, n, rng)
            others = [c for c in pool if unused[c]]
            while len(week) < WEEK_SIZE:
                week += _draw(unused, others[int(rng.integers(len(others)))], 1, rng)
            rows = np.asarray(week)
            result = fit_topics(
                [texts[i] for i in rows], vectors[rows], encode=encode, cluster_embeddings=space[rows]
            )
            centroids = None if main_space else topic_centroids(space[rows], result.assignments)
            for m in matchers:
                totals[m.threshold] += m.week(
                    f"2026-W{10 + k:02d}", result, truth[rows], recurring, centroids
                )
    print(f"{'threshold':<11}{'recurring issues kept their id':>32}{'new issues given an old id':>28}")
    for t, c in totals.items():
        kept = f"{c['kept'] / max(c['recurring'], 1):.3f} ({c['kept']}/{c['recurring']})"
        wrong = f"{c['wrong'] / max(c['new'], 1):.3f} ({c['wrong']}/{c['new']})"
        print(f"{t:<11.2f}{kept:>32}{wrong:>28}", flush=True)


def _draw(unused: dict[str, set[int]], intent: str, n: int, rng: np.random.Generator) -> list[int]:
    """`n` queries of `intent` not drawn before (fewer when it runs out)."""
    picked = [int(i) for i in rng.choice(sorted(unused[intent]), min(n, len(unused[intent])), replace=False)]
    unused[intent].difference_update(picked)
    return picked


def main() -> None:
    """Print the table."""
    from models.encoder import load_encoder
    from models.issue_encoder import load_topic_encoder
    from models.topics import TopicParams, fit_topics

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--identity", action="store_true", help="topic ids across simulated weeks instead")
    parser.add_argument("--runs", type=int, default=12, help="with --identity: runs of six weeks")
    parser.add_argument(
        "--main-space", action="store_true", help="with --identity: match main-encoder centroids instead"
    )
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "ugcminer" / "topic_quality")
    args = parser.parse_args()
    if args.identity:
        texts, labels = banking77(False)
        space = embed(texts, args.cache, load_topic_encoder())
        identity(texts, labels, embed(texts, args.cache), space, args.runs, args.seed + 1, args.main_space)
        return
    encode = load_encoder().encode
    grouped: dict[str, np.ndarray] = {}
    print(
        f"{'dataset':<11}{'policy':<22}{'purity':>8}{'one-offs in topics':>20}{'recurring found':>17}"
        f"{'unassigned':>12}{'topics':>8}"
    )
    for name, load in (("banking77", banking77), ("airline", airline)):
        texts, labels = load(False)
        vectors, space = embed(texts, args.cache), embed(texts, args.cache, load_topic_encoder())
        rng = np.random.default_rng(args.seed)
        weeks = (
            banking_weeks(labels, args.weeks, rng)
            if name == "banking77"
            else [rng.choice(len(texts), WEEK_SIZE, replace=False) for _ in range(args.weeks)]
        )
        truth = np.asarray(labels)
        grouped[name] = np.zeros(4)
        for policy, overrides in POLICIES.items():
            params = TopicParams(**overrides)
            rows = []
            for week in weeks:
                result = fit_topics(
                    [texts[i] for i in week],
                    vectors[week],
                    encode=encode,
                    params=params,
                    cluster_embeddings=space[week],
                )
                rows.append(score_week(truth[week], result.assignments))
                if not overrides and result.clustered is not None:
                    grouped[name] += grouped_agreement(truth[week], result.assignments, result.clustered)
            m = np.nanmean(np.asarray(rows, dtype=float), axis=0)
            one_offs = "" if np.isnan(m[1]) else f"{m[1]:.3f}"
            print(
                f"{name:<11}{policy:<22}{m[0]:>8.3f}{one_offs:>20}{m[2]:>17.3f}{m[3]:>12.1%}{m[4]:>8.1f}",
                flush=True,
            )
    print(f"\n{'dataset':<11}{'closely grouped':>17}{'in core majority: grouped':>27}{'attached':>10}")
    for name, (core, core_in, attached, attached_in) in grouped.items():
        share = core / max(core + attached, 1)
        print(
            f"{name:<11}{share:>17.1%}{core_in / max(core, 1):>27.3f}{attached_in / max(attached, 1):>10.3f}"
        )


if __name__ == "__main__":
    main()
