"""`ugcminer init`: write a commented example config."""

from __future__ import annotations

from pathlib import Path

import typer

from ugcminer.cli import app
from ugcminer.config import DEFAULT_CONFIG_NAME
from ugcminer.errors import ConfigError
from ugcminer.example_config import EXAMPLE_CONFIG


@app.command()
def init(
    path: Path = typer.Argument(Path(DEFAULT_CONFIG_NAME), help="where to write the config"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing file"),
) -> None:
    """Write a commented example config file."""
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists (use --force to overwrite)")
    path.write_text(EXAMPLE_CONFIG, encoding="utf-8")
    typer.echo(
        f"Wrote {path}. Edit the brand section, set credentials in the environment, then run "
        f"`ugcminer mine --config {path}`."
    )
