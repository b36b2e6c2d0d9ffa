"""`ugcminer classify` and `ugcminer evaluate`: the models on any CSV/JSONL export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ugcminer.cli import app
from ugcminer.config import DEFAULT_CONFIG_NAME, ModelsConfig, load_config
from ugcminer.errors import ModelError

if TYPE_CHECKING:
    from models.classify import ClassifyResult

POSTS_HELP = (
    "the rows are forum posts or videos (title, a line break, body): sentiment and complaint by the post "
    "heads (how-to comes from the instructional model for every row)"
)
TITLE_COLUMN_HELP = "a column of titles (posts, videos): read as the title, then the text"


def models_config(config: Path | None) -> ModelsConfig:
    """The `models` section of `config`, else of ./ugcminer.yaml when present, else the defaults."""
    if config is None and Path(DEFAULT_CONFIG_NAME).is_file():
        config = Path(DEFAULT_CONFIG_NAME)
    return load_config(config).models if config is not None else ModelsConfig()


def _taxonomy(path: Path | None, cfg: ModelsConfig, threshold: float | None) -> object:
    if path is None:
        return None
    from models.taxonomy import load_taxonomy, taxonomy_classifier, taxonomy_encoder

    cutoff = cfg.taxonomy_threshold if threshold is None else threshold
    return taxonomy_classifier(load_taxonomy(path), taxonomy_encoder(cfg.encoder), cutoff)


def _stderr(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def classify(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT", help="a .csv, .tsv, .jsonl or .json (array) file of texts"
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help=".jsonl or .csv (default: INPUT stem + .labeled.jsonl)"
    ),
    taxonomy: Path | None = typer.Option(
        None, "--taxonomy", help="taxonomy YAML: adds category, category_score"
    ),
    text_column: str = typer.Option("text", "--text-column", help="the column holding the text"),
    title_column: str | None = typer.Option(None, "--title-column", help=TITLE_COLUMN_HELP),
    threshold: float | None = typer.Option(
        None, "--threshold", min=0.0, max=1.0, help="taxonomy: 'other' below this score (default: config)"
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help=f"config file (default: ./{DEFAULT_CONFIG_NAME})"
    ),
    posts: bool = typer.Option(
        False,
        "--posts",
        help=POSTS_HELP,
    ),
) -> None:
    """Add sentiment, complaint, how-to (and taxonomy category) predictions to every row of INPUT."""
    from models.analyzer import load_analyzer
    from models.classify import classify_rows, sentiment_shares_line
    from models.io import default_output_path, read_rows, require_column, write_rows

    rows = read_rows(input_path)
    require_column(rows, text_column, input_path)
    if title_column:
        require_column(rows, title_column, input_path, "--title-column")
    cfg = models_config(config)
    analyzer = load_analyzer(cfg)
    classifier = _taxonomy(taxonomy, cfg, threshold)
    result = classify_rows(
        rows,
        analyzer=analyzer,
        taxonomy=classifier,
        text_column=text_column,
        progress=True,
        posts=posts,
        title_column=title_column,
    )  # type: ignore[arg-type]
    out = output or default_output_path(input_path)
    write_rows(out, result.rows)
    _stderr(f"Wrote {out}. {result.summary()}")
    shares = sentiment_shares_line(result, analyzer.share_calibration("sentiment", posts=posts))
    if shares:
        _stderr(shares)


@app.command()
def evaluate(
    task: str = typer.Option(..., "--task", help="sentiment, complaint, howto or taxonomy"),
    data: Path = typer.Option(..., "--data", help="a labelled .csv, .tsv, .jsonl or .json (array) file"),
    text_column: str = typer.Option("text", "--text-column", help="the column holding the text"),
    title_column: str | None = typer.Option(None, "--title-column", help=TITLE_COLUMN_HELP),
    label_column: str | None = typer.Option(None, "--label-column", help="default: label, then category"),
    threshold: float | None = typer.Option(
        None, "--threshold", min=0.0, max=1.0, help="taxonomy: 'other' below this score (default: config)"
    ),
    taxonomy: Path | None = typer.Option(
        None, "--taxonomy", help="taxonomy YAML (required for --task taxonomy)"
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="metrics JSON (default: DATA stem + .TASK.metrics.json)"
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help=f"config file (default: ./{DEFAULT_CONFIG_NAME})"
    ),
    cache: Path | None = typer.Option(
        None, "--cache", help="an .npz file of embeddings reused across runs (same encoder version)"
    ),
    posts: bool = typer.Option(
        False,
        "--posts",
        help=POSTS_HELP,
    ),
) -> None:
    """Score a task's predictions against the labels in DATA; print a table and write JSON."""
    from rich.console import Console

    from models.evaluate import (
        evaluate_classified,
        find_label_column,
        label_family,
        render_table,
        share_report,
    )
    from models.io import columns_of, read_rows, require_column

    label_family(task)
    if task == "taxonomy" and taxonomy is None:
        raise ModelError("--task taxonomy needs --taxonomy FILE (a taxonomy YAML)")
    rows = read_rows(data)
    require_column(rows, text_column, data)
    if title_column:
        require_column(rows, title_column, data, "--title-column")
    label = find_label_column(columns_of(rows), label_column, data)
    cfg = models_config(config)
    if threshold is not None:
        cfg = cfg.model_copy(update={"taxonomy_threshold": threshold})
    result, models_version = _classify_for(task, rows, text_column, taxonomy, cfg, cache, posts, title_column)
    report = evaluate_classified(task, rows, result.predictions, label)
    out = output or data.with_name(f"{data.stem}.{task}.metrics.json")
    extra = {"data": str(data), "label_column": label, "models": models_version, "posts": posts}
    if task == "taxonomy":
        extra.update(taxonomy=str(taxonomy), threshold=cfg.taxonomy_threshold)
    shares = None
    if task == "sentiment":  # how well the report's estimated shares would match this data
        from models.analyzer import load_analyzer

        shares = share_report(report, load_analyzer(cfg).share_calibration("sentiment", posts=posts))
        extra["shares"] = shares
    report.write_json(out, **extra, mentions_per_s=round(result.rate, 1))
    Console().print(render_table(report, title=f"{task} on {data.name} ({report.n} rows)"))
    _stderr(
        f"Wrote {out}. accuracy {report.accuracy:.4f}, macro-F1 {report.macro_f1:.4f}, "
        f"macro recall {report.macro_recall:.4f}; {report.skipped} rows skipped (no text or label)"
    )
    if shares:
        parts = [
            f"{x} {v['true']:.1%} / {v['labelled']:.1%} / {v['estimated']:.1%}" for x, v in shares.items()
        ]
        _stderr("Class shares, true / as labelled / estimated as in the report: " + ", ".join(parts))


def _classify_for(
    task: str,
    rows: list[dict[str, Any]],
    text_column: str,
    taxonomy: Path | None,
    cfg: ModelsConfig,
    cache_path: Path | None,
    posts: bool = False,
    title_column: str | None = None,
) -> tuple[ClassifyResult, str]:
    """Run the models `task` needs (the encoder alone for taxonomy, the analyzer otherwise); their version."""
    from models.classify import EmbeddingCache, classify_rows

    if task == "taxonomy":  # one pass, by the encoder taxonomies classify with
        from models.taxonomy import taxonomy_encoder

        encoder, analyzer = taxonomy_encoder(cfg.encoder), None
        version = encoder.version
    else:
        from models.analyzer import load_analyzer

        analyzer = load_analyzer(cfg)
        encoder, version = analyzer.encoder, analyzer.version
    classifier = _taxonomy(taxonomy, cfg, None) if task == "taxonomy" else None
    cache = EmbeddingCache(cache_path, encoder.version) if cache_path else None
    result = classify_rows(
        rows,
        analyzer=analyzer,
        encoder=encoder,
        taxonomy=classifier,
        text_column=text_column,
        progress=True,
        cache=cache,
        posts=posts,
        title_column=title_column,
    )  # type: ignore[arg-type]
    return result, version
