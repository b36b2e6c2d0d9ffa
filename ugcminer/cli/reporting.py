"""`ugcminer report`, `ugcminer demo` and `ugcminer serve`: thin wrappers over `reports.build`,
`flows.demo` and `flows.serve`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ugcminer.cli import app
from ugcminer.config import DEFAULT_CONFIG_NAME, load_config


@app.command()
def report(
    config: Path = typer.Option(Path(DEFAULT_CONFIG_NAME), "--config", "-c", help="config file"),
    brand: str | None = typer.Option(None, "--brand", "-b", help="only this brand (default: every brand)"),
    week: str | None = typer.Option(None, "--week", help="ISO week, e.g. 2026-W47"),
    as_of: str | None = typer.Option(None, "--as-of", help="date: report the last full week before it"),
    out: Path | None = typer.Option(None, "--out", help="output folder (default: reports.output_dir)"),
) -> None:
    """Write the weekly topic report (HTML, Markdown, CSV/JSON) of the last full week, or of --week."""
    from reports.build import generate_report

    cfg = load_config(config)
    for name in [cfg.brand(brand).name] if brand else [b.name for b in cfg.brands]:
        files, rep = generate_report(cfg, name, week=week, as_of=as_of, out=out)
        typer.echo(f"{name} {rep.period}: {files.html}")


@app.command()
def demo(
    workdir: Path = typer.Option(
        Path("ugcminer-demo"), "--workdir", help="where the demo keeps its store and reports"
    ),
) -> None:
    """Run the whole pipeline on the bundled demo corpus (local emulator, no credentials) and print the report path."""
    from rich.console import Console

    from flows.demo import quiet_prefect

    quiet_prefect()
    from flows.demo import run_demo

    console = Console(stderr=True, log_path=False)
    with console.status("Starting") as status:

        def step(label: str) -> None:
            console.log(label)
            status.update(f"{label}...")

        result = run_demo(workdir, on_step=step)
    for key, seconds in result.steps.items():
        console.log(f"{key}: {seconds:.1f} s")
    console.log(f"Done in {result.seconds:.1f} s. Open the report:")
    typer.echo(str(result.html.resolve()))


@app.command()
def serve(
    config: Path = typer.Option(Path(DEFAULT_CONFIG_NAME), "--config", "-c", help="config file"),
) -> None:
    """Serve the scheduled deployments (mining + analysis, weekly report, prune) until Ctrl-C."""
    from flows.serve import serve as serve_deployments

    load_config(config)  # fail fast with a clear message
    serve_deployments(config)
