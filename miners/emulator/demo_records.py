"""Turn one row of the real demo data into the API resource the emulator serves.

`reddit_t3` builds a `{"kind": "t3", "data": {...}}` thing with exactly the keys and JSON types of the
t3 objects in the 2026 listing recording (`api_samples/reddit/10_*`); `youtube_video` builds a
`youtube#video` resource like the videos.list recording (`api_samples/youtube/Y04_*`). Real values
are copied; values the sources lack are filled in a fixed, documented, visibly synthetic way (see
PROVENANCE.md in the demo corpus): authors `demo_user_<hash>`, channel ids `UCdemo<hash>`, etags
from a hash, `subreddit_subscribers` 0, YouTube `description` empty.
"""

from __future__ import annotations

import base64
import hashlib
import html
from datetime import UTC, datetime
from typing import Any

#: t3 fields that are the same for every demo post (values as a 2026 listing shows an ordinary post)
T3_CONSTANTS: dict[str, Any] = {
    "approved_at_utc": None,
    "user_reports": [],
    "saved": False,
    "mod_reason_title": None,
    "gilded": 0,
    "clicked": False,
    "link_flair_richtext": [],
    "hidden": False,
    "pwls": 6,
    "thumbnail_height": None,
    "top_awarded_type": None,
    "hide_score": False,
    "quarantine": False,
    "link_flair_text_color": "dark",
    "author_flair_background_color": None,
    "subreddit_type": "public",
    "total_awards_received": 0,
    "media_embed": {},
    "thumbnail_width": None,
    "author_flair_template_id": None,
    "is_original_content": False,
    "secure_media": None,
    "is_reddit_media_domain": False,
    "is_meta": False,
    "category": None,
    "secure_media_embed": {},
    "can_mod_post": False,
    "approved_by": None,
    "is_created_from_ads_ui": False,
    "author_premium": False,
    "author_flair_richtext": [],
    "gildings": {},
    "content_categories": None,
    "mod_note": None,
    "link_flair_type": "text",
    "wls": 6,
    "removed_by_category": None,
    "banned_by": None,
    "author_flair_type": "text",
    "allow_live_comments": False,
    "likes": None,
    "suggested_sort": None,
    "banned_at_utc": None,
    "view_count": None,
    "archived": False,
    "no_follow": False,
    "is_crosspostable": True,
    "pinned": False,
    "all_awardings": [],
    "awarders": [],
    "media_only": False,
    "can_gild": False,
    "spoiler": False,
    "locked": False,
    "author_flair_text": None,
    "treatment_tags": [],
    "visited": False,
    "removed_by": None,
    "num_reports": None,
    "author_is_blocked": False,
    "mod_reason_by": None,
    "removal_reason": None,
    "link_flair_background_color": "",
    "is_robot_indexable": True,
    "report_reasons": None,
    "discussion_type": None,
    "send_replies": True,
    "contest_mode": False,
    "mod_reports": [],
    "author_patreon_flair": False,
    "author_flair_text_color": None,
    "stickied": False,
    "subreddit_subscribers": 0,
    "num_crossposts": 0,
    "media": None,
    "is_video": False,
}

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _digest(*parts: str) -> bytes:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).digest()


def _base36(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        number, rest = divmod(number, 36)
        chars.append(_BASE36[rest])
    return "".join(chars)


def _b64(data: bytes, length: int) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")[:length]


def synthetic_author(post_id: str) -> tuple[str, str]:
    """A stable made-up (username, t2 fullname) for a post whose real author is not in the data."""
    digest = _digest("author", post_id)
    return f"demo_user_{digest.hex()[:8]}", f"t2_{_base36(digest, 10)}"


def selftext_html(text: str) -> str | None:
    """Reddit-style HTML for a self post body (paragraphs only; None for an empty body)."""
    if not text.strip():
        return None
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in paragraphs)
    return f'<!-- SC_OFF --><div class="md">{body}</div><!-- SC_ON -->'


def _edited(value: str, original_created: float, created: float) -> bool | float:
    if value in ("", "False", "false"):
        return False
    if value in ("True", "true"):  # edited, time not recorded (2013 API): one hour later, synthetic
        return float(int(created) + 3600)
    return float(int(created + (float(value) - original_created)))


def _permalink(url: str) -> str:
    return "/" + url.split("reddit.com/", 1)[1] if "reddit.com/" in url else url


def reddit_t3(row: dict[str, str], created: float) -> dict[str, Any]:
    """The t3 thing for one row of the 2013 top-posts CSVs, created at `created` (epoch seconds)."""
    sub, is_self = row["_subreddit"], row["is_self"] == "True"
    ups, downs, score = int(row["ups"]), int(row["downs"]), int(row["score"])
    permalink = _permalink(row["permalink"])
    selftext = html.unescape(row["selftext"])
    author, author_fullname = synthetic_author(row["id"])
    data = dict(T3_CONSTANTS)
    data.update(
        {
            "id": row["id"],
            "name": row["name"] or f"t3_{row['id']}",
            "subreddit": sub,
            "subreddit_name_prefixed": f"r/{sub}",
            "subreddit_id": row["subreddit_id"],
            "title": html.unescape(row["title"]),
            "selftext": selftext,
            "selftext_html": selftext_html(selftext),
            "author": author,
            "author_fullname": author_fullname,
            "author_flair_css_class": row["author_flair_css_class"] or None,
            "score": score,
            "ups": score,
            "downs": 0,
            "upvote_ratio": round(ups / (ups + downs), 2) if ups + downs else 1.0,
            "num_comments": int(row["num_comments"]),
            "created": created,
            "created_utc": created,
            "edited": _edited(row["edited"], float(row["created_utc"]), created),
            "link_flair_text": row["link_flair_text"] or None,
            "link_flair_css_class": row["link_flair_css_class"] or None,
            "over_18": row["over_18"] == "True",
            "is_self": is_self,
            "domain": row["domain"],
            "permalink": permalink,
            "url": f"https://www.reddit.com{permalink}" if is_self else row["url"],
            "thumbnail": row["thumbnail"] or ("self" if is_self else "default"),
            "distinguished": row["distinguished"] or None,
        }
    )
    if not is_self:
        data["url_overridden_by_dest"] = row["url"]
    return {"kind": "t3", "data": data}


def _thumbnails(video_id: str) -> dict[str, Any]:
    sizes = {
        "default": ("default", 120, 90),
        "medium": ("mqdefault", 320, 180),
        "high": ("hqdefault", 480, 360),
    }
    return {
        name: {"url": f"https://i.ytimg.com/vi/{video_id}/{file}.jpg", "width": w, "height": h}
        for name, (file, w, h) in sizes.items()
    } | {"standard": {"url": f"https://i.ytimg.com/vi/{video_id}/sddefault.jpg", "width": 640, "height": 480}}


def synthetic_channel(video_id: str) -> tuple[str, str]:
    """A stable made-up (channelId, channelTitle): the statistics set does not name channels."""
    digest = _digest("channel", video_id)
    channel_id = "UCdemo" + _b64(digest, 18)
    return channel_id, f"Unknown channel {digest.hex()[:6]}"


def _count(value: str) -> str:
    return str(int(float(value))) if value.strip() else "0"


def youtube_video(row: dict[str, str], published: float) -> dict[str, Any]:
    """The youtube#video resource for one row of the 2022 statistics set, published at `published`."""
    video_id = row["Video ID"]
    title = html.unescape(row["Title"])
    channel_id, channel_title = synthetic_channel(video_id)
    when = datetime.fromtimestamp(published, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "kind": "youtube#video",
        "etag": _b64(_digest("etag", video_id, row["Views"], row["Likes"], row["Comments"]), 27),
        "id": video_id,
        "snippet": {
            "publishedAt": when,
            "channelId": channel_id,
            "title": title,
            "description": "",
            "thumbnails": _thumbnails(video_id),
            "channelTitle": channel_title,
            "categoryId": "22",
            "liveBroadcastContent": "none",
            "localized": {"title": title, "description": ""},
        },
        "contentDetails": {
            "duration": "P0D",
            "dimension": "2d",
            "definition": "hd",
            "caption": "false",
            "licensedContent": False,
            "contentRating": {},
            "projection": "rectangular",
        },
        "statistics": {
            "viewCount": _count(row["Views"]),
            "likeCount": _count(row["Likes"]),
            "favoriteCount": "0",
            "commentCount": _count(row["Comments"]),
        },
    }
