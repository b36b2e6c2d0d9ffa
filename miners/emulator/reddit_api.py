"""The Reddit side of the emulator: the OAuth API subset praw calls, served from a corpus.

Endpoints (paths relative to the emulator root, as praw builds them; see API_NOTES.md §1):

    POST /api/v1/access_token         Basic auth, grant_type=client_credentials -> bearer token;
                                      OAuth errors as HTTP 200 + {"error": ...} (R:04)
    GET  /r/{sub}/search/             q, restrict_sr, sort, t, limit (<= 100), after; r/all searches all
    GET  /r/{sub}/new                 newest first
    GET  /comments/{id}/[slug/]       [Listing(t3), Listing(t1 | more)]; `replies: ""` for leaves;
                                      `more` stubs beyond `TreeLimits` so replace_more is exercised
    POST /api/morechildren/           {"json": {"errors": [], "data": {"things": [...]}}} (flat)
    GET  /api/info/                   id=t3_..,t1_.. (<= 100)

Every API response carries `x-ratelimit-used/remaining/reset` (remaining as "N.0") for a window of
`RateWindow.limit` requests per `RateWindow.seconds` (1000 per 600 s as recorded); past the limit the
answer is a 429. A missing or unknown bearer token gets 401 with `www-authenticate` (R:27).
Listings stop at `LISTING_CAP` items (Reddit's ~1000) with `after: null`.
"""

from __future__ import annotations

import base64
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from miners.emulator.corpus import Corpus
from miners.emulator.faults import FaultSpec
from miners.emulator.types import Counters, EmuRequest, EmuResponse

LISTING_CAP = 1000
MAX_PAGE = 100
DEFAULT_PAGE = 25
TIME_FILTERS = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 31 * 86400, "year": 366 * 86400}
#: sort name -> key over t3 data (ascending sort of the key = listing order)
SORTS = {
    "new": lambda d: (-float(d.get("created_utc") or 0), d.get("id", "")),
    "top": lambda d: (-int(d.get("score") or 0), -float(d.get("created_utc") or 0)),
    "hot": lambda d: (-int(d.get("score") or 0), -float(d.get("created_utc") or 0)),
    "comments": lambda d: (-int(d.get("num_comments") or 0), -float(d.get("created_utc") or 0)),
}
UNAUTHORIZED = (
    {"message": "Unauthorized", "error": 401},
    {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'},
)
UNAVAILABLE_BODIES = {  # as recorded: R:28/R:29 (403), R:30 (404)
    403: {"reason": "private", "message": "Forbidden", "error": 403},
    404: {"reason": "banned", "message": "Not Found", "error": 404},
}
ROUTES = (  # (method, path regex, endpoint key, handler name)
    ("POST", r"/api/v1/access_token/?", "reddit:token", "_token"),
    ("GET", r"/r/(?P<sub>[^/]+)/search/?", "reddit:search", "_search"),
    ("GET", r"/r/(?P<sub>[^/]+)/new/?", "reddit:new", "_new"),
    ("GET", r"(?:/r/[^/]+)?/comments/(?P<id>[a-z0-9]+)(?:/[^/]*)?/?", "reddit:comments", "_comments"),
    ("POST", r"/api/morechildren/?", "reddit:morechildren", "_morechildren"),
    ("GET", r"/api/morechildren/?", "reddit:morechildren", "_morechildren"),
    ("GET", r"/api/info/?", "reddit:info", "_info"),
)


@dataclass
class TreeLimits:
    """How much of a comment tree one response shows before `more` stubs."""

    top_level: int = 50  # top-level comments in /comments/{id}/
    width: int = 10  # replies shown per comment
    depth: int = 5  # levels shown (0 = top level)
    morechildren_max: int = 100  # ids answered per morechildren call


@dataclass
class RateWindow:
    """Reddit's rate-limit window (1000 requests per 600 s in 2025-2026 recordings)."""

    limit: int = 1000
    seconds: float = 600.0


def _listing(
    children: list[dict[str, Any]],
    after: str | None,
    *,
    search: bool = False,
    modhash: str | None = None,
    geo_filter: str | None = "",
) -> dict[str, Any]:
    """A Listing envelope as recorded: subreddit listings carry `geo_filter: null` (R:10), comment
    and info listings `""` (R:17, R:21); info listings `modhash: ""` (R:21); searches add `facets` (R:07).
    """
    data: dict[str, Any] = {"after": after, "dist": len(children)}
    if search:
        data["facets"] = {}
    data.update({"modhash": modhash, "geo_filter": geo_filter, "children": children, "before": None})
    return {"kind": "Listing", "data": data}


def _query_matcher(q: str) -> re.Pattern[str] | None:
    """All terms (quoted phrases or words) must appear, whole-word, case-insensitive."""
    terms = [a or b for a, b in re.findall(r'"([^"]+)"|(\S+)', q or "") if (a or b).upper() not in {"AND"}]
    if not terms:
        return None
    parts = [r"(?=[\s\S]*(?<!\w)" + re.escape(t.lower()) + r"(?!\w))" for t in terms]
    return re.compile("^" + "".join(parts))


class RedditAPI:
    """Answers praw's requests from the corpus (see the module docstring)."""

    def __init__(
        self,
        corpus: Corpus,
        counters: Counters,
        *,
        quota: int | None = None,
        search_cost_model: str = "legacy",
        faults: FaultSpec | None = None,
    ) -> None:
        self.corpus = corpus
        self.counters = counters
        self.faults = faults or FaultSpec()
        self.tree = TreeLimits()
        self.rate = RateWindow()
        self.now: float | None = None  # the clock for time filters (None = real time)
        self.credentials: tuple[str, str] | None = None  # accepted (id, secret); None = any non-empty
        self.unavailable: dict[str, int] = {}  # subreddit (lower case) -> 403 (private) or 404 (banned)
        self.token_ttl = 86400
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self._window_start = time.monotonic()
        self._used = 0

    # ---- dispatch -------------------------------------------------------------------------------
    def _route(self, req: EmuRequest) -> tuple[str, str, dict[str, str]] | None:
        for method, pattern, key, handler in ROUTES:
            m = re.fullmatch(pattern, req.path)
            if m and req.method == method:
                return key, handler, m.groupdict()
        return None

    def endpoint(self, req: EmuRequest) -> str:
        """The counter key of `req` (e.g. "reddit:search")."""
        found = self._route(req)
        return found[0] if found else "reddit:other"

    def handle(self, req: EmuRequest) -> EmuResponse:
        """Answer one request."""
        found = self._route(req)
        if found and found[0] == "reddit:token":
            return self._token(req)
        if not self._authorized(req):
            body, headers = UNAUTHORIZED
            return EmuResponse.json(body, status=401, headers=headers)
        limited = self._count_rate()
        if limited is not None:
            return limited
        blocked = self.unavailable.get((found[2].get("sub") or "").lower()) if found else None
        if found is None:
            resp = EmuResponse.json({"reason": "PAGE_NOT_CREATED", "message": "Not Found"}, status=404)
        elif blocked:
            resp = EmuResponse.json(UNAVAILABLE_BODIES[blocked], status=blocked)
        else:
            resp = getattr(self, found[1])(req, **found[2])
        resp.headers.update(self._rate_headers())
        return resp

    # ---- auth and rate limits -------------------------------------------------------------------
    def _token(self, req: EmuRequest) -> EmuResponse:
        auth = req.headers.get("authorization", "")
        try:
            client_id, _, secret = base64.b64decode(auth.split(" ", 1)[1]).decode().partition(":")
        except Exception:  # noqa: BLE001  (absent or garbled Basic auth)
            client_id = secret = ""
        ok = (client_id, secret) == self.credentials if self.credentials else bool(client_id and secret)
        if not ok:
            return EmuResponse.json({"message": "Unauthorized", "error": 401}, status=401)
        grant = req.arg("grant_type")
        if grant != "client_credentials":
            return EmuResponse.json({"error": "unsupported_grant_type"})  # OAuth errors are HTTP 200
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_ttl
        body = {"access_token": token, "token_type": "bearer", "expires_in": self.token_ttl, "scope": "*"}
        return EmuResponse.json(body)

    def _authorized(self, req: EmuRequest) -> bool:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        with self._lock:
            expires = self._tokens.get(token) if scheme.lower() == "bearer" else None
        return expires is not None and expires > time.monotonic()

    def revoke_tokens(self) -> None:
        """Invalidate every issued token (tests: praw must fetch a new one)."""
        with self._lock:
            self._tokens.clear()

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass for the rate-limit window (tests whose sleeps are not real)."""
        with self._lock:
            self._window_start -= seconds

    def _count_rate(self) -> EmuResponse | None:
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= self.rate.seconds:
                self._window_start, self._used = now, 0
            self._used += 1
            over = self._used > self.rate.limit
        if over:
            reset = str(self._reset_seconds())
            return EmuResponse.json(
                {"message": "Too Many Requests", "error": 429}, status=429, headers={"retry-after": reset}
            )
        return None

    def _reset_seconds(self) -> int:
        return max(0, math.ceil(self.rate.seconds - (time.monotonic() - self._window_start)))

    def _rate_headers(self) -> dict[str, str]:
        with self._lock:
            used = min(self._used, self.rate.limit)
        return {
            "x-ratelimit-remaining": f"{float(self.rate.limit - used):.1f}",
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(self._reset_seconds()),
        }

    # ---- listings -------------------------------------------------------------------------------
    def _page(self, items: list[dict[str, Any]], req: EmuRequest, *, search: bool = False) -> EmuResponse:
        items = items[:LISTING_CAP]
        try:
            limit = min(MAX_PAGE, max(1, int(req.arg("limit") or DEFAULT_PAGE)))
        except ValueError:
            limit = DEFAULT_PAGE
        start = 0
        after = req.arg("after")
        if after:
            names = [f"t3_{d['id']}" for d in items]
            start = names.index(after) + 1 if after in names else len(items)
        page = items[start : start + limit]
        more = start + limit < len(items)
        next_after = f"t3_{page[-1]['id']}" if page and more else None
        return EmuResponse.json(
            _listing([{"kind": "t3", "data": d} for d in page], next_after, search=search, geo_filter=None)
        )

    def _published(self) -> list[dict[str, Any]]:
        """Submissions that exist at the emulator's clock (`now` set: later ones are not posted yet)."""
        if self.now is None:
            return list(self.corpus.submissions)
        return [d for d in self.corpus.submissions if float(d.get("created_utc") or 0) <= self.now]

    def _in_sub(self, sub: str) -> list[dict[str, Any]]:
        names = {s.lower() for s in sub.split("+")}
        if names & {"all", "popular"}:
            return self._published()
        return [d for d in self._published() if str(d.get("subreddit", "")).lower() in names]

    def _search(self, req: EmuRequest, sub: str) -> EmuResponse:
        restrict = (req.arg("restrict_sr") or "").lower() in {"true", "1", "on"}
        pool = self._in_sub(sub) if restrict else self._published()
        matcher = _query_matcher(req.arg("q") or "")
        window = TIME_FILTERS.get(req.arg("t") or "all")
        now = self.now if self.now is not None else time.time()
        hits = []
        for d in pool:
            text = f"{d.get('title') or ''}\n{d.get('selftext') or ''}".lower()
            if matcher is not None and not matcher.search(text):
                continue
            if window and float(d.get("created_utc") or 0) < now - window:
                continue
            hits.append(d)
        sort = req.arg("sort") or "relevance"
        hits.sort(key=SORTS.get(sort, SORTS["new"]))  # relevance: every hit matches all terms; newest first
        return self._page(hits, req, search=True)

    def _new(self, req: EmuRequest, sub: str) -> EmuResponse:
        return self._page(self._in_sub(sub), req)

    def _info(self, req: EmuRequest) -> EmuResponse:
        names = [n for n in (req.arg("id") or "").split(",") if n][:MAX_PAGE]
        things = []
        for name in names:
            found = self.corpus.things_by_fullname.get(name)
            if found:
                kind, data = found
                things.append({"kind": kind, "data": {**data, "replies": ""} if kind == "t1" else data})
        return EmuResponse.json(_listing(things, None, modhash=""))

    # ---- comment trees --------------------------------------------------------------------------
    def _comments(self, req: EmuRequest, id: str) -> EmuResponse:  # noqa: A002
        submission = self.corpus.submission(id)
        if submission is None:
            return EmuResponse.json({"message": "Not Found", "error": 404}, status=404)
        budget = [self._int_arg(req, "limit", 2048)]
        children = self._forest(f"t3_{id}", 0, self.tree.top_level, budget)
        t3 = _listing([{"kind": "t3", "data": submission}], None)
        t3["data"]["dist"] = 1
        t1 = _listing(children, None)
        t1["data"]["dist"] = None
        return EmuResponse.json([t3, t1])

    @staticmethod
    def _int_arg(req: EmuRequest, name: str, default: int) -> int:
        try:
            return max(0, int(req.arg(name) or default))
        except ValueError:
            return default

    def _descendants(self, fullname: str) -> int:
        kids = self.corpus.children_by_parent.get(fullname, [])
        return sum(1 + self._descendants(f"t1_{k['id']}") for k in kids)

    def _more(self, parent: str, depth: int, rest: list[dict[str, Any]]) -> dict[str, Any]:
        ids = [k["id"] for k in rest]
        count = sum(1 + self._descendants(f"t1_{i}") for i in ids)
        data = {
            "count": count,
            "name": f"t1_{ids[0]}",
            "id": ids[0],
            "parent_id": parent,
            "depth": depth,
            "children": ids,
        }
        return {"kind": "more", "data": data}

    def _forest(self, parent: str, depth: int, width: int, budget: list[int]) -> list[dict[str, Any]]:
        """The children of `parent` as t1 things (nested), `more` beyond width, depth or budget."""
        kids = self.corpus.children_by_parent.get(parent, [])
        if depth > self.tree.depth:
            return [self._more(parent, depth, kids)] if kids else []
        shown: list[dict[str, Any]] = []
        for i, kid in enumerate(kids):
            if i >= width or budget[0] <= 0:
                shown.append(self._more(parent, depth, kids[i:]))
                break
            budget[0] -= 1
            replies = self._forest(f"t1_{kid['id']}", depth + 1, self.tree.width, budget)
            shown.append(self._t1(kid, depth, replies))
        return shown

    @staticmethod
    def _t1(data: dict[str, Any], depth: int, replies: list[dict[str, Any]]) -> dict[str, Any]:
        listing: Any = _listing(replies, None) if replies else ""
        if listing:
            listing["data"]["dist"] = None
        return {"kind": "t1", "data": {**data, "depth": depth, "replies": listing}}

    def _morechildren(self, req: EmuRequest) -> EmuResponse:
        ids = [i for i in (req.arg("children") or "").split(",") if i]
        answered, rest = ids[: self.tree.morechildren_max], ids[self.tree.morechildren_max :]
        things: list[dict[str, Any]] = []
        by_name = self.corpus.things_by_fullname
        for id36 in answered:
            found = by_name.get(f"t1_{id36}")
            if not found:
                continue
            data = found[1]
            depth = self._depth_of(data)
            things.append({"kind": "t1", "data": {**data, "depth": depth, "replies": ""}})
            kids = self.corpus.children_by_parent.get(f"t1_{id36}", [])
            if kids:
                things.append(self._more(f"t1_{id36}", depth + 1, kids))
        if rest:
            first = by_name.get(f"t1_{rest[0]}")
            parent = first[1].get("parent_id", "") if first else ""
            stub = self._more(parent, self._depth_of(first[1]) if first else 0, [{"id": i} for i in rest])
            things.append(stub)
        return EmuResponse.json({"json": {"errors": [], "data": {"things": things}}})

    def _depth_of(self, data: dict[str, Any]) -> int:
        depth, parent = 0, data.get("parent_id") or ""
        while parent.startswith("t1_") and depth < 1000:
            found = self.corpus.things_by_fullname.get(parent)
            if not found:
                break
            depth, parent = depth + 1, found[1].get("parent_id") or ""
        return depth
