"""The Reddit miner: praw over HTTP (Reddit or the emulator), incremental, fault-tolerant.

For each alias it searches r/all (when `brand.search_all`) and each configured subreddit with
sort=new, walking pages with `after` until it reaches the stored cursor. For each matching submission
it keeps the WHOLE thread (bounded `replace_more`): solution comments and OP confirmations rarely name
the brand, and how-to scoring needs them. Excluded and non-matching submissions are skipped.

Crash safety: each submission is written with its thread and a cursor in one transaction. The cursor
(per brand, "reddit", query) holds the newest item of the last COMPLETE walk (`done`) and, while a walk
is under way, its newest item (`top`) and the last stored item (`after`): a crash resumes the walk
where it stopped, and the watermark only moves once everything above it is stored.

Incremental: a re-run costs one search page per query plus one `/api/info` call per 100 stored posts
created in the last `refresh_days` (their scores and comment counts are refreshed without
duplicates); a thread is fetched again only when its comment count changed.

Failures: 429 waits `retry-after` (injected sleep) and retries; 5xx, timeouts, cut-off and malformed
bodies back off and retry (`miners.backoff`); an item that cannot be parsed is quarantined.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import praw
import prawcore
from praw.models import MoreComments

from miners.backoff import Retrier, RetryPolicy, classify
from miners.base import SourceSummary
from miners.mention import Mention
from miners.reddit_convert import RedditConverter, comment_data, scrub
from store.db import CursorUpdate, Store
from ugcminer.config import BrandConfig, RedditConfig
from ugcminer.errors import BadPayload, CredentialsError, SourceError

log = logging.getLogger(__name__)
SOURCE = "reddit"
INFO_BATCH = 100
#: answers that end one query or thread (not the run): private, banned, quarantined or gone
UNAVAILABLE = (prawcore.Forbidden, prawcore.NotFound, prawcore.Redirect, prawcore.UnavailableForLegalReasons)


@dataclass(frozen=True)
class WalkCursor:
    """The stored cursor of one query (JSON in the cursors table)."""

    done: str | None = None  # newest fullname of the last complete walk
    done_utc: float | None = None
    top: str | None = None  # newest fullname of the walk under way
    top_utc: float | None = None
    after: str | None = None  # last fullname stored by the walk under way

    @classmethod
    def load(cls, value: str | None) -> WalkCursor:
        """Parse a stored value (None = never mined)."""
        return cls(**json.loads(value)) if value else cls()

    def dump(self) -> str:
        """Serialize for the store."""
        return json.dumps(asdict(self), sort_keys=True)

    def reached(self, name: str, created: float) -> bool:
        """Whether a listing item is at or below the watermark of the last complete walk."""
        return self.done is not None and (name == self.done or created < (self.done_utc or 0.0))


def _counting_requestor(counter: list[int], limits: dict[str, Any]) -> type[prawcore.Requestor]:
    """A prawcore Requestor subclass (praw's documented extension point) that counts HTTP requests and
    keeps the last `x-ratelimit-*` headers (praw's `auth.limits` has no reset time).
    """

    class CountingRequestor(prawcore.Requestor):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            counter[0] += 1
            kwargs["timeout"] = self.timeout  # prawcore's Session always passes its 16 s default
            response = super().request(*args, **kwargs)
            headers = response.headers
            if "x-ratelimit-remaining" in headers:
                try:
                    limits["remaining"] = int(float(headers["x-ratelimit-remaining"]))
                    limits["reset_timestamp"] = time.time() + float(headers.get("x-ratelimit-reset") or 0)
                except ValueError:
                    limits.clear()
            return response

    return CountingRequestor


class RedditMiner:
    """Mines one brand from Reddit (see the module docstring)."""

    def __init__(
        self,
        brand: BrandConfig,
        cfg: RedditConfig,
        store: Store,
        pseudonymize: Callable[[str | None], str | None],
        *,
        client_id: str,
        client_secret: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.brand, self.cfg, self.store = brand, cfg, store
        self.convert = RedditConverter(brand, pseudonymize)
        policy = RetryPolicy(max_attempts=cfg.max_retries + 1, max_backoff_s=cfg.max_backoff_s)
        self.retrier = Retrier(policy, sleep=sleep, source="Reddit", limits=self._limits)
        self._calls = [0]
        self._ratelimit: dict[str, Any] = {}
        self.reddit = praw.Reddit(
            client_id=client_id,
            client_secret=client_secret,
            user_agent=cfg.user_agent,
            oauth_url=cfg.oauth_url,
            reddit_url=cfg.reddit_url,
            short_url=cfg.short_url,
            check_for_updates=False,
            requestor_kwargs={"timeout": cfg.timeout_s},  # praw 8 parses `timeout=` but never uses it
            requestor_class=_counting_requestor(self._calls, self._ratelimit),
        )
        self.summary = SourceSummary(SOURCE, brand.name)
        self._seen_threads: set[str] = set()

    # ---- run ------------------------------------------------------------------------------------
    def queries(self) -> list[tuple[str, str]]:
        """(subreddit, alias) pairs to search, r/all first."""
        subs = (["all"] if self.brand.search_all else []) + [
            s.removeprefix("r/") for s in self.brand.subreddits
        ]
        return [(sub, alias) for alias in self.brand.all_aliases for sub in subs]

    def run(self) -> SourceSummary:
        """Mine incrementally; returns what was done (the summary also says why it stopped early)."""
        try:
            self.refresh_known()
            for sub, alias in self.queries():
                self.mine_query(sub, alias)
        except prawcore.OAuthException as exc:
            raise self._credentials_error() from exc
        except prawcore.ResponseException as exc:
            if exc.response.status_code == 401:
                raise self._credentials_error() from exc
            self.summary.stopped_reason = f"error: HTTP {exc.response.status_code}"
            self.summary.errors.append(f"Reddit answered HTTP {exc.response.status_code}")
        except SourceError as exc:
            self.summary.stopped_reason = f"error: {exc}"
            self.summary.errors.append(str(exc))
        self.summary.calls = self._calls[0]
        self.summary.retries = self.retrier.retries
        self.summary.details["waited_s"] = round(self.retrier.waited_s, 3)
        return self.summary

    def _credentials_error(self) -> CredentialsError:
        return CredentialsError(
            "Reddit rejected the client id/secret; check the values of the environment variables "
            f"{self.cfg.client_id_env} and {self.cfg.client_secret_env}"
        )

    def _request(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        return self.retrier.call(lambda: self.reddit.request(method=method, path=path, **kwargs), what)

    def _limits(self) -> dict[str, Any]:
        return dict(self._ratelimit)

    # ---- one query ------------------------------------------------------------------------------
    def mine_query(self, sub: str, alias: str) -> None:
        """Walk the search listing of `alias` in r/`sub` down to the cursor (resuming a broken walk)."""
        key = f"r/{sub} {alias}"
        cursor = WalkCursor.load(self.store.get_cursor(self.brand.name, SOURCE, key))
        resumed = cursor.top is not None
        try:
            cursor = self._walk(sub, alias, key, cursor)
            if resumed:  # the broken walk is finished; now catch up with what is newer than its top
                self._walk(sub, alias, key, cursor)
        except BadPayload as exc:  # a listing we cannot read: keep it aside, go on with the next query
            self._quarantine("listing", f"{key}: {exc}", None)
        except UNAVAILABLE as exc:  # a private, banned or quarantined subreddit: say so, go on
            self.summary.errors.append(f"{key}: Reddit answered HTTP {exc.response.status_code}; skipped")

    def _walk(self, sub: str, alias: str, key: str, cursor: WalkCursor) -> WalkCursor:
        params: dict[str, Any] = {
            "q": f'"{alias}"' if " " in alias else alias,
            "restrict_sr": str(sub.lower() != "all"),
            "sort": "new",
            "t": "all",
            "syntax": "lucene",
            "limit": self.cfg.page_limit,
        }
        if cursor.after:
            params["after"] = cursor.after
        for page in range(self.cfg.max_pages):
            listing = self._request(
                "GET", f"r/{sub}/search/", f"search {key!r} page {page + 1}", params=params
            )
            children, after = _listing_parts(listing)
            cursor, stop = self._page(children, key, cursor)
            if stop or not after or not children:
                break
            params["after"] = after
        else:
            self.summary.details.setdefault("truncated_queries", []).append(key)
        final = WalkCursor(done=cursor.top or cursor.done, done_utc=cursor.top_utc or cursor.done_utc)
        self.store.set_cursor(CursorUpdate(self.brand.name, SOURCE, key, final.dump()))
        return final

    def _page(self, children: list[Any], key: str, cursor: WalkCursor) -> tuple[WalkCursor, bool]:
        """Store the page's matching submissions (each with its thread); returns (cursor, reached)."""
        written, reached = cursor, False
        for child in children:
            data = child.get("data") if isinstance(child, dict) else None
            try:
                name, created = _name_and_time(data)
            except BadPayload as exc:
                self._quarantine("listing", str(exc), child)
                continue
            if cursor.reached(name, created):
                reached = True
                break
            top, top_utc = (cursor.top, cursor.top_utc) if cursor.top else (name, created)
            cursor = WalkCursor(cursor.done, cursor.done_utc, top, top_utc, name)
            batch = self._submission(data)
            if batch:  # mentions and the cursor that covers them: one transaction
                self._write(batch, CursorUpdate(self.brand.name, SOURCE, key, cursor.dump()))
                written = cursor
        if cursor != written:
            self.store.set_cursor(CursorUpdate(self.brand.name, SOURCE, key, cursor.dump()))
        return cursor, reached

    def _submission(self, data: dict[str, Any]) -> list[Mention]:
        try:
            post = self.convert.post(data)
        except (BadPayload, KeyError, TypeError, ValueError) as exc:
            self._quarantine("t3", str(exc), data)
            return []
        if post.matched_alias is None or post.id in self._seen_threads:
            self.summary.skipped += post.matched_alias is None
            return []
        self._seen_threads.add(post.id)
        if not self.cfg.fetch_comments or post.is_deleted or not post.num_comments:
            return [post]
        return [post, *self.thread(post.native_id[3:])]

    # ---- threads --------------------------------------------------------------------------------
    def thread(self, id36: str) -> list[Mention]:
        """Every comment of a submission's tree, after a bounded replace_more."""
        submission = self.reddit.submission(id=id36)
        try:
            forest = self.retrier.call(lambda: submission.comments, f"comments of t3_{id36}")
        except UNAVAILABLE:  # removed between the search and now: the post is kept, its thread is not
            self.summary.details["threads_unavailable"] = (
                self.summary.details.get("threads_unavailable", 0) + 1
            )
            return []
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # praw could not build the objects
            self._quarantine(
                "thread", f"comments of t3_{id36} not understood ({exc.__class__.__name__})", None
            )
            return []
        self._replace_more(forest, id36)
        out = []
        for comment in forest.list():
            if isinstance(comment, MoreComments):
                continue
            data = comment_data(comment)
            try:
                out.append(self.convert.comment(data))
            except (BadPayload, KeyError, TypeError, ValueError) as exc:
                self._quarantine("t1", str(exc), data)
        return out

    def _replace_more(self, forest: Any, id36: str) -> None:
        """`replace_more(limit=cfg.replace_more_limit)`, retried without exceeding the limit."""
        budget, attempt = self.cfg.replace_more_limit, 0
        while True:
            before = {id(m) for m in forest.list() if isinstance(m, MoreComments)}
            self.retrier.respect_ratelimit(self._limits(), needed=min(budget, len(before)) + 1)
            try:
                forest.replace_more(limit=budget)
                return
            except Exception as exc:
                failure = classify(exc, self.retrier.table)
                attempt += 1
                if failure is None or attempt >= self.retrier.policy.max_attempts:
                    raise
                after = {id(m) for m in forest.list() if isinstance(m, MoreComments)}
                budget = max(0, budget - len(before - after))
                self.retrier.pause(failure, attempt, f"more comments of t3_{id36}")

    # ---- refresh of known posts -----------------------------------------------------------------
    def refresh_known(self) -> None:
        """Refresh metrics of recent stored posts (/api/info, 100 a call); refetch changed threads."""
        if not self.cfg.refresh_days:
            return
        since = datetime.now(UTC) - timedelta(days=self.cfg.refresh_days)
        known = self.store.mentions(
            self.brand.name, since=since, source=SOURCE, kinds=["post"], include_deleted=True
        )
        stored = {m.native_id: m for m in known if not m.is_deleted}
        names = sorted(stored)
        for start in range(0, len(names), INFO_BATCH):
            chunk = names[start : start + INFO_BATCH]
            listing = self._request(
                "GET", "api/info/", f"info of {len(chunk)} posts", params={"id": ",".join(chunk)}
            )
            children, _ = _listing_parts(listing)
            batch: list[Mention] = []
            for child in children:
                batch += self._refreshed(child.get("data") if isinstance(child, dict) else None, stored)
            self._write(batch, None)
        self.summary.details["refreshed_posts"] = len(names)

    def _refreshed(self, data: Any, stored: dict[str, Mention]) -> list[Mention]:
        try:
            post = self.convert.post(data)
        except (BadPayload, KeyError, TypeError, ValueError) as exc:
            self._quarantine("info", str(exc), data)
            return []
        old = stored.get(post.native_id)
        if old is None:
            return []
        post = post.replace(matched_alias=old.matched_alias)
        self._seen_threads.add(post.id)
        changed = post.num_comments != old.num_comments and self.cfg.fetch_comments and not post.is_deleted
        return [post, *self.thread(post.native_id[3:])] if changed else [post]

    # ---- store ----------------------------------------------------------------------------------
    def _write(self, batch: list[Mention], cursor: CursorUpdate | None) -> None:
        result = self.store.upsert_mentions(batch, cursor)
        self.summary.new += result.new
        self.summary.updated += result.updated
        self.summary.unchanged += result.unchanged

    def _quarantine(self, stage: str, reason: str, payload: Any) -> None:
        self.summary.quarantined += 1
        self.store.quarantine_item(SOURCE, stage, reason, scrub(payload), brand=self.brand.name)


def _listing_parts(listing: Any) -> tuple[list[Any], str | None]:
    """(children, after) of a raw Listing; a malformed listing raises BadPayload."""
    data = listing.get("data") if isinstance(listing, dict) else None
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        raise BadPayload("Reddit answered a listing without data.children")
    after = data.get("after")
    return children, after if isinstance(after, str) and after else None


def _name_and_time(data: Any) -> tuple[str, float]:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise BadPayload("a listing item has no id")
    try:
        return f"t3_{data['id']}", float(data.get("created_utc"))
    except (TypeError, ValueError):
        raise BadPayload(f"listing item t3_{data['id']} has no valid created_utc") from None
