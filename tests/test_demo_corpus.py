"""The bundled demo corpus, its builder and the demo config (miners/emulator/build_demo_corpus.py,
demo_records.py, demo_corpus/, ugcminer/demo.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SHARED

from miners.base import match_alias
from miners.emulator.build_demo_corpus import build, week_counts
from miners.emulator.corpus import Corpus
from miners.emulator.shapes import recorded_shape, shape_diff
from ugcminer.config import Config
from ugcminer.demo import (
    DEMO_AS_OF,
    DEMO_BRAND,
    DEMO_CORPUS_DIR,
    DEMO_OFFICIAL_CHANNELS,
    demo_brand,
    demo_config,
)

needs_shared = pytest.mark.skipif(not (SHARED / "data").is_dir(), reason="../shared/data not present")
BUILT_FILES = (
    "reddit/submissions.jsonl",
    "reddit/comments.jsonl",
    "youtube/videos.jsonl",
    "youtube/comment_threads.jsonl",
    "youtube/channels.jsonl",
    "retime.jsonl",
    "manifest.json",
)


def _lines(relative: str) -> list[dict[str, Any]]:
    text = (DEMO_CORPUS_DIR / relative).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _posts() -> list[dict[str, Any]]:
    return [thing["data"] for thing in _lines("reddit/submissions.jsonl")]


def _as_of() -> datetime:
    return datetime(DEMO_AS_OF.year, DEMO_AS_OF.month, DEMO_AS_OF.day, tzinfo=UTC)


@needs_shared
def test_build__same_slice_twice_gives_identical_bytes(tmp_path: Path) -> None:
    first = build(SHARED, tmp_path / "a", limit=40)
    build(SHARED, tmp_path / "b", limit=40)
    for relative in BUILT_FILES:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes(), relative
    assert first["counts"]["reddit_submissions"] == 40
    assert 0 < first["counts"]["youtube_videos"] <= 40
    assert first["selection"]["reddit"]["match"] > 0


@needs_shared
def test_build__full_rebuild_reproduces_the_shipped_corpus(tmp_path: Path) -> None:
    build(SHARED, tmp_path)
    for relative in BUILT_FILES:
        assert (tmp_path / relative).read_bytes() == (DEMO_CORPUS_DIR / relative).read_bytes(), relative


def test_week_counts__sum_to_total_and_vary() -> None:
    counts = week_counts(1412)
    assert sum(counts) == 1412 and len(counts) == 10
    assert len(set(counts)) > 5 and counts[-1] == max(counts)


@needs_shared
def test_corpus__every_line_has_the_recorded_keys_and_types() -> None:
    checks = {
        "reddit/submissions.jsonl": ("reddit.t3", lambda thing: thing["data"]),
        "youtube/videos.jsonl": ("youtube.video", lambda resource: resource),
        "youtube/channels.jsonl": ("youtube.channel", lambda resource: resource),
    }
    for relative, (name, unwrap) in checks.items():
        shape = recorded_shape(SHARED, name)
        lines = _lines(relative)
        assert lines, relative
        problems = {problem for line in lines for problem in shape_diff(unwrap(line), shape)}
        assert problems == set(), relative
    assert {thing["kind"] for thing in _lines("reddit/submissions.jsonl")} == {"t3"}


def test_corpus__no_invented_comments() -> None:
    assert _lines("reddit/comments.jsonl") == []
    assert _lines("youtube/comment_threads.jsonl") == []


def test_corpus__sizes_and_budget() -> None:
    posts, videos = _posts(), _lines("youtube/videos.jsonl")
    assert 1_000 <= len(posts) <= 3_000
    assert 150 <= len(videos) <= 400
    assert len({p["id"] for p in posts}) == len(posts)
    assert len({v["id"] for v in videos}) == len(videos)
    total = sum(f.stat().st_size for f in DEMO_CORPUS_DIR.rglob("*") if f.is_file())
    assert total <= 6_500_000


def test_corpus__retimed_into_the_ten_weeks_before_as_of() -> None:
    start, end = _as_of() - timedelta(weeks=10), _as_of()
    times = [datetime.fromtimestamp(p["created_utc"], UTC) for p in _posts()]
    times += [datetime.fromisoformat(v["snippet"]["publishedAt"]) for v in _lines("youtube/videos.jsonl")]
    assert all(start <= t < end for t in times)
    weeks = {t.isocalendar()[:2] for t in times}
    assert len(weeks) == 10
    report_week = (end - timedelta(days=1)).isocalendar()[:2]
    assert report_week in weeks


def test_retime__keeps_each_source_in_its_original_order() -> None:
    records = _lines("retime.jsonl")
    posts = {f"reddit:t3_{p['id']}": p["created_utc"] for p in _posts()}
    videos = {
        f"youtube:video:{v['id']}": datetime.fromisoformat(v["snippet"]["publishedAt"]).timestamp()
        for v in _lines("youtube/videos.jsonl")
    }
    assert {r["id"] for r in records} == set(posts) | set(videos)
    for shipped in (posts, videos):
        mine = [r for r in records if r["id"] in shipped]
        assert all(shipped[r["id"]] == r["demo_created_utc"] for r in mine)
        by_original = [r["id"] for r in sorted(mine, key=lambda r: (r["original_created_utc"], r["id"]))]
        assert by_original == sorted(shipped, key=lambda key: (shipped[key], key))
        assert max(r["original_created_utc"] for r in mine) < _as_of().timestamp() - 365 * 86400


def test_alias_matching__finds_the_brand_and_exclusions_drop_false_matches() -> None:
    brand = demo_brand()
    without_exclusions = brand.model_copy(update={"exclude": []})
    posts = _posts()
    matched = [p for p in posts if match_alias(brand, p["title"], p["selftext"])]
    excluded = [
        p
        for p in posts
        if match_alias(without_exclusions, p["title"], p["selftext"])
        and not match_alias(brand, p["title"], p["selftext"])
    ]
    assert len(matched) >= 0.8 * len(posts)
    assert len(excluded) >= 3
    assert any("chrome bags" in (p["title"] + p["selftext"]).lower() for p in excluded)
    assert len(posts) - len(matched) - len(excluded) >= 50  # posts the miner must skip
    titles = [v["snippet"]["title"] for v in _lines("youtube/videos.jsonl")]
    assert 30 <= sum(1 for t in titles if match_alias(brand, t)) < len(titles)


def test_corpus__has_complaint_and_howto_material() -> None:
    posts = _posts()
    assert sum(1 for p in posts if p["link_flair_text"] == "Solved") >= 20
    assert sum(1 for p in posts if p["subreddit"] in {"howto", "lifehacks"}) >= 50
    assert sum(1 for p in posts if p["is_self"] and len(p["selftext"]) > 200) >= 500


def test_corpus__loads_in_the_emulator_corpus_reader() -> None:
    corpus = Corpus(DEMO_CORPUS_DIR)
    assert len(corpus.submissions) == len(_posts())
    newest = corpus.submissions[0]["created_utc"]
    assert newest == max(p["created_utc"] for p in _posts())
    assert {c["id"] for c in corpus.channels} == set(DEMO_OFFICIAL_CHANNELS)
    assert corpus.manifest["brand"] == DEMO_BRAND
    assert corpus.manifest["counts"]["reddit_submissions"] == len(corpus.submissions)


def test_demo_config__validates_and_points_at_the_bundled_files(tmp_path: Path) -> None:
    config = demo_config(tmp_path)
    assert isinstance(config, Config)
    assert config.emulator.enabled is True
    assert config.store.url == f"sqlite:///{tmp_path.resolve() / 'ugcminer-demo.db'}"
    assert Path(config.reports.output_dir) == tmp_path.resolve() / "reports"
    brand = config.brand(DEMO_BRAND)
    assert Path(brand.knowledge_base).is_dir() and Path(brand.taxonomy).is_file()
    assert Path(config.emulator.corpus) == DEMO_CORPUS_DIR
    assert brand.official.youtube_channels == list(DEMO_OFFICIAL_CHANNELS)
    assert DEMO_AS_OF.isoweekday() == 1


def _front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path.name
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_kb__articles_have_front_matter_and_are_marked_as_samples() -> None:
    articles = sorted((DEMO_CORPUS_DIR / "kb").glob("*.md"))
    assert 5 <= len(articles) <= 8
    for path in articles:
        meta = _front_matter(path)
        assert meta["title"] and meta["url"].startswith("https://support.example.com/"), path.name
        assert meta["sample"] is True and "SAMPLE" in meta["note"], path.name
        assert "SAMPLE knowledge-base article" in path.read_text(encoding="utf-8"), path.name


def test_taxonomy__categories_quote_real_corpus_texts() -> None:
    taxonomy = yaml.safe_load((DEMO_CORPUS_DIR / "taxonomy.yaml").read_text(encoding="utf-8"))
    categories = taxonomy["categories"]
    assert 5 <= len(categories) <= 8
    texts = {p["title"] for p in _posts()} | {p["selftext"] for p in _posts()}
    for category in categories:
        assert category["name"] and category["description"]
        assert len(category["examples"]) >= 2
        for example in category["examples"]:
            assert any(example in text for text in texts), example


def test_provenance__exists_and_says_what_is_synthetic() -> None:
    text = (DEMO_CORPUS_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    for phrase in (
        "re-timed",
        "synthetic",
        "SAMPLE",
        "ODC PDDL 1.0",
        "CC0",
        "retime.jsonl",
        DEMO_AS_OF.isoformat(),
    ):
        assert phrase.lower() in text.lower(), phrase
