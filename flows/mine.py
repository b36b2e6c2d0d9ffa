"""The mining flow: one Prefect task per source and brand, a logged and returned summary.

    mine_flow("ugcminer.yaml")                 # every brand
    mine_flow("ugcminer.yaml", brand="Acme")

The logic lives in `miners.runner` (usable without Prefect); this module only adds tasks, Prefect's
whole-source retries (a source that stopped on an error is retried; its cursors make that cheap),
concurrency between the sources and logging. The run is recorded in the store's `runs` table.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.states import State

from miners.base import SourceSummary
from miners.runner import SOURCES, mine_config, mine_source
from store.db import Store
from ugcminer.config import BrandConfig, Config, load_config
from ugcminer.errors import SourceUnavailable


@task(
    retries=2, retry_delay_seconds=[5, 30], cache_policy=NO_CACHE, task_run_name="mine-{source}-{brand_name}"
)
def mine_source_task(
    config: Config, brand_name: str, source: str, emulator_base_url: str | None
) -> dict[str, Any]:
    """Mine one source for one brand; raise (so Prefect retries) when it stopped on an error."""
    store = Store(config.store_url())
    try:
        summary = mine_source(
            config,
            config.brand(brand_name),
            store,
            source,
            emulator_base_url=emulator_base_url,
            use_secret_blocks=True,
        )
    finally:
        store.close()
    if (summary.stopped_reason or "").startswith("error"):
        raise SourceUnavailable(f"{source} mining for {brand_name} stopped: {summary.stopped_reason}")
    return summary.as_dict()


def _summary_from_state(state: State, source: str, brand: str) -> SourceSummary:
    if state.is_completed():
        data = dict(state.result())
        summary = SourceSummary(source=data.pop("source"), brand=data.pop("brand"))
        for key, value in data.items():
            setattr(summary, key, value)
        return summary
    message = state.message or "failed"
    return SourceSummary(source, brand, stopped_reason=f"error: {message}", errors=[message])


def run_sources_as_tasks(
    config: Config, brand: BrandConfig, emulator_base_url: str | None
) -> list[SourceSummary]:
    """Submit one task per source (they run concurrently) and collect their summaries."""
    futures = {s: mine_source_task.submit(config, brand.name, s, emulator_base_url) for s in SOURCES}
    for future in futures.values():
        future.wait()
    return [_summary_from_state(futures[s].state, s, brand.name) for s in SOURCES]


@flow(name="mine", log_prints=False)
def mine_flow(config_path: str, brand: str | None = None) -> dict[str, Any]:
    """Mine Reddit and YouTube for every brand in the config (or one brand) and record the run."""
    logger = get_run_logger()
    config = load_config(config_path)
    result = mine_config(config, brand, run_sources=run_sources_as_tasks, run_id=str(flow_run.get_id() or ""))
    for name, summary in result["brands"].items():
        totals = summary["totals"]
        logger.info(
            "%s: %s new, %s updated, %s unchanged, %s skipped, %s quarantined; %s calls, %s quota units; %s",
            name,
            totals["new"],
            totals["updated"],
            totals["unchanged"],
            totals["skipped"],
            totals["quarantined"],
            totals["calls"],
            totals["quota_units"],
            summary["status"],
        )
    return result
