"""`ugcminer mine` and `ugcminer emulator`: thin wrappers over `flows.mine` / `miners.runner` and the
bundled emulator.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from ugcminer.cli import app
from ugcminer.config import DEFAULT_CONFIG_NAME, load_config
from ugcminer.errors import ConfigError

#: with none of these set and no config file, `ugcminer mine` mines the bundled demo (no credentials)
CREDENTIAL_VARS = ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "YOUTUBE_API_KEY")

NO_CONFIG = (
    "no config file: pass --config FILE (write one with `ugcminer init`) and set the credentials it names, "
    "or run `ugcminer mine --demo` to mine the bundled demo corpus through the local emulator"
)


def _resolve_config(config: Path | None, demo: bool, workdir: Path) -> Path:
    if demo:
        from flows.demo import write_demo_config

        return write_demo_config(workdir)
    if config is None:
        if Path(DEFAULT_CONFIG_NAME).exists():
            return Path(DEFAULT_CONFIG_NAME)
        if not any(os.environ.get(var) for var in CREDENTIAL_VARS):
            from flows.demo import write_demo_config

            typer.secho(
                "No config file and no credentials: mining the bundled demo corpus through the local "
                f"emulator (as --demo; store in {workdir}/).",
                err=True,
            )
            return write_demo_config(workdir)
        raise ConfigError(NO_CONFIG)
    return config


def _print_summary(result: dict[str, Any]) -> None:
    for name, summary in result["brands"].items():
        typer.echo(f"{name}: {summary['status']}")
        for source, s in summary["sources"].items():
            note = f" (stopped: {s['stopped_reason']})" if s["stopped_reason"] else ""
            typer.echo(
                f"  {source:8} new {s['new']}, updated {s['updated']}, unchanged {s['unchanged']}, "
                f"skipped {s['skipped']}, quarantined {s['quarantined']}; calls {s['calls']}, "
                f"quota units {s['quota_units']}, retries {s['retries']}{note}"
            )


@app.command()
def mine(
    config: Path | None = typer.Option(
        None, "--config", "-c", help=f"config file (default: ./{DEFAULT_CONFIG_NAME})"
    ),
    brand: str | None = typer.Option(None, "--brand", "-b", help="mine only this brand"),
    demo: bool = typer.Option(
        False, "--demo", help="the bundled emulator and demo corpus, SQLite in --workdir"
    ),
    workdir: Path = typer.Option(Path("ugcminer-demo"), "--workdir", help="where --demo keeps its store"),
    prefect: bool = typer.Option(
        True, "--prefect/--no-prefect", help="run as a Prefect flow (default) or inline"
    ),
) -> None:
    """Mine new brand mentions from Reddit and YouTube into the store (incremental)."""
    path = _resolve_config(config, demo, workdir)
    if prefect:
        os.environ.setdefault(
            "PREFECT_SERVER_ANALYTICS_ENABLED", "false"
        )  # no telemetry from a temporary server
        from flows.mine import mine_flow

        result = mine_flow(str(path), brand)
    else:
        from miners.runner import mine_config

        result = mine_config(load_config(path), brand)
    _print_summary(result)


@app.command()
def emulator(
    corpus: Path = typer.Option(..., "--corpus", help="corpus folder (e.g. miners/emulator/demo_corpus)"),
    port: int = typer.Option(0, "--port", help="port to listen on (0: a free one)"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    faults: str | None = typer.Option(None, "--faults", help="fault spec, e.g. '429:0.1,500x2,seed=7'"),
    quota: int | None = typer.Option(None, "--quota", help="YouTube daily quota units"),
    reddit_window: float = typer.Option(600.0, "--reddit-window", help="Reddit rate-limit window in seconds"),
) -> None:
    """Serve the local Reddit + YouTube API emulator until Ctrl-C."""
    from miners.emulator.server import Emulator, install_stop_handlers, serve_forever

    if not corpus.is_dir():
        raise ConfigError(f"--corpus {corpus}: not a folder (expected reddit/ and youtube/ JSON-lines files)")
    try:
        emu = Emulator(
            corpus, faults=faults, quota=quota, port=port, host=host, reddit_window_s=reddit_window
        )
    except ValueError as exc:
        raise ConfigError(f"--faults: {exc}") from None
    install_stop_handlers()
    try:  # a Ctrl-C that lands before serve_forever's loop still stops the server cleanly
        base = emu.start()
        typer.echo(f"Emulator serving {corpus} at {base}")
        typer.echo(
            f"  praw: oauth_url={base} reddit_url={base} short_url={base}; YouTube: api_endpoint={base}"
        )
        typer.echo(f"  counters: {base}/_emulator/counters   (Ctrl-C to stop)")
        serve_forever(emu)
    except KeyboardInterrupt:
        emu.stop()
