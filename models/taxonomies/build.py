r"""Build an N-shot taxonomy YAML from a labelled CSV/JSONL, and the rows it did not use.

    python -m models.taxonomies.build ../shared/data/banking77/train.csv --shots 10 \\
        --taxonomy models/taxonomies/banking77_10shot.yaml --rest out/banking77_rest.csv

Deterministic: per category, the rows whose ``sha1(text)`` sorts first become the examples (exact
duplicate texts are used once); every other row goes to ``--rest`` for evaluation. Descriptions are
the category names made readable (``card_arrival`` -> ``card arrival``), so the same file also
measures the descriptions-only mode when its examples are dropped (``--shots 0``).
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from models.io import read_rows, require_column, write_rows


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def few_shot_split(
    rows: Sequence[dict[str, Any]], shots: int, text_column: str = "text", label_column: str = "category"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A taxonomy mapping with `shots` examples per category, and the remaining rows in input order."""
    by_label: dict[str, list[str]] = {}
    for row in rows:
        text, label = row.get(text_column), row.get(label_column)
        if isinstance(text, str) and text.strip() and label not in (None, ""):
            by_label.setdefault(str(label), []).append(text)
    chosen: set[tuple[str, str]] = set()
    categories = []
    for label in sorted(by_label):
        examples = sorted(set(by_label[label]), key=_key)[:shots]
        chosen.update((label, text) for text in examples)
        entry: dict[str, Any] = {"name": label, "description": label.replace("_", " ")}
        if examples:
            entry["examples"] = examples
        categories.append(entry)
    rest = [r for r in rows if (str(r.get(label_column)), r.get(text_column)) not in chosen]
    return {"categories": categories}, rest


def write_taxonomy(path: Path, taxonomy: dict[str, Any], header: str) -> None:
    """Write `taxonomy` as YAML with a comment `header`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    body = yaml.safe_dump(taxonomy, sort_keys=False, allow_unicode=True, width=1000)
    path.write_text(comment + body, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Command line entry (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="category")
    parser.add_argument("--taxonomy", type=Path, required=True)
    parser.add_argument("--rest", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = read_rows(args.data)
    require_column(rows, args.text_column, args.data)
    require_column(rows, args.label_column, args.data, option="--label-column")
    taxonomy, rest = few_shot_split(rows, args.shots, args.text_column, args.label_column)
    header = (
        f"{args.shots}-shot taxonomy built from {args.data.name} by `python -m models.taxonomies.build "
        f"{args.data.name} --shots {args.shots}`\n(examples: per category the texts with the smallest sha1; "
        "descriptions: category names)"
    )
    write_taxonomy(args.taxonomy, taxonomy, header)
    if args.rest is not None:
        write_rows(args.rest, rest)
    print(
        f"{len(taxonomy['categories'])} categories, {len(rows) - len(rest)} examples, {len(rest)} rows left"
    )


if __name__ == "__main__":
    main()
