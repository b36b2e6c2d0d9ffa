"""Mine one brand: build both miners from config and credentials (or the bundled emulator), run them.

    summary = mine_brand(config, brand, store)                     # real APIs, credentials from env
    summary = mine_brand(config, brand, store, emulator_base_url=url)  # an emulator already running

When `config.emulator.enabled` and no URL is given, the emulator is started on a free port for the
duration of the call, with dummy credentials, serving `config.emulator.corpus` (default: the bundled
demo corpus). Importable and usable without Prefect; `flows/mine.py` wraps `mine_source` in tasks.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from miners.base import SourceSummary
from store.db import Store
from store.locks import RunLocked, run_lock
from ugcminer.config import BrandConfig, Config
from ugcminer.secrets import Pseudonymizer, get_secret, optional_secret

log = logging.getLogger(__name__)

SOURCES = ("reddit", "youtube")
DEMO_CORPUS = Path(__file__).resolve().parent / "emulator" / "demo_corpus"
EMULATOR_CREDENTIALS = {
    "reddit_id": "emulator-client",
    "reddit_secret": "emulator-secret",
    "youtube_key": "emulator-key",
}
EMULATOR_REDDIT_WINDOW_S = 1.0  # a short rate-limit window: praw does not pace requests against the emulator
SUMMARY_COUNTS = ("new", "updated", "unchanged", "skipped", "quarantined", "calls", "quota_units", "retries")


def emulator_corpus(config: Config) -> Path:
    """The corpus folder the emulator serves for `config`."""
    return config.resolve_path(config.emulator.corpus) or DEMO_CORPUS


@contextmanager
def emulator_for(config: Config) -> Iterator[Any]:
    """The bundled emulator configured by `config.emulator`, running for the `with` block."""
    from miners.emulator.server import Emulator

    emulator = Emulator(
        emulator_corpus(config),
        faults=config.emulator.faults,
        quota=config.emulator.quota,
        search_cost_model=config.youtube.search_cost_model,
        reddit_window_s=EMULATOR_REDDIT_WINDOW_S,
    )
    with emulator:
        log.info("emulator serving %s at %s", emulator.corpus.root, emulator.base_url)
        yield emulator


def pseudonymizer(config: Config) -> Pseudonymizer:
    """The author pseudonymizer (key from the env var named in `privacy.pseudonym_key_env`)."""
    return Pseudonymizer(optional_secret(config.privacy.pseudonym_key_env), drop=config.privacy.drop_authors)


def _reddit_access(config: Config, emulator_base_url: str | None, use_blocks: bool) -> tuple[Any, str, str]:
    """Reddit config and credentials: the emulator's (URLs and dummy credentials) or the real ones."""
    cfg = config.reddit
    if emulator_base_url:
        urls = dict.fromkeys(("oauth_url", "reddit_url", "short_url"), emulator_base_url)
        return (
            cfg.model_copy(update=urls),
            EMULATOR_CREDENTIALS["reddit_id"],
            EMULATOR_CREDENTIALS["reddit_secret"],
        )
    cid = get_secret(cfg.client_id_env, purpose="Reddit mining", use_blocks=use_blocks)
    return cfg, cid, get_secret(cfg.client_secret_env, purpose="Reddit mining", use_blocks=use_blocks)


def build_miner(
    config: Config,
    brand: BrandConfig,
    store: Store,
    source: str,
    *,
    emulator_base_url: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    use_secret_blocks: bool = False,
) -> Any | None:
    """The miner of `source` for `brand`, or None when the source's module is not installed."""
    pseudo = pseudonymizer(config)
    if source == "reddit":
        from miners.reddit import RedditMiner

        cfg, cid, secret = _reddit_access(config, emulator_base_url, use_secret_blocks)
        return RedditMiner(brand, cfg, store, pseudo, client_id=cid, client_secret=secret, sleep=sleep)
    if source == "youtube":
        try:
            from miners.youtube import YouTubeMiner
        except ModuleNotFoundError as exc:
            if exc.name != "miners.youtube":
                raise
            return None
        ycfg = config.youtube
        endpoint = emulator_base_url or ycfg.api_endpoint
        key = (
            EMULATOR_CREDENTIALS["youtube_key"]
            if emulator_base_url
            else get_secret(ycfg.api_key_env, purpose="YouTube mining", use_blocks=use_secret_blocks)
        )
        return YouTubeMiner(brand, ycfg, store, pseudo, api_key=key, api_endpoint=endpoint, sleep=sleep)
    raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")


def mine_source(
    config: Config,
    brand: BrandConfig,
    store: Store,
    source: str,
    *,
    emulator_base_url: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    use_secret_blocks: bool = False,
) -> SourceSummary:
    """Run one source for one brand; a disabled or missing source returns a summary saying so."""
    if not getattr(config, source).enabled:
        return SourceSummary(source, brand.name, stopped_reason="disabled in config")
    started = time.monotonic()
    miner = build_miner(
        config,
        brand,
        store,
        source,
        emulator_base_url=emulator_base_url,
        sleep=sleep,
        use_secret_blocks=use_secret_blocks,
    )
    if miner is None:
        return SourceSummary(source, brand.name, stopped_reason="miner not installed")
    summary = miner.run()
    summary.details.setdefault("seconds", round(time.monotonic() - started, 3))
    log.info("%s %s: %s", brand.name, source, {k: getattr(summary, k) for k in SUMMARY_COUNTS})
    return summary


def combine(brand: str, summaries: list[SourceSummary]) -> dict[str, Any]:
    """The run summary: per source and totals of new/updated/unchanged/skipped, calls and quota."""
    totals = {k: sum(getattr(s, k) for s in summaries) for k in SUMMARY_COUNTS}
    stopped = {s.source: s.stopped_reason for s in summaries if s.stopped_reason}
    failed = any((s.stopped_reason or "").startswith("error") for s in summaries)
    return {
        "brand": brand,
        "status": "partial" if failed else "completed",
        "sources": {s.source: s.as_dict() for s in summaries},
        "totals": totals,
        "stopped": stopped,
    }


def mine_brand(
    config: Config,
    brand: BrandConfig,
    store: Store,
    *,
    emulator_base_url: str | None = None,
    sources: tuple[str, ...] = SOURCES,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Mine every enabled source for `brand`; returns the combined summary (see `combine`)."""
    if emulator_base_url is None and config.emulator.enabled:
        with emulator_for(config) as emulator:
            return mine_brand(
                config, brand, store, emulator_base_url=emulator.base_url, sources=sources, sleep=sleep
            )
    summaries = [
        mine_source(config, brand, store, source, emulator_base_url=emulator_base_url, sleep=sleep)
        for source in sources
    ]
    return combine(brand.name, summaries)


SourceRunner = Callable[[Config, BrandConfig, "str | None"], list[SourceSummary]]


def run_sources_inline(
    config: Config, brand: BrandConfig, emulator_base_url: str | None
) -> list[SourceSummary]:
    """Run every source for `brand` one after the other (the no-Prefect path)."""
    store = Store(config.store_url())
    try:
        return [mine_source(config, brand, store, s, emulator_base_url=emulator_base_url) for s in SOURCES]
    finally:
        store.close()


def _mine_locked(
    config: Config,
    brand: BrandConfig,
    store: Store,
    run_sources: SourceRunner,
    emulator: Any | None,
    run_key: str,
    flow_name: str,
) -> dict[str, Any]:
    """Mine one brand under its run lock (`store.locks`), recording the run; a locked brand is skipped."""
    base = emulator.base_url if emulator is not None else None
    try:
        with run_lock(store, flow_name, brand.name):
            started = datetime.now(UTC)
            summary = combine(brand.name, run_sources(config, brand, base))
            if emulator is not None:
                summary["emulator_calls"] = emulator.counters.snapshot()["calls"]
            store.record_run(run_key, flow_name, brand.name, started, summary["status"], summary)
            return summary
    except RunLocked as exc:
        log.warning("%s", exc)
        return {**combine(brand.name, []), "status": "locked", "message": str(exc)}


def mine_config(
    config: Config,
    brand_name: str | None = None,
    *,
    run_sources: SourceRunner = run_sources_inline,
    run_id: str | None = None,
    flow_name: str = "mine",
) -> dict[str, Any]:
    """Mine every brand of `config` (or `brand_name`), recording each brand's run in `runs`."""
    brands = [config.brand(brand_name)] if brand_name else list(config.brands)
    run_id = run_id or uuid.uuid4().hex
    results: dict[str, Any] = {}
    store = Store(config.store_url())
    try:
        with emulator_for(config) if config.emulator.enabled else nullcontext(None) as emulator:
            for brand in brands:
                summary = _mine_locked(
                    config, brand, store, run_sources, emulator, f"{run_id}:{brand.slug}", flow_name
                )
                results[brand.name] = summary
    finally:
        store.close()
    return {"run_id": run_id, "brands": results}
