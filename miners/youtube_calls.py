"""One YouTube API call: quota checked before, charged per attempt, retried with backoff, errors mapped.

Policy as data: which HTTP statuses and API reasons are retried, which skip one item, which end
YouTube mining for the run. googleapiclient's own retries stay off (`num_retries=0`): the backoff here
honours `retry-after` and is counted in the run summary.

The API key travels in the request URL, so nothing here ever formats an `HttpError`, a URI or a
request into a message: messages name the method, the status and the API's reason only.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import re
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httplib2
from googleapiclient.errors import HttpError

from miners.base import SourceSummary
from miners.quota import QuotaExhausted, QuotaLedger

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
RETRY_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "backendError", "internalError"})
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
SKIP_REASONS = frozenset({"commentsDisabled", "videoNotFound", "commentNotFound", "processingFailure"})
KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "accessNotConfigured", "ipRefererBlocked"})
#: googleapiclient loggers that write request URLs (and so the `key=` parameter) at DEBUG level
URL_LOGGERS = ("googleapiclient.discovery", "googleapiclient.http")
_KEY_PARAM = re.compile(r"([?&]key=)[^&\s'\"]+")
TRANSPORT_ERRORS = (
    TimeoutError,
    socket.timeout,
    ConnectionError,
    OSError,
    http.client.HTTPException,
    httplib2.HttpLib2Error,
)


class RedactKey(logging.Filter):
    """Blanks the `key=` query parameter in googleapiclient's request-URL log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record without the key; never drop it."""
        message = record.getMessage()
        if "key=" in message:
            record.msg, record.args = _KEY_PARAM.sub(r"\1<redacted>", message), ()
        return True


def redact_key_in_logs() -> None:
    """Install `RedactKey` on googleapiclient's URL loggers (once)."""
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactKey) for f in logger.filters):
            logger.addFilter(RedactKey())


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped; `retry-after` wins when longer."""

    max_retries: int = 5
    base_s: float = 1.0
    cap_s: float = 60.0
    jitter: float = 0.25

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        backoff = min(self.cap_s, self.base_s * 2**attempt) * (1 + self.jitter * random.random())
        return min(self.cap_s, max(backoff, retry_after or 0.0))


class CallFailed(Exception):
    """A call that ends YouTube mining for this run; `reason` becomes the summary's stopped_reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class SkipItem(Exception):
    """The API refused one item (comments disabled, video gone): skip it, go on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def error_reason(exc: HttpError) -> str:
    """The `errors[0].reason` of an API error body ('' when absent)."""
    try:
        body = json.loads(exc.content)
        errors = body["error"].get("errors") or []
        return str(errors[0].get("reason", "")) if errors else str(body["error"].get("status", ""))
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return ""


def _retry_after(exc: HttpError) -> float | None:
    try:
        return float(exc.resp.get("retry-after"))
    except (TypeError, ValueError):
        return None


class Caller:
    """Executes googleapiclient requests under the quota ledger and the retry policy."""

    def __init__(
        self,
        ledger: QuotaLedger,
        summary: SourceSummary,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
        *,
        key_env: str,
    ) -> None:
        self.ledger, self.summary, self.policy, self.sleep = ledger, summary, policy, sleep
        self.key_env = key_env
        self.units_by_method: Counter[str] = Counter()

    def execute(self, method: str, request: Any) -> dict[str, Any]:
        """The JSON body of `request`; raises CallFailed (stop) or SkipItem (skip this item)."""
        last = "no answer"
        for attempt in range(self.policy.max_retries + 1):
            if attempt:
                self.summary.retries += 1
            self._charge(method)
            retry_after = None
            try:
                body = request.execute(num_retries=0)
            except HttpError as exc:
                retry_after, last = self._classify(method, exc)
            except TRANSPORT_ERRORS as exc:
                last = f"{exc.__class__.__name__}"
            else:
                if isinstance(body, dict):
                    return body
                last = "a malformed body"
            if attempt < self.policy.max_retries:
                self.sleep(self.policy.delay(attempt, retry_after))
        raise CallFailed(
            "unavailable",
            f"YouTube {method} failed after {self.policy.max_retries} retries (last: {last}); "
            "mining stopped, the next run resumes",
        )

    def _charge(self, method: str) -> None:
        try:
            self.ledger.check(method)
        except QuotaExhausted as exc:
            raise CallFailed(
                "budget",
                f"YouTube daily budget reached: {exc}; raise youtube.daily_quota or wait for the next day",
            ) from None
        units = self.ledger.charge(method)
        self.units_by_method[method] += units
        self.summary.calls += 1
        self.summary.quota_units += units

    def _classify(self, method: str, exc: HttpError) -> tuple[float | None, str]:
        """Return (retry-after, description) for a retryable error; raise for the others."""
        status, reason = int(exc.resp.status), error_reason(exc)
        if reason in QUOTA_REASONS:
            raise CallFailed(
                "quotaExceeded",
                f"YouTube quota exceeded during {method}; mining resumes the next "
                "day (quota resets at midnight Pacific time)",
            ) from None
        if status in RETRY_STATUSES or reason in RETRY_REASONS:
            return _retry_after(exc), f"HTTP {status} {reason}".strip()
        if reason in SKIP_REASONS or status == 404:
            raise SkipItem(reason or "notFound") from None
        if reason in KEY_REASONS:
            raise CallFailed(
                "error",
                f"YouTube rejected the API key ({reason}); check the {self.key_env} "
                "environment variable and that the YouTube Data API is enabled",
            ) from None
        raise CallFailed(
            "error", f"YouTube answered HTTP {status} {reason} to {method}; mining stopped"
        ) from None
