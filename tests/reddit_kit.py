"""Test helpers: build small Reddit corpora for the emulator from the recorded t3/t1 field sets.

The records keep every field (and JSON type) of the recorded 2026 t3 / 2025 t1 objects
(tests/fixtures/reddit/), with ids, texts, authors, times and scores set by the test.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from miners.emulator.corpus import write_jsonl

FIXTURES = Path(__file__).parent / "fixtures" / "reddit"
BASE_TIME = 1_760_000_000.0  # 2025-10-09


def fixture(name: str) -> dict[str, Any]:
    """A recorded exchange from tests/fixtures/reddit (body decoded)."""
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    data["json"] = json.loads(data["body"]) if data["body"] else None
    return data


def _t3_template() -> dict[str, Any]:
    return fixture("listing_t3_2026.json")["json"]["data"]["children"][0]["data"]


def _t1_template() -> dict[str, Any]:
    return fixture("comments_tree_2025.json")["json"][1]["data"]["children"][0]["data"]


def t3(
    id36: str,
    title: str,
    selftext: str = "",
    *,
    sub: str = "acme",
    author: str = "user1",
    created: float = BASE_TIME,
    score: int = 10,
    num_comments: int = 0,
    flair: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A t3 data object with the recorded field set."""
    d = copy.deepcopy(_t3_template())
    permalink = f"/r/{sub}/comments/{id36}/{title.lower().replace(' ', '_')[:40]}/"
    d.update(
        id=id36,
        name=f"t3_{id36}",
        title=title,
        selftext=selftext,
        selftext_html=None,
        subreddit=sub,
        subreddit_name_prefixed=f"r/{sub}",
        subreddit_id="t5_test",
        author=author,
        author_fullname="t2_x",
        created_utc=created,
        created=created,
        score=score,
        ups=score,
        num_comments=num_comments,
        upvote_ratio=0.9,
        link_flair_text=flair,
        permalink=permalink,
        is_self=True,
        url=f"https://www.reddit.com{permalink}",
        domain=f"self.{sub}",
        removed_by_category=None,
    )
    d.update(extra)
    return d


def t1(
    id36: str,
    link: str,
    parent: str,
    body: str,
    *,
    sub: str = "acme",
    author: str = "user2",
    created: float = BASE_TIME + 60,
    score: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    """A t1 data object with the recorded field set (`link`/`parent` are fullnames)."""
    d = copy.deepcopy(_t1_template())
    d.update(
        id=id36,
        name=f"t1_{id36}",
        link_id=link,
        parent_id=parent,
        body=body,
        body_html=f"<p>{body}</p>",
        subreddit=sub,
        subreddit_name_prefixed=f"r/{sub}",
        subreddit_id="t5_test",
        author=author,
        created_utc=created,
        created=created,
        score=score,
        ups=score,
        replies="",
        depth=0,
        permalink=f"/r/{sub}/comments/{link[3:]}/x/{id36}/",
    )
    d.update(extra)
    return d


def write_corpus(
    root: Path, submissions: Iterable[dict[str, Any]], comments: Iterable[dict[str, Any]] = ()
) -> Path:
    """Write a corpus folder the emulator can serve."""
    subs = list(submissions)
    write_jsonl(root / "reddit" / "submissions.jsonl", [{"kind": "t3", "data": d} for d in subs])
    write_jsonl(root / "reddit" / "comments.jsonl", [{"kind": "t1", "data": d} for d in comments])
    (root / "manifest.json").write_text(
        json.dumps({"brand": "Acme", "note": "test corpus"}), encoding="utf-8"
    )
    return root


def id36(n: int, prefix: str = "p") -> str:
    """A short base36-looking id."""
    return f"{prefix}{n:05d}"


def thread(
    post: str,
    n_top: int,
    n_replies: int,
    *,
    start: int = 0,
    text: str = "reply",
    created: float = BASE_TIME + 100,
) -> list[dict[str, Any]]:
    """`n_top` top-level comments on t3_`post`, each with `n_replies` replies (one level)."""
    out = []
    for i in range(n_top):
        cid = id36(start + i * (n_replies + 1), f"c{post}")
        out.append(t1(cid, f"t3_{post}", f"t3_{post}", f"{text} {i}", created=created + i, score=n_top - i))
        for j in range(n_replies):
            rid = id36(start + i * (n_replies + 1) + j + 1, f"c{post}")
            out.append(
                t1(rid, f"t3_{post}", f"t1_{cid}", f"{text} {i}.{j}", created=created + i + j, score=1)
            )
    return out


def acme_corpus(root: Path, *, n_posts: int = 12, comments_per_post: int = 3) -> Path:
    """A small corpus for the brand Acme: matching posts with threads, plus the tricky cases."""
    subs: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    for i in range(n_posts):
        pid = id36(i)
        subs.append(
            t3(
                pid,
                f"Acme router problem {i}",
                f"My Acme box number {i} keeps dropping wifi",
                created=BASE_TIME + i * 3600,
                sub="acme" if i % 2 else "techsupport",
                num_comments=comments_per_post * 2,
            )
        )
        comments += thread(pid, comments_per_post, 1)
    subs.append(
        t3(
            "off001",
            "Acme support here: how to reset",
            "Hold the button 10 s",
            author="AcmeSupport",
            created=BASE_TIME + 50_000,
            flair="Official",
        )
    )
    subs.append(
        t3(
            "exc001",
            "Wile E. Coyote and his Acme rocket",
            "looney tunes acme gag",
            created=BASE_TIME + 50_100,
            sub="cartoons",
        )
    )
    subs.append(t3("oth001", "Unrelated router question", "nothing to see", created=BASE_TIME + 50_200))
    subs.append(
        t3(
            "del001",
            "Acme warranty question",
            "[deleted]",
            author="[deleted]",
            created=BASE_TIME + 50_300,
            removed_by_category="deleted",
        )
    )
    subs.append(
        t3(
            "rem001",
            "Acme refund scam?",
            "[removed]",
            author="[deleted]",
            created=BASE_TIME + 50_400,
            removed_by_category="moderator",
        )
    )
    comments.append(t1("cdel01", "t3_p00001", "t3_p00001", "[deleted]", author="[deleted]"))
    comments.append(t1("crem01", "t3_p00001", "t3_p00001", "[removed]", author="[deleted]"))
    return write_corpus(root, subs, comments)
