"""The weekly report flow on a real Prefect run: files, artifacts, run record, one run per brand."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from report_fixtures import BRAND, SCRIPT, WEEK, fill_store, make_insight, store_insight
from sqlalchemy import select

from flows.weekly_report import weekly_report_flow
from store import schema
from store.db import Store
from store.locks import try_acquire


@pytest.fixture
def setup(tmp_path: Path):
    db = tmp_path / "store.db"
    config = tmp_path / "ugcminer.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "brands": [{"name": BRAND, "timezone": WEEK.tz}],
                "store": {"url": f"sqlite:///{db}"},
                "reports": {"output_dir": "out"},
            }
        )
    )
    store = Store(f"sqlite:///{db}")
    expected = fill_store(store)
    store_insight(store, make_insight())
    return config, store, expected


def test_weekly_report_flow__writes_report_and_records_run(setup, prefect_harness):
    config, store, expected = setup
    result = weekly_report_flow(str(config), week=WEEK.label)
    summary = result[BRAND]
    html = Path(summary["html"])
    assert html == config.parent / "out" / "acme" / WEEK.label / "report.html"
    text = html.read_text()
    assert f'<div class="v">{expected[WEEK.label]["mentions"]}</div>' in text
    assert "login fails" in text and "&lt;script&gt;" in text and SCRIPT not in text  # the stored insight
    assert Path(summary["markdown"]).exists() and Path(summary["json"]).exists()
    assert "acme-weekly-report" in summary["artifacts"]
    with store.engine.connect() as conn:
        runs = [r for r in conn.execute(select(schema.runs)) if r.flow == "report"]
    assert len(runs) == 1 and runs[0].summary["period"] == WEEK.label
    assert try_acquire(store, f"report:{BRAND}") is not None  # the flow released its lock


def test_weekly_report_flow__second_run_for_same_brand_is_refused(setup, prefect_harness):
    config, store, _ = setup
    assert try_acquire(store, f"report:{BRAND}") is not None  # another run holds the lock
    state = weekly_report_flow(str(config), brand=BRAND, as_of="2026-11-23", return_state=True)
    assert state.is_failed()
    with pytest.raises(Exception, match="in progress"):
        state.result()
    assert not (config.parent / "out").exists()
