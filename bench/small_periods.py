"""Topics in small weeks: how clean are the topics of a week with a few dozen complaints?

    .venv/bin/python -m bench.small_periods              # 30 simulated weeks per dataset
    .venv/bin/python -m bench.small_periods --weeks 60

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


def main() -> None:
    """Print the table."""
    from models.encoder import load_encoder
    from models.issue_encoder import load_topic_encoder
    from models.topics import TopicParams, fit_topics

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "ugcminer" / "topic_quality")
    args = parser.parse_args()
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
