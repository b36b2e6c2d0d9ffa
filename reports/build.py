"""The report's Python API: one call builds a brand's weekly report and writes every format.

    files, report = generate_report(config, "Acme", week="2026-W47")

The insight for the week is the one the analyze flow stored (`models.insight_builder.load_insight`).
The report never runs the models itself: for a week not analysed yet it still renders the headline
numbers, trend and coverage, with a note saying to run `ugcminer analyze` for that week.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from pathlib import Path
from typing import Any

from models.insight import PeriodInsight
from reports.assemble import Report, assemble_report
from reports.render import ReportFiles, write_report
from reports.weeks import IsoWeek, resolve_week
from store.db import Store
from ugcminer.config import BrandConfig, Config


def _insight_api() -> Any | None:
    try:
        return importlib.import_module("models.insight_builder")
    except ModuleNotFoundError as exc:
        if exc.name != "models.insight_builder":
            raise
        return None


def week_insight(store: Store, brand: BrandConfig, week: IsoWeek) -> PeriodInsight | None:
    """The week's stored insight; None when the week was not analysed (or no insight layer exists)."""
    api = _insight_api()
    return None if api is None else api.load_insight(store, brand.name, week.label)


def output_dir(config: Config, out: str | Path | None = None) -> Path:
    """`--out`, else `reports.output_dir` (relative to the config file)."""
    if out is not None:
        return Path(out)
    return config.resolve_path(config.reports.output_dir) or Path(config.reports.output_dir)


def generate_report(
    config: Config,
    brand: str,
    *,
    week: str | None = None,
    as_of: str | None = None,
    out: str | Path | None = None,
    store: Store | None = None,
    now: datetime | None = None,
) -> tuple[ReportFiles, Report]:
    """Build and write the report of `brand` for the week named by `week` / `as_of`."""
    brand_cfg = config.brand(brand)
    the_week = resolve_week(week, as_of, brand_cfg.timezone, now=now)
    own_store = store is None
    store = store or Store(config.store_url())
    try:
        insight = week_insight(store, brand_cfg, the_week)
        report = assemble_report(
            store,
            brand_cfg.name,
            the_week,
            insight,
            top_topics=config.reports.top_topics,
            top_howto=config.reports.top_howto,
            now=now,
            config=brand_cfg,
        )
        return write_report(report, output_dir(config, out)), report
    finally:
        if own_store:
            store.close()
