"""`ugcminer report` and `ugcminer serve --help` through the real CLI."""

from __future__ import annotations

from pathlib import Path

import yaml
from report_fixtures import BRAND, WEEK, fill_store, make_insight, store_insight
from typer.testing import CliRunner

from store.db import Store
from ugcminer.cli import app


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "ugcminer.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "brands": [{"name": BRAND, "timezone": WEEK.tz}],
                "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
            }
        )
    )
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    fill_store(store)
    store_insight(store, make_insight())
    return path


def test_report_command__week_and_out(tmp_path: Path):
    config = _config(tmp_path)
    result = CliRunner().invoke(
        app, ["report", "--config", str(config), "--week", WEEK.label, "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    html = tmp_path / "r" / "acme" / WEEK.label / "report.html"
    assert result.output.strip() == f"{BRAND} {WEEK.label}: {html}"
    assert html.exists() and (html.parent / "tables" / "howto.csv").exists()
    assert "Fix login in 2 minutes" in html.read_text()


def test_report_command__as_of_uses_default_output_dir(tmp_path: Path):
    config = _config(tmp_path)
    result = CliRunner().invoke(
        app, ["report", "-c", str(config), "--brand", "acme", "--as-of", "2026-11-25"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports_out" / "acme" / "2026-W47" / "report.html").exists()


def test_report_command__bad_week_is_one_clear_error(tmp_path: Path):
    result = CliRunner().invoke(app, ["report", "-c", str(_config(tmp_path)), "--week", "W47"])
    assert result.exit_code != 0 and "write it like 2026-W47" in str(result.exception)


def test_serve_command__is_registered():
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--config" in result.output
