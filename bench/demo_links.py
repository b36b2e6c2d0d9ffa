"""The demo's links, against two annotators' reading: which topic a how-to item helps with, and which
official article covers a topic or an item.

    .venv/bin/ugcminer demo                                  # writes ./ugcminer-demo (once)
    .venv/bin/python -m bench.demo_links [--demo-dir ugcminer-demo] [--packets DIR]

**How-to items to topics.** The report ties each ranked how-to item to at most one complaint topic of
the week (`models.insight_stages.tie_to_topics`): the tie decides the topic's draft outline, whether an
article is "weak" against third-party content, and each creator's "complaint volume addressed".
Labels (`bench/data/howto_topic_links_labelled.csv`, guidelines `models/labelled/GUIDELINES_howto_topic.md`):
every (item, topic) pair of the demo's eight weeks, 650 pairs (25 ranked items x 1-7 topics a week), read
by two AI annotators (two independent runs of the coding assistant's helper agents, 2026-12-08; each
read every week's topics with all their complaints and every item, and saw no model output): "yes"
(helps with what the topic is mainly about), "partly" (helps with one of its complaints) or "no".
The file lists the pairs either annotator did not call "no" (11; both agree on 9 of them as at least
"partly"); every other pair is "no" for both. `bench/data/howto_topic_links_topics.csv` lists the topics
they judged: the labels hold only while the demo's topics are the same (the script checks and warns).
`--packets DIR` writes the weeks as the annotators read them, to label again after the topics change.
Printed per rule: items tied, how many of those ties both annotators call helpful (yes or partly),
and how many either does (out of the 11 pairs either called helpful). Rules: the
centroid alone (an item goes to the topic whose centroid it is closest to, at
`InsightPolicy.howto_topic_similarity`), and the centroid plus the check that the item sits close to one
of that topic's complaints (other than itself) in the clustering space (`howto_complaint_similarity`).

**Knowledge-base coverage.** Labels (`bench/data/kb_coverage_labelled.csv`, guidelines
`models/labelled/GUIDELINES_kb_coverage.md`): every (topic, article) pair (26 topics x 7 sample
articles) and every (item, article) pair (67 distinct items x 7), read by two more annotator runs the
same way: "yes" (the article answers what the topic is mainly about / covers what the item teaches),
"partly" (one complaint / part of the item), "no". Printed: the topics and distinct items the stored
insights call covered, how many of those coverages both annotators call at least partly right, and
how many either calls "yes".
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"
COMPLAINT_THRESHOLDS = (None, 0.40, 0.45, 0.50)


def labelled() -> dict[tuple[str, str, int], tuple[str, str]]:
    """(period, item, topic) -> (annotator A's label, B's) for the pairs not both "no"."""
    with open(DATA / "howto_topic_links_labelled.csv", newline="") as f:
        return {
            (r["period"], r["item"], int(r["topic"])): (r["label_a"], r["label_b"]) for r in csv.DictReader(f)
        }


def judged_topics() -> dict[tuple[str, int], tuple[str, int]]:
    """(period, topic) -> (label, size) of the topics the annotators read."""
    with open(DATA / "howto_topic_links_topics.csv", newline="") as f:
        return {
            (r["period"], int(r["topic"])): (r["topic_label"], int(r["topic_size"]))
            for r in csv.DictReader(f)
        }


def week_pairs(demo_dir: Path) -> list[dict]:
    """Per stored week of the demo: its topics (with complaints), ranked items and, per item, its
    closest topic by centroid and its closest complaint of that topic in the clustering space.
    """
    from models.encoder import load_encoder
    from models.insight_builder import ensure_embeddings
    from models.insight_stages import masked_vectors
    from models.issue_encoder import load_topic_encoder
    from models.topics import topic_terms
    from store import insight_tables as tables
    from store.db import Store
    from ugcminer.config import load_config

    config = load_config(demo_dir / "ugcminer-demo.yaml")
    brand = config.brands[0]
    store = Store(config.store_url())
    encoder = load_encoder(config.models.encoder)
    space = load_topic_encoder(config.models.encoder)
    terms = topic_terms(brand)
    weeks = []
    for period in tables.insight_periods(store, brand.name):
        insight = tables.read_insight(store, brand.name, period)
        topics = [t for t in insight["topics"] if t["size"]]
        found = {m.id: m for m in store.mentions(brand.name, ids=[h["mention_id"] for h in insight["howto"]])}
        items = [found[h["mention_id"]] for h in insight["howto"] if h["mention_id"] in found]
        stored = {h["mention_id"]: h["topic_id"] for h in insight["howto"]}
        centroids = {
            r["topic_id"]: r["centroid"]
            for r in tables.registry_rows(store, brand.name)
            if r["period"] == period
        }
        members = {t["topic_id"]: store.mentions(brand.name, ids=t["mention_ids"]) for t in topics}
        complaint_vectors = {t: masked_vectors(store, ms, terms, space) for t, ms in members.items()}
        main = ensure_embeddings(store, items, encoder) if items else np.zeros((0, 384))
        in_space = masked_vectors(store, items, terms, space)
        rows = []
        for item, vector, item_space in zip(items, main, in_space, strict=True):
            if not topics:
                rows.append(
                    {"item": item.id, "topic": None, "centroid": -1.0, "complaint": -1.0, "stored": None}
                )
                continue
            best = max(topics, key=lambda t: float(vector @ centroids[t["topic_id"]]))
            t = best["topic_id"]
            sims = [
                float(v @ item_space)
                for m, v in zip(members[t], complaint_vectors[t], strict=True)
                if m.id != item.id
            ]
            rows.append({
                "item": item.id, "topic": t, "centroid": float(vector @ centroids[t]),
                "complaint": max(sims, default=-1.0), "stored": stored.get(item.id),
            })  # fmt: skip
        weeks.append({
            "period": period, "topics": topics, "members": members, "items": items, "rows": rows,
            "howto": insight["howto"],
        })  # fmt: skip
    store.close()
    return weeks


def score(
    weeks: list[dict], labels: dict, centroid_min: float, complaint_min: float | None
) -> tuple[int, int, int]:
    """(ties, ties both annotators call helpful, ties either does)."""
    ties = [
        (w["period"], r["item"], r["topic"])
        for w in weeks
        for r in w["rows"]
        if r["topic"] is not None and r["centroid"] >= centroid_min
        and (complaint_min is None or r["complaint"] >= complaint_min)
    ]  # fmt: skip
    return counts(ties, labels)


def stored_ties(weeks: list[dict], labels: dict) -> tuple[int, int, int]:
    """The same counts for the ties the analyze flow stored."""
    return counts(
        [(w["period"], r["item"], r["stored"]) for w in weeks for r in w["rows"] if r["stored"] is not None],
        labels,
    )


def counts(ties: list[tuple[str, str, int]], labels: dict) -> tuple[int, int, int]:
    """(ties, ties both annotators call helpful, ties either does)."""
    both = sum(all(v != "no" for v in labels.get(k, ("no", "no"))) for k in ties)
    either = sum(any(v != "no" for v in labels.get(k, ("no", "no"))) for k in ties)
    return len(ties), both, either


def write_packets(weeks: list[dict], out: Path) -> None:
    """The weeks as the annotators read them (one Markdown file a week)."""
    out.mkdir(parents=True, exist_ok=True)
    for w in weeks:
        lines = [
            f"# Week {w['period']}\n",
            "## Complaint topics (each: the customer complaints grouped into it)\n",
        ]
        for t in w["topics"]:
            lines.append(
                f'### Topic T{t["topic_id"]} (machine label: "{t["label"]}", {t["size"]} complaints)\n'
            )
            lines += [
                f"- C{k}: " + m.full_text.replace("\n", " ")[:400]
                for k, m in enumerate(w["members"][t["topic_id"]], 1)
            ]
            lines.append("")
        lines.append("## How-to items (third-party content)\n")
        for m in w["items"]:
            lines += [f"### Item {m.id} ({m.kind})\n", m.full_text.replace("\n", " ")[:600], ""]
        (out / f"{w['period']}.md").write_text("\n".join(lines))


def kb_labelled() -> dict[tuple[str, str, str], tuple[str, str]]:
    """(kind, ref, article) -> (annotator A's label, B's) for the pairs not both "no"."""
    with open(DATA / "kb_coverage_labelled.csv", newline="") as f:
        return {(r["kind"], r["ref"], r["article"]): (r["label_a"], r["label_b"]) for r in csv.DictReader(f)}


def kb_coverage(weeks: list[dict], labels: dict) -> list[tuple[str, int, int, int]]:
    """(what, covered, at least partly right for both annotators, "yes" for either) for the stored
    coverage of topics (per week) and of distinct items (`HowtoItem.kb_article`).
    """
    topics = {
        ("topic", f"{w['period']}/T{t['topic_id']}", t["kb_article"]["id"])
        for w in weeks
        for t in w["topics"]
        if t.get("kb_article")
    }
    items = {
        ("item", h["mention_id"], h["kb_article"]["id"])
        for w in weeks
        for h in w["howto"]
        if h.get("kb_article")
    }
    out = []
    for what, pairs in (("topics", topics), ("how-to items", items)):
        right = sum(all(v != "no" for v in labels.get(k, ("no", "no"))) for k in pairs)
        yes = sum("yes" in labels.get(k, ("no", "no")) for k in pairs)
        out.append((what, len(pairs), right, yes))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo-dir", type=Path, default=Path("ugcminer-demo"))
    parser.add_argument("--packets", type=Path, help="write the weeks as the annotators read them here")
    args = parser.parse_args(argv)
    if not (args.demo_dir / "ugcminer-demo.yaml").exists():
        sys.exit(
            f"{args.demo_dir}/ugcminer-demo.yaml not found: run `ugcminer demo` first (or pass --demo-dir)"
        )
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from models.insight_builder import POLICY

    weeks = week_pairs(args.demo_dir)
    if args.packets:
        write_packets(weeks, args.packets)
    judged = judged_topics()
    now = {(w["period"], t["topic_id"]): (t["label"], t["size"]) for w in weeks for t in w["topics"]}
    if now != judged:
        print(f"warning: the demo's topics differ from those labelled ({len(set(now.items()) ^ set(judged.items()))} "
              "differ): the labels describe other topics; relabel with --packets", file=sys.stderr)  # fmt: skip
    labels = labelled()
    helpful = sum(any(v != "no" for v in pair) for pair in labels.values())
    pairs = sum(len(w["rows"]) * len(w["topics"]) for w in weeks)
    print(f"{len(weeks)} weeks, {pairs} (item, topic) pairs, {helpful} judged helpful by either annotator")
    print(f"{'rule':58} {'ties':>5} {'both':>5} {'either':>8}")
    rows = [("stored by the analyze flow", stored_ties(weeks, labels))]
    for complaint in COMPLAINT_THRESHOLDS:
        name = f"centroid >= {POLICY.howto_topic_similarity:.2f}"
        name += "" if complaint is None else f", a complaint >= {complaint:.2f}"
        rows.append((name, score(weeks, labels, POLICY.howto_topic_similarity, complaint)))
    for name, (ties, both, either) in rows:
        print(f"{name:58} {ties:5d} {both:5d} {either:5d}/{helpful}")
    kb = kb_labelled()
    print(
        f"\nknowledge-base coverage ({sum('yes' in v for v in kb.values())} pairs 'yes' for either annotator)"
    )
    print(f"{'stored as covered':20} {'covered':>8} {'right for both':>15} {'yes for either':>15}")
    for what, covered, right, yes in kb_coverage(weeks, kb):
        print(f"{what:20} {covered:8d} {right:15d} {yes:15d}")


if __name__ == "__main__":
    main()
