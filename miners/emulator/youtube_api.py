"""The YouTube Data API v3 side of the emulator: the five list methods the miner calls.

    GET /youtube/v3/search          search.list          (q, type, order, publishedAfter/Before, channelId)
    GET /youtube/v3/videos          videos.list          (id: comma list of at most 50)
    GET /youtube/v3/commentThreads  commentThreads.list  (videoId | id, order, textFormat)
    GET /youtube/v3/comments        comments.list        (parentId | id, textFormat)
    GET /youtube/v3/channels        channels.list        (id)

Like the real API (API_NOTES.md §2): `key=` is required (400 keyInvalid, Y13); `part` and `maxResults`
are checked against the discovery document; every request that reaches a method is charged quota
(failed and paged ones too) under `miners/quota.py`'s cost model, and once the day's budget is spent
every call answers 403 quotaExceeded (Y15) until `reset_quota()` ("the next day"). Videos whose corpus
line carries `"commentsDisabled": true`, or that a `comments_disabled=ID|ID` fault names, answer
commentThreads.list with 403 commentsDisabled (Y16). The server counts calls; this module counts quota.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from miners.emulator import youtube_resources as res
from miners.emulator.types import Counters, EmuRequest, EmuResponse
from miners.emulator.youtube_discovery import allowed_parts, enum_values, max_results_bounds
from miners.emulator.youtube_errors import FAULT_REASONS, ApiError, error_response
from miners.quota import DAILY, cost_model

PREFIX = "/youtube/v3/"
METHODS = {
    "search": "search.list",
    "videos": "videos.list",
    "commentThreads": "commentThreads.list",
    "comments": "comments.list",
    "channels": "channels.list",
}
MAX_IDS = 50


@dataclass(frozen=True)
class Params:
    """A validated request: its method, parts, page size and offset, plus raw access."""

    method: str
    parts: set[str]
    max_results: int
    offset: int
    scope: str  # what a page token of this result set is bound to
    req: EmuRequest

    def arg(self, name: str, default: str | None = None) -> str | None:
        """A raw query parameter."""
        return self.req.arg(name, default)

    def ids(self, name: str = "id") -> list[str]:
        """A comma-list (or repeated) parameter as a list."""
        return [v for raw in self.req.query.get(name, []) for v in raw.split(",") if v]


class YouTubeAPI:
    """Answers `/youtube/v3/...` requests from a `Corpus` (see the module docstring)."""

    def __init__(
        self,
        corpus: Any,
        counters: Counters,
        *,
        quota: int | None,
        search_cost_model: str = "legacy",
        faults: Any = None,
    ) -> None:
        self.corpus = corpus
        self.counters = counters
        self.quota = quota
        self.model = cost_model(search_cost_model)
        self.faults = faults
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()
        self._handlers: dict[str, Callable[[Params], dict[str, Any]]] = {
            "search.list": self._search,
            "videos.list": self._videos,
            "commentThreads.list": self._threads,
            "comments.list": self._comments,
            "channels.list": self._channels,
        }

    # ---- contract with the server --------------------------------------------------------------
    def endpoint(self, req: EmuRequest) -> str:
        """The counter key, e.g. `youtube:search.list`."""
        name = req.path[len(PREFIX) :].strip("/") if req.path.startswith(PREFIX) else req.path
        return f"youtube:{METHODS.get(name, name + '.list')}"

    def fault_response(self, kind: str, req: EmuRequest) -> EmuResponse | None:
        """A YouTube-shaped body for an injected 5xx (None: the server's default)."""
        reason = FAULT_REASONS.get(kind)
        if reason is None:
            return None
        resp = error_response(reason)
        resp.status = int(kind)
        return resp

    def handle(self, req: EmuRequest) -> EmuResponse:
        """Answer one request."""
        method = self.endpoint(req).split(":", 1)[1]
        if req.method != "GET" or method not in self._handlers:
            return error_response("notFound")
        if not req.arg("key"):
            return error_response("keyInvalid")
        if not self._spend(method) or self._fires("quota_exceeded", method):
            return error_response("quotaExceeded")
        try:
            params = self._params(method, req)
            body = self._handlers[method](params)
        except ApiError as exc:
            return error_response(exc.reason, exc.param, **exc.fmt)
        return EmuResponse(200, res.google_json(body), {"content-type": "application/json; charset=UTF-8"})

    # ---- quota ---------------------------------------------------------------------------------
    def _spend(self, method: str) -> bool:
        """Charge one call of `method`; False (nothing charged) when its bucket is spent."""
        units = self.model.cost(method)
        bucket = self.model.bucket(method)
        with self._lock:
            limit = (
                self.model.limit(bucket, self.quota) if (self.quota is not None or bucket != DAILY) else None
            )
            if limit is not None and self._used.get(bucket, 0) + units > limit:
                return False
            self._used[bucket] = self._used.get(bucket, 0) + units
        self.counters.add_quota(method, units)
        return True

    def quota_used(self) -> dict[str, int]:
        """Units spent today per bucket (`daily`, and `search.list` under the bucket model)."""
        with self._lock:
            return dict(self._used)

    def reset_quota(self) -> None:
        """Start a new quota day (midnight Pacific time on the real API)."""
        with self._lock:
            self._used.clear()

    def _fires(self, kind: str, method: str) -> bool:
        fires = getattr(self.faults, "fires", None)
        hit = bool(fires and fires(kind, f"youtube:{method}"))
        if hit:
            self.counters.add_fault(kind)
        return hit

    # ---- validation ----------------------------------------------------------------------------
    def _params(self, method: str, req: EmuRequest) -> Params:
        parts = {p.strip() for raw in req.query.get("part", []) for p in raw.split(",") if p.strip()}
        if not parts:
            raise ApiError("required", "part")
        unknown = sorted(parts - allowed_parts(method))
        if unknown:
            raise ApiError("unknownPart", "part", value=unknown[0])
        low, high, default = max_results_bounds(method)
        raw = req.arg("maxResults")
        try:
            size = default if raw is None else int(raw)
        except ValueError:
            raise ApiError("invalidValue", "maxResults", value=raw, range=f"[{low}, {high}]") from None
        if not low <= size <= high:
            raise ApiError("invalidValue", "maxResults", value=raw, range=f"[{low}, {high}]")
        for name in ("order", "textFormat"):
            value, allowed = req.arg(name), enum_values(method, name)
            if value is not None and allowed and value not in allowed:
                raise ApiError("invalidParameter", name, value=value)
        scope = (
            method
            + "|"
            + "|".join(
                f"{k}={v}"
                for k, v in sorted(req.query.items())
                if k not in {"pageToken", "key", "alt", "maxResults"}
            )
        )
        offset = 0
        if req.arg("pageToken"):
            decoded = res.decode_token(req.arg("pageToken") or "", scope)
            if decoded is None:
                raise ApiError("invalidPageToken", "pageToken")
            offset = decoded
        return Params(method, parts, size, offset, scope, req)

    # ---- methods -------------------------------------------------------------------------------
    def _page(self, p: Params, items: list[Any]) -> tuple[list[Any], str | None]:
        page = items[p.offset : p.offset + p.max_results]
        end = p.offset + p.max_results
        token = res.encode_token(end, p.scope) if p.max_results and end < len(items) else None
        return page, token

    def _search(self, p: Params) -> dict[str, Any]:
        types = {t for raw in p.req.query.get("type", []) for t in raw.split(",")}
        try:
            after = res.parse_time(p.arg("publishedAfter"))
            before = res.parse_time(p.arg("publishedBefore"))
        except ValueError:
            bad = "publishedAfter" if p.arg("publishedAfter") else "publishedBefore"
            raise ApiError("invalidParameter", bad, value=p.arg(bad)) from None
        found = (
            []
            if types and "video" not in types
            else res.search_videos(
                self.corpus.videos,
                q=p.arg("q"),
                order=p.arg("order", "relevance") or "relevance",
                channel_id=p.arg("channelId"),
                after=after,
                before=before,
            )
        )
        capped = found[: res.SEARCH_RESULT_CAP]
        page, token = self._page(p, capped)
        body: dict[str, Any] = {
            "kind": "youtube#searchListResponse",
            "etag": res.etag("s", p.scope, p.offset),
        }
        if token:
            body["nextPageToken"] = token
        if p.offset:
            body["prevPageToken"] = res.encode_token(max(0, p.offset - p.max_results), p.scope)
        body["regionCode"] = p.arg("regionCode") or res.REGION_CODE
        body["pageInfo"] = {
            "totalResults": min(len(found), res.SEARCH_TOTAL_CAP),
            "resultsPerPage": p.max_results,
        }
        body["items"] = [res.search_result(v) for v in page]
        return body

    def _videos(self, p: Params) -> dict[str, Any]:
        ids = p.ids()
        if not ids:
            raise ApiError("required", "id")
        if len(ids) > MAX_IDS:
            raise ApiError("invalidValue", "id", value=len(ids), range=f"[1, {MAX_IDS}] ids")
        index = self.corpus.by_id("youtube_videos")
        items = [res.stats_as_strings(res.with_parts(index[i], p.parts, p.method)) for i in ids if i in index]
        return {
            "kind": "youtube#videoListResponse",
            "etag": res.etag("v", ids, items),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }

    def _threads(self, p: Params) -> dict[str, Any]:
        video_id, ids = p.arg("videoId"), set(p.ids())
        if video_id:
            if (
                video_id not in self.corpus.by_id("youtube_videos")
                and video_id not in self.corpus.threads_by_video
            ):
                raise ApiError("videoNotFound", "videoId")
            if self._comments_disabled(video_id):
                raise ApiError("commentsDisabled", "videoId")
            threads = list(self.corpus.threads_by_video.get(video_id, []))
        elif ids:
            threads = [t for t in self.corpus.comment_threads if t.get("id") in ids]
        else:
            raise ApiError("required", "videoId")
        terms = (p.arg("searchTerms") or "").lower()
        if terms:
            threads = [t for t in threads if terms in str(t["snippet"]["topLevelComment"]["snippet"]).lower()]
        if p.arg("order") == "relevance":
            threads.sort(key=lambda t: (self._likes(t), res.published(t)), reverse=True)
        else:
            threads.sort(key=res.published, reverse=True)
        page, token = self._page(p, threads)
        fmt = p.arg("textFormat") or "html"
        items = [res.formatted_thread(t, p.parts, fmt) for t in page]
        return self._list_body("youtube#commentThreadListResponse", p, items, token, total=True)

    def _comments(self, p: Params) -> dict[str, Any]:
        parent, ids = p.arg("parentId"), set(p.ids())
        if parent:
            found = res.replies_of(self.corpus.comment_threads, parent)
        elif ids:
            found = res.comments_by_id(self.corpus.comment_threads, ids)
        else:
            raise ApiError("required", "parentId")
        page, token = self._page(p, found)
        fmt = p.arg("textFormat") or "html"
        items = [res.with_parts(res.formatted_comment(c, fmt), p.parts, p.method) for c in page]
        return self._list_body("youtube#commentListResponse", p, items, token, total=False)

    def _channels(self, p: Params) -> dict[str, Any]:
        ids = p.ids()
        if not ids:
            raise ApiError("required", "id")
        index = self.corpus.by_id("youtube_channels")
        items = [res.stats_as_strings(res.with_parts(index[i], p.parts, p.method)) for i in ids if i in index]
        return {
            "kind": "youtube#channelListResponse",
            "etag": res.etag("c", ids, items),
            "pageInfo": {"totalResults": len(items), "resultsPerPage": p.max_results},
            "items": items,
        }

    # ---- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _list_body(
        kind: str, p: Params, items: list[Any], token: str | None, *, total: bool
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": kind, "etag": res.etag(kind, p.scope, p.offset, items)}
        if token:
            body["nextPageToken"] = token
        info = (
            {"totalResults": len(items), "resultsPerPage": p.max_results}
            if total
            else {"resultsPerPage": p.max_results}
        )
        body["pageInfo"] = info
        body["items"] = items
        return body

    @staticmethod
    def _likes(thread: dict[str, Any]) -> int:
        return int(thread["snippet"]["topLevelComment"]["snippet"].get("likeCount") or 0)

    def _comments_disabled(self, video_id: str) -> bool:
        video = self.corpus.by_id("youtube_videos").get(video_id) or {}
        targets = getattr(self.faults, "targets", None)
        targeted = video_id in (targets("comments_disabled") if targets else ())
        if targeted:
            self.counters.add_fault("comments_disabled")
        return (
            bool(video.get("commentsDisabled"))
            or targeted
            or self._fires("comments_disabled", "commentThreads.list")
        )
