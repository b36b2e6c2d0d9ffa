"""Prefect artifacts of a report: created on a real flow run, every user string escaped."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prefect import flow
from report_fixtures import BRAND, FORMULA, IMG, SCRIPT, WEEK, fill_store, make_insight

from reports.artifacts import artifact_key, publish_artifacts, safe_table, summary_markdown
from reports.assemble import assemble_report
from store.db import Store


@pytest.fixture
def report(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    fill_store(store)
    return assemble_report(store, BRAND, WEEK, make_insight())


def test_artifact_key__is_valid_prefect_key():
    assert artifact_key("Acme Pay <x>", "report_topics") == "acme-pay-x-report-topics"


def test_summary_markdown__escapes_user_text(report):
    md = summary_markdown(report, "/tmp/r.html")
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;" in md
    assert "javascript:" not in md
    assert md.count("## ") == 4


def test_safe_table__escapes_and_neutralises_formulas(report):
    rows = safe_table(report.tables()["howto"])
    cells = [str(v) for row in rows for v in row.values()]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert not any("<" in c or ">" in c for c in cells)
    assert "'" + FORMULA.replace('"', '"') in cells


def test_publish_artifacts__on_a_flow_run(report, prefect_harness):
    from prefect.client.orchestration import get_client

    @flow
    def publish():
        return publish_artifacts(report, "/tmp/report.html")

    keys = publish()
    assert artifact_key(BRAND, "weekly-report") in keys
    assert artifact_key(BRAND, "report-topics") in keys

    async def read():
        async with get_client() as client:
            # the filter body is sent by hand: this Prefect build's client sends nulls the server rejects
            response = await client._client.post(
                "/artifacts/filter", json={"limit": 200, "offset": 0, "sort": "KEY_ASC"}
            )
            return [a for a in response.json() if a["key"] in keys]

    arts = asyncio.run(read())
    assert {a["key"] for a in arts} == set(keys)
    for art in arts:
        text = str(art["data"])
        assert SCRIPT not in text and IMG not in text and "<script" not in text
