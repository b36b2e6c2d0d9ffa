"""Shaping corpus records into YouTube Data API v3 resources, as the recordings show them.

Pure functions over plain dicts: search matching and ordering, part filtering, text formats,
statistics as strings, etags, opaque page tokens, and Google's JSON body style (2-space indent,
`<` and `>` escaped as unicode escapes). `miners/emulator/youtube_api.py` wires them to requests.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from miners.emulator.youtube_discovery import allowed_parts

SEARCH_DESCRIPTION_CHARS = 160  # search snippets carry a shortened description ("... ...")
SEARCH_THUMBNAILS = ("default", "medium", "high")
SEARCH_RESULT_CAP = 500  # the API stops paging a search after about 500 results
SEARCH_TOTAL_CAP = 1_000_000  # pageInfo.totalResults is a capped estimate (Y01: 1000000)
INLINE_REPLIES_MAX = 5  # commentThreads carry a subset of replies; comments.list has them all
REGION_CODE = "US"
COMMENTS_LIST_DROPS = ("videoId",)  # snippet keys comments.list leaves out of replies (Y08, Y09)
_UINT64_STATS = {
    "viewCount",
    "likeCount",
    "dislikeCount",
    "favoriteCount",
    "commentCount",
    "subscriberCount",
    "videoCount",
}
_TAG = re.compile(r"<[^>]+>")


def google_json(payload: Any) -> bytes:
    """Google's body style: 2-space indent, non-ASCII kept, `<`/`>` escaped (Y15, Y16)."""
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").encode("utf-8")


def etag(*parts: Any) -> str:
    """A stable, bare (2022+ style) etag of the given content."""
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:27]


def encode_token(offset: int, scope: str) -> str:
    """An opaque page token for `offset` within the result set named by `scope`."""
    raw = json.dumps({"o": offset, "s": hashlib.sha1(scope.encode()).hexdigest()[:8]}).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str, scope: str) -> int | None:
    """The offset a page token stands for, or None when it is not one of ours for `scope`."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        if data["s"] != hashlib.sha1(scope.encode()).hexdigest()[:8]:
            return None
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError):
        return None
    return offset if offset >= 0 else None


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 time (`Z` or offset), or None when absent; ValueError when malformed."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed


def published(resource: dict[str, Any]) -> str:
    """The snippet.publishedAt of a video, or of a thread's top-level comment."""
    snippet = resource.get("snippet") or {}
    if "topLevelComment" in snippet:
        snippet = snippet["topLevelComment"].get("snippet") or {}
    return str(snippet.get("publishedAt") or "")


# ---- search ----------------------------------------------------------------------------------------
def query_matcher(q: str | None) -> Any:
    """A predicate over lower-cased text for a search query: whole-word terms AND-ed, `a|b` OR-ed, `-term` excluded."""
    terms = [t.strip('"').lower() for t in (q or "").split() if t.strip('"')]

    def has(word: str, text: str) -> bool:
        return bool(word) and re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text) is not None

    def matches(text: str) -> bool:
        for term in terms:
            if term.startswith("-") and len(term) > 1:
                if has(term[1:], text):
                    return False
            elif not any(has(alt, text) for alt in term.split("|")):
                return False
        return True

    return matches


def _stat(video: dict[str, Any], name: str) -> int:
    try:
        return int((video.get("statistics") or {}).get(name) or 0)
    except (TypeError, ValueError):
        return 0


SEARCH_ORDERS = {
    "date": lambda v: (published(v), v.get("id", "")),
    "viewCount": lambda v: (_stat(v, "viewCount"), published(v)),
    "rating": lambda v: (_stat(v, "likeCount"), published(v)),
    "title": lambda v: ((v.get("snippet") or {}).get("title", "").lower(),),
    "videoCount": lambda v: (published(v),),
}


def search_videos(
    videos: Iterable[dict[str, Any]],
    *,
    q: str | None,
    order: str,
    channel_id: str | None,
    after: datetime | None,
    before: datetime | None,
) -> list[dict[str, Any]]:
    """The videos a search returns, in the requested order (relevance: most term hits, then newest)."""
    matches = query_matcher(q)
    found = []
    for video in videos:
        snippet = video.get("snippet") or {}
        text = f"{snippet.get('title', '')}\n{snippet.get('description', '')}".lower()
        if not matches(text) or (channel_id and snippet.get("channelId") != channel_id):
            continue
        when = parse_time(published(video) or None)
        if when is None or (after and when < after) or (before and when > before):
            continue
        found.append(video)
    if order == "relevance":
        terms = [t.lower() for t in (q or "").split() if not t.startswith("-")]

        def hits(v: dict[str, Any]) -> int:
            s = v.get("snippet") or {}
            return sum(f"{s.get('title', '')} {s.get('description', '')}".lower().count(t) for t in terms)

        return sorted(found, key=lambda v: (hits(v), published(v)), reverse=True)
    reverse = order != "title"
    return sorted(found, key=SEARCH_ORDERS.get(order, SEARCH_ORDERS["date"]), reverse=reverse)


def search_result(video: dict[str, Any]) -> dict[str, Any]:
    """A youtube#searchResult for a video, shaped as Y01/Y03."""
    snippet = video.get("snippet") or {}
    description = snippet.get("description", "")
    if len(description) > SEARCH_DESCRIPTION_CHARS:
        description = description[: SEARCH_DESCRIPTION_CHARS - 4].rstrip() + " ..."
    thumbs = snippet.get("thumbnails") or {}
    short = {
        "publishedAt": snippet.get("publishedAt"),
        "channelId": snippet.get("channelId"),
        "title": snippet.get("title", ""),
        "description": description,
        "thumbnails": {k: thumbs[k] for k in SEARCH_THUMBNAILS if k in thumbs},
        "channelTitle": snippet.get("channelTitle", ""),
        "liveBroadcastContent": snippet.get("liveBroadcastContent", "none"),
    }
    ident = {"kind": "youtube#video", "videoId": video.get("id")}
    return {
        "kind": "youtube#searchResult",
        "etag": etag("search", ident, short),
        "id": ident,
        "snippet": short,
    }


# ---- resources -------------------------------------------------------------------------------------
def with_parts(resource: dict[str, Any], parts: set[str], method: str) -> dict[str, Any]:
    """`resource` cut to kind, etag, id and the requested parts; corpus markers dropped."""
    known = allowed_parts(method)
    out = {k: resource[k] for k in ("kind", "etag", "id") if k in resource}
    for key, value in resource.items():
        if key in parts and key in known and key != "id":
            out[key] = value
    return out


def stats_as_strings(resource: dict[str, Any]) -> dict[str, Any]:
    """A copy whose 64-bit statistics counts are strings, as the API sends them."""
    stats = resource.get("statistics")
    if not isinstance(stats, dict):
        return resource
    fixed = {k: (str(v) if k in _UINT64_STATS and isinstance(v, int) else v) for k, v in stats.items()}
    return {**resource, "statistics": fixed}


def formatted_comment(comment: dict[str, Any], text_format: str) -> dict[str, Any]:
    """A youtube#comment with `textDisplay` in the requested format (html default, or plainText)."""
    snippet = dict(comment.get("snippet") or {})
    original = snippet.get("textOriginal")
    display = snippet.get("textDisplay")
    if text_format == "plainText":
        plain = original if original is not None else html.unescape(_TAG.sub("", display or ""))
        snippet["textDisplay"] = plain
    elif display is None and original is not None:
        snippet["textDisplay"] = html.escape(original).replace("\n", "<br>")
    return {**comment, "snippet": snippet}


def formatted_thread(thread: dict[str, Any], parts: set[str], text_format: str) -> dict[str, Any]:
    """A youtube#commentThread with the requested parts, text format and at most a few inline replies."""
    out = with_parts(thread, parts, "commentThreads.list")
    if "snippet" in out:
        snippet = dict(out["snippet"])
        if "topLevelComment" in snippet:
            snippet["topLevelComment"] = formatted_comment(snippet["topLevelComment"], text_format)
        out["snippet"] = snippet
    replies = (out.get("replies") or {}).get("comments")
    if "replies" in out:
        if replies:
            kept = replies[:INLINE_REPLIES_MAX]
            out["replies"] = {"comments": [formatted_comment(c, text_format) for c in kept]}
        else:
            out.pop("replies")
    return out


def _as_listed_reply(comment: dict[str, Any]) -> dict[str, Any]:
    """A reply as comments.list shows it: Y08/Y09 carry no `snippet.videoId` (threads' replies do, Y07)."""
    snippet = {k: v for k, v in (comment.get("snippet") or {}).items() if k not in COMMENTS_LIST_DROPS}
    return {**comment, "snippet": snippet}


def replies_of(threads: Iterable[dict[str, Any]], parent_id: str) -> list[dict[str, Any]]:
    """Every reply to top-level comment `parent_id`, newest first (as Y08)."""
    for thread in threads:
        if thread.get("id") == parent_id:
            replies = [_as_listed_reply(c) for c in (thread.get("replies") or {}).get("comments") or []]
            return sorted(
                replies, key=lambda c: (c.get("snippet") or {}).get("publishedAt", ""), reverse=True
            )
    return []


def comments_by_id(threads: Iterable[dict[str, Any]], ids: set[str]) -> list[dict[str, Any]]:
    """Top-level comments and replies whose id is in `ids`."""
    out = []
    for thread in threads:
        top = (thread.get("snippet") or {}).get("topLevelComment")
        for comment in [top, *((thread.get("replies") or {}).get("comments") or [])]:
            if comment and comment.get("id") in ids:
                out.append(comment)
    return out
