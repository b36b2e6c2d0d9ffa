"""How well `topics.match_similarity` tells a recurring topic from a different one (labelled data).

    .venv/bin/python -m bench.topic_matching

Week-to-week identity matches topic centroids (masked text, main encoder) by cosine similarity. Here,
for labelled sets (BANKING77 intents, airline complaint reasons), two disjoint samples of n texts of the
same label stand for one topic seen in two weeks, and the most similar centroid among 8 other labels for
a different topic. Printed: for each threshold, the share of same-label pairs matched (recall) and of
different-label pairs wrongly matched (false matches).
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


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "ugcminer" / "topic_quality")
    parser.add_argument("--trials", type=int, default=300)
    args = parser.parse_args()
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
