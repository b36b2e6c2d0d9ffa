"""The pipeline per brand: mine -> analyze -> report, as subflows of one Prefect flow run.

    mine_analyze_flow(config_path, brand)          # what the every-few-hours schedule runs
    pipeline_flow(config_path, brand, as_of=...)   # the whole chain (the demo, manual runs)

Each step is the other module's own flow (`flows.mine.mine_flow`, `flows.analyze.analyze_flow`,
`flows.weekly_report.weekly_report_flow`), so each keeps its own retries, locks and run records.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prefect import flow

from flows.weekly_report import weekly_report_flow
from ugcminer.errors import UgcminerError

STEP_LABELS = {
    "mine": "Mining Reddit and YouTube",
    "analyze": "Analyzing mentions (encoder, heads, topics, how-to, knowledge base)",
    "report": "Writing the weekly report",
}
_listeners: list[Callable[[str], None]] = []


@contextmanager
def step_listener(callback: Callable[[str], None]) -> Iterator[None]:
    """Call `callback(step)` as each pipeline step starts, in this process (progress displays)."""
    _listeners.append(callback)
    try:
        yield
    finally:
        _listeners.remove(callback)


def _announce(step: str) -> None:
    for callback in list(_listeners):
        callback(step)


def _flow(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        raise UgcminerError(f"the pipeline step {module}.{name} is not installed in this checkout") from None


def call_with_known(fn: Any, **kwargs: Any) -> Any:
    """Call a flow with the keyword arguments its signature accepts (None values dropped)."""
    accepted = inspect.signature(getattr(fn, "fn", fn)).parameters
    return fn(**{k: v for k, v in kwargs.items() if k in accepted and v is not None})


def mine_step(config_path: str, brand: str | None) -> Any:
    """Run the mining flow as a subflow."""
    return call_with_known(_flow("flows.mine", "mine_flow"), config_path=config_path, brand=brand)


def analyze_step(config_path: str, brand: str | None, week: str | None, as_of: str | None) -> Any:
    """Run the analysis flow as a subflow."""
    return call_with_known(
        _flow("flows.analyze", "analyze_flow"), config_path=config_path, brand=brand, week=week, as_of=as_of
    )


@flow(name="mine-analyze", log_prints=False)
def mine_analyze_flow(config_path: str, brand: str | None = None) -> dict[str, Any]:
    """Mine new mentions, then analyze them (the frequent schedule)."""
    _announce("mine")
    mined = mine_step(config_path, brand)
    _announce("analyze")
    return {"mine": mined, "analyze": analyze_step(config_path, brand, None, None)}


@flow(name="pipeline", log_prints=False)
def pipeline_flow(
    config_path: str,
    brand: str | None = None,
    week: str | None = None,
    as_of: str | None = None,
    out_dir: str | None = None,
) -> dict[str, Any]:
    """Mine, analyze and write the weekly report for `brand` (or every brand)."""
    _announce("mine")
    mined = mine_step(config_path, brand)
    _announce("analyze")
    analyzed = analyze_step(config_path, brand, week, as_of)
    _announce("report")
    reports = weekly_report_flow(config_path, brand=brand, week=week, as_of=as_of, out_dir=out_dir)
    _announce("done")
    return {"mine": mined, "analyze": analyzed, "reports": reports}
