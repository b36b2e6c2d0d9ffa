from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from reddit_kit import BASE_TIME, acme_corpus, id36, t1, t3, thread, write_corpus
from sqlalchemy import select

from miners.emulator.corpus import read_jsonl, write_jsonl
from miners.emulator.server import Emulator
from miners.reddit import RedditMiner
from store import schema
from store.db import Store
from ugcminer.config import BrandConfig, OfficialAccounts, RedditConfig
from ugcminer.errors import CredentialsError
from ugcminer.secrets import Pseudonymizer

BRAND = BrandConfig(
    name="Acme",
    exclude=["looney tunes"],
    subreddits=["acme"],
    official=OfficialAccounts(reddit_accounts=["AcmeSupport"]),
)
MATCHING_POSTS = {"off001", "del001", "rem001"}  # plus every p0000N of acme_corpus


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """praw's own retry/pacing sleeps (time.sleep) and the miner's injected sleep, recorded, not slept."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


def _config(base: str, **changes: Any) -> RedditConfig:
    settings = {"refresh_days": 100_000, "timeout_s": 2.0, **changes}
    return RedditConfig(oauth_url=base, reddit_url=base, short_url=base, **settings)


def mine(
    emu: Emulator, store: Store, sleeps: list[float] | None = None, brand: BrandConfig = BRAND, **cfg: Any
) -> Any:
    miner = RedditMiner(
        brand,
        _config(emu.base_url, **cfg),
        store,
        Pseudonymizer("test-key"),
        client_id="cid",
        client_secret="csecret",
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
    )
    return miner.run()


def _emulator(root: Path, faults: str | None = None) -> Emulator:
    emu = Emulator(root, faults=faults, reddit_window_s=1.0)
    emu.reddit.tree.top_level, emu.reddit.tree.width, emu.reddit.tree.depth = 3, 2, 2
    return emu


def _expected_ids(root: Path, n_posts: int) -> set[str]:
    posts = {id36(i) for i in range(n_posts)} | MATCHING_POSTS
    comments = [r["data"] for r in read_jsonl(root / "reddit" / "comments.jsonl")]
    return {f"reddit:t3_{p}" for p in posts} | {
        f"reddit:t1_{c['id']}" for c in comments if c["link_id"][3:] in posts
    }


def _snapshot(store: Store) -> dict[str, tuple[Any, ...]]:
    rows = store.mentions("Acme", include_deleted=True)
    return {
        m.id: (m.text, m.title, m.score, m.num_comments, m.parent_id, m.is_deleted, m.author) for m in rows
    }


# ---- the first run, on SQLite and PostgreSQL ----------------------------------------------------
def test_reddit_miner__first_run_stores_whole_threads(
    tmp_path: Path, store_url: str, sleeps: list[float]
) -> None:
    root = acme_corpus(tmp_path / "c", n_posts=6, comments_per_post=4)
    store = Store(store_url)
    with _emulator(root) as emu:
        summary = mine(emu, store, sleeps)
    got = {m.id: m for m in store.mentions("Acme", include_deleted=True)}
    assert set(got) == _expected_ids(root, 6)
    assert summary.new == len(got) and summary.skipped == 1  # the looney tunes post
    assert summary.stopped_reason is None and summary.quarantined == 0
    assert store.count_mentions("Acme") == len(got)
    assert calls_in_summary(summary, emu)
    store.close()


def calls_in_summary(summary: Any, emu: Emulator) -> bool:
    return summary.calls == sum(emu.counters.snapshot()["calls"].values())


def test_reddit_miner__records_flags_links_and_pseudonyms(
    tmp_path: Path, sqlite_url: str, sleeps: list[float]
) -> None:
    root = acme_corpus(tmp_path / "c", n_posts=2, comments_per_post=2)
    store = Store(sqlite_url)
    with _emulator(root) as emu:
        mine(emu, store, sleeps)
    got = {m.id: m for m in store.mentions("Acme", include_deleted=True)}
    official, post, reply = got["reddit:t3_off001"], got["reddit:t3_p00001"], got["reddit:t1_cp0000100001"]
    assert official.is_official and not post.is_official
    assert post.matched_alias == "Acme" and post.community == "acme" and post.flair is None
    assert post.url == "https://www.reddit.com/r/acme/comments/p00001/acme_router_problem_1/"
    assert post.created_at.timestamp() == BASE_TIME + 3600 and post.thread_id == post.id
    assert reply.parent_id == "reddit:t1_cp0000100000" and reply.thread_id == "reddit:t3_p00001"
    assert post.author and post.author.startswith("a_") and post.author != "user1"
    for tombstone in ("reddit:t3_del001", "reddit:t3_rem001", "reddit:t1_cdel01", "reddit:t1_crem01"):
        assert got[tombstone].is_deleted and got[tombstone].text == "" and got[tombstone].author is None
    assert "reddit:t3_exc001" not in got and "reddit:t3_oth001" not in got


# ---- incremental --------------------------------------------------------------------------------
def test_reddit_miner__rerun_fetches_nothing_stored(
    tmp_path: Path, store_url: str, sleeps: list[float]
) -> None:
    store = Store(store_url)
    with _emulator(acme_corpus(tmp_path / "c", n_posts=6, comments_per_post=4)) as emu:
        first = mine(emu, store, sleeps)
        emu.counters.reset()
        again = mine(emu, store, sleeps)
        calls = emu.counters.snapshot()["calls"]
    queries = 2  # r/all and r/acme for the one alias
    assert calls == {"reddit:token": 1, "reddit:search": queries, "reddit:info": 1}
    # the live posts' metrics are refreshed (6 + the official one; tombstones are not asked again)
    assert again.new == 0 and again.updated == 0 and again.unchanged == 7
    assert store.count_mentions("Acme") == first.new


def test_reddit_miner__new_posts_found_incrementally(
    tmp_path: Path, sqlite_url: str, sleeps: list[float]
) -> None:
    root = acme_corpus(tmp_path / "c", n_posts=8, comments_per_post=2)
    store = Store(sqlite_url)
    with _emulator(root) as emu:
        emu.reddit.now = BASE_TIME + 3 * 3600  # p00000..p00003 are posted
        mine(emu, store, sleeps, refresh_days=0)
        emu.counters.reset()
        emu.reddit.now = None  # later: the rest appears
        later = mine(emu, store, sleeps, refresh_days=0)
        calls = emu.counters.snapshot()["calls"]
    assert {m.id for m in store.mentions("Acme", include_deleted=True)} == _expected_ids(root, 8)
    assert calls["reddit:comments"] == 4  # only the new threads (p00004..p00007); tombstones have none
    assert calls["reddit:search"] == 2
    assert later.new == 4 + 4 * 4 + 3  # 4 posts with 4 comments each, plus off/del/rem


def test_reddit_miner__metrics_refresh_without_duplicates(
    tmp_path: Path, sqlite_url: str, sleeps: list[float]
) -> None:
    root = acme_corpus(tmp_path / "c", n_posts=4, comments_per_post=2)
    store = Store(sqlite_url)
    with _emulator(root) as emu:
        mine(emu, store, sleeps)
        before = store.count_mentions("Acme")
        subs = read_jsonl(root / "reddit" / "submissions.jsonl")
        for record in subs:
            if record["data"]["id"] == "p00002":
                record["data"].update(score=999, num_comments=record["data"]["num_comments"] + 1)
        write_jsonl(root / "reddit" / "submissions.jsonl", subs)
        comments = read_jsonl(root / "reddit" / "comments.jsonl")
        comments.append({"kind": "t1", "data": t1("fresh1", "t3_p00002", "t3_p00002", "it worked, thanks")})
        write_jsonl(root / "reddit" / "comments.jsonl", comments)
        emu.corpus.reload()
        emu.counters.reset()
        again = mine(emu, store, sleeps)
        calls = emu.counters.snapshot()["calls"]
    assert again.new == 1 and again.updated == 1
    assert store.count_mentions("Acme") == before + 1
    assert store.mentions("Acme", ids=["reddit:t3_p00002"])[0].score == 999
    assert calls["reddit:comments"] == 1  # only the changed thread


# ---- pagination ---------------------------------------------------------------------------------
def test_reddit_miner__walks_many_pages(tmp_path: Path, sqlite_url: str, sleeps: list[float]) -> None:
    root = acme_corpus(tmp_path / "c", n_posts=23, comments_per_post=0)
    store = Store(sqlite_url)
    brand = BRAND.model_copy(update={"subreddits": []})
    with _emulator(root) as emu:
        summary = mine(emu, store, sleeps, brand=brand, page_limit=5, fetch_comments=False)
        calls = emu.counters.snapshot()["calls"]
    posts = {i for i in _expected_ids(root, 23) if i.startswith("reddit:t3_")}
    assert {m.id for m in store.mentions("Acme", include_deleted=True)} == posts
    assert calls["reddit:search"] == 6  # 27 search hits (the excluded one too), 5 a page
    assert summary.new == 26


@pytest.mark.slow
def test_reddit_miner__stops_at_the_listing_cap(tmp_path: Path, sqlite_url: str, sleeps: list[float]) -> None:
    posts = [t3(id36(i), f"Acme thing {i}", created=BASE_TIME + i) for i in range(1050)]
    store = Store(sqlite_url)
    brand = BRAND.model_copy(update={"subreddits": []})
    with _emulator(write_corpus(tmp_path / "c", posts)) as emu:
        summary = mine(emu, store, sleeps, brand=brand, max_pages=20, fetch_comments=False, refresh_days=0)
        calls = emu.counters.snapshot()["calls"]
    assert summary.new == 1000 == store.count_mentions("Acme")
    assert calls["reddit:search"] == 10
    assert store.mentions("Acme", ids=[f"reddit:t3_{id36(1049)}"])


# ---- faults: each recovered, nothing lost or duplicated -------------------------------------------
FAULTS = {
    "429": "429x3,retry_after=4",
    "500": "500x4",
    "503": "503~reddit:commentsx3,503~reddit:morechildrenx3",
    "timeout": "timeoutx3,delay=1.0",
    "malformed": "malformedx2,malformed~reddit:morechildrenx2",
    "cut": "cutx3,cut~reddit:commentsx3",
}


@pytest.fixture
def baseline(tmp_path: Path, sleeps: list[float]) -> tuple[Path, dict[str, tuple[Any, ...]]]:
    root = acme_corpus(tmp_path / "c", n_posts=5, comments_per_post=5)
    store = Store(f"sqlite:///{tmp_path / 'clean.db'}")
    with _emulator(root) as emu:
        mine(emu, store, sleeps)
    snapshot = _snapshot(store)
    store.close()
    return root, snapshot


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_reddit_miner__recovers_from_fault(
    kind: str, baseline: Any, tmp_path: Path, sleeps: list[float]
) -> None:
    root, clean = baseline
    store = Store(f"sqlite:///{tmp_path / 'faulty.db'}")
    mine_sleeps: list[float] = []
    with _emulator(root, faults=FAULTS[kind]) as emu:
        summary = mine(emu, store, mine_sleeps, timeout_s=0.3)
        faults = emu.counters.snapshot()["faults"]
    assert faults.get(kind, 0) >= 3
    assert summary.retries >= 1  # praw's own retries were not enough: the miner's backoff took over
    assert summary.stopped_reason is None and summary.quarantined == 0
    assert _snapshot(store) == clean
    if kind == "429":
        assert mine_sleeps.count(4.0) == 3 and summary.retries >= 3


def test_reddit_miner__fault_soak_yields_the_clean_result(
    baseline: Any, tmp_path: Path, sleeps: list[float]
) -> None:
    root, clean = baseline
    store = Store(f"sqlite:///{tmp_path / 'soak.db'}")
    spec = "429:0.08,500:0.07,503:0.07,timeout:0.02,cut:0.04,malformed:0.04,seed=11,delay=0.5"
    with _emulator(root, faults=spec) as emu:
        summary = mine(emu, store, [], timeout_s=0.2)
        counters = emu.counters.snapshot()
    injected, calls = sum(counters["faults"].values()), sum(counters["calls"].values())
    assert injected / calls >= 0.2, counters
    assert summary.stopped_reason is None
    assert _snapshot(store) == clean


def test_reddit_miner__gives_up_cleanly_when_the_source_stays_down(
    tmp_path: Path, sqlite_url: str, sleeps: list[float]
) -> None:
    store = Store(sqlite_url)
    with _emulator(acme_corpus(tmp_path / "c", n_posts=2), faults="503") as emu:
        summary = mine(emu, store, sleeps, max_retries=1)
    assert summary.stopped_reason and summary.stopped_reason.startswith("error")
    assert "after 2 attempts" in summary.errors[0]


# ---- crash safety, bad items, credentials -------------------------------------------------------
class CrashingStore(Store):
    """A real store that dies (like a killed process) after `allowed` successful upserts."""

    def __init__(self, url: str, allowed: int) -> None:
        super().__init__(url)
        self.allowed = allowed

    def upsert_mentions(self, *args: Any, **kwargs: Any) -> Any:
        if self.allowed <= 0:
            raise SystemExit("killed")
        self.allowed -= 1
        return super().upsert_mentions(*args, **kwargs)


@pytest.mark.parametrize("kill_after", [0, 2, 5])
def test_reddit_miner__crash_then_rerun_loses_and_duplicates_nothing(
    kill_after: int, baseline: Any, tmp_path: Path, sleeps: list[float]
) -> None:
    root, clean = baseline
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    with _emulator(root) as emu:
        crashing = CrashingStore(url, kill_after)
        with pytest.raises(SystemExit):
            mine(emu, crashing, sleeps, page_limit=3)
        crashing.close()
        store = Store(url)
        mine(emu, store, sleeps, page_limit=3)
    assert _snapshot(store) == clean


def test_reddit_miner__quarantines_items_it_cannot_parse(
    tmp_path: Path, sqlite_url: str, sleeps: list[float]
) -> None:
    posts = [t3("good01", "Acme help", num_comments=2), t3("bad001", "Acme broken", created_utc=None)]
    comments = [
        t1("okc001", "t3_good01", "t3_good01", "fine"),
        t1("badc01", "t3_good01", "t3_good01", "broken", created_utc="yesterday"),
    ]
    store = Store(sqlite_url)
    with _emulator(write_corpus(tmp_path / "c", posts, comments)) as emu:
        summary = mine(emu, store, sleeps, brand=BRAND.model_copy(update={"subreddits": []}))
    assert {m.id for m in store.mentions("Acme")} == {"reddit:t3_good01", "reddit:t1_okc001"}
    assert summary.quarantined == 2 and summary.stopped_reason is None
    with store.engine.connect() as conn:
        rows = conn.execute(select(schema.quarantine)).fetchall()
    assert len(rows) == 2
    assert all(
        "user1" not in r.payload and "user2" not in r.payload for r in rows
    )  # authors never stored raw


def test_reddit_miner__rejected_credentials_name_the_env_vars(tmp_path: Path, sqlite_url: str) -> None:
    with _emulator(acme_corpus(tmp_path / "c", n_posts=1)) as emu:
        emu.reddit.credentials = ("right-id", "right-secret")
        with pytest.raises(CredentialsError, match="REDDIT_CLIENT_ID.*REDDIT_CLIENT_SECRET") as info:
            mine(emu, Store(sqlite_url))
    assert "csecret" not in str(info.value)


def test_reddit_miner__deep_threads_are_bounded_by_replace_more_limit(
    tmp_path: Path, sqlite_url: str, sleeps: list[float]
) -> None:
    root = write_corpus(tmp_path / "c", [t3("big", "Acme megathread", num_comments=99)], thread("big", 30, 2))
    store = Store(sqlite_url)
    with _emulator(root) as emu:
        mine(emu, store, sleeps, replace_more_limit=2, brand=BRAND.model_copy(update={"subreddits": []}))
        calls = emu.counters.snapshot()["calls"]
    assert calls["reddit:morechildren"] == 2
    assert 1 < store.count_mentions("Acme") < 1 + 90


def test_reddit_miner__unavailable_subreddit_is_reported_and_skipped(
    tmp_path: Path, sqlite_url: str, sleeps: list[float]
) -> None:
    store = Store(sqlite_url)
    brand = BRAND.model_copy(update={"subreddits": ["secret", "acme"]})
    with _emulator(acme_corpus(tmp_path / "c", n_posts=3, comments_per_post=1)) as emu:
        emu.reddit.unavailable = {"secret": 403}
        summary = mine(emu, store, sleeps, brand=brand)
    assert summary.stopped_reason is None
    assert summary.errors == ["r/secret Acme: Reddit answered HTTP 403; skipped"]
    assert {m.id for m in store.mentions("Acme", include_deleted=True)} == _expected_ids(tmp_path / "c", 3)


def test_reddit_miner__honours_the_ratelimit_budget(
    tmp_path: Path, sqlite_url: str, sleeps: list[float]
) -> None:
    from miners.emulator.reddit_api import RateWindow

    store = Store(sqlite_url)
    with _emulator(acme_corpus(tmp_path / "c", n_posts=6, comments_per_post=1)) as emu:
        emu.reddit.rate = RateWindow(limit=6, seconds=600)
        waits: list[float] = []

        def sleep(seconds: float) -> None:  # time passes for the emulator only
            waits.append(seconds)
            emu.reddit.advance(seconds)

        miner = RedditMiner(
            BRAND,
            _config(emu.base_url),
            store,
            Pseudonymizer("k"),
            client_id="cid",
            client_secret="csecret",
            sleep=sleep,
        )
        summary = miner.run()
    assert summary.stopped_reason is None and summary.retries == 0  # never ran into a 429
    assert waits and all(500 < w <= 600 for w in waits)
    assert {m.id for m in store.mentions("Acme", include_deleted=True)} == _expected_ids(tmp_path / "c", 6)
