"""`ugcminer analyze` (the week's insight from the store) and `ugcminer topics` (topics of any file)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ugcminer.cli import app
from ugcminer.config import DEFAULT_CONFIG_NAME, load_config


@app.command()
def analyze(
    config: Path = typer.Option(Path(DEFAULT_CONFIG_NAME), "--config", "-c", help="config file"),
    brand: str | None = typer.Option(None, "--brand", "-b", help="only this brand (default: every brand)"),
    week: str | None = typer.Option(None, "--week", help="ISO week, e.g. 2026-W47"),
    as_of: str | None = typer.Option(None, "--as-of", help="date: analyze the last full week before it"),
    demo: bool = typer.Option(False, "--demo", help="use the demo config (./ugcminer-demo)"),
) -> None:
    """Classify new mentions and build the week's topics, how-to ranking and knowledge-base gaps."""
    from flows.analyze import analyze_brand
    from reports.weeks import resolve_week

    if demo:
        from ugcminer.demo import DEMO_AS_OF, demo_config

        cfg = demo_config(Path("ugcminer-demo"))
        as_of = as_of if (as_of or week) else DEMO_AS_OF.isoformat()
    else:
        cfg = load_config(config)
    for b in [cfg.brand(brand)] if brand else list(cfg.brands):
        summary = analyze_brand(cfg, b, resolve_week(week, as_of, b.timezone))
        typer.echo(json.dumps(summary))


@app.command()
def topics(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT", help="a .csv, .tsv, .jsonl or .json (array) file of texts"
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help=".jsonl or .csv (default: INPUT stem + .topics.jsonl)"
    ),
    text_column: str = typer.Option("text", "--text-column", help="the column holding the text"),
    summary: Path | None = typer.Option(
        None, "--summary", help="topic summary JSON (default: OUTPUT stem + .summary.json)"
    ),
    mask: list[str] = typer.Option(
        [], "--mask", help="brand/product names to keep out of topics (repeatable)"
    ),
    min_documents: int = typer.Option(
        20, "--min-documents", help="below this many texts, group by similarity"
    ),
) -> None:
    """Discover topics in any file: each row gets topic_id (-1 unassigned) and topic_label."""
    from models.topics import topics_for_file

    out, summary_path, info = topics_for_file(input_path, output, text_column, summary, mask, min_documents)
    typer.echo(f"{info['documents']} texts, {info['topics']} topics, {info['outlier_share']:.1%} unassigned")
    # "grouped": the texts the clustering put together; the rest were given their nearest topic
    if info["summary"]:
        typer.echo(f"  {'id':>4}  {'size':>6}  {'grouped':>7}  label")
    for topic in info["summary"][:15]:
        typer.echo(
            f"  {topic['topic_id']:>4}  {topic['size']:>6}  {topic['closely_grouped']:>7}  {topic['label']}"
        )
    typer.echo(f"rows: {out}\nsummary: {summary_path}")
