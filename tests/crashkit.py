"""Crash-test kit: run `ugcminer` commands in child processes, SIGKILL them at deterministic points,
and compare whole stores.

Kill points are emulator calls: `KillingEmulator.arm(k, pid)` SIGKILLs process `pid` when the k-th API
request of its run arrives (before it is answered), so "kill at call k" is reproducible; `delay_s` kills
that long AFTER call k was answered instead (the process is then somewhere between two calls: parsing,
writing a transaction, ...).

Children come from two launchers:
- `Zygote`: a helper process that has imported the CLI and the miners once and forks one child per
  command; the child runs `ugcminer.cli.main()` with the given argv and environment (the `ugcminer`
  console script's own entry point). Fast: a kill point costs a fork, not an interpreter start.
- `spawn()`: the real `ugcminer` console script in a fresh interpreter (slow start, full realism).

`store_snapshot(url)` dumps every table that a clean run and a crashed-then-resumed run must agree on,
leaving out what legitimately differs (fetch times, run records, locks, quota spent).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy import select as sql_select

from miners.emulator.server import Emulator
from store import schema
from store.db import Store

REPO = Path(__file__).resolve().parent.parent
UGCMINER = REPO / ".venv" / "bin" / "ugcminer"
PYTHON = REPO / ".venv" / "bin" / "python"
#: columns that differ between two correct runs (when something was fetched, when a row was written)
VOLATILE = {"fetched_at", "first_seen_at", "updated_at", "analyzed_at"}
#: a quarantined item is compared by what and why, not by its row id or time
QUARANTINE_KEYS = ["source", "stage", "reason"]
#: tables not compared: run records, locks and quota spent legitimately differ after a crash
NOT_COMPARED = {"runs", "locks", "quota_usage"}


class KillingEmulator(Emulator):
    """The emulator, able to SIGKILL a client process at its k-th API call (see the module docstring)
    and to hold every API call until released (to keep a run in the middle while another starts).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kill_lock = threading.Lock()
        self.run_calls = 0
        self.kill_at: int | None = None
        self.delay_s: float | None = None
        self.pid: int | None = None
        self.killed = threading.Event()
        self.gate = threading.Event()  # cleared: API calls wait (to hold a run in the middle)
        self.gate.set()
        self.called = threading.Event()  # set by the first API call after `hold()`

    def hold(self) -> None:
        """From now on, API calls wait until `release()` (the run holding them stays in the middle)."""
        self.called.clear()
        self.gate.clear()

    def release(self) -> None:
        """Let held and later API calls through."""
        self.gate.set()

    def arm(self, kill_at: int | None, pid: int | None, delay_s: float | None = None) -> None:
        """Count this run's calls from zero; kill `pid` at call `kill_at` (None: never)."""
        with self._kill_lock:
            self.run_calls, self.kill_at, self.pid, self.delay_s = 0, kill_at, pid, delay_s
            self.killed.clear()

    def disarm(self) -> None:
        """No kill from now on (the call count of the run is kept)."""
        with self._kill_lock:
            self.kill_at, self.pid = None, None

    def serve(self, req: Any, handler: Any) -> None:
        """Count API calls; at the armed call, kill the client (now, or `delay_s` after answering)."""
        if req.path.startswith("/_emulator/"):
            super().serve(req, handler)
            return
        self.called.set()
        self.gate.wait(120)
        with self._kill_lock:
            self.run_calls += 1
            fire = self.kill_at is not None and self.run_calls == self.kill_at and self.pid is not None
            pid, delay = self.pid, self.delay_s
        if fire and delay is None:
            self._kill(pid)
            handler.close_connection = True
            return
        if fire:
            threading.Timer(delay, self._kill, args=(pid,)).start()
        super().serve(req, handler)

    def _kill(self, pid: int | None) -> None:
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGKILL)
            self.killed.set()
        except ProcessLookupError:  # it finished before the delayed kill
            pass


def zygote_main() -> None:
    """The zygote loop (run in its own process): one JSON job per stdin line, one fork per job."""
    import traceback

    import miners.reddit  # noqa: F401  (preloaded once, shared by every child)
    import miners.runner  # noqa: F401
    import miners.youtube  # noqa: F401
    import ugcminer.cli

    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: wait for "go", then be `ugcminer <argv>`
            os.close(w)
            os.read(r, 1)
            os.close(r)
            fd = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.environ.clear()
            os.environ.update(job["env"])
            sys.argv = ["ugcminer", *job["argv"]]
            code = 0
            try:
                ugcminer.cli.main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:  # noqa: BLE001
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        os.close(r)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()
        sys.stdin.readline()  # "go"
        os.write(w, b"g")
        os.close(w)
        _, status = os.waitpid(pid, 0)
        out.write(json.dumps({"rc": os.waitstatus_to_exitcode(status)}) + "\n")
        out.flush()


class Zygote:
    """Launches `ugcminer` children by forking a pre-imported helper process (see the module docstring)."""

    def __init__(self, env: dict[str, str]) -> None:
        helper_env = {**env, "PYTHONPATH": str(Path(__file__).parent)}
        self.proc = subprocess.Popen(
            [str(PYTHON), "-c", "import crashkit; crashkit.zygote_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPO,
            env=helper_env,
        )
        self._buf = b""
        self.pid: int | None = None

    def _line(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError("the zygote did not answer in time")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"the zygote exited ({self.proc.poll()})")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def start(self, argv: list[str], env: dict[str, str], log: Path) -> int:
        """Fork a child for `ugcminer <argv>`; it waits for `go()`. Returns its pid."""
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"argv": argv, "env": env, "log": str(log)}) + "\n").encode())
        self.proc.stdin.flush()
        self.pid = int(self._line(120)["pid"])
        return self.pid

    def go(self, timeout: float = 300) -> int:
        """Let the child run; wait for it; return its exit code (-9 when SIGKILLed)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()
        try:
            return int(self._line(timeout)["rc"])
        except TimeoutError:
            if self.pid is not None:
                os.kill(self.pid, signal.SIGKILL)
            raise

    def close(self) -> None:
        """Stop the helper."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def spawn(argv: list[str], env: dict[str, str], log: Path, cwd: Path = REPO) -> subprocess.Popen[bytes]:
    """The real `ugcminer` console script in a fresh interpreter (stdout+stderr to `log`)."""
    with log.open("wb") as fh:
        return subprocess.Popen([str(UGCMINER), *argv], cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)


def store_snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every compared table's rows (sorted, volatile columns left out; values typed by the store's own
    table definitions, so SQLite and PostgreSQL snapshots compare); quarantine as (source, stage, reason).
    """
    store = Store(url)
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with store.engine.connect() as conn:
            for table in schema.metadata.sorted_tables:
                if table.name in NOT_COMPARED:
                    continue
                keys = QUARANTINE_KEYS if table.name == "quarantine" else [c.name for c in table.columns]
                cols = [table.c[k] for k in keys if k not in VOLATILE]
                rows = conn.execute(sql_select(*cols)).all()
                out[table.name] = sorted((tuple(_plain(v) for v in r) for r in rows), key=repr)
    finally:
        store.close()
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return value


def dump_database(url: str) -> str:
    """Every value of every column of every table, as text."""
    store = Store(url)
    parts = []
    with store.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    parts.append(
                        value.decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
                    )
    store.close()
    return "\n".join(parts)


def snapshot_diff(a: dict[str, list[Any]], b: dict[str, list[Any]], limit: int = 5) -> list[str]:
    """Human-readable differences between two snapshots (empty when equal)."""
    problems = []
    for table in sorted(set(a) | set(b)):
        ra, rb = a.get(table, []), b.get(table, [])
        if ra == rb:
            continue
        only_a = [r for r in ra if r not in rb][:limit]
        only_b = [r for r in rb if r not in ra][:limit]
        problems.append(f"{table}: {len(ra)} vs {len(rb)} rows; only clean {only_a}; only resumed {only_b}")
    return problems


def write_config(path: Path, base_url: str, store_url: str, **sections: dict[str, Any]) -> Path:
    """A non-demo config (real credential path) whose API URLs point at an emulator at `base_url`."""
    data: dict[str, Any] = {
        "brands": [{"name": "Acme", "aliases": ["TED"], "youtube_queries": ["TED"]}],
        "store": {"url": store_url},
        "reddit": {"oauth_url": base_url, "reddit_url": base_url, "short_url": base_url, "timeout_s": 5},
        "youtube": {"api_endpoint": base_url, "timeout_s": 5},
        "reports": {"output_dir": str(path.parent / "reports")},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")  # JSON is YAML
    return path


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child run: this one's, offline, with fake credentials unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        REDDIT_CLIENT_ID="crash-client",
        REDDIT_CLIENT_SECRET="crash-secret",
        YOUTUBE_API_KEY="crash-key",
        UGCMINER_PSEUDONYM_KEY="crash-pseudonym-key",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    env.update(extra)
    return env
