"""The weekly report flow: per brand, build the report (HTML, Markdown, CSV/JSON) and publish it as
Prefect artifacts. One run per brand at a time: the deployment's concurrency limit when served, and
the store's run lock ("report:<brand>") always, so it also holds for CLI runs and across processes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from reports.artifacts import publish_artifacts
from reports.build import generate_report
from store.db import Store
from store.locks import RunLocked, run_lock
from ugcminer.config import Config, load_config


def run_id() -> str:
    """The current Prefect flow run id (a fresh id outside a run)."""
    return str(flow_run.get_id() or uuid.uuid4())


def brands_of(config: Config, brand: str | None) -> list[str]:
    """The brand named (checked against the config), or every configured brand."""
    return [config.brand(brand).name] if brand else [b.name for b in config.brands]


def _retry_unless_locked(_task: Any, _run: Any, state: Any) -> bool:
    """Retry a failed report, except when another run holds the brand's lock."""
    return not isinstance(state.result(raise_on_failure=False), RunLocked)


@task(name="build-report", retries=1, retry_delay_seconds=5, retry_condition_fn=_retry_unless_locked)
def build_report_task(
    config_path: str, brand: str, week: str | None, as_of: str | None, out_dir: str | None
) -> dict[str, Any]:
    """Build, write and publish one brand's report; returns its file paths."""
    config = load_config(config_path)
    store = Store(config.store_url())
    started = datetime.now(UTC)
    try:
        with run_lock(store, "report", brand):
            files, report = generate_report(config, brand, week=week, as_of=as_of, out=out_dir, store=store)
            artifacts = publish_artifacts(report, str(files.html))
            summary = {
                "period": report.period,
                "html": str(files.html),
                "markdown": str(files.markdown),
                "json": str(files.json),
                "artifacts": sorted(artifacts),
            }
            store.record_run(
                f"{run_id()}:report:{brand}"[:64], "report", brand, started, "completed", summary
            )
    finally:
        store.close()
    get_run_logger().info("Report for %s %s: %s", brand, summary["period"], summary["html"])
    return summary


@flow(name="weekly-report", log_prints=False)
def weekly_report_flow(
    config_path: str,
    brand: str | None = None,
    week: str | None = None,
    as_of: str | None = None,
    out_dir: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The weekly topic report of each brand (or of `brand`) for `week` or the last week before `as_of`."""
    config = load_config(config_path)
    return {
        name: build_report_task(config_path, name, week, as_of, out_dir) for name in brands_of(config, brand)
    }
