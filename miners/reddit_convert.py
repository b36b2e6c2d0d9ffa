"""Reddit payloads -> `Mention`, in one place (praw objects and raw t3/t1 dicts both end here).

Deleted and removed content (`[deleted]`/`[removed]` bodies, `removed_by_category`) is stored as a
tombstone: `is_deleted=True`, title and text emptied, no author. A payload that cannot be understood
raises `BadPayload`; the miner quarantines it and goes on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from miners.base import clean_text, match_alias
from miners.mention import Mention, MentionKind, Source, mention_id
from ugcminer.config import BrandConfig
from ugcminer.errors import BadPayload

WEB = "https://www.reddit.com"
TOMBSTONES = {"[deleted]", "[removed]"}
#: raw fields copied into Mention.extra (what how-to scoring and the report can use)
EXTRA_T3 = ("is_self", "domain", "stickied", "locked", "distinguished", "removed_by_category", "over_18")
EXTRA_T1 = ("is_submitter", "depth", "stickied", "distinguished", "controversiality")
PRIVATE_KEYS = ("author", "author_fullname")  # never stored raw, not even in quarantine


def comment_data(comment: Any) -> dict[str, Any]:
    """The raw data of a praw Comment (attributes as set from the payload; nothing is fetched)."""
    data = {k: v for k, v in vars(comment).items() if not k.startswith("_")}
    data.pop("replies", None)
    for key in ("author", "subreddit"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            data[key] = str(value)
    return data


def _without_private(data: Any) -> Any:
    """`data` with author fields blanked and `replies` dropped, at every depth (listing children nest)."""
    if isinstance(data, dict):
        return {
            k: ("<removed>" if k in PRIVATE_KEYS else _without_private(v))
            for k, v in data.items()
            if k != "replies"
        }
    if isinstance(data, list):
        return [_without_private(v) for v in data]
    return data


def scrub(data: Any) -> str:
    """A payload as JSON for the quarantine, with author fields removed (nested ones too)."""
    data = _without_private(data)
    try:
        return json.dumps(data, default=str)[:4000]
    except (TypeError, ValueError):
        return repr(data)[:4000]


def _created(data: dict[str, Any]) -> datetime:
    value = data.get("created_utc")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadPayload(f"created_utc is {type(value).__name__}, expected epoch seconds")
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        raise BadPayload(f"created_utc {str(value)[:40]!r} is not a time") from None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _fullname(data: dict[str, Any], prefix: str) -> str:
    name = data.get("name")
    if isinstance(name, str) and name.startswith(prefix):
        return name
    id36 = data.get("id")
    if not isinstance(id36, str) or not id36:
        raise BadPayload(f"a {prefix[:2]} item has no id")
    return prefix + id36


def is_tombstone(data: dict[str, Any], text_key: str) -> bool:
    """Whether the item was deleted or removed upstream."""
    text = data.get(text_key) if isinstance(data.get(text_key), str) else None
    author = data.get("author") if isinstance(data.get("author"), str) else None
    return (
        text in TOMBSTONES
        or bool(data.get("removed_by_category"))
        or (author in TOMBSTONES and text in TOMBSTONES | {"", None})
    )


class RedditConverter:
    """Builds Mentions for one brand."""

    def __init__(self, brand: BrandConfig, pseudonymize: Callable[[str | None], str | None]) -> None:
        self.brand = brand
        self.pseudonymize = pseudonymize
        self.official = {a.lower().removeprefix("u/") for a in brand.official.reddit_accounts}

    def _common(self, data: dict[str, Any], deleted: bool) -> dict[str, Any]:
        author = data.get("author") if isinstance(data.get("author"), str) else None
        permalink = data.get("permalink")
        return {
            "source": Source.REDDIT,
            "brand": self.brand.name,
            "created_at": _created(data),
            "fetched_at": datetime.now(UTC),
            "url": WEB + permalink if isinstance(permalink, str) and permalink.startswith("/") else None,
            "author": None if deleted else self.pseudonymize(author),
            "community": data.get("subreddit") if isinstance(data.get("subreddit"), str) else None,
            "score": _int(data.get("score")),
            "is_official": bool(author) and author.lower() in self.official,
            "is_deleted": deleted,
        }

    def post(self, data: dict[str, Any]) -> Mention:
        """A submission (t3 data) as a Mention; matched_alias None when it does not match."""
        if not isinstance(data, dict):
            raise BadPayload(f"a t3 item is {type(data).__name__}, expected an object")
        name = _fullname(data, "t3_")
        deleted = is_tombstone(data, "selftext")
        title = clean_text(data.get("title"))
        text = clean_text(data.get("selftext"))
        mid = mention_id(Source.REDDIT, name, MentionKind.POST)
        return Mention(
            id=mid,
            kind=MentionKind.POST,
            native_id=name,
            **self._common(data, deleted),
            matched_alias=match_alias(self.brand, title, text),
            title="" if deleted else title,
            text="" if deleted else text,
            thread_id=mid,
            upvote_ratio=_float(data.get("upvote_ratio")),
            num_comments=_int(data.get("num_comments")),
            flair=data.get("link_flair_text") if isinstance(data.get("link_flair_text"), str) else None,
            extra={k: data[k] for k in EXTRA_T3 if k in data and not isinstance(data[k], dict | list)},
        )

    def comment(self, data: dict[str, Any]) -> Mention:
        """A comment (t1 data) as a Mention, linked to its parent and thread."""
        if not isinstance(data, dict):
            raise BadPayload(f"a t1 item is {type(data).__name__}, expected an object")
        name = _fullname(data, "t1_")
        link, parent = data.get("link_id"), data.get("parent_id")
        if not isinstance(link, str) or not isinstance(parent, str):
            raise BadPayload(f"comment {name} has no link_id/parent_id")
        deleted = is_tombstone(data, "body")
        body = clean_text(data.get("body"))
        return Mention(
            id=mention_id(Source.REDDIT, name, MentionKind.COMMENT),
            kind=MentionKind.COMMENT,
            native_id=name,
            **self._common(data, deleted),
            matched_alias=None if deleted else match_alias(self.brand, body),
            text="" if deleted else body,
            parent_id=f"reddit:{parent}",
            thread_id=f"reddit:{link}",
            extra={k: data[k] for k in EXTRA_T1 if k in data and not isinstance(data[k], dict | list)},
        )
