from __future__ import annotations

import prawcore
import pytest
import requests

from miners.backoff import Failure, Retrier, RetryPolicy, classify, ratelimit_wait, wait_seconds
from ugcminer.errors import RateLimited, SourceUnavailable


def _response(status: int, headers: dict[str, str] | None = None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.headers.update(headers or {})
    resp._content = b""
    return resp


def test_classify__praw_errors_by_table() -> None:
    too_many = prawcore.TooManyRequests(_response(429, {"retry-after": "4"}))
    assert classify(too_many) == Failure("rate_limited", 4.0)
    assert classify(prawcore.ServerError(_response(503))) == Failure("server_error", None)
    assert classify(prawcore.BadJSON(_response(200))) == Failure("malformed", None)
    network = prawcore.RequestException(requests.exceptions.ReadTimeout(), (), {})
    assert classify(network) == Failure("network", None)
    assert classify(prawcore.NotFound(_response(404))) is None
    assert classify(KeyError("x")) is None


def test_wait_seconds__429_uses_retry_after_else_default() -> None:
    policy = RetryPolicy(default_retry_after_s=7, max_backoff_s=60)
    assert wait_seconds(Failure("rate_limited", 4.0), 1, policy) == 4.0
    assert wait_seconds(Failure("rate_limited", None), 1, policy) == 7.0
    assert wait_seconds(Failure("rate_limited", 600.0), 1, policy) == 60.0


def test_wait_seconds__exponential_and_capped() -> None:
    policy = RetryPolicy(base_s=1, factor=2, max_backoff_s=5)
    assert [wait_seconds(Failure("server_error"), n, policy) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


def test_ratelimit_wait__only_when_budget_at_reserve() -> None:
    policy = RetryPolicy(ratelimit_reserve=2)
    assert ratelimit_wait({"remaining": 50, "reset_timestamp": 130.0}, policy, now=100.0) == 0.0
    assert ratelimit_wait({"remaining": 2, "reset_timestamp": 130.0}, policy, now=100.0) == 30.0
    assert ratelimit_wait({"remaining": None, "reset_timestamp": None}, policy, now=100.0) == 0.0


def test_retrier__retries_then_succeeds_with_injected_sleep() -> None:
    sleeps: list[float] = []
    attempts = iter(
        [
            prawcore.TooManyRequests(_response(429, {"retry-after": "3"})),
            prawcore.ServerError(_response(500)),
            "ok",
        ]
    )

    def flaky() -> str:
        item = next(attempts)
        if isinstance(item, Exception):
            raise item
        return item

    retrier = Retrier(RetryPolicy(base_s=0.5), sleep=sleeps.append)
    assert retrier.call(flaky, "a page") == "ok"
    assert sleeps == [3.0, 1.0]
    assert retrier.retries == 2


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (prawcore.TooManyRequests(_response(429)), RateLimited),
        (prawcore.ServerError(_response(503)), SourceUnavailable),
    ],
)
def test_retrier__gives_up_with_one_clear_sentence(exc: Exception, error: type[Exception]) -> None:
    sleeps: list[float] = []

    def always() -> None:
        raise exc

    retrier = Retrier(RetryPolicy(max_attempts=3), sleep=sleeps.append)
    with pytest.raises(error, match="after 3 attempts") as info:
        retrier.call(always, "search 'r/all acme' page 1")
    assert "search 'r/all acme' page 1" in str(info.value)
    assert len(sleeps) == 2


def test_retrier__does_not_retry_other_errors() -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        raise prawcore.NotFound(_response(404))

    with pytest.raises(prawcore.NotFound):
        Retrier(RetryPolicy(), sleep=lambda s: None).call(broken, "x")
    assert calls == [1]
