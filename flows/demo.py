"""The demo: the whole pipeline (mine -> analyze -> report) on the bundled demo corpus, served by the
local emulator; no credentials, SQLite in a work folder. Works against a running Prefect server
(`PREFECT_API_URL` set) and without one (Prefect then starts a temporary local API for the run).

    result = run_demo(Path("ugcminer-demo"), on_step=print)
    result.html   # the report to open
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

QUIET_LOGGERS = (
    "prefect",
    "httpx",
    "uvicorn",
    "alembic",
    "docket",
    "apprise",
    "BERTopic",
    "transformers",
    "sentence_transformers",
)
QUIET_ENV = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TQDM_DISABLE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    # without PREFECT_API_URL Prefect starts a temporary local API: allow it, and give it time on a busy machine
    "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}


@dataclass
class DemoResult:
    """What the demo produced."""

    config_path: Path
    html: Path
    seconds: float
    steps: dict[str, float] = field(default_factory=dict)  # step -> seconds
    summary: dict[str, Any] = field(default_factory=dict)


def quiet_prefect() -> None:
    """Keep Prefect's and the model libraries' console output to warnings and errors, no progress bars
    (call before they are first imported; the user's own environment settings win).
    """
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # BERTopic resets its logger's level when a model is built; a filter stays
    logging.getLogger("BERTopic").addFilter(lambda record: record.levelno >= logging.ERROR)


def write_demo_config(workdir: Path) -> Path:
    """Write the demo config (emulator on, SQLite and reports under `workdir`); returns its path."""
    from ugcminer.demo import demo_config

    workdir.mkdir(parents=True, exist_ok=True)
    config = demo_config(workdir)
    path = workdir / "ugcminer-demo.yaml"
    path.write_text(
        yaml.safe_dump(config.model_dump(mode="json", exclude={"source_path"}), sort_keys=False),
        encoding="utf-8",
    )
    return path


def run_demo(workdir: Path, on_step: Callable[[str], None] | None = None) -> DemoResult:
    """Run the pipeline flow (mine -> analyze -> report) for the demo brand; `on_step` hears each step
    (its label) as it starts.
    """
    quiet_prefect()
    from flows.pipeline import STEP_LABELS, pipeline_flow, step_listener
    from ugcminer.demo import DEMO_AS_OF, DEMO_BRAND

    notify = on_step or (lambda _label: None)
    started = time.perf_counter()
    path = str(write_demo_config(Path(workdir)))
    marks: list[tuple[str, float]] = []

    def heard(step: str) -> None:
        marks.append((step, time.perf_counter()))
        if step in STEP_LABELS:
            notify(STEP_LABELS[step] + (" (local emulator)" if step == "mine" else ""))

    with step_listener(heard):
        summary = pipeline_flow(path, brand=DEMO_BRAND, as_of=DEMO_AS_OF.isoformat())
    steps = {a: t1 - t0 for (a, t0), (_, t1) in zip(marks, marks[1:], strict=False)}
    html = Path(summary["reports"][DEMO_BRAND]["html"])
    return DemoResult(Path(path), html, time.perf_counter() - started, steps, summary)
