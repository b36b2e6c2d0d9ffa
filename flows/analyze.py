"""The analysis flow: classify what is new, then build the week's insight, per brand.

    analyze_flow("ugcminer.yaml")                                   # every brand, last full week
    analyze_flow("ugcminer.yaml", brand="Acme", week="2026-W47")

Thin over importable functions (`analyze_brand` runs without Prefect):

1. `classify_pending`: mentions of the week (and the how-to lookback window) not yet analysed by the
   current model version get one encoder pass (embeddings stored) and the heads' scores (stored).
2. `build_insight` (after any of the 7 weeks before it never built): topics, stable ids, how-to ranking and knowledge-base matching for the week; the
   `PeriodInsight` and the topic registry rows replace that week's rows in one transaction.

Idempotent: a re-run classifies nothing and rewrites the same insight; a crash leaves either the old
or the new rows, and a re-run finishes the job.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from models.insight_builder import POLICY, build_insight, classify_pending
from reports.weeks import IsoWeek, resolve_week
from store.db import Store, now_utc
from store.insight_tables import insight_periods
from store.locks import run_lock
from ugcminer.config import BrandConfig, Config, load_config

#: weeks before the analysed one that are built first when they never were (trend lines, status)
BACKFILL_WEEKS = POLICY.trend_weeks - 1


def analyze_brand(
    config: Config, brand: BrandConfig, week: IsoWeek, *, store: Store | None = None, analyzer: Any = None
) -> dict[str, Any]:
    """Classify pending mentions and build + store the week's insight for `brand` (no Prefect)."""
    own = store is None
    store = store or Store(config.store_url())
    started = now_utc()
    try:
        with run_lock(store, "analyze", brand.name):  # one analysis per brand at a time
            classified = classify_step(store, config, brand, week, analyzer)
            insight = build_week_with_history(store, config, brand, week)
            summary = _summary(brand, week, classified, insight)
            record_analysis(store, brand, started, summary)
    finally:
        if own:
            store.close()
    return summary


def record_analysis(store: Store, brand: BrandConfig, started: Any, summary: dict[str, Any]) -> None:
    """Store the analysis run (shown in the report's data coverage)."""
    store.record_run(uuid.uuid4().hex, "analyze", brand.name, started, "completed", summary)


def build_week_with_history(store: Store, config: Config, brand: BrandConfig, week: IsoWeek) -> Any:
    """Build the week's insight, first building any of the `BACKFILL_WEEKS` before it never built
    (oldest first), so topic ids, status and trend lines have a history on a first run.
    """
    built = set(insight_periods(store, brand.name))
    for earlier in [week.previous(k) for k in range(BACKFILL_WEEKS, 0, -1)]:
        if earlier.label not in built and store.mentions(
            brand.name, since=earlier.start_utc, until=earlier.end_utc
        ):
            build_insight(store, config, brand, earlier.start_utc, earlier.end_utc)
    return build_insight(store, config, brand, week.start_utc, week.end_utc)


def classify_step(
    store: Store, config: Config, brand: BrandConfig, week: IsoWeek, analyzer: Any = None
) -> dict:
    """Run the heads on the week's (and the history's and how-to window's) mentions not yet analysed."""
    from models.analyzer import load_analyzer

    analyzer = analyzer or load_analyzer(config.models)
    since = week.previous(BACKFILL_WEEKS).start_utc - timedelta(days=POLICY.howto_lookback_days)
    return classify_pending(store, config, brand, analyzer, since, week.end_utc)


def _summary(brand: BrandConfig, week: IsoWeek, classified: dict, insight: Any) -> dict[str, Any]:
    return {
        "brand": brand.name,
        "period": week.label,
        "classified": classified.get("classified", 0),
        "mentions": classified.get("mentions", 0),
        "topics": len([t for t in insight.topics if t.size > 0]),
        "howto": len(insight.howto),
        "gaps": len(insight.gaps),
        "weak_articles": len(insight.weak_articles),
        "notes": list(insight.notes),
    }


@task(retries=1, retry_delay_seconds=[10], cache_policy=NO_CACHE, task_run_name="classify-{brand_name}")
def classify_task(config: Config, brand_name: str, week: IsoWeek) -> dict[str, Any]:
    """Classify the brand's pending mentions."""
    store = Store(config.store_url())
    try:
        return classify_step(store, config, config.brand(brand_name), week)
    finally:
        store.close()


@task(retries=1, retry_delay_seconds=[10], cache_policy=NO_CACHE, task_run_name="insight-{brand_name}")
def insight_task(
    config: Config, brand_name: str, week: IsoWeek, classified: dict[str, Any]
) -> dict[str, Any]:
    """Build and store the brand's insight for the week."""
    store = Store(config.store_url())
    brand = config.brand(brand_name)
    started = now_utc()
    try:
        insight = build_week_with_history(store, config, brand, week)
        summary = _summary(brand, week, classified, insight)
        record_analysis(store, brand, started, summary)
    finally:
        store.close()
    return summary


@flow(name="analyze", log_prints=False)
def analyze_flow(
    config_path: str, brand: str | None = None, week: str | None = None, as_of: str | None = None
) -> dict[str, Any]:
    """Analyze every brand (or one) for an ISO week (default: the last full week)."""
    logger = get_run_logger()
    config = load_config(config_path)
    brands = [config.brand(brand)] if brand else list(config.brands)
    out: dict[str, Any] = {}
    store = Store(config.store_url())
    try:
        for b in brands:
            period = resolve_week(week, as_of, b.timezone)
            with run_lock(store, "analyze", b.name):  # the same lock as `analyze_brand` (CLI)
                classified = classify_task(config, b.name, period)
                out[b.name] = insight_task(config, b.name, period, classified)
            logger.info("%s %s: %s", b.name, period.label, out[b.name])
    finally:
        store.close()
    return out
