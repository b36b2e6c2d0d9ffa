"""Prefect artifacts for a report run: a Markdown summary and the main tables, all escaped.

The summary is built from escaped Markdown (`md_escape`, `md_link`); table cells are plain text with
`<`, `>` and `&` written as entities and formula starts neutralised, so nothing from user content can
become markup in the Prefect UI or in a spreadsheet a table is pasted into.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from reports.assemble import Report
from reports.render import csv_cell, md_escape, md_link

ARTIFACT_TABLES = ("actions", "topics", "howto", "gaps", "creators", "coverage_sources")
MAX_ROWS = 50
MAX_CELL = 500


def artifact_key(brand: str, name: str) -> str:
    """A valid artifact key (lowercase letters, digits and dashes)."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", f"{brand}-{name}".lower())).strip("-")[:100]


def table_cell(value: Any) -> Any:
    """A table-artifact cell: numbers as they are, text escaped and formula-safe."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    return csv_cell(escape(text, quote=False))


def safe_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows ready for `create_table_artifact`."""
    return [{k: table_cell(v) for k, v in row.items()} for row in rows[:MAX_ROWS]]


def summary_markdown(report: Report, html_path: str | None = None) -> str:
    """A short escaped Markdown summary: what to do next, emerging topics, headline numbers."""
    lines = [f"# {md_escape(report.brand)}: weekly topic report {report.period}", ""]
    if html_path:
        lines += [f"Full report: {md_escape(html_path)}", ""]
    lines += ["## What to do next", ""]
    lines += [f"{i}. **{md_escape(a.title)}** ({md_escape(a.why)})" for i, a in enumerate(report.actions, 1)]
    lines += ["", "## Emerging topics", ""]
    lines += [
        f"- **{md_escape(t.label)}** ({t.status}): {t.size} mentions, {t.change:+d}" for t in report.emerging
    ]
    lines += ["", "## Headline numbers", "", "| Metric | Value | Previous |", "|---|---:|---:|"]
    for h in report.headlines:
        fmt = (
            (lambda v: "n/a" if v is None else f"{v * 100:.1f}%")
            if h.unit == "share"
            else (lambda v: "n/a" if v is None else f"{v:,.0f}")
        )
        lines.append(f"| {md_escape(h.label)} | {fmt(h.value)} | {fmt(h.previous)} |")
    lines += ["", "## Top how-to content", ""]
    lines += [
        f"{i}. {md_link(h.title, h.url)} ({md_escape(h.recommendation)})"
        for i, h in enumerate(report.howto[:5], 1)
    ]
    return "\n".join(lines) + "\n"


def publish_artifacts(report: Report, html_path: str | None = None) -> dict[str, str]:
    """Create the summary and table artifacts on the current Prefect run; returns key -> artifact id."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    out = {}
    key = artifact_key(report.brand, "weekly-report")
    out[key] = str(
        create_markdown_artifact(
            markdown=summary_markdown(report, html_path),
            key=key,
            description=f"Weekly topic report {report.period}",
        )
    )
    tables = report.tables()
    for name in ARTIFACT_TABLES:
        rows = safe_table(tables.get(name, []))
        if not rows:
            continue
        key = artifact_key(report.brand, f"report-{name.replace('_', '-')}")
        out[key] = str(create_table_artifact(table=rows, key=key, description=f"{name} {report.period}"))
    return out
