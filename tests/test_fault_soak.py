"""Fault soak: mining a slice of the demo corpus (a quarter of its Reddit posts, all its videos) while
the emulator faults a quarter of all calls (429 with retry-after, 500, 503, timeouts, cut-off and
malformed bodies) yields exactly the store of a fault-free run; YouTube quota exhausted mid-run
resumes the next day without re-fetching what is stored. Sleeps are recorded, not slept (the
emulator's stalled `timeout` answers are real: 2.5 s each against a 2 s client timeout).

Figures are printed: `.venv/bin/pytest tests/test_fault_soak.py -m slow -s -q`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from crashkit import snapshot_diff, store_snapshot

from miners.emulator.corpus import read_jsonl, write_jsonl
from miners.emulator.server import Emulator
from miners.runner import mine_brand, mine_source
from store.db import Store
from ugcminer.config import Config
from ugcminer.demo import DEMO_CORPUS_DIR, demo_config

SPEC = "429:0.07,500:0.05,503:0.06,timeout:0.015,cut:0.03,malformed:0.04,delay=2.5,retry_after=3,seed=23"
CLIENT_TIMEOUT_S = 2.0  # below the stall of a `timeout` fault, far above a loaded machine's answer time
DAY_QUOTA = 112  # one search (100 units) and a dozen cheap calls a day: runs out mid-query
KINDS = ("429", "500", "503", "timeout", "cut", "malformed")


def _slice(root: Path) -> Path:
    """Every fourth Reddit submission of the demo corpus and all of its YouTube videos."""
    subs = read_jsonl(DEMO_CORPUS_DIR / "reddit" / "submissions.jsonl")[::4]
    write_jsonl(root / "reddit" / "submissions.jsonl", subs)
    write_jsonl(root / "reddit" / "comments.jsonl", [])
    for name in ("videos", "comment_threads", "channels"):
        write_jsonl(
            root / "youtube" / f"{name}.jsonl", read_jsonl(DEMO_CORPUS_DIR / "youtube" / f"{name}.jsonl")
        )
    (root / "manifest.json").write_text(json.dumps({"note": "slice of the demo corpus"}), encoding="utf-8")
    return root


def _config(workdir: Path, name: str, timeout_s: float = CLIENT_TIMEOUT_S) -> Config:
    base = demo_config(workdir)
    return base.model_copy(
        update={
            "store": base.store.model_copy(update={"url": f"sqlite:///{workdir / name}"}),
            "reddit": base.reddit.model_copy(update={"timeout_s": timeout_s, "max_retries": 8}),
            "youtube": base.youtube.model_copy(update={"timeout_s": timeout_s, "max_retries": 8}),
        }
    )


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory):
    """The fault-free run: (corpus, workdir, snapshot, emulator counters, summary)."""
    workdir = tmp_path_factory.mktemp("soak")
    corpus = _slice(workdir / "corpus")
    config = _config(workdir, "clean.db", timeout_s=30.0)
    store = Store(config.store_url())
    with pytest.MonkeyPatch.context() as mp, Emulator(corpus) as emu:
        mp.setattr(time, "sleep", lambda s: None)
        summary = mine_brand(
            config, config.brands[0], store, emulator_base_url=emu.base_url, sleep=lambda s: None
        )
        counters = emu.counters.snapshot()
    store.close()
    return corpus, workdir, store_snapshot(config.store_url()), counters, summary


@pytest.mark.slow
def test_soak__a_quarter_of_calls_faulted_yields_the_fault_free_store(clean, monkeypatch):
    corpus, workdir, clean_snapshot, clean_counters, clean_summary = clean
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # praw's own retry pauses too
    config = _config(workdir, "faulted.db")
    store = Store(config.store_url())
    with Emulator(corpus, faults=SPEC) as emu:
        summary = mine_brand(
            config, config.brands[0], store, emulator_base_url=emu.base_url, sleep=slept.append
        )
        counters = emu.counters.snapshot()
    calls, faults = sum(counters["calls"].values()), counters["faults"]
    clean_calls = sum(clean_counters["calls"].values())
    assert summary["status"] == "completed" and not summary["stopped"], summary["stopped"]
    assert sum(faults.values()) / calls >= 0.2 and set(faults) == set(KINDS), faults
    assert not snapshot_diff(clean_snapshot, store_snapshot(config.store_url()))
    assert summary["totals"]["new"] == clean_summary["totals"]["new"] == len(clean_snapshot["mentions"])
    assert summary["totals"]["quarantined"] == 0  # broken bodies are retried, never quarantined
    extra = calls - clean_calls - sum(faults.values())  # each faulted call is repeated once, no more
    assert 0 <= extra <= calls // 100, f"{extra} calls beyond the faulted ones' repeats"
    print(
        f"\nSOAK clean: {clean_calls} calls, {sum(clean_counters['quota'].values())} quota units, "
        f"{clean_summary['totals']['new']} mentions\n"
        f"SOAK faulted: {calls} calls, {sum(counters['quota'].values())} quota units, "
        f"{sum(faults.values())} faults ({sum(faults.values()) / calls:.0%}) {dict(sorted(faults.items()))}, "
        f"retries {summary['totals']['retries']}, {extra} calls beyond one repeat per fault, waits recorded {len(slept)} ({sum(slept):.0f} s not slept)"
    )


def _mine_day_after_day(
    corpus: Path, config: Config, quota: int, max_days: int
) -> tuple[list, int, int, int]:
    """Mine YouTube once a day under `quota` until a run completes: (days, good thread calls, calls, units)."""
    store = Store(config.store_url())
    days: list[tuple[str | None, int]] = []
    threads_ok = calls = units = 0
    with Emulator(corpus, quota=quota) as emu:
        for _ in range(max_days):
            summary = mine_source(
                config,
                config.brands[0],
                store,
                "youtube",
                emulator_base_url=emu.base_url,
                sleep=lambda s: None,
            )
            counted = emu.counters.snapshot()["calls"]
            refused_thread = "during commentThreads.list" in " ".join(summary.errors)
            threads_ok += counted.get("youtube:commentThreads.list", 0) - refused_thread
            units, calls = units + summary.quota_units, calls + summary.calls
            days.append((summary.stopped_reason, summary.new))
            if summary.completed:
                break
            assert summary.stopped_reason == "quotaExceeded", summary.errors
            emu.youtube.reset_quota()  # midnight Pacific
            emu.counters.reset()
    store.close()
    return days, threads_ok, calls, units


@pytest.mark.slow
def test_soak__quota_exhausted_mid_run_resumes_day_after_day_without_refetching(clean):
    corpus, workdir, _, _, _ = clean
    base = _config(workdir, "quota-clean.db")
    one_query = base.brands[0].model_copy(update={"youtube_queries": ["google"]})
    clean_cfg = base.model_copy(update={"brands": [one_query]})
    config = clean_cfg.model_copy(
        update={"store": base.store.model_copy(update={"url": f"sqlite:///{workdir / 'quota.db'}"})}
    )
    (clean_day,), clean_threads, clean_calls, clean_units = _mine_day_after_day(
        corpus, clean_cfg, 10_000, max_days=1
    )
    days, threads_ok, calls, units = _mine_day_after_day(corpus, config, DAY_QUOTA, max_days=8)
    assert days[-1][0] is None and len(days) >= 3, days
    assert all(new > 0 for _, new in days), days  # every day moves on
    assert sum(new for _, new in days) == clean_day[1]
    assert not snapshot_diff(store_snapshot(clean_cfg.store_url()), store_snapshot(config.store_url()))
    assert threads_ok == clean_threads  # no video's comments were read twice
    print(
        f"\nQUOTA {DAY_QUOTA} units a day, one query: complete after {len(days)} days {days}; {calls} calls, "
        f"{units} units in all (one clean run: {clean_calls} calls, {clean_units} units); "
        f"{threads_ok} commentThreads pages read, each once"
    )


@pytest.mark.slow
def test_soak__a_day_quota_below_every_search_still_reaches_the_last_query(clean):
    """With 125 units a day (one search), the miner rotates its queries (never mined first, then least
    recently mined), so every query is reached over the days instead of re-spending the first one.
    """
    corpus, workdir, _, _, _ = clean
    config = _config(workdir, "starved.db")
    queries = config.brands[0].youtube_queries or config.brands[0].all_aliases
    days, *_ = _mine_day_after_day(corpus, config, 125, max_days=4 * len(queries) + 4)
    reached = Store(config.store_url()).cursor_times(config.brands[0].name, "youtube")
    assert set(reached) == set(queries), f"queries never reached: {set(queries) - set(reached)}"
    # a run can't "complete" on 125 units with several 100-unit searches, but over the days the
    # rotation collects every video and comment the fault-free run has
    clean_ids = {m.id for m in Store(_config(workdir, "clean.db").store_url()).mentions(source="youtube")}
    starved_ids = {m.id for m in Store(config.store_url()).mentions(source="youtube")}
    assert starved_ids == clean_ids, (len(starved_ids), len(clean_ids), days)
    print(
        f"\nQUOTA 125 units a day, {len(queries)} queries: all {len(clean_ids)} YouTube mentions "
        f"after {len(days)} days {days}"
    )
