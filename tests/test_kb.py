from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from miners.mention import Mention
from models.kb import (
    Article,
    article_vectors,
    draft_outline,
    load_kb,
    match_articles,
    steps_elsewhere,
    steps_of,
)
from ugcminer.errors import ConfigError

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _write_kb(root: Path) -> Path:
    kb = root / "kb"
    kb.mkdir()
    (kb / "battery.md").write_text(
        "---\ntitle: Fix battery drain\nurl: https://help.example.com/battery\n---\n# Ignored heading\n"
        "1. Update the app\n2. Restart the phone\n",
        encoding="utf-8",
    )
    (kb / "sync.md").write_text("# Sync errors\nSign out and in again.\n", encoding="utf-8")
    (kb / "wifi.html").write_text(
        "<html><head><title>Wi-Fi drops</title></head><body><ol><li>Reset router</li></ol></body></html>",
        encoding="utf-8",
    )
    return kb


def test_load_kb__folder_reads_front_matter_headings_and_html(tmp_path: Path) -> None:
    articles = {a.id: a for a in load_kb(_write_kb(tmp_path))}
    assert set(articles) == {"battery", "sync", "wifi"}
    assert (articles["battery"].title, articles["battery"].url) == (
        "Fix battery drain",
        "https://help.example.com/battery",
    )
    assert (articles["sync"].title, articles["sync"].url) == ("Sync errors", None)
    assert articles["wifi"].title == "Wi-Fi drops"
    assert "Reset router" in articles["wifi"].text


def test_load_kb__csv_and_json_exports(tmp_path: Path) -> None:
    (tmp_path / "kb.csv").write_text(
        "id,title,url,body\na1,Reset,https://h/a1,Hold the button\n", encoding="utf-8"
    )
    (tmp_path / "kb.json").write_text(
        json.dumps([{"title": "Pair", "url": "https://h/p", "text": "Pair it"}])
    )
    assert load_kb(tmp_path / "kb.csv") == [Article("a1", "Reset", "https://h/a1", "Hold the button")]
    assert load_kb(tmp_path / "kb.json")[0].title == "Pair"


def test_load_kb__missing_path_says_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="knowledge_base"):
        load_kb(tmp_path / "nope")


def test_article_vectors__reembeds_only_changed_articles() -> None:
    calls: list[list[str]] = []

    def encode(texts):
        calls.append(list(texts))
        return np.ones((len(texts), 4), dtype=np.float32)

    a, b = Article("a", "A", None, "one"), Article("b", "B", None, "two")
    cached = {"a": (a.content_hash, np.full(4, 2.0, dtype=np.float32)), "b": ("stale", np.zeros(4))}
    vectors, fresh = article_vectors([a, b], encode, cached)
    assert [x.id for x in fresh] == ["b"] and calls == [[b.embed_text]]
    assert vectors[0].tolist() == [2.0] * 4 and vectors[1].tolist() == [1.0] * 4


def test_match_articles__threshold_separates_covered_from_gaps() -> None:
    arts = [Article("x", "X", "https://h/x", ""), Article("y", "Y", None, "")]
    vectors = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32)
    queries = np.array([[0.9, 0.1, 0], [0.1, 0.1, 1.0]], dtype=np.float32)
    first, second = match_articles(queries, arts, vectors, threshold=0.5)
    assert first.covered and first.article.id == "x" and first.as_dict()["url"] == "https://h/x"
    assert not second.covered and second.as_dict() is None


def _m(mid: str, **kw: object) -> Mention:
    base = dict(
        id=mid,
        source="youtube",
        kind="video",
        brand="A",
        native_id=mid,
        text="",
        created_at=NOW,
        fetched_at=NOW,
        url=f"https://y/{mid}",
    )
    base.update(kw)
    return Mention(**base)  # type: ignore[arg-type]


def test_draft_outline__steps_cite_their_sources_without_repeats() -> None:
    video = _m(
        "v",
        title="Fix drain",
        extra={
            "chapters": [
                {"start_s": 0, "title": "Intro"},
                {"start_s": 9, "title": "Turn off sync"},
                {"start_s": 60, "title": "Clear cache"},
            ]
        },
    )
    post = _m("p", source="reddit", kind="post", title="Guide", text="1. Clear cache\n2. Reinstall the app")
    answer = _m("c", source="reddit", kind="comment", text="Toggle airplane mode for 10 s. Then it works.")
    outline = draft_outline([(video, False), (post, False), (answer, True)])
    assert [s["step"] for s in outline] == [
        "Turn off sync",
        "Clear cache",
        "Reinstall the app",
        "Toggle airplane mode for 10 s.",
    ]
    assert [s["source_url"] for s in outline] == ["https://y/v", "https://y/v", "https://y/p", "https://y/c"]
    assert outline[0]["source_title"] == "Fix drain"


def test_steps_of__plain_comment_that_is_not_accepted_gives_nothing() -> None:
    assert steps_of(_m("c", kind="video_comment", source="youtube", text="Nice video")) == []


def test_draft_outline__with_titles_a_link_post_gives_its_title_as_what_to_cover() -> None:
    link = _m("l", title="How to turn an old phone into a security camera", text="", url="https://r/l")
    assert draft_outline([(link, False)]) == []  # a how-to gap on the item itself: nothing new to add
    outline = draft_outline([(link, False)], titles=True)
    assert outline == [
        {"step": "How to turn an old phone into a security camera", "source_url": "https://r/l",
         "source_title": "How to turn an old phone into a security camera"}
    ]  # fmt: skip
    asks = _m("q", title="Can we get them to fix the lockscreen? Here's a list of issues.", text="")
    rant = _m("r", title="The new lockscreen is a mess", text="")
    assert draft_outline([(asks, False), (rant, False)], titles=True) == []  # not instructions


def test_draft_outline__a_tip_title_gives_the_tip_not_its_label() -> None:
    labelled = _m(
        "t", title="Handy tip for SwiftKey users: to capitalize a word, press Shift at its end", text=""
    )
    bare = _m(
        "b",
        title="Life Pro Tip for Android users.",
        text="Check out xda-developers.com before posting anything here. It answers 90% of questions.",
    )
    asks = _m("a", title="Tips for new Android users", text="Which launcher should I use?")
    outline = draft_outline([(labelled, False), (bare, False), (asks, False)], titles=True)
    assert [s["step"] for s in outline] == [
        "To capitalize a word, press Shift at its end",
        "Check out xda-developers.com before posting anything here.",
    ]  # the label-only tip with a question for a body gives nothing
    assert [s["source_title"] for s in outline] == [labelled.title, bare.title]
    how = _m("h", title="TIL how to watch US Netflix with an add-on", text="")  # not a label: kept whole
    assert [s["step"] for s in draft_outline([(how, False)], titles=True)] == [how.title]


def test_steps_elsewhere__a_link_post_points_to_its_page_a_video_to_itself_a_text_post_nowhere() -> None:
    link = _m(
        "l", source="reddit", kind="post", title="How to", extra={"is_self": False, "domain": "i.imgur.com"}
    )
    assert steps_elsewhere(link) == "on the page it links to (i.imgur.com)"
    assert steps_elsewhere(_m("v", title="How to fix it")) == "in the video"
    own = _m("s", source="reddit", kind="post", extra={"is_self": True, "domain": "self.howto"})
    unknown = _m("u", source="reddit", kind="post")  # no link facts stored: say nothing
    comment = _m("c", source="reddit", kind="comment", extra={"is_self": False, "domain": "x.example"})
    assert [steps_elsewhere(m) for m in (own, unknown, comment)] == [None, None, None]


def test_customer_questions__question_titles_or_first_sentences_in_order_without_repeats() -> None:
    from models.kb import customer_questions

    posts = [
        _m("a", title="How do I figure out which service is polling GPS?", text="My phone ...", url="u/a"),
        _m(
            "b",
            title="Insane data usage while I was asleep",
            text="Why would it use 2 GB? No idea.",
            url="u/b",
        ),
        _m("c", title="ugh, how do I figure out which service is polling  GPS?", text="same", url="u/c"),
        _m("d", title="Maps update ruined navigation", text="It is bad. Really.", url="u/d"),
        _m("e", title="Really?", text="", url="u/e"),  # not a question a help article answers
    ]
    got = customer_questions(posts)
    assert got == [
        {"question": "How do I figure out which service is polling GPS?", "source_url": "u/a"},
        {"question": "Why would it use 2 GB?", "source_url": "u/b"},
    ]
    assert customer_questions(posts, limit=1) == got[:1]
