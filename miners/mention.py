"""The one record that flows from miners to models to reports.

Miners turn API payloads into `Mention` at the boundary; nothing downstream sees a praw object or a
raw YouTube dict. Ids are stable across runs so that upserts are idempotent:

    reddit:t3_<id36>           a Reddit submission (kind "post")
    reddit:t1_<id36>           a Reddit comment (kind "comment")
    youtube:video:<videoId>    a YouTube video (kind "video")
    youtube:comment:<id>       a YouTube top-level comment or reply (kind "video_comment")
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Source(StrEnum):
    """Where a mention came from."""

    REDDIT = "reddit"
    YOUTUBE = "youtube"


class MentionKind(StrEnum):
    """What a mention is."""

    POST = "post"
    COMMENT = "comment"
    VIDEO = "video"
    VIDEO_COMMENT = "video_comment"


#: Engagement fields that change between runs; refreshed on upsert without duplicating the mention.
METRIC_FIELDS = ("score", "upvote_ratio", "num_comments", "views", "likes", "reply_count", "flair")


def mention_id(source: Source | str, native_id: str, kind: MentionKind | str) -> str:
    """Build the stable id of a mention from its native id."""
    source = Source(source)
    kind = MentionKind(kind)
    if source is Source.REDDIT:
        return f"reddit:{native_id}"  # native ids are fullnames: t3_abc, t1_def
    if kind is MentionKind.VIDEO:
        return f"youtube:video:{native_id}"
    return f"youtube:comment:{native_id}"


def utc(value: datetime) -> datetime:
    """Return `value` as an aware UTC datetime (naive values are taken to be UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Mention:
    """A post, comment, video or video comment that mentions a brand."""

    id: str
    source: Source
    kind: MentionKind
    brand: str
    native_id: str
    text: str
    created_at: datetime
    fetched_at: datetime
    matched_alias: str | None = None
    title: str | None = None
    url: str | None = None
    author: str | None = None  # keyed pseudonym, never the raw user name
    community: str | None = None  # subreddit name or YouTube channel title
    channel_id: str | None = None  # YouTube channel id of the author/uploader
    parent_id: str | None = None  # Mention id of the parent (comment -> comment/post/video)
    thread_id: str | None = None  # Mention id of the thread root (post or video)
    score: int | None = None
    upvote_ratio: float | None = None
    num_comments: int | None = None
    views: int | None = None
    likes: int | None = None
    reply_count: int | None = None
    flair: str | None = None
    is_official: bool = False
    is_deleted: bool = False  # deleted/removed upstream: text is kept out
    extra: dict[str, Any] = field(default_factory=dict)  # source-specific: duration, tags, chapters...

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", Source(self.source))
        object.__setattr__(self, "kind", MentionKind(self.kind))
        object.__setattr__(self, "created_at", utc(self.created_at))
        object.__setattr__(self, "fetched_at", utc(self.fetched_at))

    @property
    def full_text(self) -> str:
        """Title and body together, as the models read them."""
        if self.title and self.text:
            return f"{self.title}\n{self.text}"
        return self.title or self.text or ""

    @property
    def display_text(self) -> str:
        """Title and body for people to read: a body that opens by repeating the title loses the repeat
        (many posts paste their title as their first line).
        """
        title, text = (self.title or "").strip(), (self.text or "").strip()
        rest = text[len(title) :]
        if title and text.lower().startswith(title.lower()) and not rest[:1].isalnum():
            text = rest.lstrip(" \n\t:.-")
        if title and text:
            return f"{title}\n{text}"
        return title or text

    def replace(self, **changes: Any) -> Mention:
        """Return a copy with `changes` applied."""
        return dataclasses.replace(self, **changes)
