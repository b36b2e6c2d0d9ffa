"""How well `topics.match_similarity` tells a recurring topic from a different one (labelled data).

    .venv/bin/python -m bench.topic_matching [--weeks [--corrected | --held-out]]

Week-to-week identity matches topic centroids (masked text) by cosine similarity. Here (main encoder),
for labelled sets (BANKING77 intents, airline complaint reasons), two disjoint samples of n texts of the
same label stand for one topic seen in two weeks, and the most similar centroid among 8 other labels for
a different topic. Printed: for each threshold, the share of same-label pairs matched (recall) and of
different-label pairs wrongly matched (false matches).

With `--weeks`: eight simulated weeks per run (40 runs), each with a handful of true-label topics of
4-16 texts, a quarter of them replaced by unseen labels every week, matched week by week with
`models.topic_tracking` (`reference_centroids` over a topic's last 1, 2 or 4 weeks, then
`match_topics`), with `topics.match_similarity` 0.78-0.85. Printed: the share of recurring topics that
kept their id and the share of new topics wrongly given an old one. With `--corrected`: matched by a
size-corrected similarity instead (`corrected_similarity`; measured, not used: see
`models.topic_tracking`). With `--held-out`: the rows the topic encoder never trained on (fewer and
smaller topics, six or eight weeks), matched by main-encoder centroids and by topic-encoder ones (the
space the analyze flow matches in since 2026-12-07); table in `models.topic_tracking`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bench.topic_quality import airline, banking77, embed


def pairs(emb: np.ndarray, labels: np.ndarray, n: int, trials: int, rng: np.random.Generator) -> tuple:
    """Cosines of same-label centroid pairs and of each one's most similar other-label centroid."""
    usable = [label for label in sorted(set(labels.tolist())) if (labels == label).sum() >= 2 * n]

    def centroid(idx: np.ndarray) -> np.ndarray:
        vec = emb[idx].mean(axis=0)
        return vec / np.linalg.norm(vec)

    same, other = [], []
    for _ in range(trials):
        label = rng.choice(usable)
        idx = rng.permutation(np.flatnonzero(labels == label))
        first = centroid(idx[:n])
        same.append(float(first @ centroid(idx[n : 2 * n])))
        rivals = rng.choice([x for x in usable if x != label], size=min(8, len(usable) - 1), replace=False)
        other.append(
            max(float(first @ centroid(rng.permutation(np.flatnonzero(labels == r))[:n])) for r in rivals)
        )
    return np.asarray(same), np.asarray(other)


WEEK_THRESHOLDS = (0.78, 0.80, 0.82, 0.85)


def cohesion(total: np.ndarray, n: int) -> float:
    """Mean pairwise cosine of `n` unit vectors summing to `total` (floored at 0.001)."""
    return max((float(total @ total) - n) / max(n * (n - 1), 1), 1e-3)


def corrected_similarity(local: dict, history: list, period: str, last: int) -> tuple[np.ndarray, list, list]:
    """Size-corrected similarity of this week's topics to the known ones (their last `last` weeks
    pooled): the mean cosine across the two topics' members over the geometric mean of each one's
    own mean pairwise cosine, about 1 for two samples of one issue whatever their sizes. `local`:
    id -> (label, size, mean vector); `history`: snapshots whose centroid is the raw mean.
    """
    from models.topic_tracking import earlier_by_topic

    known = {
        t: (sum(s.size * s.centroid for s in snaps[-last:]), sum(s.size for s in snaps[-last:]))
        for t, snaps in earlier_by_topic(history, period).items()
    }
    rows, cols = sorted(local), sorted(known)
    sims = np.zeros((len(rows), len(cols)))
    for x, i in enumerate(rows):
        _, n, mean = local[i]
        for y, j in enumerate(cols):
            total, m = known[j]
            sims[x, y] = (
                float(n * mean @ total) / (n * m) / np.sqrt(cohesion(n * mean, n) * cohesion(total, m))
            )
    return sims, rows, cols


def simulate_weeks(
    emb: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    active: int,
    threshold: float,
    last: int,
    corrected: bool = False,
    weeks: int = 8,
    sizes: tuple[int, int] = (4, 16),
) -> tuple[int, int, int, int]:
    """One run of `weeks` weeks, topics of `sizes` texts (inclusive): (recurring topics, of them kept
    their id, new topics, of them wrongly matched); `corrected`: match by `corrected_similarity` instead
    of the centroids' cosine.
    """
    from models.topic_tracking import TopicSnapshot, match_by_similarity, match_topics, reference_centroids

    usable = [label for label in sorted(set(labels.tolist())) if (labels == label).sum() >= weeks * sizes[1]]
    pools = {label: list(rng.permutation(np.flatnonzero(labels == label))) for label in usable}
    current = list(rng.choice(usable, size=active, replace=False))
    history: list[TopicSnapshot] = []
    truth: dict[int, str] = {}
    recurring = kept = new = wrong = 0
    for week in range(weeks):
        period = f"2026-W{10 + week:02d}"
        if week:
            out = set(rng.choice(current, size=max(1, active // 4), replace=False).tolist())
            fresh = rng.choice([x for x in usable if x not in current], size=len(out), replace=False)
            current = [x for x in current if x not in out] + list(fresh)
        local = {}
        for i, label in enumerate(current):
            idx = [pools[label].pop() for _ in range(int(rng.integers(sizes[0], sizes[1] + 1)))]
            local[i] = (label, len(idx), emb[idx].mean(axis=0))
        if corrected:
            sims, rows, cols = corrected_similarity(local, history, period, last)
            mapping = match_by_similarity(sims, rows, cols, threshold, len(truth))
        else:
            reference = reference_centroids(history, period, last)
            mapping = match_topics({i: c for i, (_, _, c) in local.items()}, reference, threshold, len(truth))
        for i, (label, size, centroid) in local.items():
            stable = mapping[i]
            if label in truth.values():
                recurring += 1
                kept += truth.get(stable) == label
            else:
                new += 1
                wrong += stable in truth
            truth.setdefault(stable, label)
            history.append(TopicSnapshot(stable, period, label, size, centroid))
    return recurring, kept, new, wrong


CORRECTED_THRESHOLDS = (0.92, 0.94, 0.97, 1.00)


def weeks_table(cache: Path, runs: int = 40, corrected: bool = False) -> None:
    """Print the simulated-weeks table (`corrected`: the size-corrected similarity, 4 weeks pooled)."""
    thresholds = CORRECTED_THRESHOLDS if corrected else WEEK_THRESHOLDS
    print(f"{'dataset':<10}{'weeks pooled':>13}  " + "  ".join(f"t={t:.2f} kept/wrong" for t in thresholds))
    for name, load, active in (("banking77", banking77, 8), ("airline", airline, 5)):
        texts, labels = load(True)
        emb = embed(texts, cache)
        for last in (4,) if corrected else (1, 2, 4):
            cells = []
            for threshold in thresholds:
                totals = np.sum(
                    [
                        simulate_weeks(
                            emb,
                            np.asarray(labels),
                            np.random.default_rng(seed),
                            active,
                            threshold,
                            last,
                            corrected,
                        )
                        for seed in range(runs)
                    ],
                    axis=0,
                )
                cells.append(f"     {totals[1] / totals[0]:.2f}/{totals[3] / max(totals[2], 1):.2f}")
            print(f"{name:<10}{last:>13}  " + "  ".join(cells))


# --held-out: (dataset, loader, topics a week, weeks, texts a topic) sized to the topic encoder's held-out
# split (about 39 BANKING77 queries an intent), and the thresholds tried in each space
HELD_OUT_SETS = (("banking77", banking77, 8, 6, (3, 6)), ("airline", airline, 5, 8, (4, 10)))
HELD_OUT_THRESHOLDS = {"main": (0.78, 0.82), "topic": (0.70, 0.72, 0.75)}


def held_out_table(cache: Path, runs: int = 40) -> None:
    """Simulated weeks on the rows the topic encoder never trained on, matched by centroids of the main
    encoder and of the topic encoder (the space the analyze flow matches in), last 4 weeks pooled.
    """
    from models.issue_encoder import load_topic_encoder

    topic_encoder = load_topic_encoder()
    for name, load, active, weeks, sizes in HELD_OUT_SETS:
        texts, labels = load(False)
        for space, emb in (("main", embed(texts, cache)), ("topic", embed(texts, cache, topic_encoder))):
            cells = []
            for threshold in HELD_OUT_THRESHOLDS[space]:
                rows = [
                    simulate_weeks(
                        emb, np.asarray(labels), np.random.default_rng(seed), active, threshold, 4,
                        weeks=weeks, sizes=sizes,
                    )
                    for seed in range(runs)
                ]  # fmt: skip
                t = np.sum(rows, axis=0)
                cells.append(f"t={threshold:.2f} {t[1] / t[0]:.2f}/{t[3] / max(t[2], 1):.2f}")
            print(f"{name:<10}{space:<7}" + "  ".join(cells), flush=True)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "ugcminer" / "topic_quality")
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument(
        "--weeks", action="store_true", help="simulate weeks and match with models.topic_tracking"
    )
    parser.add_argument(
        "--corrected", action="store_true", help="with --weeks: match by the size-corrected similarity"
    )
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="with --weeks: held-out rows, main against topic encoder space (kept/wrong per threshold)",
    )
    args = parser.parse_args()
    if args.weeks and args.held_out:
        held_out_table(args.cache)
        return
    if args.weeks:
        weeks_table(args.cache, corrected=args.corrected)
        return
    rng = np.random.default_rng(0)
    thresholds = (0.70, 0.75, 0.80, 0.85)
    print(f"{'dataset':<10}{'n':>4}  " + "  ".join(f"t={t:.2f} match/false" for t in thresholds))
    for name, load in (("banking77", banking77), ("airline", airline)):
        texts, labels = load(True)
        emb = embed(texts, args.cache)
        for n in (8, 15, 30):
            same, other = pairs(emb, np.asarray(labels), n, args.trials, rng)
            cells = "  ".join(f"     {np.mean(same >= t):.2f}/{np.mean(other >= t):.2f}" for t in thresholds)
            print(f"{name:<10}{n:>4}  {cells}")


if __name__ == "__main__":
    main()
