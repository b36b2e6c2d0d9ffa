"""The `ugcminer` command. Thin: each command is one call into the Python API; errors become one
clean sentence (no traceback) and exit code 2.

Commands live in one module per concern (`ugcminer/cli/<concern>.py`), each registering on `app`.
"""

from __future__ import annotations

import importlib
import os
import sys

# The model libraries draw a progress bar for every set of weights they load ("Loading weights:
# 100%|...| 103/103"), twice per command that loads the encoders; the commands' own progress (rich)
# is what a user wants to see. Set before those libraries are imported; the user's environment wins.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import typer  # noqa: E402

from ugcminer.errors import UgcminerError  # noqa: E402

app = typer.Typer(
    name="ugcminer",
    help="Brand mentions on Reddit and YouTube turned into work for a content team.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Brand mentions on Reddit and YouTube turned into work for a content team."""


# modules that register commands on `app`; each is imported if present
COMMAND_MODULES = (
    "ugcminer.cli.setup",  # init
    "ugcminer.cli.mining",  # mine, emulator
    "ugcminer.cli.modelling",  # classify, evaluate
    "ugcminer.cli.training",  # train
    "ugcminer.cli.insight",  # analyze, topics
    "ugcminer.cli.reporting",  # report, demo, serve
    "ugcminer.cli.ops",  # prune
)

for _name in COMMAND_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a concern not built yet
        if exc.name != _name:
            raise


def main() -> None:
    """Entry point: run the CLI, turning ugcminer errors into one line on stderr."""
    try:
        app()
    except UgcminerError as exc:
        typer.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(2)
