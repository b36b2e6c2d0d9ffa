"""`ugcminer prune`: apply the retention rules to the store."""

from __future__ import annotations

from pathlib import Path

import typer

from store import open_store
from store.retention import prune as prune_store
from ugcminer.cli import app
from ugcminer.config import DEFAULT_CONFIG_NAME, load_config


@app.command()
def prune(
    config: Path = typer.Option(Path(DEFAULT_CONFIG_NAME), "--config", "-c", help="config file"),
    dry_run: bool = typer.Option(False, "--dry-run", help="count only, delete nothing"),
) -> None:
    """Delete YouTube data older than the retention period, old Reddit data and content deleted upstream."""
    cfg = load_config(config)
    store = open_store(cfg.store_url())
    result = prune_store(store, cfg.retention, dry_run=dry_run)
    verb = "Would delete" if dry_run else "Deleted"
    typer.echo(
        f"{verb} {result.total} mentions: {result.youtube_expired} YouTube older than "
        f"{cfg.retention.youtube_days} days, {result.reddit_expired} Reddit older than "
        f"{cfg.retention.reddit_days} days, {result.deleted_upstream} deleted upstream."
    )
