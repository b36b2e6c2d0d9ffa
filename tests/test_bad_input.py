"""Bad input never crashes a run: hostile texts (empty, whitespace, 100k characters, emoji, right-to-left,
control characters, lone surrogates, HTML and script) through `clean_text`, the store (SQLite and
PostgreSQL) and the models; broken Reddit payloads (missing fields, nulls, wrong types, unknown kinds)
through the converter and the whole emulator -> praw -> miner path, where a bad item is skipped or
quarantined, counted in the run summary and shown in the report's coverage section.
(YouTube payloads: tests/test_youtube_parse.py and test_youtube.py's quarantine test.)
"""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
import reddit_kit
from crashkit import child_env, write_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miners.base import MAX_TEXT_CHARS, clean_text
from miners.emulator.server import Emulator
from miners.mention import Mention
from miners.reddit_convert import RedditConverter
from miners.runner import mine_config
from store.db import Store
from ugcminer.config import BrandConfig, load_config
from ugcminer.errors import BadPayload
from ugcminer.secrets import Pseudonymizer

HOSTILE = [
    "",
    " \t\n\u00a0\u2003 ",
    "Acme " * 20_000,  # 100k characters
    "Acme 😡🔥👍🏽 router 🇺🇸 \U0001f9d1\u200d\U0001f4bb",
    "أكمي الراوتر لا يعمل Acme \u202eevil\u202c עברית",
    "Acme\x00\x01\x07\x1b[31mred\x7f",
    "Acme \ud800 lone \udfff surrogates",
    '<script>alert("x")</script><img src=x onerror=alert(1)> Acme',
    '=HYPERLINK("http://evil")',
    "&lt;b&gt;Acme&amp;amp;&#0;&#xd800;",
]
texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec=None, categories=["Cc", "Cs", "So", "Mn", "Zs"]), max_size=200),
)


def _bad_char(text: str) -> bool:
    return any(
        0xD800 <= ord(c) <= 0xDFFF or (ord(c) < 32 and c not in "\n\t\r") or ord(c) == 0x7F for c in text
    )


@settings(max_examples=150, deadline=None)
@given(texts, st.booleans())
def test_clean_text__any_text_becomes_storable_bounded_text(raw, strip_html):
    out = clean_text(raw, strip_html=strip_html)
    assert isinstance(out, str) and len(out) <= MAX_TEXT_CHARS
    assert not _bad_char(out)
    out.encode("utf-8")  # no lone surrogates left


def test_store__hostile_texts_round_trip_on_both_databases(store_url):
    store = Store(store_url)
    when = datetime(2025, 10, 9, tzinfo=UTC)
    mentions = [
        Mention(
            id=f"reddit:t3_h{i}",
            source="reddit",
            kind="post",
            brand="Acme",
            native_id=f"t3_h{i}",
            title=clean_text(t[:300]),
            text=clean_text(t),
            author=Pseudonymizer("k")(t[:50]),
            created_at=when,
            fetched_at=when,
            flair=clean_text(t, limit=300) or None,
        )
        for i, t in enumerate(HOSTILE)
    ]
    store.upsert_mentions(mentions)
    back = {m.id: m for m in store.mentions("Acme")}
    assert [back[m.id].text for m in mentions] == [m.text for m in mentions]
    assert store.upsert_mentions(mentions).unchanged == len(mentions)


T3 = reddit_kit.t3("base01", "Acme router", "Acme text")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
FIELDS = [
    "id",
    "name",
    "title",
    "selftext",
    "created_utc",
    "author",
    "score",
    "num_comments",
    "upvote_ratio",
    "link_flair_text",
    "permalink",
    "subreddit",
    "removed_by_category",
    "body",
    "link_id",
    "parent_id",
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(FIELDS), json_values | st.sampled_from(HOSTILE), max_size=5),
    st.sets(st.sampled_from(FIELDS), max_size=4),
    st.sampled_from(["post", "comment"]),
)
def test_reddit_convert__any_payload_is_a_mention_or_bad_payload(changes, dropped, kind):
    data = copy.deepcopy(T3 if kind == "post" else reddit_kit.t1("c01", "t3_base01", "t3_base01", "Acme"))
    data.update(changes)
    for key in dropped:
        data.pop(key, None)
    convert = RedditConverter(BrandConfig(name="Acme"), Pseudonymizer("k"))
    try:
        mention = convert.post(data) if kind == "post" else convert.comment(data)
    except BadPayload:
        return
    assert isinstance(mention, Mention) and not _bad_char(mention.text)
    assert mention.author is None or mention.author.startswith("a_")


@pytest.mark.parametrize("payload", [None, [], "t3", 42, {"kind": "t3"}, {"data": None}])
def test_reddit_convert__not_an_object_is_bad_payload(payload):
    with pytest.raises(BadPayload):
        RedditConverter(BrandConfig(name="Acme"), Pseudonymizer("k")).post(payload)


def _broken_corpus(root: Path) -> Path:
    """Acme posts and comments with fields broken the ways real payloads break."""
    subs, comments = [], []
    breaks = [
        {"score": "12", "num_comments": None, "upvote_ratio": "high"},  # wrong types: kept, metric dropped
        {"link_flair_text": {"text": "x"}, "permalink": None, "author": {"name": "x"}},
        {"title": HOSTILE[7], "selftext": HOSTILE[6]},
        {"selftext": HOSTILE[2]},
        {"created_utc": True},  # not a time: quarantined
        {"is_self": "maybe", "domain": None, "stickied": "no", "subreddit": None},
        {"removed_by_category": "moderator", "selftext": "[removed]"},
    ]
    for i, change in enumerate(breaks):
        post = reddit_kit.t3(
            f"bp{i:03d}", f"Acme item {i}", "Acme body", created=reddit_kit.BASE_TIME + i * 60, num_comments=2
        )
        post.update(change)
        subs.append(post)
        comments.append(
            reddit_kit.t1(f"bc{i:03d}", f"t3_bp{i:03d}", f"t3_bp{i:03d}", HOSTILE[i % len(HOSTILE)][:5000])
        )
        bad = reddit_kit.t1(f"bx{i:03d}", f"t3_bp{i:03d}", f"t3_bp{i:03d}", "Acme reply")
        bad["created_utc"] = None  # a comment without a time: quarantined
        comments.append(bad)
    reddit_kit.write_corpus(root, [], [])
    for name, kind, items in (("submissions", "t3", subs), ("comments", "t1", comments)):
        lines = [json.dumps({"kind": kind, "data": d}) for d in items]  # \\u escapes carry lone surrogates
        (root / "reddit" / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="ascii")
    return root


def test_mine__broken_reddit_payloads_are_skipped_or_quarantined_and_reported(
    tmp_path, sqlite_url, monkeypatch
):
    corpus = _broken_corpus(tmp_path / "corpus")
    for key, value in child_env().items():
        if key.endswith(("_ID", "_SECRET", "_KEY")):
            monkeypatch.setenv(key, value)
    with Emulator(corpus, reddit_window_s=1.0) as emu:
        path = write_config(tmp_path / "c.json", emu.base_url, sqlite_url, youtube={"enabled": False})
        data = json.loads(path.read_text())
        data["brands"] = [{"name": "Acme"}]
        path.write_text(json.dumps(data))
        result = mine_config(load_config(path))["brands"]["Acme"]
    reddit = result["sources"]["reddit"]
    assert result["status"] == "completed" and reddit["stopped_reason"] is None
    store = Store(sqlite_url)
    with store.engine.connect() as conn:
        from store import schema

        quarantined = conn.execute(schema.quarantine.select()).all()
    assert reddit["quarantined"] == len(quarantined) >= 2
    stored = {m.native_id for m in store.mentions("Acme", include_deleted=True)}
    assert {f"t3_bp{i:03d}" for i in (0, 1, 2, 3, 5, 6)} <= stored  # broken metrics, hostile text: kept
    assert "t3_bp004" not in stored  # no valid time: quarantined
    from reports.build import generate_report

    files, report = generate_report(load_config(path), "Acme", out=tmp_path / "reports")
    assert report.coverage.quarantined_total == len(quarantined)
    markdown = Path(files.markdown).read_text(encoding="utf-8")
    assert f"quarantined items: {len(quarantined)}" in markdown
    print(f"\nBAD INPUT mine: {len(stored)} stored, {len(quarantined)} quarantined, shown in the report")


@pytest.fixture(scope="session")
def analyzer():
    from models.analyzer import load_analyzer

    return load_analyzer()


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(texts, min_size=1, max_size=6))
def test_models__any_texts_get_finite_probabilities(analyzer, batch):
    predictions = analyzer.predict(batch)
    assert predictions.embeddings.shape[0] == len(batch)
    for task in ("complaint", "howto"):
        scores = getattr(predictions, task)
        assert scores.shape == (len(batch),) and all(0.0 <= s <= 1.0 and math.isfinite(s) for s in scores)
    assert predictions.sentiment.shape == (len(batch), 3)
    assert len(predictions.sentiment_labels()) == len(batch)


@pytest.mark.slow
def test_models__the_hostile_texts_in_one_batch(analyzer):
    predictions = analyzer.predict(HOSTILE)
    assert predictions.embeddings.shape[0] == len(HOSTILE)
    assert all(math.isfinite(float(v)) for v in predictions.embeddings.ravel()[:1000])
