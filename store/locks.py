"""One run per brand and flow at a time, enforced by the database (works the same on SQLite and
PostgreSQL, across processes and machines, with or without a Prefect server).

A lock is a row keyed by "<flow>:<brand>". Acquiring inserts the row; the primary key makes a second
insert fail, so exactly one run wins. A lock whose holder died (SIGKILL, power loss) expires after
`ttl` and is taken over, so a crash never blocks the brand for good; a lock whose holder was a process
on this host that no longer exists is taken over at once (a run killed with SIGKILL and restarted).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from store.db import Store
from store.ops_tables import locks
from ugcminer.errors import UgcminerError

DEFAULT_TTL = timedelta(hours=2)


class RunLocked(UgcminerError):
    """Another run of the same flow for the same brand holds the lock."""


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_dead(holder: str) -> bool:
    """Whether `holder` ("host:pid:uuid") names a process of this host that no longer exists."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = parts[1]
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists but is not ours (EPERM)
        return False
    return False


def try_acquire(store: Store, name: str, ttl: timedelta = DEFAULT_TTL) -> str | None:
    """Take the lock `name`; return the holder token, or None when a live run holds it."""
    now = datetime.now(UTC)
    token = _holder()
    with store.engine.begin() as conn:
        current = conn.execute(select(locks.c.holder).where(locks.c.name == name)).scalar_one_or_none()
        # take over an expired lock, or one whose holder process died on this host (compare-and-set)
        stale = locks.c.expires_at < now
        if current is not None and holder_is_dead(current):
            stale = locks.c.holder == current
        taken = conn.execute(
            update(locks)
            .where(and_(locks.c.name == name, stale))
            .values(holder=token, acquired_at=now, expires_at=now + ttl)
        ).rowcount
    if taken:
        return token
    try:
        with store.engine.begin() as conn:
            conn.execute(insert(locks).values(name=name, holder=token, acquired_at=now, expires_at=now + ttl))
    except IntegrityError:
        return None
    return token


def release(store: Store, name: str, token: str) -> None:
    """Give the lock back (only if we still hold it)."""
    with store.engine.begin() as conn:
        conn.execute(delete(locks).where(and_(locks.c.name == name, locks.c.holder == token)))


@contextmanager
def run_lock(store: Store, flow: str, brand: str, ttl: timedelta = DEFAULT_TTL) -> Iterator[str]:
    """Hold the "<flow>:<brand>" lock for the block, or raise `RunLocked` at once."""
    name = f"{flow}:{brand}"
    token = try_acquire(store, name, ttl)
    if token is None:
        raise RunLocked(f"another {flow} run for brand {brand!r} is in progress; this run was skipped")
    try:
        yield token
    finally:
        release(store, name, token)
