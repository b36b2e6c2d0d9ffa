"""The YouTube miner: search.list -> videos.list -> commentThreads.list (+ comments.list), incremental,
quota-aware, through the real google-api-python-client.

Per query (brand.youtube_queries, default the aliases):

1. `search.list` (type=video, order=date, newest first) within the stored cursor window, up to
   `cfg.search_pages` pages; videos already stored are not fetched again.
2. `videos.list` in batches of 50; a video is kept when its title/description names an alias
   (exclusions apply) or it comes from one of the brand's own channels (flagged official).
3. `commentThreads.list` (snippet,replies, plainText, 100 a page, `cfg.comment_pages_per_video` pages),
   and `comments.list?parentId=` for replies the thread did not carry (`cfg.reply_pages_per_thread`).
4. Each video is written with its comments and the advanced cursor in one `upsert_mentions` call.

The cursor (JSON) is a window `{"after", "top", "before"}` walked newest-first: `before` moves down
past each finished video, and when the window is exhausted `after` jumps to `top`. So a run cut short
(quota, budget, errors) never moves the cursor past an unfetched video, and the next run resumes.
Known videos get their statistics refreshed through the cheap `videos.list` (`cfg.refresh_stats_days`);
their comment threads are fetched again only when the comment count changed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httplib2
from googleapiclient.discovery import build

from miners.base import SourceSummary
from miners.mention import Mention, MentionKind, Source, mention_id
from miners.quota import QuotaExhausted, QuotaLedger
from miners.youtube_calls import Caller, CallFailed, RetryPolicy, SkipItem, redact_key_in_logs
from miners.youtube_parse import ParseContext, comment_mention, parse_time, video_alias, video_mention
from store.db import CursorUpdate, Store
from ugcminer.config import BrandConfig, YouTubeConfig
from ugcminer.errors import BadPayload
from ugcminer.secrets import Pseudonymizer

SOURCE = "youtube"
VIDEO_PARTS = "snippet,statistics,contentDetails"
BATCH = 50  # ids per videos.list call


@dataclass(frozen=True)
class Window:
    """The cursor: search `publishedAfter=after` (and `publishedBefore=before` while a window is open)."""

    after: str | None = None
    top: str | None = None
    before: str | None = None

    @classmethod
    def load(cls, raw: str | None) -> Window:
        """Parse a stored cursor (a bare timestamp is read as `after`)."""
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
        except ValueError:
            return cls(after=raw)
        return (
            cls(data.get("after"), data.get("top"), data.get("before")) if isinstance(data, dict) else cls()
        )

    def dump(self) -> str:
        """The stored form."""
        return json.dumps({k: v for k, v in vars(self).items() if v}, sort_keys=True)

    def passed(self, published: str) -> Window:
        """The window after finishing a video published at `published` (newest-first walk)."""
        top = max(self.top or published, published)
        return Window(self.after, top, published)

    def closed(self) -> Window:
        """The window once every result in it is done."""
        return Window(after=self.top or self.after)


class YouTubeMiner:
    """Mines one brand's YouTube mentions into the store (see the module docstring)."""

    def __init__(
        self,
        brand: BrandConfig,
        cfg: YouTubeConfig,
        store: Store,
        pseudonymize: Pseudonymizer,
        *,
        api_key: str,
        api_endpoint: str | None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.brand, self.cfg, self.store = brand, cfg, store
        self.clock = clock or (lambda: datetime.now(UTC))
        self.ctx = ParseContext(brand, pseudonymize, self.clock())
        self.summary = SourceSummary(source=SOURCE, brand=brand.name)
        redact_key_in_logs()
        options = {"api_endpoint": api_endpoint} if api_endpoint else None
        self.youtube = build(
            "youtube",
            "v3",
            developerKey=api_key,
            client_options=options,
            static_discovery=True,
            http=httplib2.Http(timeout=cfg.timeout_s),
        )
        ledger = QuotaLedger(store, cfg.daily_quota, cfg.search_cost_model, self.clock)
        self.calls = Caller(
            ledger, self.summary, RetryPolicy(max_retries=cfg.max_retries), sleep, key_env=cfg.api_key_env
        )
        self._pending: list[Mention] = []  # complete threads of the video being fetched
        self._done: set[str] = set()  # video ids handled in this run

    # ---- run -----------------------------------------------------------------------------------
    def run(self) -> SourceSummary:
        """Mine every query, then refresh known videos; stop cleanly on quota, budget or errors."""
        started = time.monotonic()
        try:
            for query in self._queries_in_turn():
                self._mine_query(query)
            self._refresh_known()
        except CallFailed as stop:
            self._flush_pending()
            self.summary.stopped_reason = stop.reason
            self.summary.errors.append(str(stop))
        self.summary.details["quota_by_method"] = dict(self.calls.units_by_method)
        self.summary.details["quota_day"] = self.calls.ledger.day
        self.summary.details["seconds"] = round(time.monotonic() - started, 3)
        return self.summary

    def _queries_in_turn(self) -> list[str]:
        """Queries never mined first, then the least recently mined: a daily quota that covers only
        some searches still reaches every query over the days (no starvation of the later ones).
        """
        queries = list(dict.fromkeys(self.brand.youtube_queries or self.brand.all_aliases))
        moved = self.store.cursor_times(self.brand.name, SOURCE)
        never = [q for q in queries if q not in moved]
        return never + sorted((q for q in queries if q in moved), key=lambda q: moved[q])

    def _mine_query(self, query: str) -> None:
        window = Window.load(self.store.get_cursor(self.brand.name, SOURCE, query))
        hits, truncated = self._search(query, window)
        known = {m.split(":")[-1] for m in self.store.existing_ids(self._video_ids(h[0] for h in hits))}
        for start in range(0, len(hits), BATCH):
            chunk = hits[start : start + BATCH]
            items = self._fetch_videos(
                [vid for vid, _ in chunk if vid not in known and vid not in self._done]
            )
            for vid, published in chunk:
                batch = []
                if vid in items:
                    batch = self._video_with_comments(items[vid], incremental=False)
                    self._done.add(vid)
                window = window.passed(published)
                if batch:  # skipped and known videos ride along with the next write
                    self._write(batch, CursorUpdate(self.brand.name, SOURCE, query, window.dump()))
            self._write([], CursorUpdate(self.brand.name, SOURCE, query, window.dump()))
        if not truncated:
            self._write([], CursorUpdate(self.brand.name, SOURCE, query, window.closed().dump()))

    def _search(self, query: str, window: Window) -> tuple[list[tuple[str, str]], bool]:
        """(video id, publishedAt) newest first within the window; True when pages were left unread."""
        args = {
            "part": "snippet",
            "q": query,
            "type": "video",
            "order": "date",
            "maxResults": self.cfg.search_page_size,
        }
        args.update(
            {k: v for k, v in (("publishedAfter", window.after), ("publishedBefore", window.before)) if v}
        )
        request = self.youtube.search().list(**args)
        hits: dict[str, str] = {}
        for _ in range(self.cfg.search_pages):
            response = self.calls.execute("search.list", request)
            for item in _items(response):
                hit = self._search_hit(item)
                if hit:
                    hits.setdefault(*hit)
            request = self.youtube.search().list_next(request, response)
            if request is None:
                break
        ordered = sorted(hits.items(), key=lambda h: (h[1], h[0]), reverse=True)
        return ordered, request is not None

    def _search_hit(self, item: Any) -> tuple[str, str] | None:
        """(video id, publishedAt as `YYYY-MM-DDTHH:MM:SSZ`) of a search result; None to skip it."""
        ident = _field(item, "id")
        if isinstance(ident, dict) and ident.get("kind") not in (None, "youtube#video"):
            return None
        vid = _field(ident, "videoId")
        try:
            when = parse_time(_field(_field(item, "snippet"), "publishedAt"), "search result")
        except BadPayload:
            when = None
        if not isinstance(vid, str) or not vid or when is None:
            self._quarantine("search result without a videoId or a valid publishedAt", item)
            return None
        return vid, when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # ---- videos and comments -------------------------------------------------------------------
    def _fetch_videos(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            request = self.youtube.videos().list(part=VIDEO_PARTS, id=",".join(chunk), maxResults=len(chunk))
            for item in _items(self.calls.execute("videos.list", request)):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    out[item["id"]] = item
                else:
                    self._quarantine("videos.list item without id", item)
        return out

    def _video_with_comments(
        self, item: dict[str, Any], *, incremental: bool, alias: str | None = None
    ) -> list[Mention]:
        """The video Mention and its comments (empty when the video is not a brand mention)."""
        channel = (
            (item.get("snippet") or {}).get("channelId") if isinstance(item.get("snippet"), dict) else None
        )
        official = channel in self.ctx.official_channels
        alias = alias or video_alias(item, self.brand) or (self.brand.name if official else None)
        if alias is None:
            self.summary.skipped += 1
            return []
        try:
            video = video_mention(item, self.ctx, alias)
        except BadPayload as exc:
            self._quarantine(str(exc), item)
            return []
        self._pending = []
        if self.cfg.comment_pages_per_video and video.num_comments != 0:
            self._comment_threads(video, incremental=incremental)
        batch, self._pending = [video, *self._pending], []
        return batch

    def _comment_threads(self, video: Mention, *, incremental: bool) -> None:
        request = self.youtube.commentThreads().list(
            part="snippet,replies",
            videoId=video.native_id,
            textFormat="plainText",
            maxResults=100,
            order="time",
        )
        for _ in range(self.cfg.comment_pages_per_video):
            try:
                response = self.calls.execute("commentThreads.list", request)
            except SkipItem as skip:
                self.summary.details[skip.reason] = self.summary.details.get(skip.reason, 0) + 1
                return
            all_known = self._thread_page(_items(response), video)
            if incremental and all_known:
                return
            request = self.youtube.commentThreads().list_next(request, response)
            if request is None:
                return

    def _thread_page(self, threads: list[Any], video: Mention) -> bool:
        """Parse one page of threads into `_pending`; True when every thread was stored and unchanged."""
        tops = [_field(_field(_field(t, "snippet"), "topLevelComment"), "id") for t in threads]
        ids = [mention_id(Source.YOUTUBE, c, MentionKind.VIDEO_COMMENT) for c in tops if isinstance(c, str)]
        stored = self.store.mention_metrics(ids)
        all_known = True
        for thread in threads:
            try:
                snippet = thread["snippet"]
                total = int(snippet.get("totalReplyCount") or 0)
                top = comment_mention(
                    snippet["topLevelComment"], video, self.ctx, thread_id=thread["id"], reply_count=total
                )
                replies = [
                    comment_mention(c, video, self.ctx, thread_id=thread["id"])
                    for c in (thread.get("replies") or {}).get("comments") or []
                ]
            except (BadPayload, KeyError, TypeError, ValueError, AttributeError) as exc:
                self._quarantine(f"comment thread not understood ({exc.__class__.__name__})", thread)
                continue
            before = stored.get(top.id)
            all_known &= before is not None and before.get("reply_count") == total
            if len(replies) < total and (before is None or before.get("reply_count") != total):
                replies = self._more_replies(top, video, replies)
            self._pending.extend([top, *replies])
        return all_known

    def _more_replies(self, top: Mention, video: Mention, replies: list[Mention]) -> list[Mention]:
        by_id = {m.id: m for m in replies}
        if not self.cfg.reply_pages_per_thread:
            return replies
        request = self.youtube.comments().list(
            part="snippet", parentId=top.native_id, textFormat="plainText", maxResults=100
        )
        for _ in range(self.cfg.reply_pages_per_thread):
            try:
                response = self.calls.execute("comments.list", request)
            except SkipItem:
                break
            for item in _items(response):
                try:
                    reply = comment_mention(item, video, self.ctx, thread_id=top.native_id)
                except BadPayload as exc:
                    self._quarantine(str(exc), item)
                    continue
                by_id[reply.id] = reply
            request = self.youtube.comments().list_next(request, response)
            if request is None:
                break
        return list(by_id.values())

    # ---- refresh -------------------------------------------------------------------------------
    def _refresh_known(self) -> None:
        """Refresh statistics of stored recent videos (1 unit per 50); re-read comments that changed."""
        if not self.cfg.refresh_stats_days:
            return
        since = self.clock() - timedelta(days=self.cfg.refresh_stats_days)
        stored = self.store.mentions(self.brand.name, since=since, source=SOURCE, kinds=[MentionKind.VIDEO])
        stored = [m for m in stored if m.native_id not in self._done]
        by_id = {m.native_id: m for m in stored}
        for native_id, item in self._fetch_videos(list(by_id)).items():
            old = by_id[native_id]
            fresh_count = _field(_field(item, "statistics"), "commentCount")
            changed = str(old.num_comments) != str(fresh_count)
            if changed:
                batch = self._video_with_comments(item, incremental=True, alias=old.matched_alias)
            else:
                try:
                    batch = [video_mention(item, self.ctx, old.matched_alias)]
                except BadPayload as exc:
                    self._quarantine(str(exc), item)
                    continue
            self._done.add(native_id)
            self._write(batch, None)

    # ---- store ---------------------------------------------------------------------------------
    def _write(self, batch: list[Mention], cursor: CursorUpdate | None) -> None:
        result = self.store.upsert_mentions(batch, cursor)
        self.summary.new += result.new
        self.summary.updated += result.updated
        self.summary.unchanged += result.unchanged

    def _flush_pending(self) -> None:
        """Keep complete threads fetched before a stop (their video is written by the next run)."""
        if self._pending:
            self._write(self._pending, None)
            self._pending = []

    def _quarantine(self, reason: str, payload: Any) -> None:
        self.summary.quarantined += 1
        text = json.dumps(_without_authors(payload), default=str)[:4000]
        self.store.quarantine_item(SOURCE, "mine", reason, text, brand=self.brand.name)

    @staticmethod
    def _video_ids(ids: Any) -> list[str]:
        return [mention_id(Source.YOUTUBE, i, MentionKind.VIDEO) for i in ids]


def _field(value: Any, key: str) -> Any:
    """`value[key]` when `value` is a dict, else None (payloads may hold anything)."""
    return value.get(key) if isinstance(value, dict) else None


def _items(response: dict[str, Any]) -> list[Any]:
    """The `items` list of a response (empty when absent or not a list)."""
    items = response.get("items")
    return items if isinstance(items, list) else []


def _without_authors(payload: Any) -> Any:
    """A payload copy without author names or channel links (quarantine keeps no personal data)."""
    if isinstance(payload, dict):
        return {k: _without_authors(v) for k, v in payload.items() if not k.lower().startswith("author")}
    if isinstance(payload, list):
        return [_without_authors(v) for v in payload]
    return payload


__all__ = ["QuotaExhausted", "Window", "YouTubeMiner"]
