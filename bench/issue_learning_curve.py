"""Does the topic encoder want more training data? The shipped issue adapter against one trained on half
its training rows, both scored on the held-out 30 %.

    .venv/bin/python -m bench.issue_learning_curve              # trains the half-data adapter once (~8 min)
    .venv/bin/python -m bench.issue_learning_curve --out DIR

The half-data adapter keeps every training row whose `sha1("lc:" + text)` is even (the dev and held-out
splits are untouched) and trains with the shipped `IssuePolicy` into OUT/half (skipped when it is there).
Printed for each adapter: BANKING77 10-shot taxonomy accuracy at threshold 0 on the held-out rows (10
examples per intent chosen as `python -m models.taxonomies.build` chooses them, the rest as queries) and
`fit_topics` NMI on the held-out BANKING77 and airline-reason rows (`models.issue_encoder.score_sets`).
If halving the data costs little, training on more of it (the held-out 30 % too) would not reach the
issue's goals either.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np


def halve_train(sets: dict[str, Any]) -> dict[str, Any]:
    """The issue sets with every other training row (by a stable hash) moved to a "skip" split."""
    out = {}
    for task, ds in sets.items():
        keep = np.array(
            [
                split != "train" or int(hashlib.sha1(("lc:" + text).encode()).hexdigest()[:6], 16) % 2 == 0
                for text, split in zip(ds.texts, ds.splits, strict=True)
            ]
        )
        out[task] = replace(ds, splits=np.where(keep, ds.splits, "skip"))
    return out


def held_out_ten_shot(encoder: Any, banking: Any) -> float:
    """10-shot accuracy (threshold 0) on the held-out BANKING77 rows, examples as the build command picks."""
    from models.taxonomies.build import few_shot_split
    from models.taxonomy import TaxonomyClassifier, parse_taxonomy

    texts, labels = banking.part("test")
    rows = [{"text": t, "category": banking.labels_names[y]} for t, y in zip(texts, labels, strict=True)]
    mapping, rest = few_shot_split(rows, 10)
    classifier = TaxonomyClassifier(parse_taxonomy(mapping), encoder, threshold=0.0)
    predicted, _ = classifier.predict(classifier.embed([r["text"] for r in rest]))
    return float(np.mean([p == r["category"] for p, r in zip(predicted, rest, strict=True)]))


def main() -> None:
    """CLI: see the module docstring."""
    from models.encoder import PACKAGED_MODEL, Encoder
    from models.issue_encoder import ISSUE_ADAPTER, IssuePolicy, fit_adapter, load_issue_sets, score_sets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/issue_learning_curve"))
    args = parser.parse_args()
    sets = load_issue_sets()
    half = args.out / "half" / ISSUE_ADAPTER.name
    if not half.exists():
        half.parent.mkdir(parents=True, exist_ok=True)
        fit_adapter(halve_train(sets), IssuePolicy(), half)
    for name, adapter in (("shipped (60 % of rows)", ISSUE_ADAPTER), ("half (30 % of rows)", half)):
        encoder = Encoder(PACKAGED_MODEL, adapter=adapter, max_length=IssuePolicy.max_length)
        topics = score_sets(encoder, sets)
        row = {
            "adapter": name,
            "banking77_10shot": round(held_out_ten_shot(encoder, sets["issue_banking"]), 4),
            **{f"{task}_nmi": v["nmi"] for task, v in topics.items()},
            **{f"{task}_topics": v["topics"] for task, v in topics.items()},
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
