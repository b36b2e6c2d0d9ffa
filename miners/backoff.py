"""Retry and backoff policy, as data: which failures are retried, how long to wait, how often.

The miner retries one request at a time (a page, a thread, a batch), never the whole run (Prefect's
task retries do that). Waits:

- 429: the `retry-after` header when the server sent one (praw raises `TooManyRequests`, it does not
  retry), else `RetryPolicy.default_retry_after_s`;
- 5xx, timeouts, cut-off and malformed bodies: exponential, `base_s * factor ** (attempt - 1)`, capped;
  praw itself already retried 5xx/timeouts twice before raising;
- the `x-ratelimit-*` budget: when `remaining` drops to `reserve` or below, wait until the window resets.

Sleeping goes through an injected function so tests never wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import prawcore

from ugcminer.errors import RateLimited, SourceUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How one request is retried."""

    max_attempts: int = 6  # tries of one request, the first included
    base_s: float = 1.0
    factor: float = 2.0
    max_backoff_s: float = 120.0
    default_retry_after_s: float = 5.0  # a 429 without retry-after
    ratelimit_reserve: int = 2  # x-ratelimit-remaining at or below this: wait for the reset
    max_ratelimit_wait_s: float = 600.0  # Reddit's window is 600 s: never wait longer for a reset


#: exception class -> failure kind; first match wins (subclasses before their bases)
REDDIT_RETRYABLE: tuple[tuple[type[BaseException], str], ...] = (
    (prawcore.TooManyRequests, "rate_limited"),
    (prawcore.ServerError, "server_error"),
    (prawcore.BadJSON, "malformed"),
    (prawcore.RequestException, "network"),  # timeouts, refused and cut-off connections
)


@dataclass(frozen=True)
class Failure:
    """A retryable failure, classified."""

    kind: str
    retry_after: float | None = None


def classify(
    exc: BaseException, table: tuple[tuple[type[BaseException], str], ...] = REDDIT_RETRYABLE
) -> Failure | None:
    """The failure kind of `exc` per `table`, or None when it must not be retried."""
    for cls, kind in table:
        if isinstance(exc, cls):
            return Failure(kind, _retry_after(exc))
    return None


def _retry_after(exc: BaseException) -> float | None:
    value = getattr(exc, "retry_after", None)
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def wait_seconds(failure: Failure, attempt: int, policy: RetryPolicy) -> float:
    """How long to wait before attempt `attempt + 1` after `failure` on attempt `attempt` (1-based)."""
    if failure.kind == "rate_limited":
        wait = failure.retry_after if failure.retry_after is not None else policy.default_retry_after_s
    else:
        wait = policy.base_s * policy.factor ** (attempt - 1)
    return max(0.0, min(wait, policy.max_backoff_s))


def ratelimit_wait(
    limits: dict[str, Any], policy: RetryPolicy, now: float | None = None, *, needed: int = 1
) -> float:
    """Seconds to wait so the next `needed` requests stay inside the `x-ratelimit-*` budget (0 = go)."""
    remaining, reset_at = limits.get("remaining"), limits.get("reset_timestamp")
    if remaining is None or reset_at is None or remaining - needed >= policy.ratelimit_reserve:
        return 0.0
    return max(
        0.0, min(float(reset_at) - (now if now is not None else time.time()), policy.max_ratelimit_wait_s)
    )


@dataclass
class Retrier:
    """Runs a request with retries per `policy`, sleeping through `sleep`; counts what it did."""

    policy: RetryPolicy
    sleep: Callable[[float], None] = time.sleep
    table: tuple[tuple[type[BaseException], str], ...] = REDDIT_RETRYABLE
    source: str = "reddit"
    limits: Callable[[], dict[str, Any]] | None = (
        None  # the client's x-ratelimit state, checked before a call
    )
    retries: int = 0
    waited_s: float = 0.0

    def call(self, fn: Callable[[], T], what: str) -> T:
        """`fn()`, retried on retryable failures; raises RateLimited/SourceUnavailable when exhausted."""
        attempt = 0
        while True:
            attempt += 1
            if self.limits is not None:
                self.respect_ratelimit(self.limits())
            try:
                return fn()
            except Exception as exc:
                failure = classify(exc, self.table)
                if failure is None:
                    raise
                if attempt >= self.policy.max_attempts:
                    raise self.exhausted(failure, what, attempt) from exc
                self.pause(failure, attempt, what)

    def pause(self, failure: Failure, attempt: int, what: str) -> None:
        """Count a retry and sleep the policy's wait for it."""
        wait = wait_seconds(failure, attempt, self.policy)
        log.info(
            "%s: %s on %s (attempt %d); retrying in %.1f s", self.source, failure.kind, what, attempt, wait
        )
        self.retries += 1
        self.waited_s += wait
        if wait > 0:
            self.sleep(wait)

    def exhausted(self, failure: Failure, what: str, attempts: int) -> Exception:
        """The error raised when retries run out."""
        if failure.kind == "rate_limited":
            return RateLimited(
                f"{self.source} kept answering 429 (too many requests) for {what} after {attempts} attempts; "
                "wait a few minutes or lower the request rate"
            )
        return SourceUnavailable(
            f"{self.source} failed for {what} after {attempts} attempts ({failure.kind}); "
            "check the network or the API status and run again"
        )

    def respect_ratelimit(self, limits: dict[str, Any], needed: int = 1) -> None:
        """Sleep until the rate-limit window resets when `needed` requests would eat into the reserve."""
        wait = ratelimit_wait(limits, self.policy, needed=needed)
        if wait > 0:
            log.info(
                "%s: rate-limit budget low (%s left); waiting %.1f s",
                self.source,
                limits.get("remaining"),
                wait,
            )
            self.waited_s += wait
            self.sleep(wait)
