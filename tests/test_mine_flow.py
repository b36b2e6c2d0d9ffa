from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from reddit_kit import acme_corpus
from sqlalchemy import select
from typer.testing import CliRunner

from miners.emulator.server import Emulator
from miners.runner import mine_brand, mine_config
from store import schema
from store.db import Store
from ugcminer.cli import app
from ugcminer.config import load_config
from ugcminer.errors import CredentialsError

REPO = Path(__file__).resolve().parent.parent
UGCMINER = [sys.executable, "-c", "from ugcminer.cli import main; main()"]


def _write_config(tmp_path: Path, corpus: Path | None, **sections: Any) -> Path:
    data: dict[str, Any] = {
        "brands": [
            {
                "name": "Acme",
                "exclude": ["looney tunes"],
                "subreddits": ["acme"],
                "youtube_queries": ["acme"],
                "official": {"reddit_accounts": ["AcmeSupport"]},
            }
        ],
        "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
        "reddit": {"refresh_days": 100_000},
        "emulator": {"enabled": corpus is not None, "corpus": str(corpus) if corpus else None},
        **sections,
    }
    path = tmp_path / "ugcminer.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return acme_corpus(tmp_path / "corpus", n_posts=4, comments_per_post=2)


def test_mine_config__emulator_mode_mines_and_records_the_run(tmp_path: Path, corpus: Path) -> None:
    config = load_config(_write_config(tmp_path, corpus))
    first = mine_config(config)
    again = mine_config(config)
    summary, rerun = first["brands"]["Acme"], again["brands"]["Acme"]
    assert summary["status"] == "completed" and set(summary["sources"]) == {"reddit", "youtube"}
    store = Store(config.store_url())
    assert summary["sources"]["reddit"]["new"] == store.count_mentions("Acme") > 0
    assert rerun["totals"]["new"] == 0
    assert rerun["emulator_calls"].get("reddit:comments", 0) == 0
    with store.engine.connect() as conn:
        runs = conn.execute(select(schema.runs).where(schema.runs.c.flow == "mine")).fetchall()
    assert len(runs) == 2 and {r.status for r in runs} == {"completed"}
    assert {r.summary["totals"]["new"] for r in runs} == {0, summary["totals"]["new"]}


def test_mine_brand__uses_a_running_emulator(tmp_path: Path, corpus: Path) -> None:
    config = load_config(_write_config(tmp_path, None))
    store = Store(config.store_url())
    with Emulator(corpus, reddit_window_s=1.0) as emu:
        result = mine_brand(
            config, config.brands[0], store, emulator_base_url=emu.base_url, sources=("reddit",)
        )
        calls = emu.counters.snapshot()["calls"]
    reddit = result["sources"]["reddit"]
    assert reddit["calls"] == sum(v for k, v in calls.items() if k.startswith("reddit:"))
    assert reddit["new"] == store.count_mentions("Acme")


def test_mine_brand__missing_credentials_name_the_env_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REDDIT_CLIENT_ID", raising=False)
    config = load_config(_write_config(tmp_path, None))
    with pytest.raises(CredentialsError, match="REDDIT_CLIENT_ID") as info:
        mine_brand(config, config.brands[0], Store(config.store_url()), sources=("reddit",))
    assert "--demo" in str(info.value)


def test_mine_config__disabled_source_is_reported_not_run(tmp_path: Path, corpus: Path) -> None:
    config = load_config(_write_config(tmp_path, corpus, youtube={"enabled": False}))
    summary = mine_config(config)["brands"]["Acme"]
    assert summary["sources"]["youtube"]["stopped_reason"] == "disabled in config"
    assert not any(k.startswith("youtube:") for k in summary["emulator_calls"])
    assert summary["emulator_calls"]["reddit:search"] == 2


def test_mine_flow__one_task_per_source_under_prefect(
    tmp_path: Path, corpus: Path, prefect_harness: None
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    from flows.mine import mine_flow

    path = _write_config(tmp_path, corpus)
    result = mine_flow(str(path), brand="acme")
    summary = result["brands"]["Acme"]
    assert summary["status"] == "completed" and summary["totals"]["new"] > 0
    store = Store(load_config(path).store_url())
    with store.engine.connect() as conn:
        run = conn.execute(select(schema.runs)).fetchone()
    assert run.id.startswith(result["run_id"]) and run.brand == "Acme"

    async def task_names() -> list[str]:
        async with get_client() as client:
            runs = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[result["run_id"]])),
                sort=TaskRunSort.EXPECTED_START_TIME_DESC,
                limit=20,
            )
            return [t.name for t in runs]

    import asyncio

    names = asyncio.run(task_names())
    assert sorted(names) == ["mine-reddit-Acme", "mine-youtube-Acme"]


def test_cli_mine__inline_prints_the_summary(tmp_path: Path, corpus: Path) -> None:
    path = _write_config(tmp_path, corpus)
    result = CliRunner().invoke(app, ["mine", "--config", str(path), "--no-prefect"])
    assert result.exit_code == 0, result.output
    assert "Acme: completed" in result.output
    assert "reddit   new " in result.output and "youtube  new " in result.output


def test_cli_mine__without_config_or_credentials_mines_the_bundled_demo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDDIT_", "YOUTUBE_"))}
    done = subprocess.run(
        [*UGCMINER, "mine", "--no-prefect"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "bundled demo corpus" in done.stderr and "Traceback" not in done.stderr
    assert "Google: completed" in done.stdout
    assert (tmp_path / "ugcminer-demo" / "ugcminer-demo.db").exists()


def test_cli_mine__credentials_without_config_point_to_config_and_demo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDDIT_", "YOUTUBE_"))}
    done = subprocess.run(
        [*UGCMINER, "mine", "--no-prefect"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO), "YOUTUBE_API_KEY": "k"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "--demo" in done.stderr and "--config" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("inherited", ["default", "ignored"])
def test_cli_emulator__serves_until_interrupted(corpus: Path, inherited: str) -> None:
    # "ignored": started as a background job of a shell (or by a process ignoring Ctrl-C) is, SIGINT
    # comes in ignored; Ctrl-C must still stop it (this hung the suite when a test worker ignored it)
    def start() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN if inherited == "ignored" else signal.SIG_DFL)

    proc = subprocess.Popen(
        [*UGCMINER, "emulator", "--corpus", str(corpus), "--faults", "500x1"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=start,  # noqa: PLW1509 (single-threaded test process at this point)
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("Emulator serving"), line + proc.stderr.read()
        base = line.split(" at ")[-1].strip()
        assert requests.get(f"{base}/r/all/new", timeout=5).status_code == 500  # the fault, before auth
        assert requests.get(f"{base}/_emulator/counters", timeout=5).json()["faults"] == {"500": 1}
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_cli_emulator__bad_fault_spec_is_one_sentence(corpus: Path) -> None:
    result = CliRunner().invoke(app, ["emulator", "--corpus", str(corpus), "--faults", "429:7"])
    assert result.exit_code != 0
    assert "--faults" in str(result.exception) and "between 0 and 1" in str(result.exception)


@pytest.mark.slow
def test_mine_brand__fault_soak_on_the_demo_corpus_matches_a_clean_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ugcminer.demo import DEMO_CORPUS_DIR, demo_config

    monkeypatch.setattr(
        "time.sleep", lambda s: None
    )  # praw's own retry sleeps; the miners' sleep is injected
    spec = "429:0.06,500:0.05,503:0.05,timeout:0.02,cut:0.04,malformed:0.04,seed=5,delay=0.6"

    def run(faults: str | None, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        (tmp_path / name).mkdir()
        base = demo_config(tmp_path / name)
        brand = base.brands[0].model_copy(
            update={
                "aliases": ["Chromecast", "Gmail"],
                "subreddits": ["chrome"],
                "youtube_queries": ["chrome"],
            }
        )
        config = base.model_copy(
            update={
                "brands": [brand],
                "reddit": base.reddit.model_copy(update={"timeout_s": 0.3, "max_retries": 8}),
                "youtube": base.youtube.model_copy(update={"timeout_s": 0.3, "max_retries": 10}),
            }
        )
        store = Store(config.store_url())
        with Emulator(DEMO_CORPUS_DIR, faults=faults, reddit_window_s=1.0) as emu:
            result = mine_brand(config, brand, store, emulator_base_url=emu.base_url, sleep=lambda s: None)
            counters = emu.counters.snapshot()
        rows = {
            m.id: (m.title, m.text, m.score, m.views, m.likes, m.num_comments, m.parent_id)
            for m in store.mentions(include_deleted=True)
        }
        return {"result": result, "counters": counters}, rows

    clean, clean_rows = run(None, "clean")
    faulty, faulty_rows = run(spec, "faulty")
    injected = sum(faulty["counters"]["faults"].values())
    assert injected / sum(faulty["counters"]["calls"].values()) >= 0.2
    assert set(faulty["counters"]["faults"]) == {"429", "500", "503", "timeout", "cut", "malformed"}
    assert faulty["result"]["status"] == "completed", faulty["result"]["stopped"]
    assert faulty_rows == clean_rows and len(clean_rows) > 50


def test_mine_flow__a_source_that_failed_all_retries_is_summarised_not_lost() -> None:
    from prefect.states import Completed, Failed

    from flows.mine import _summary_from_state
    from miners.base import SourceSummary

    ok = SourceSummary("reddit", "Acme", new=3, calls=7, details={"seconds": 1.0})
    restored = _summary_from_state(Completed(data=ok.as_dict()), "reddit", "Acme")
    assert restored.as_dict() == ok.as_dict()
    failed = _summary_from_state(Failed(message="YouTube failed after 5 retries"), "youtube", "Acme")
    assert failed.stopped_reason == "error: YouTube failed after 5 retries" and failed.new == 0
    from miners.runner import combine

    assert combine("Acme", [restored, failed])["status"] == "partial"
