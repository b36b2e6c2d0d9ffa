"""Topic-encoder (issue adapter) variants scored on the dev split, with an out-of-domain guard.

    .venv/bin/python -m bench.issue_variants shipped                    # the shipped adapter
    .venv/bin/python -m bench.issue_variants frozen                     # no adapter
    .venv/bin/python -m bench.issue_variants NAME '{"distill": 0.3, "epochs": 4.0}'   # train, then score

A variant trains with `models.issue_encoder.IssuePolicy` plus the JSON overrides into OUT/NAME (skipped
when its adapter is there) and is scored on the issue sets' **dev** split, so choosing a policy never
looks at the held-out 30 % (`python -m models.issue_encoder --score-only` and the commands in
models/README.md measure that, once, for the chosen one):

* topics NMI (`fit_topics`, default parameters) on the BANKING77 and airline-reason dev rows;
* BANKING77 10-shot taxonomy accuracy at the default threshold (10 train-split examples per intent);
* out-of-domain guard, label sets the adapter never saw: k-means NMI (k = number of labels, mean of two
  seeds) of complaint tweets by product domain (``complaints_train.csv``) and of r/<subreddit> posts by
  subreddit (80 a subreddit from ``demo_corpus_candidates``), so a variant that only memorises its
  training labels shows up as a loss here.

One JSON line per run is appended to OUT/results.jsonl.
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from models.data import _csv, data_dir


def ood_sets(root: Path) -> dict[str, list[tuple[str, str]]]:
    """Out-of-domain (text, label) sets, masked as the topic pass masks."""
    from models.issue_encoder import issue_text

    complaints = [
        (issue_text(r["text"]), r["domain"])
        for r in _csv(root / "complaints" / "complaints_train.csv")
        if r["label"] == "1" and not r["domain"].startswith("random")
    ]
    reddit = []
    for path in sorted(
        (root / "demo_corpus_candidates" / "reddit_top_2013_consumer_subreddits").glob("*.csv")
    ):
        with path.open(encoding="utf-8") as handle:  # universal newlines: bodies cut at 300 characters
            for r in islice(csv.DictReader(handle), 80):
                reddit.append((issue_text(r["title"] + ". " + (r["selftext"] or "")[:300]), path.stem))
    return {"ood_complaint_domain": complaints, "ood_reddit_subreddit": reddit}


def evaluate(encoder: Any, sets: dict[str, Any], root: Path, split: str = "dev") -> dict[str, Any]:
    """The dev figures above for `encoder`."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from models.taxonomy import Category, Taxonomy, TaxonomyClassifier
    from models.topics import fit_topics

    out: dict[str, Any] = {}
    for task in ("issue_banking", "issue_airline"):
        texts, labels = sets[task].part(split)
        result = fit_topics(texts, encoder.encode(texts))
        out[f"{task}_nmi"] = round(float(nmi(labels, result.assignments)), 4)
        out[f"{task}_topics"] = len(result.topics)
        out[f"{task}_unassigned"] = round(result.outlier_share, 4)
    banking = sets["issue_banking"]
    train_texts, train_labels = banking.part("train")
    categories = tuple(
        Category(
            name=name,
            examples=tuple(t for t, y in zip(train_texts, train_labels, strict=True) if y == k)[:10],
        )
        for k, name in enumerate(banking.labels_names)
    )
    classifier = TaxonomyClassifier(Taxonomy(categories), encoder, threshold=0.2)
    queries, gold = banking.part(split)
    predicted, _ = classifier.predict(classifier.embed(queries))
    out["banking_10shot"] = round(
        float(np.mean([p == banking.labels_names[g] for p, g in zip(predicted, gold, strict=True)])), 4
    )
    for name, rows in ood_sets(root).items():
        labels = [label for _, label in rows]
        emb = encoder.encode([text for text, _ in rows])
        k = len(set(labels))
        scores = [nmi(labels, KMeans(k, n_init=4, random_state=s).fit_predict(emb)) for s in (0, 1)]
        out[name] = round(float(np.mean(scores)), 4)
    return out


def main() -> None:
    """CLI: see the module docstring."""
    from models.encoder import PACKAGED_MODEL, Encoder
    from models.issue_encoder import ISSUE_ADAPTER, IssuePolicy, fit_adapter, load_issue_sets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="shipped, frozen, or a variant name")
    parser.add_argument("overrides", nargs="?", default="{}", help="IssuePolicy fields as JSON")
    parser.add_argument("--out", type=Path, default=Path("out/issue_variants"))
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    root = data_dir(args.data)
    sets = load_issue_sets(root)
    overrides = json.loads(args.overrides)
    record: dict[str, Any] = {"name": args.name, "overrides": overrides}
    adapter: Path | None = {"shipped": ISSUE_ADAPTER, "frozen": None}.get(
        args.name, args.out / args.name / ISSUE_ADAPTER.name
    )
    if adapter is not None and not adapter.exists():
        fields = {k: tuple(tuple(x) for x in v) if isinstance(v, list) else v for k, v in overrides.items()}
        adapter.parent.mkdir(parents=True, exist_ok=True)
        history, _, seconds = fit_adapter(sets, replace(IssuePolicy(), **fields), adapter)
        record.update(history=history, train_seconds=round(seconds, 1))
    encoder = Encoder(PACKAGED_MODEL, adapter=adapter, max_length=IssuePolicy.max_length)
    record["dev"] = evaluate(encoder, sets, root)
    print(json.dumps(record))
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "results.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
