"""Render a `Report`: self-contained HTML (Jinja2, autoescape on, inline SVG charts, print CSS),
Markdown (every user string escaped), CSV (formula-injection-safe) and JSON of every table.

Safety rules, applied here and nowhere else:
- HTML: Jinja2 autoescapes every value; only our own SVG charts are marked safe. A strict
  Content-Security-Policy (no scripts at all) is a second line of defence.
- Links to originals: only http(s) URLs become links (`safe_url`); anything else renders as text.
- Markdown: `md_escape` neutralises HTML (`<`, `>`, `&`), link syntax, tables, code, emphasis and
  leading block markers in user text; the template only ever prints escaped or `MdSafe` values.
- CSV: cells starting with = + - @ (or a tab / carriage return) get a leading quote (`csv_cell`).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from reports.assemble import Report
from reports.html_view import html_context

TEMPLATES = Path(__file__).parent / "templates"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_WS = re.compile(r"\s+")
# a Markdown link in user text ("Get Google's [Music Manager](http://support.google.com/...)"), and one
# cut off by a stored quote's length limit at the end
_MD_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((?:https?://|www\.|/)[^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)")
_MD_LINK_CUT = re.compile(r"\[([^\[\]\n]{1,200})\]\((?:https?://|www\.|/)[^()\s]*$")


class MdSafe(str):
    """Markdown that is already escaped (printed as is by the Markdown template)."""


def safe_url(url: Any) -> str | None:
    """`url` when it is an absolute http(s) URL without control characters, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or any(ord(ch) < 32 or ch in "\"'<>\\` " for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def md_escape(value: Any) -> str:
    """User text made inert for Markdown: one line, no HTML, no links, tables, code or emphasis."""
    if value is None:
        return ""
    text = _WS.sub(" ", str(value)).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    if text[:1] in ("#", "-", "+", "=") or re.match(r"\d+[.)]", text):
        text = "\\" + text
    return text


def md_link(text: Any, url: Any) -> MdSafe:
    """`[text](url)` for http(s) URLs; escaped plain text otherwise."""
    label = md_escape(text) or "link"
    target = safe_url(url)
    if target is None:
        return MdSafe(label)
    return MdSafe(f"[{label}]({quote(target, safe=':/?#@!$&*+,;=%~.-_')})")


def csv_cell(value: Any) -> Any:
    """A CSV cell that spreadsheets will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, list | dict):
        return csv_cell(json.dumps(value, ensure_ascii=False))
    return value


def clip(value: Any, limit: int = 280) -> str:
    """`value` on one line, Markdown links as their text ("[Music Manager](http://...)" reads "Music
    Manager": quotes and steps are Reddit Markdown), at most `limit` characters, cut at a word with an
    ellipsis.
    """
    text = "" if value is None else _WS.sub(" ", str(value)).strip()
    text = _MD_LINK_CUT.sub(r"\1", _MD_LINK.sub(r"\1", text))
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip() + "…"


def _html_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["clip"] = clip
    return env


def _md_finalize(value: Any) -> Any:
    if isinstance(value, MdSafe | int | float) or value is None:
        return "" if value is None else value
    return md_escape(value)


def _md_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,
        finalize=_md_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["link"] = md_link
    env.filters["raw"] = MdSafe
    env.filters["clip"] = clip
    return env


def render_html(report: Report) -> str:
    """The self-contained HTML report."""
    return _html_env().get_template("report.html.j2").render(**html_context(report))


def render_markdown(report: Report) -> str:
    """The Markdown report (Slack, Confluence, email)."""
    return _md_env().get_template("report.md.j2").render(**html_context(report, markdown=True))


def report_json(report: Report) -> str:
    """All of the report's data as JSON (`<`, `>`, `&` written as unicode escapes)."""
    data = {
        "brand": report.brand,
        "period": report.period,
        "timezone": report.week.tz,
        "start": report.week.start.isoformat(),
        "end": report.week.end.isoformat(),
        "generated_at": report.generated_at.isoformat(),
        "tables": report.tables(),
        "insight": report.insight.to_dict(),
        "methods": report.methods,
    }
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """One table as a formula-safe CSV (UTF-8 with BOM, so spreadsheets read it right)."""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    with path.open("w", newline="", encoding="utf-8-sig", errors="replace") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns or ["empty"])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: csv_cell(v) for k, v in row.items()})


@dataclass
class ReportFiles:
    """Where a report was written."""

    folder: Path
    html: Path
    markdown: Path
    json: Path
    csv: dict[str, Path] = field(default_factory=dict)


def report_folder(out_dir: Path, report: Report) -> Path:
    """`<out_dir>/<brand-slug>/<period>`."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in report.brand.lower()).strip("-") or "brand"
    return Path(out_dir) / slug / report.period


def write_report(report: Report, out_dir: Path | str) -> ReportFiles:
    """Write HTML, Markdown, JSON and one CSV per table into the report's folder."""
    folder = report_folder(Path(out_dir), report)
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    files = ReportFiles(folder, folder / "report.html", folder / "report.md", folder / "report.json")
    # errors="replace": a lone surrogate in user text becomes "?" instead of failing the report
    files.html.write_text(render_html(report), encoding="utf-8", errors="replace")
    files.markdown.write_text(render_markdown(report), encoding="utf-8", errors="replace")
    files.json.write_text(report_json(report), encoding="utf-8", errors="replace")
    for name, rows in report.tables().items():
        files.csv[name] = folder / "tables" / f"{name}.csv"
        write_csv(rows, files.csv[name])
    return files


__all__ = [
    "MdSafe",
    "Markup",
    "ReportFiles",
    "csv_cell",
    "md_escape",
    "md_link",
    "render_html",
    "render_markdown",
    "report_json",
    "safe_url",
    "write_report",
]
