from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from store import Store
from store.locks import RunLocked, run_lock, try_acquire


def test_locks__second_run_for_same_brand_is_refused(store_url: str) -> None:
    store = Store(store_url)
    with run_lock(store, "mine", "Acme"):
        with pytest.raises(RunLocked, match="another mine run for brand 'Acme'"):
            with run_lock(store, "mine", "Acme"):
                pass
        with run_lock(store, "mine", "Other"), run_lock(store, "analyze", "Acme"):
            pass
    with run_lock(store, "mine", "Acme"):  # released after the block
        pass


def test_locks__expired_lock_of_a_dead_run_is_taken_over(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    assert try_acquire(store, "mine:Acme", ttl=timedelta(seconds=-1)) is not None  # holder "died"
    assert try_acquire(store, "mine:Acme") is not None


def test_locks__exactly_one_of_many_concurrent_runs_wins(store_url: str) -> None:
    store = Store(store_url)
    winners: list[str] = []
    barrier = threading.Barrier(6)

    def attempt() -> None:
        barrier.wait()
        token = try_acquire(store, "analyze:Acme")
        if token:
            winners.append(token)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
