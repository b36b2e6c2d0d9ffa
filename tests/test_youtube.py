"""The YouTube miner through the real googleapiclient over HTTP against the emulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from youtube_kit import BRAND, TED_CHANNEL, many_videos, standard_corpus, threads, write_corpus

from miners.emulator.corpus import read_jsonl
from miners.emulator.server import Emulator
from miners.youtube import Window, YouTubeMiner
from store.db import Store
from ugcminer.config import YouTubeConfig
from ugcminer.secrets import Pseudonymizer

DAY1 = datetime(2024, 3, 10, 20, tzinfo=UTC)
API_KEY = "test-key-never-stored-9f2c"


def make_cfg(emu: Emulator, **overrides) -> YouTubeConfig:
    base = {
        "api_endpoint": emu.base_url,
        "timeout_s": 1.0,
        "max_retries": 4,
        "refresh_stats_days": 0,
        "comment_pages_per_video": 3,
        "reply_pages_per_thread": 2,
    }
    return YouTubeConfig(**{**base, **overrides})


def mine(emu: Emulator, store: Store, *, clock: datetime = DAY1, brand=BRAND, sleeps=None, **cfg):
    sleeps = [] if sleeps is None else sleeps
    miner = YouTubeMiner(
        brand,
        make_cfg(emu, **cfg),
        store,
        Pseudonymizer("k"),
        api_key=API_KEY,
        api_endpoint=emu.base_url,
        sleep=sleeps.append,
        clock=lambda: clock,
    )
    return miner.run()


def expected_ids(corpus: Path, *, skip_videos: frozenset[str] = frozenset()) -> set[str]:
    """What a complete mine of a kit corpus must store: TED videos, and comments of those with comments on."""
    videos = read_jsonl(corpus / "youtube" / "videos.jsonl")
    keep = {v["id"]: v for v in videos if "TED" in v["snippet"]["description"] and v["id"] not in skip_videos}
    out = {f"youtube:video:{vid}" for vid in keep}
    for thread in read_jsonl(corpus / "youtube" / "comment_threads.jsonl"):
        vid = thread["snippet"]["videoId"]
        if vid in keep and not keep[vid].get("commentsDisabled"):
            out.add(f"youtube:comment:{thread['id']}")
            out |= {f"youtube:comment:{c['id']}" for c in (thread.get("replies") or {}).get("comments", [])}
    return out


def stored_ids(store: Store) -> set[str]:
    return {m.id for m in store.mentions(BRAND.name)}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return standard_corpus(tmp_path / "corpus")


@pytest.fixture
def emu(corpus: Path):
    with Emulator(corpus, quota=10_000) as emulator:
        yield emulator


def test_run__stores_videos_comments_replies_and_cursor(emu, corpus, store_url):
    store = Store(store_url)
    summary = mine(emu, store)
    assert summary.completed, summary.errors
    assert stored_ids(store) == expected_ids(corpus)
    assert summary.new == len(expected_ids(corpus))
    by_id = {m.id: m for m in store.mentions(BRAND.name)}
    official = by_id["youtube:video:vidOFFICIAL"]
    assert official.is_official and not by_id["youtube:video:vidAAAAAAA1"].is_official
    video = by_id["youtube:video:vidAAAAAAA1"]
    assert (video.views, video.num_comments, video.community) == (1000, 5, "How-To Channel")
    assert video.extra["duration_s"] == 21 * 60 + 3 and "TED" in video.extra["tags"]
    reply = by_id["youtube:comment:UgydxWWoeA7F1OdqypvidBBBBBBB2.r000"]
    assert reply.parent_id == "youtube:comment:UgydxWWoeA7F1OdqypvidBBBBBBB2"
    assert reply.thread_id == "youtube:video:vidBBBBBBB2" and reply.author.startswith("a_")
    assert by_id["youtube:comment:UgydxWWoeA7F1OdqypvidBBBBBBB2"].reply_count == 7
    assert summary.details["commentsDisabled"] == 1
    assert Window.load(store.get_cursor("TED", "youtube", "TED")) == Window(after="2024-03-05T10:00:00Z")
    calls = emu.counters.snapshot()["calls"]
    assert calls["youtube:comments.list"] == 1  # 7 replies, 5 carried inline
    assert summary.calls == sum(calls.values())
    assert summary.quota_units == sum(emu.counters.snapshot()["quota"].values())
    assert API_KEY not in json.dumps([m.extra for m in by_id.values()])


def test_run__comment_text_is_plain_without_html(emu, sqlite_url):
    store = Store(sqlite_url)
    mine(emu, store)
    texts = {m.text for m in store.mentions(BRAND.name, kinds=["video_comment"])}
    assert "Google.com" in texts and not any("<a " in t for t in texts)


def test_run__search_pages_through_every_result(tmp_path, sqlite_url):
    corpus = many_videos(tmp_path / "corpus", 12)
    with Emulator(corpus) as emu:
        summary = mine(emu, Store(sqlite_url), search_page_size=5, search_pages=10, comment_pages_per_video=0)
        assert emu.counters.snapshot()["calls"]["youtube:search.list"] == 3
    assert summary.new == 12


def test_run__page_cap_resumes_below_the_window_then_moves_on(tmp_path, sqlite_url):
    corpus = many_videos(tmp_path / "corpus", 12)
    store = Store(sqlite_url)
    with Emulator(corpus) as emu:
        news = [
            mine(emu, store, search_page_size=5, search_pages=1, comment_pages_per_video=0).new
            for _ in range(4)
        ]
        assert news == [5, 4, 3, 0]  # publishedBefore is inclusive: each resumed page repeats one known video
        assert len(stored_ids(store)) == 12
        assert Window.load(store.get_cursor("TED", "youtube", "TED")).before is None
        videos = read_jsonl(corpus / "youtube" / "videos.jsonl")
        from youtube_kit import video

        write_corpus(corpus, [*videos, video("vidNEWER001", "2025-01-01T00:00:00Z")], [])
        emu.corpus.reload()
        assert mine(emu, store, search_page_size=5, search_pages=1, comment_pages_per_video=0).new == 1


def test_rerun__spends_nothing_on_stored_unchanged_items(emu, sqlite_url):
    store = Store(sqlite_url)
    mine(emu, store)
    emu.counters.reset()
    again = mine(emu, store)
    assert emu.counters.snapshot()["calls"] == {"youtube:search.list": 1}  # the one new-items search only
    assert (again.new, again.updated) == (0, 0)
    emu.counters.reset()
    refreshed = mine(emu, store, refresh_stats_days=36_500)
    assert emu.counters.snapshot()["calls"] == {"youtube:search.list": 1, "youtube:videos.list": 1}
    assert refreshed.updated == 0 and refreshed.unchanged == 4


def test_rerun__refreshes_metrics_and_new_comments_without_duplicates(emu, corpus, sqlite_url):
    store = Store(sqlite_url)
    mine(emu, store)
    before = len(stored_ids(store))
    videos = read_jsonl(corpus / "youtube" / "videos.jsonl")
    videos[0]["statistics"]["viewCount"] = "987654"
    all_threads = read_jsonl(corpus / "youtube" / "comment_threads.jsonl")
    extra = threads("vidAAAAAAA1", 6)[5]
    extra["snippet"]["topLevelComment"]["snippet"]["publishedAt"] = "2024-04-01T00:00:00Z"
    write_corpus(corpus, videos, [*all_threads, extra])
    emu.corpus.reload()
    emu.counters.reset()
    summary = mine(emu, store, refresh_stats_days=36_500)
    assert summary.completed and summary.new == 1
    assert len(stored_ids(store)) == before + 1
    video = store.mentions(BRAND.name, ids=["youtube:video:vidAAAAAAA1"])[0]
    assert (video.views, video.num_comments) == (987654, 6)
    assert emu.counters.snapshot()["calls"]["youtube:commentThreads.list"] == 1  # only the changed video


def test_comments_disabled__by_fault_skips_that_video_only(corpus, sqlite_url):
    with Emulator(corpus, faults="comments_disabled=vidAAAAAAA1") as emu:
        store = Store(sqlite_url)
        summary = mine(emu, store)
    assert summary.completed and summary.details["commentsDisabled"] == 2
    ids = stored_ids(store)
    assert "youtube:video:vidAAAAAAA1" in ids
    assert not any(m.parent_id == "youtube:video:vidAAAAAAA1" for m in store.mentions(BRAND.name))
    assert "youtube:comment:UgydxWWoeA7F1OdqypvidBBBBBBB2" in ids


def test_quota_exceeded__mid_run_stops_cleanly_and_next_day_resumes(corpus, tmp_path, store_url):
    with Emulator(corpus) as clean_emu:
        clean = Store(f"sqlite:///{tmp_path / 'clean.db'}")
        mine(clean_emu, clean)
    with Emulator(corpus, quota=104) as emu:
        store = Store(store_url)
        first = mine(emu, store)
        assert first.stopped_reason == "quotaExceeded"
        assert any("quota exceeded" in e for e in first.errors)
        partial = stored_ids(store)
        assert partial and partial < stored_ids(clean)
        cursor = Window.load(store.get_cursor("TED", "youtube", "TED"))
        stored_videos = {m.native_id for m in store.mentions(BRAND.name, kinds=["video"])}
        unfetched = [
            m for m in clean.mentions(BRAND.name, kinds=["video"]) if m.native_id not in stored_videos
        ]
        assert unfetched and cursor.after is None  # the window stays open below the last finished video
        assert all(m.created_at <= datetime.fromisoformat(cursor.before) for m in unfetched)
        emu.youtube.reset_quota()
        emu.counters.reset()
        second = mine(emu, store, clock=DAY1 + timedelta(days=1))
        assert second.completed, second.errors
        assert stored_ids(store) == stored_ids(clean)
        calls = emu.counters.snapshot()["calls"]
        assert calls["youtube:commentThreads.list"] == sum(1 for m in unfetched if m.num_comments != 0)
        assert calls["youtube:videos.list"] == 1
    assert store.quota_used("2024-03-10")["search.list"] == 100


def test_budget__stops_before_the_configured_daily_quota(emu, sqlite_url):
    store = Store(sqlite_url)
    summary = mine(emu, store, daily_quota=103)
    assert summary.stopped_reason == "budget"
    assert sum(emu.counters.snapshot()["quota"].values()) == 103
    assert sum(store.quota_used("2024-03-10").values()) == 103
    assert mine(emu, store, daily_quota=103).calls == 0  # same day: nothing more is spent


@pytest.mark.parametrize("kind", ["500", "503", "429", "timeout", "cut", "malformed"])
def test_faults__each_kind_is_recovered_with_nothing_lost_or_duplicated(corpus, sqlite_url, kind):
    spec = f"{kind}~youtube:x2,delay=1.5" if kind == "timeout" else f"{kind}~youtube:0.3,seed=11"
    sleeps: list[float] = []
    with Emulator(corpus, faults=spec) as emu:
        store = Store(sqlite_url)
        summary = mine(emu, store, sleeps=sleeps, timeout_s=0.5, max_retries=6)
        fired = emu.counters.snapshot()["faults"].get(kind, 0)
    assert summary.completed, summary.errors
    assert fired >= 1 and summary.retries == fired == len(sleeps)
    assert stored_ids(store) == expected_ids(corpus)
    if kind == "429":
        assert min(sleeps) >= 4  # the recorded retry-after


def test_faults__retries_exhausted_stop_with_a_clear_reason(corpus, sqlite_url):
    with Emulator(corpus, faults="503~youtube:commentThreads") as emu:
        store = Store(sqlite_url)
        summary = mine(emu, store, max_retries=2)
    assert summary.stopped_reason == "unavailable"
    assert summary.errors == [
        "YouTube commentThreads.list failed after 2 retries (last: HTTP 503 serviceUnavailable); "
        "mining stopped, the next run resumes"
    ]
    assert API_KEY not in json.dumps(summary.as_dict())
    assert store.get_cursor("TED", "youtube", "TED") is None or "2024-03-05" not in store.get_cursor(
        "TED", "youtube", "TED"
    )


def test_bad_items__are_quarantined_and_counted(corpus, sqlite_url):
    all_threads = read_jsonl(corpus / "youtube" / "comment_threads.jsonl")
    broken = threads("vidAAAAAAA1", 7)[6]
    del broken["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
    videos = read_jsonl(corpus / "youtube" / "videos.jsonl")
    write_corpus(corpus, videos, [*all_threads, broken])
    with Emulator(corpus) as emu:
        store = Store(sqlite_url)
        summary = mine(emu, store)
    assert summary.completed and summary.quarantined == 1
    assert f"youtube:comment:{broken['id']}" not in stored_ids(store)
    with store.engine.connect() as conn:
        from store.schema import quarantine

        rows = conn.execute(quarantine.select()).fetchall()
    assert len(rows) == 1 and rows[0].source == "youtube"
    assert "authorDisplayName" not in rows[0].payload


def test_alias_filter__search_hits_that_do_not_name_the_brand_are_skipped(emu, sqlite_url):
    brand = BRAND.model_copy(update={"youtube_queries": ["TED", "skatepark"]})
    store = Store(sqlite_url)
    summary = mine(emu, store, brand=brand)
    assert summary.skipped == 1
    assert "youtube:video:vidGOOGLE05" not in stored_ids(store)
    assert Window.load(store.get_cursor("TED", "youtube", "skatepark")).after == "2024-03-01T10:00:00Z"


def test_official_channel__videos_are_kept_and_flagged(emu, sqlite_url):
    store = Store(sqlite_url)
    mine(emu, store)
    official = [m for m in store.mentions(BRAND.name) if m.is_official]
    assert [m.id for m in official] == ["youtube:video:vidOFFICIAL"]
    assert official[0].channel_id == TED_CHANNEL


def test_fault_soak__a_mix_of_faults_on_a_third_of_calls_yields_the_fault_free_set(tmp_path, sqlite_url):
    corpus = many_videos(tmp_path / "corpus", 40, threads_each=2)
    with Emulator(corpus) as clean_emu:
        clean = Store(f"sqlite:///{tmp_path / 'clean.db'}")
        baseline = mine(clean_emu, clean, search_page_size=10)
        clean_calls = sum(clean_emu.counters.snapshot()["calls"].values())
    spec = (
        "429~youtube:0.08,500~youtube:0.08,503~youtube:0.06,malformed~youtube:0.06,cut~youtube:0.06,"
        "timeout~youtube:0.02,delay=1.0,seed=5"
    )
    with Emulator(corpus, faults=spec) as emu:
        store = Store(sqlite_url)
        summary = mine(emu, store, search_page_size=10, timeout_s=0.4, max_retries=8)
        snapshot = emu.counters.snapshot()
    faults, calls = sum(snapshot["faults"].values()), sum(snapshot["calls"].values())
    assert summary.completed, summary.errors
    assert faults / calls >= 0.2 and len(snapshot["faults"]) >= 5
    assert calls == clean_calls + faults  # every faulted call was retried once, nothing else re-fetched
    assert stored_ids(store) == stored_ids(clean) and baseline.new == summary.new


def test_secrets__the_api_key_never_reaches_logs_or_the_store(emu, sqlite_url, caplog):
    caplog.set_level("DEBUG")
    store = Store(sqlite_url)
    mine(emu, store)
    client_logs = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("miners.emulator")
    )
    assert "URL being requested" in client_logs  # googleapiclient logged its URLs...
    assert API_KEY not in client_logs  # ...without the key (the emulator's own access log is the server's)
    with store.engine.connect() as conn:
        from sqlalchemy import text

        dump = [
            tuple(r)
            for t in ("mentions", "cursors", "quota_usage")
            for r in conn.execute(text(f"SELECT * FROM {t}"))
        ]
    assert API_KEY not in repr(dump)
