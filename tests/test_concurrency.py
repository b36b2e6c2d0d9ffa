"""Concurrency: two mine runs for the same brand at once leave the store exactly as one run would
(the second is refused by the store's run lock, `store.locks.run_lock`, taken in
`miners.runner.mine_config`); runs for different brands proceed side by side. Threads and real
`ugcminer mine` processes, on SQLite and PostgreSQL.

The first run is held in the middle by the emulator (`KillingEmulator.hold`): it holds the lock and
waits on its first API call while the second run starts, so the overlap is certain, not timing luck.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import reddit_kit
import youtube_kit
from crashkit import KillingEmulator, child_env, snapshot_diff, spawn, store_snapshot, write_config
from sqlalchemy import select

from miners.runner import mine_config
from store import schema
from store.db import Store
from store.locks import holder_is_dead
from ugcminer.config import load_config


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("conc-corpus")
    reddit_kit.acme_corpus(root, n_posts=4, comments_per_post=2)
    youtube_kit.standard_corpus(root)
    return root


@pytest.fixture(scope="module")
def emu(corpus: Path):
    with KillingEmulator(corpus, reddit_window_s=1.0) as emulator:
        yield emulator


@pytest.fixture(scope="module", autouse=True)
def _credentials():
    with pytest.MonkeyPatch.context() as mp:
        for key, value in child_env().items():
            if key.endswith(("_ID", "_SECRET", "_KEY")):
                mp.setenv(key, value)
        yield


@pytest.fixture(scope="module")
def clean(emu: KillingEmulator, tmp_path_factory: pytest.TempPathFactory) -> dict:
    workdir = tmp_path_factory.mktemp("conc-clean")
    url = f"sqlite:///{workdir / 'clean.db'}"
    mine_config(load_config(write_config(workdir / "c.json", emu.base_url, url)))
    return store_snapshot(url)


def _mine_runs(url: str) -> list[tuple[str, str]]:
    store = Store(url)
    with store.engine.connect() as conn:
        rows = conn.execute(select(schema.runs.c.flow, schema.runs.c.status)).all()
    store.close()
    return [tuple(r) for r in rows]


def test_mine__second_run_for_the_same_brand_is_refused_while_the_first_finishes(
    emu, clean, tmp_path, store_url
):
    config = load_config(write_config(tmp_path / "c.json", emu.base_url, store_url))
    results: dict[str, dict] = {}
    emu.hold()
    first = threading.Thread(target=lambda: results.setdefault("first", mine_config(config)))
    first.start()
    try:
        assert emu.called.wait(60), "the first run never reached the emulator"
        results["second"] = mine_config(config)  # the first holds the lock, mid-run
    finally:
        emu.release()
    first.join(120)
    assert results["second"]["brands"]["Acme"]["status"] == "locked"
    assert "another mine run" in results["second"]["brands"]["Acme"]["message"]
    assert results["first"]["brands"]["Acme"]["status"] == "completed"
    assert not snapshot_diff(clean, store_snapshot(store_url))
    assert _mine_runs(store_url) == [("mine", "completed")]
    assert mine_config(config)["brands"]["Acme"]["status"] == "completed"  # the lock was released


def test_mine__two_brands_mine_side_by_side_on_one_store(emu, tmp_path, store_url):
    """Different brands do not block each other, and concurrent writers do not fail (WAL/busy timeout)."""
    brands = {
        "brands": [
            {"name": "Acme", "aliases": [], "youtube_queries": ["TED"]},
            {"name": "TED", "aliases": [], "youtube_queries": ["TED"], "search_all": True},
        ]
    }
    path = write_config(tmp_path / "c.json", emu.base_url, store_url)
    import json

    data = json.loads(path.read_text())
    data.update(brands)
    path.write_text(json.dumps(data))
    config = load_config(path)
    results: dict[str, dict] = {}
    threads = [
        threading.Thread(target=lambda b=b: results.setdefault(b, mine_config(config, b)))
        for b in ("Acme", "TED")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert {b: r["brands"][b]["status"] for b, r in results.items()} == {
        "Acme": "completed",
        "TED": "completed",
    }
    assert sorted(_mine_runs(store_url)) == [("mine", "completed"), ("mine", "completed")]


@pytest.mark.slow
def test_mine__two_ugcminer_processes_at_once_store_one_runs_worth(emu, clean, tmp_path, store_url):
    config = write_config(tmp_path / "c.json", emu.base_url, store_url)
    argv = ["mine", "--config", str(config), "--no-prefect"]
    emu.hold()
    first = spawn(argv, child_env(), tmp_path / "first.log")
    try:
        assert emu.called.wait(120), (tmp_path / "first.log").read_text()
        second = spawn(argv, child_env(), tmp_path / "second.log")
        assert second.wait(120) == 0
    finally:
        emu.release()
    assert first.wait(120) == 0
    assert "Acme: locked" in (tmp_path / "second.log").read_text()
    assert "Acme: completed" in (tmp_path / "first.log").read_text()
    assert not snapshot_diff(clean, store_snapshot(store_url))
    assert _mine_runs(store_url) == [("mine", "completed")]


def test_locks__a_holder_process_that_died_is_recognised(tmp_path):
    import socket
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    assert holder_is_dead(f"{host}:{gone.pid}:abcd1234")
    assert not holder_is_dead(f"{host}:{__import__('os').getpid()}:abcd1234")  # this very process
    assert not holder_is_dead(f"another-host:{gone.pid}:abcd1234")  # cannot tell: wait for the TTL


@pytest.mark.slow
def test_mine_during_analyze__both_finish_and_the_next_analysis_covers_every_change(tmp_path, sqlite_url):
    """A mine run (new posts, one edited post) while the same brand is being analysed: both finish, and
    the next analysis leaves every mention of the week analysed for its current text, no orphans.
    """
    from flows.analyze import analyze_brand
    from miners.emulator.corpus import read_jsonl, write_jsonl
    from models.analyzer import load_analyzer
    from reports.weeks import resolve_week
    from store.db import content_hash

    root = reddit_kit.acme_corpus(tmp_path / "corpus", n_posts=12, comments_per_post=2)
    full = read_jsonl(root / "reddit" / "submissions.jsonl")
    write_jsonl(root / "reddit" / "submissions.jsonl", full[:6])
    analyzer = load_analyzer()
    with KillingEmulator(root, reddit_window_s=1.0) as emulator:
        path = write_config(tmp_path / "c.json", emulator.base_url, sqlite_url, youtube={"enabled": False})
        config = load_config(path)
        mine_config(config)
        full[0]["data"]["selftext"] = "My Acme box number 0 keeps dropping wifi, edited: and now it reboots"
        full[0]["data"]["edited"] = 1_760_100_000.0
        write_jsonl(root / "reddit" / "submissions.jsonl", full)
        emulator.corpus.reload()
        week = resolve_week("2025-W41", None, "UTC")
        errors: list[BaseException] = []

        def guarded(fn):
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        runs = [
            threading.Thread(
                target=guarded,
                args=(lambda: analyze_brand(config, config.brands[0], week, analyzer=analyzer),),
            ),
            threading.Thread(target=guarded, args=(lambda: mine_config(config),)),
        ]
        for t in runs:
            t.start()
        for t in runs:
            t.join(600)
    assert not errors, errors
    analyze_brand(config, config.brands[0], week, analyzer=analyzer)
    store = Store(sqlite_url)
    mentions = {m.id: m for m in store.mentions("Acme", since=week.start_utc, until=week.end_utc)}
    analyses = store.analyses()
    assert len(mentions) > 40 and set(mentions) <= set(analyses)
    assert all(analyses[i]["content_hash"] == content_hash(m.title, m.text) for i, m in mentions.items())
    assert set(analyses) <= {m.id for m in store.mentions("Acme", include_deleted=True)}  # no orphans
