"""`ugcminer serve`: the deployments, with schedules from the config, served by one process.

Per brand:
    mine-analyze-<brand>   `schedules.mine_cron` (mining, then analysis of what is new)
    weekly-report-<brand>  `schedules.report_cron`, in the brand's timezone
    pipeline-<brand>       no schedule: mine -> analyze -> report on demand
Once:
    prune                  `schedules.prune_cron` (retention: YouTube data after 30 days, ...)

Concurrency: one run per brand and flow at a time, in two layers. (1) Each deployment has a Prefect
deployment concurrency limit of 1 (a late run is enqueued, not run alongside). (2) The flows take the
store's database lock ("<flow>:<brand>", `store.locks.run_lock`), which also covers CLI runs, runs
from other servers and runs without any Prefect server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron

from flows.pipeline import mine_analyze_flow, pipeline_flow
from flows.weekly_report import weekly_report_flow
from store.db import Store
from ugcminer.config import Config, load_config

ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


@flow(name="prune", log_prints=False)
def prune_flow(config_path: str) -> dict[str, int]:
    """Apply the retention rules (`store.retention.prune`) to the store."""
    from store.retention import prune

    config = load_config(config_path)
    store = Store(config.store_url())
    try:
        result = prune(store, config.retention)
    finally:
        store.close()
    return {
        "youtube_expired": result.youtube_expired,
        "reddit_expired": result.reddit_expired,
        "deleted_upstream": result.deleted_upstream,
    }


def _deployment(
    fn: Any, name: str, params: dict[str, Any], tags: list[str], cron: str | None, tz: str, description: str
) -> Any:
    schedules = [Cron(cron, timezone=tz)] if cron else None
    return fn.to_deployment(
        name=name,
        schedules=schedules,
        parameters=params,
        tags=tags,
        concurrency_limit=ONE_AT_A_TIME,
        description=description,
    )


def build_deployments(config: Config, config_path: str | Path) -> list[Any]:
    """The deployments `serve` runs (built, not yet served)."""
    path = str(Path(config_path).resolve())
    sched = config.schedules
    out = []
    for brand in config.brands:
        params = {"config_path": path, "brand": brand.name}
        tags = ["ugcminer", f"brand:{brand.slug}"]
        out += [
            _deployment(
                mine_analyze_flow,
                f"mine-analyze-{brand.slug}",
                params,
                tags,
                sched.mine_cron,
                brand.timezone,
                f"Mine and analyze {brand.name}",
            ),
            _deployment(
                weekly_report_flow,
                f"weekly-report-{brand.slug}",
                params,
                tags,
                sched.report_cron,
                brand.timezone,
                f"Weekly topic report for {brand.name}",
            ),
            _deployment(
                pipeline_flow,
                f"pipeline-{brand.slug}",
                params,
                tags,
                None,
                brand.timezone,
                f"Mine, analyze and report {brand.name} on demand",
            ),
        ]
    out.append(
        _deployment(
            prune_flow,
            "prune",
            {"config_path": path},
            ["ugcminer"],
            sched.prune_cron,
            "UTC",
            "Retention: delete expired and deleted-upstream data",
        )
    )
    return out


def serve(config_path: str | Path) -> None:
    """Serve every deployment until interrupted."""
    from prefect import serve as prefect_serve

    config = load_config(config_path)
    prefect_serve(*build_deployments(config, config_path))
