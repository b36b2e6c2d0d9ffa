from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from miners.quota import (
    COST_MODELS,
    DAILY,
    QuotaExhausted,
    QuotaLedger,
    bucket_usage,
    cost_model,
    pacific_day,
)
from store.db import Store


def test_cost_model__legacy_search_costs_100_units_of_the_daily_budget():
    legacy = cost_model("legacy")
    assert legacy.cost("search.list") == 100
    assert [legacy.cost(m) for m in ("videos.list", "commentThreads.list", "comments.list")] == [1, 1, 1]
    assert legacy.bucket("search.list") == DAILY
    assert legacy.limit(DAILY, 10_000) == 10_000


def test_cost_model__bucket_gives_search_its_own_100_calls():
    bucket = cost_model("bucket")
    assert bucket.cost("search.list") == 1
    assert bucket.bucket("search.list") == "search.list"
    assert bucket.limit("search.list", 10_000) == 100
    assert bucket.bucket("videos.list") == DAILY


def test_cost_model__unknown_name_names_the_choices():
    with pytest.raises(ValueError, match="legacy, bucket"):
        cost_model("cheap")
    assert set(COST_MODELS) == {"legacy", "bucket"}


@pytest.mark.parametrize(
    ("utc_time", "day"),
    [
        ("2024-03-09T07:59:00+00:00", "2024-03-08"),  # 23:59 PST
        ("2024-03-09T08:00:00+00:00", "2024-03-09"),  # midnight PST
        ("2024-07-01T06:59:00+00:00", "2024-06-30"),  # 23:59 PDT
        ("2024-07-01T07:00:00+00:00", "2024-07-01"),  # midnight PDT
    ],
)
def test_pacific_day__resets_at_midnight_pacific(utc_time, day):
    assert pacific_day(datetime.fromisoformat(utc_time)) == day


def test_bucket_usage__sums_methods_per_bucket():
    used = {"search.list": 3, "videos.list": 2, "comments.list": 1}
    assert bucket_usage(used, cost_model("bucket")) == {"search.list": 3, DAILY: 3}
    assert bucket_usage(used, cost_model("legacy")) == {DAILY: 6}


def test_ledger__records_in_the_store_and_stops_before_the_budget(sqlite_url):
    store = Store(sqlite_url)
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    ledger = QuotaLedger(store, daily_quota=102, model="legacy", clock=lambda: now)
    assert ledger.check("search.list") == 100
    ledger.charge("search.list")
    ledger.charge("videos.list")
    assert store.quota_used(pacific_day(now)) == {"search.list": 100, "videos.list": 1}
    ledger.check("videos.list")  # 101 + 1 fits
    with pytest.raises(QuotaExhausted, match="search.list would exceed the daily YouTube quota"):
        ledger.check("search.list")
    assert ledger.spent_this_run == 101


def test_ledger__next_pacific_day_starts_fresh(sqlite_url):
    store = Store(sqlite_url)
    clock = {"now": datetime(2024, 5, 1, 12, tzinfo=UTC)}
    ledger = QuotaLedger(store, daily_quota=100, clock=lambda: clock["now"])
    ledger.charge("search.list")
    with pytest.raises(QuotaExhausted):
        ledger.check("videos.list")
    clock["now"] += timedelta(days=1)
    assert ledger.check("search.list") == 100


def test_ledger__bucket_model_counts_searches_apart(sqlite_url):
    store = Store(sqlite_url)
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    ledger = QuotaLedger(store, daily_quota=5, model="bucket", clock=lambda: now)
    for _ in range(100):
        ledger.charge("search.list")
    with pytest.raises(QuotaExhausted, match="exceed the search.list YouTube quota"):
        ledger.check("search.list")
    assert ledger.check("videos.list") == 1  # the daily bucket is untouched
