"""Privacy: authors are stored only as keyed pseudonyms (no raw Reddit user name, YouTube commenter
name or commenter channel id anywhere in the database, quarantine included), `privacy.drop_authors`
stores none, and `ugcminer prune` removes YouTube data older than the retention period and content
found deleted upstream (with what was derived from it); `ugcminer serve` schedules the prune.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import reddit_kit
import youtube_kit
from crashkit import UGCMINER, child_env, dump_database, write_config
from sqlalchemy import update

from miners.emulator.corpus import read_jsonl, write_jsonl
from miners.emulator.server import Emulator
from miners.runner import mine_config
from store import schema
from store.db import Store, content_hash
from ugcminer.config import load_config
from ugcminer.secrets import Pseudonymizer

KEY = "privacy-test-key-5e1f"
NOW = time.time()
AUTHORS = ["RAWNAME_alice_77", "RAWNAME_bob_88", "RAWNAME_carol_99"]


def _corpus(root: Path) -> Path:
    """Recent Acme posts and comments by distinctive authors, and the YouTube kit."""
    posts = [
        reddit_kit.t3(
            f"pv{i:03d}",
            f"Acme question {i}",
            f"my Acme box {i}",
            author=AUTHORS[i % 3],
            created=NOW - 86400 * (1 + i),
            num_comments=2,
        )
        for i in range(4)
    ]
    comments = [
        reddit_kit.t1(
            f"cv{i:03d}{j}",
            f"t3_pv{i:03d}",
            f"t3_pv{i:03d}",
            f"reply {j}",
            author=AUTHORS[(i + j + 1) % 3],
            created=NOW - 86400 * (1 + i) + 60,
        )
        for i in range(4)
        for j in range(2)
    ]
    reddit_kit.write_corpus(root, posts, comments)
    youtube_kit.standard_corpus(root)
    return root


def _commenters(root: Path) -> set[str]:
    """Raw YouTube commenter names and channel ids in the corpus (uploaders are publishers, not authors)."""
    out: set[str] = set()
    for thread in read_jsonl(root / "youtube" / "comment_threads.jsonl"):
        for c in [thread["snippet"]["topLevelComment"], *(thread.get("replies") or {}).get("comments", [])]:
            snip = c["snippet"]
            out |= {snip.get("authorDisplayName", ""), (snip.get("authorChannelId") or {}).get("value", "")}
    return {v for v in out if v and v not in youtube_kit.BRAND.official.youtube_channels}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return _corpus(tmp_path / "corpus")


def _mine(emu: Emulator, tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch, **privacy) -> Path:
    for key, value in child_env(UGCMINER_PSEUDONYM_KEY=KEY).items():
        if key.endswith(("_ID", "_SECRET", "_KEY")):
            monkeypatch.setenv(key, value)
    path = write_config(
        tmp_path / "ugcminer.json", emu.base_url, url, privacy=privacy, retention={"reddit_days": 3650}
    )
    assert mine_config(load_config(path))["brands"]["Acme"]["status"] == "completed"
    return path


def test_privacy__authors_only_as_keyed_pseudonyms_nowhere_raw(corpus, tmp_path, store_url, monkeypatch):
    with Emulator(corpus, reddit_window_s=1.0) as emu:
        _mine(emu, tmp_path, store_url, monkeypatch)
    store = Store(store_url)
    posts = {m.native_id: m for m in store.mentions("Acme", source="reddit", kinds=["post"])}
    expected = Pseudonymizer(KEY)
    assert {posts[f"t3_pv{i:03d}"].author for i in range(4)} == {expected(a) for a in AUTHORS}
    assert all(posts[f"t3_pv{i:03d}"].author == expected(AUTHORS[i % 3]) for i in range(4))
    assert Pseudonymizer("another key")(AUTHORS[0]) != expected(AUTHORS[0])  # keyed, not a plain hash
    comments = store.mentions("Acme", source="youtube", kinds=["video_comment"])
    assert comments and all(m.author and m.author.startswith("a_") for m in comments)
    assert all(m.channel_id is None for m in comments if not m.is_official)
    raw = [*AUTHORS, *_commenters(corpus)]
    dump = dump_database(store_url)
    assert [name for name in raw if name in dump] == []


def test_privacy__quarantined_payloads_carry_no_author_names():
    """What the miners keep of an unreadable item (listing child, t1, YouTube thread) names no author."""
    from miners.reddit_convert import scrub
    from miners.youtube import _without_authors

    child = {"kind": "t3", "data": {"id": "x", "created_utc": "bad", "author": "RAWNAME_dave_00"}}
    thread = {"snippet": {"topLevelComment": {"snippet": {"authorDisplayName": "RAWNAME_erin_11"}}}}
    kept = [scrub(child), scrub(child["data"]), json.dumps(_without_authors(thread))]
    assert [k for k in kept if "RAWNAME" in k] == []


def test_privacy__drop_authors_stores_none(corpus, tmp_path, sqlite_url, monkeypatch):
    with Emulator(corpus, reddit_window_s=1.0) as emu:
        _mine(emu, tmp_path, sqlite_url, monkeypatch, drop_authors=True)
    mentions = Store(sqlite_url).mentions("Acme", include_deleted=True)
    assert len(mentions) > 20 and {m.author for m in mentions} == {None}


def test_prune__removes_expired_youtube_and_deleted_upstream_with_derived_rows(
    corpus, tmp_path, sqlite_url, monkeypatch
):
    with Emulator(corpus, reddit_window_s=1.0) as emu:
        config = _mine(emu, tmp_path, sqlite_url, monkeypatch)
        subs = read_jsonl(corpus / "reddit" / "submissions.jsonl")
        gone = subs[1]["data"]
        gone.update(selftext="[deleted]", author="[deleted]", removed_by_category="deleted", num_comments=0)
        write_jsonl(corpus / "reddit" / "submissions.jsonl", subs)
        emu.corpus.reload()
        mine_config(load_config(config))  # the refresh finds t3_pv001 deleted upstream
    store = Store(sqlite_url)
    assert store.mentions("Acme", ids=["reddit:t3_pv001"], include_deleted=True)[0].is_deleted
    youtube = [m.id for m in store.mentions("Acme", source="youtube")]
    reddit_live = {m.id for m in store.mentions("Acme", source="reddit")}
    with store.begin() as conn:  # as if the YouTube data was fetched 31 days ago
        conn.execute(
            update(schema.mentions)
            .where(schema.mentions.c.source == "youtube")
            .values(fetched_at=datetime.now(UTC) - timedelta(days=31))
        )
    store.put_embeddings(
        [(i, content_hash(None, ""), np.ones(3, np.float32)) for i in [youtube[0], "reddit:t3_pv001"]], "e@1"
    )
    result = subprocess.run(
        [str(UGCMINER), "prune", "--config", str(config)],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (
        f"{len(youtube)} YouTube older than 30 days" in result.stdout
        and "1 deleted upstream" in result.stdout
    )
    left = {m.id for m in store.mentions("Acme", include_deleted=True)}
    assert left == reddit_live  # live Reddit content stays (reddit_days: 3650)
    with store.engine.connect() as conn:
        assert conn.execute(schema.embeddings.select()).all() == []


def test_prune__is_scheduled_by_serve(tmp_path):
    from flows.serve import build_deployments

    path = tmp_path / "ugcminer.json"
    path.write_text(json.dumps({"brands": [{"name": "Acme"}], "schedules": {"prune_cron": "15 2 * * *"}}))
    deployments = {d.name: d for d in build_deployments(load_config(path), path)}
    prune = deployments["prune"]
    assert [s.schedule.cron for s in prune.schedules] == ["15 2 * * *"]
