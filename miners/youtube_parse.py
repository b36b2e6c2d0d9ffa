"""YouTube payloads -> `Mention` records, at the boundary (nothing downstream sees a raw dict).

    video_mention(item, ctx)                  a youtube#video (videos.list) -> kind "video"
    comment_mention(comment, video, ctx, ...)  a youtube#comment (thread top-level or reply) -> "video_comment"

Malformed payloads raise `BadPayload` (the miner quarantines and counts them). Authors are stored
only as keyed pseudonyms; a commenter's channel id is kept only when it is the brand's own channel.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from miners.base import clean_text, match_alias
from miners.mention import Mention, MentionKind, Source, mention_id
from ugcminer.config import BrandConfig
from ugcminer.errors import BadPayload

WATCH_URL = "https://www.youtube.com/watch?v={video}"
_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")
_CHAPTER = re.compile(r"^\s*(?:\(?)((?:\d{1,2}:)?\d{1,2}:\d{2})\)?\s*[-–—:|.]?\s*(\S.*?)\s*$")


@dataclass(frozen=True)
class ParseContext:
    """What turning a payload into a Mention needs besides the payload."""

    brand: BrandConfig
    pseudonymize: Callable[[str | None], str | None]
    fetched_at: datetime

    @property
    def official_channels(self) -> frozenset[str]:
        """The brand's own channel ids."""
        return frozenset(self.brand.official.youtube_channels)


def parse_time(value: Any, what: str) -> datetime:
    """An RFC 3339 timestamp from a payload; BadPayload when missing or malformed."""
    if not isinstance(value, str) or not value:
        raise BadPayload(f"YouTube {what} has no publishedAt timestamp")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadPayload(f"YouTube {what} has a malformed timestamp {value[:40]!r}") from None


def as_int(value: Any) -> int | None:
    """An integer from a count that may be a string (statistics) or an int (comments)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def duration_seconds(value: Any) -> int | None:
    """Seconds in an ISO 8601 duration like `PT21M3S` (None when absent or unreadable)."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        return None
    d, h, m, s = (int(match[k] or 0) for k in ("d", "h", "m", "s"))
    return ((d * 24 + h) * 60 + m) * 60 + s


def parse_chapters(description: str) -> list[dict[str, Any]]:
    """Chapters from description lines that start with a timestamp (`0:00 Intro`, `1:02:03 - Fix`).
    Two or more such lines starting at 0:00 make chapters, as YouTube reads them.
    """
    chapters = []
    for line in description.splitlines():
        match = _CHAPTER.match(line)
        if not match:
            continue
        seconds = 0
        for piece in match[1].split(":"):
            seconds = seconds * 60 + int(piece)
        chapters.append({"start_s": seconds, "title": match[2][:200]})
    if len(chapters) < 2 or chapters[0]["start_s"] != 0:
        return []
    return chapters


def _snippet(item: Any, what: str) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
        raise BadPayload(f"YouTube {what} has no id")
    snippet = item.get("snippet")
    if not isinstance(snippet, dict):
        raise BadPayload(f"YouTube {what} {item['id']} has no snippet")
    return snippet


def video_alias(item: dict[str, Any], brand: BrandConfig) -> str | None:
    """The brand alias a video's title or description mentions (exclusions apply), or None."""
    snippet = item.get("snippet") if isinstance(item, dict) else None
    if not isinstance(snippet, dict):
        return None
    return match_alias(brand, str(snippet.get("title") or ""), str(snippet.get("description") or ""))


def video_mention(item: Any, ctx: ParseContext, alias: str | None) -> Mention:
    """A video Mention from a videos.list item (snippet, statistics, contentDetails)."""
    snippet = _snippet(item, "video")
    stats = item.get("statistics") if isinstance(item.get("statistics"), dict) else {}
    details = item.get("contentDetails") if isinstance(item.get("contentDetails"), dict) else {}
    description = clean_text(snippet.get("description"))
    channel = snippet.get("channelId") if isinstance(snippet.get("channelId"), str) else None
    tags = snippet.get("tags") if isinstance(snippet.get("tags"), list) else []
    extra: dict[str, Any] = {
        "duration": details.get("duration"),
        "duration_s": duration_seconds(details.get("duration")),
        "tags": [clean_text(t, limit=200) for t in tags][:100],
        "chapters": parse_chapters(description),
        "category_id": snippet.get("categoryId"),
        "caption": details.get("caption"),
    }
    return Mention(
        id=mention_id(Source.YOUTUBE, item["id"], MentionKind.VIDEO),
        source=Source.YOUTUBE,
        kind=MentionKind.VIDEO,
        brand=ctx.brand.name,
        native_id=item["id"],
        title=clean_text(snippet.get("title"), limit=1000),
        text=description,
        created_at=parse_time(snippet.get("publishedAt"), f"video {item['id']}"),
        fetched_at=ctx.fetched_at,
        matched_alias=alias,
        url=WATCH_URL.format(video=item["id"]),
        author=ctx.pseudonymize(channel),
        community=clean_text(snippet.get("channelTitle"), limit=300) or None,
        channel_id=channel,
        views=as_int(stats.get("viewCount")),
        likes=as_int(stats.get("likeCount")),
        num_comments=as_int(stats.get("commentCount")),
        is_official=channel in ctx.official_channels,
        extra=extra,
    )


def comment_mention(
    comment: Any, video: Mention, ctx: ParseContext, *, thread_id: str, reply_count: int | None = None
) -> Mention:
    """A video_comment Mention from a youtube#comment (a thread's top-level comment or a reply)."""
    snippet = _snippet(comment, "comment")
    raw = snippet.get("textOriginal")
    if not isinstance(raw, str):
        raw = snippet.get("textDisplay")
    text = clean_text(raw, strip_html=True)
    author_channel = snippet.get("authorChannelId")
    author_channel = author_channel.get("value") if isinstance(author_channel, dict) else None
    parent = snippet.get("parentId")
    official = author_channel in ctx.official_channels
    return Mention(
        id=mention_id(Source.YOUTUBE, comment["id"], MentionKind.VIDEO_COMMENT),
        source=Source.YOUTUBE,
        kind=MentionKind.VIDEO_COMMENT,
        brand=ctx.brand.name,
        native_id=comment["id"],
        text=text,
        created_at=parse_time(snippet.get("publishedAt"), f"comment {comment['id']}"),
        fetched_at=ctx.fetched_at,
        matched_alias=match_alias(ctx.brand, text) or video.matched_alias,
        url=WATCH_URL.format(video=video.native_id) + f"&lc={comment['id']}",
        author=ctx.pseudonymize(author_channel or snippet.get("authorDisplayName")),
        community=video.community,
        channel_id=author_channel if official else None,
        parent_id=mention_id(Source.YOUTUBE, parent, MentionKind.VIDEO_COMMENT) if parent else video.id,
        thread_id=video.id,
        likes=as_int(snippet.get("likeCount")),
        reply_count=reply_count,
        is_official=official,
        extra={
            "comment_thread_id": thread_id,
            "by_uploader": bool(author_channel and author_channel == video.channel_id),
            "updated_at": snippet.get("updatedAt"),
        },
    )
