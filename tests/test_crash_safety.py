"""Crash safety: `ugcminer mine` SIGKILLed at deterministic points, re-run to completion, must leave
exactly the store of a clean run (same mentions, ids and content, same cursors, nothing duplicated).

Kill point k = the k-th API call of the run reaches the emulator and the miner is killed before the
answer (`crashkit.KillingEmulator`); delayed kill points kill a seeded time after call k was answered,
so the process dies while parsing or writing. Children are `ugcminer mine --no-prefect` processes
(forked from a pre-imported zygote; two through the real console script). Figures are printed
(run with `-s` to see them):

    .venv/bin/pytest tests/test_crash_safety.py -m slow -s -q
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import reddit_kit
import youtube_kit
from crashkit import KillingEmulator, Zygote, child_env, snapshot_diff, spawn, store_snapshot, write_config

from store.db import Store

#: small pages so that page boundaries (cursor moves) are kill points too
SECTIONS = {"reddit": {"page_limit": 3}, "youtube": {"search_page_size": 2}}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash-corpus")
    reddit_kit.acme_corpus(root, n_posts=6, comments_per_post=2)
    youtube_kit.standard_corpus(root)
    return root


@pytest.fixture(scope="module")
def emu(corpus: Path):
    with KillingEmulator(corpus, reddit_window_s=1.0) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def zygote():
    z = Zygote(child_env())
    yield z
    z.close()


class Runner:
    """Runs `ugcminer mine` for one store, killing or not."""

    def __init__(self, emu: KillingEmulator, zygote: Zygote, workdir: Path, store_url: str) -> None:
        self.emu, self.zygote, self.workdir = emu, zygote, workdir
        self.store_url = store_url
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = write_config(workdir / "ugcminer.json", emu.base_url, store_url, **SECTIONS)
        self.runs = 0

    def mine(self, kill_at: int | None = None, delay_s: float | None = None) -> int:
        self.runs += 1
        log = self.workdir / f"run{self.runs}.log"
        pid = self.zygote.start(["mine", "--config", str(self.config), "--no-prefect"], child_env(), log)
        self.emu.arm(kill_at, pid, delay_s)
        rc = self.zygote.go()
        self.emu.disarm()
        assert rc in (0, -9), f"ugcminer mine exited {rc}: {log.read_text()[-3000:]}"
        return rc


def _clean(emu: KillingEmulator, zygote: Zygote, workdir: Path, url: str) -> tuple[dict, int]:
    runner = Runner(emu, zygote, workdir, url)
    assert runner.mine() == 0
    return store_snapshot(url), emu.run_calls


def _kill_then_resume(runner: Runner, k: int, delay_s: float | None = None) -> tuple[bool, int]:
    """Kill at call k, re-run to completion; (whether the kill happened, mentions left by the killed run)."""
    killed = runner.mine(kill_at=k, delay_s=delay_s) == -9
    partial = Store(runner.store_url).count_mentions()
    assert runner.mine() == 0
    return killed, partial


@pytest.mark.slow
def test_mine__killed_at_every_call_then_rerun_equals_a_clean_run(emu, zygote, tmp_path):
    clean, calls = _clean(emu, zygote, tmp_path / "clean", f"sqlite:///{tmp_path / 'clean.db'}")
    assert calls >= 20 and len(clean["mentions"]) >= 50 and clean["cursors"]
    survived, partial_stores = [], 0
    for k in range(1, calls + 1):
        url = f"sqlite:///{tmp_path / f'k{k}.db'}"
        runner = Runner(emu, zygote, tmp_path / f"k{k}", url)
        killed, partial = _kill_then_resume(runner, k)
        assert killed, f"kill point {k} was not reached"
        partial_stores += 0 < partial < len(clean["mentions"])
        problems = snapshot_diff(clean, store_snapshot(url))
        assert not problems, f"kill at call {k}: {problems}"
        survived.append(k)
    print(
        f"\nCRASH mine/sqlite: {len(survived)} kill points (calls 1..{calls}) survived; "
        f"{partial_stores} of them left a partial store"
    )
    assert survived == list(range(1, calls + 1)) and partial_stores >= calls // 2


@pytest.mark.slow
def test_mine__killed_at_seeded_moments_between_calls(emu, zygote, tmp_path):
    clean, calls = _clean(emu, zygote, tmp_path / "clean", f"sqlite:///{tmp_path / 'clean.db'}")
    rng = random.Random(6)
    points = [(rng.randint(2, calls - 1), round(rng.uniform(0.0, 0.15), 3)) for _ in range(8)]
    killed = 0
    for i, (k, delay) in enumerate(points):
        url = f"sqlite:///{tmp_path / f'd{i}.db'}"
        killed += _kill_then_resume(Runner(emu, zygote, tmp_path / f"d{i}", url), k, delay)[0]
        problems = snapshot_diff(clean, store_snapshot(url))
        assert not problems, f"kill {delay} s after call {k}: {problems}"
    print(
        f"\nCRASH mine/sqlite delayed: {killed} of {len(points)} seeded kill points hit a live run, all survived"
    )
    assert killed >= len(points) // 2


@pytest.mark.slow
@pytest.mark.postgres
def test_mine__killed_on_postgresql_then_rerun_equals_a_clean_run(emu, zygote, tmp_path, pg_url):
    clean, calls = _clean(emu, zygote, tmp_path / "clean", f"sqlite:///{tmp_path / 'clean.db'}")
    points = sorted({1, 2, calls // 4, calls // 2, 3 * calls // 4, calls})
    for k in points:
        with Store(pg_url).engine.begin() as conn:  # one schema, emptied between kill points
            from store import schema

            for table in reversed(schema.metadata.sorted_tables):
                conn.execute(table.delete())
        runner = Runner(emu, zygote, tmp_path / f"pg{k}", pg_url)
        assert _kill_then_resume(runner, k)[0]
        problems = snapshot_diff(clean, store_snapshot(pg_url))
        assert not problems, f"kill at call {k} on PostgreSQL: {problems}"
    print(f"\nCRASH mine/postgresql: {len(points)} kill points {points} survived")


@pytest.mark.slow
def test_mine__the_real_console_script_killed_and_rerun(emu, tmp_path):
    """Two kill points through `.venv/bin/ugcminer` itself (fresh interpreter, no zygote)."""
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    config = write_config(tmp_path / "clean.json", emu.base_url, clean_url, **SECTIONS)
    argv = ["mine", "--config", str(config), "--no-prefect"]
    emu.arm(None, None)
    assert spawn(argv, child_env(), tmp_path / "clean.log").wait(timeout=300) == 0
    clean, calls = store_snapshot(clean_url), emu.run_calls
    for k in (calls // 3, 2 * calls // 3):
        url = f"sqlite:///{tmp_path / f's{k}.db'}"
        config = write_config(tmp_path / f"s{k}.json", emu.base_url, url, **SECTIONS)
        argv = ["mine", "--config", str(config), "--no-prefect"]
        proc = spawn(argv, child_env(), tmp_path / f"s{k}.log")
        emu.arm(k, proc.pid)
        assert proc.wait(timeout=300) == -9
        emu.disarm()
        assert spawn(argv, child_env(), tmp_path / f"s{k}-2.log").wait(timeout=300) == 0
        assert not snapshot_diff(clean, store_snapshot(url))


def test_snapshot_diff__sees_a_lost_mention_and_a_moved_cursor(tmp_path):
    """The comparison the crash tests rely on does notice what a bad resume would do."""
    from datetime import UTC, datetime

    from miners.mention import Mention
    from store.db import CursorUpdate

    url = f"sqlite:///{tmp_path / 's.db'}"
    store = Store(url)
    when = datetime(2025, 1, 1, tzinfo=UTC)
    mentions = [
        Mention(
            id=f"reddit:t3_{i}",
            source="reddit",
            kind="post",
            brand="Acme",
            native_id=f"t3_{i}",
            text=f"acme {i}",
            created_at=when,
            fetched_at=when,
        )
        for i in range(3)
    ]
    store.upsert_mentions(mentions, CursorUpdate("Acme", "reddit", "q", "c1"))
    before = store_snapshot(url)
    store.upsert_mentions([m.replace(fetched_at=datetime.now(UTC)) for m in mentions])
    assert snapshot_diff(before, store_snapshot(url)) == []  # a refetch is not a difference
    store.set_cursor(CursorUpdate("Acme", "reddit", "q", "c2"))
    with store.engine.begin() as conn:
        from store import schema

        conn.execute(schema.mentions.delete().where(schema.mentions.c.id == "reddit:t3_1"))
    problems = snapshot_diff(before, store_snapshot(url))
    assert [p.split(":")[0] for p in problems] == ["cursors", "mentions"]


def _analysis_view(url: str) -> dict:
    """What analyze must reproduce: mentions and cursors exactly; analyses' labels exactly and scores to
    1e-3 (a resumed run encodes a different batch mix); every other table's row count.
    """
    snap = store_snapshot(url)
    view: dict = {"mentions": snap["mentions"], "cursors": snap["cursors"]}
    view["counts"] = {t: len(rows) for t, rows in snap.items() if t not in ("mentions", "cursors")}
    analyses = Store(url).analyses()
    view["analyses"] = {
        mid: {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items() if k != "analyzed_at"}
        for mid, row in analyses.items()
    }
    view["embedded"] = sorted(r[:3] for r in snap["embeddings"])
    return view


@pytest.mark.slow
def test_analyze__killed_mid_run_then_rerun_equals_a_clean_run(emu, zygote, tmp_path):
    """`ugcminer analyze` (real console script) SIGKILLed as soon as its first embeddings, then its
    first analyses are stored, and at fixed moments of its run; each time re-run to completion and
    compared with a clean run.
    """
    import signal
    import sqlite3
    import time

    def mined(name: str) -> Path:
        url = f"sqlite:///{tmp_path / f'{name}.db'}"
        runner = Runner(emu, zygote, tmp_path / name, url)
        assert runner.mine() == 0
        return runner.config

    def analyze(config: Path, log: str):
        argv = ["analyze", "--config", str(config), "--week", "2025-W41"]
        return spawn(argv, child_env(), tmp_path / log, cwd=config.parent)

    def rows(db: Path, table: str) -> int:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
            try:
                return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            except sqlite3.OperationalError:  # not created yet
                return 0

    clean_config = mined("an-clean")
    assert analyze(clean_config, "an-clean.log").wait(600) == 0
    clean = _analysis_view(f"sqlite:///{tmp_path / 'an-clean.db'}")
    assert clean["analyses"] and clean["counts"]["period_insights"] == 1
    live = 0
    points = [("rows", "embeddings"), ("rows", "analyses"), ("delay", 2.0), ("delay", 4.0), ("delay", 6.0)]
    for kind, arg in points:
        name = f"an-{kind}-{arg}"
        config = mined(name)
        db = tmp_path / f"{name}.db"
        proc = analyze(config, f"{name}.log")
        started = time.monotonic()
        if kind == "rows":  # as soon as the first rows of `arg` are committed
            while proc.poll() is None and rows(db, str(arg)) == 0:
                time.sleep(0.05)
        else:  # at a fixed moment (model loading, encoding, topics or insight, whatever runs then)
            while proc.poll() is None and time.monotonic() - started < float(arg):
                time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        code = proc.wait(60)
        if kind == "rows":
            assert code == -9, f"analyze finished before its first {arg} were stored"
        live += code == -9
        partial = {t: rows(db, t) for t in ("embeddings", "analyses", "period_insights")}
        assert analyze(config, f"{name}-2.log").wait(600) == 0
        assert _analysis_view(f"sqlite:///{db}") == clean, f"killed at {kind} {arg}"
        print(f"\nCRASH analyze: killed at {kind} {arg} (left {partial}); rerun equals the clean run")
    print(f"\nCRASH analyze: {len(points)} kill points, {live} caught a live process, all survived")
