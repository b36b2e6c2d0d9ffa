"""`ugcminer train`: reproduce the encoder adapter and the heads from ../shared/data."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from ugcminer.cli import app


class Task(StrEnum):
    """A trainable head."""

    sentiment = "sentiment"
    complaint = "complaint"
    howto = "howto"


class Mode(StrEnum):
    """What `ugcminer train` does."""

    adapter = "adapter"
    heads = "heads"
    score = "score"
    text_view = "text-view"
    post_heads = "post-heads"
    instructional = "instructional"


@app.command()
def train(
    task: list[Task] = typer.Option(None, "--task", help="repeat for several; default all three"),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda"),
    out: Path = typer.Option(None, "--out", help="where the weight files go (default models/weights)"),
    data: Path = typer.Option(None, "--data", help="the shared data folder (default ../shared/data)"),
    mode: Mode = typer.Option(
        Mode.adapter,
        "--mode",
        help="adapter (LoRA + heads), heads (frozen LR), score, text-view (add the sentiment n-gram view "
        "to the weights in --out), post-heads (fit the heads for posts and videos on the labelled Reddit "
        "posts, for the weights in --out), instructional (fit the model that tells how-to posts and videos "
        "on the labelled ones, for the weights in --out)",
    ),
    epochs: float = typer.Option(
        None, "--epochs", help="override the policy's epochs (CPU: fewer is faster)"
    ),
    limit: int = typer.Option(None, "--limit", help="rows per split, for a quick run"),
) -> None:
    """Train the encoder adapter and heads (or only score them), writing safetensors + JSON to --out."""
    from dataclasses import replace

    from models.encoder import WEIGHTS_DIR
    from models.train import TASKS, TrainPolicy, add_post_heads, add_text_views, score_weights
    from models.train import train as run_training

    tasks = tuple(t.value for t in task) if task else TASKS
    if mode is Mode.score:
        score_weights(weights=out or WEIGHTS_DIR, data=data, device=device, tasks=tasks, log=typer.echo)
        return
    if mode is Mode.text_view:
        add_text_views(weights=out or WEIGHTS_DIR, data=data, device=device, log=typer.echo)
        typer.echo(f"Added the text views to {out or WEIGHTS_DIR}.")
        return
    if mode is Mode.instructional:
        from models.instructional import fit_and_save

        report = fit_and_save(out or WEIGHTS_DIR, weights=out or WEIGHTS_DIR)["report"]
        typer.echo(f"out-of-fold: {report['out_of_fold']}; the rule before: {report['rule_before']}")
        typer.echo(f"Added the instructional model to {out or WEIGHTS_DIR}.")
        return
    if mode is Mode.post_heads:
        add_post_heads(weights=out or WEIGHTS_DIR, device=device, log=typer.echo)
        typer.echo(f"Added the post heads to {out or WEIGHTS_DIR}.")
        return
    policy = TrainPolicy() if epochs is None else replace(TrainPolicy(), epochs=epochs)
    run_training(
        tasks=tasks,
        mode=mode.value,
        device=device,
        out=out or WEIGHTS_DIR,
        data=data,
        limit=limit,
        policy=policy,
        log=typer.echo,
    )
    typer.echo(f"Wrote the weights to {out or WEIGHTS_DIR}.")
