"""YouTube Data API quota as data: what each method costs, which bucket it draws on, and the day.

Two cost models, because Google's own quota page changed (API_NOTES.md §2.2):

    legacy  every method draws on one daily budget; search.list costs 100 units, the rest 1.
    bucket  search.list has its own bucket of 100 calls a day at 1 unit each; every other method
            draws on the daily budget at 1 unit.

Quota resets at midnight Pacific time, so the "day" is the Pacific calendar date. The emulator
(`miners/emulator/youtube_api.py`) and the miner (`miners/youtube.py`) share these tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
DAILY = "daily"  # the name of the shared bucket
METHODS = ("search.list", "videos.list", "commentThreads.list", "comments.list", "channels.list")


@dataclass(frozen=True)
class CostModel:
    """Units per call of each method, and the methods that have a bucket of their own."""

    name: str
    costs: Mapping[str, int]
    own_buckets: Mapping[str, int] = field(default_factory=dict)  # method -> its daily limit
    default_cost: int = 1  # any method not in `costs`

    def cost(self, method: str) -> int:
        """Units one call of `method` costs."""
        return self.costs.get(method, self.default_cost)

    def bucket(self, method: str) -> str:
        """The bucket `method` draws on: its own name, or `DAILY`."""
        return method if method in self.own_buckets else DAILY

    def limit(self, bucket: str, daily_quota: int) -> int:
        """The daily limit of `bucket` given the configured daily budget."""
        return self.own_buckets.get(bucket, daily_quota)


COST_MODELS: Mapping[str, CostModel] = MappingProxyType(
    {
        "legacy": CostModel("legacy", MappingProxyType({"search.list": 100})),
        "bucket": CostModel("bucket", MappingProxyType({}), MappingProxyType({"search.list": 100})),
    }
)


def cost_model(name: str) -> CostModel:
    """The cost model called `name` (`legacy` or `bucket`)."""
    try:
        return COST_MODELS[name]
    except KeyError:
        known = ", ".join(COST_MODELS)
        raise ValueError(f"unknown YouTube search cost model {name!r}; use one of: {known}") from None


def pacific_day(when: datetime | None = None) -> str:
    """The Pacific-time date (YYYY-MM-DD) of `when` (now by default): YouTube's quota day."""
    when = when or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(PACIFIC).date().isoformat()


def bucket_usage(used_by_method: Mapping[str, int], model: CostModel) -> dict[str, int]:
    """Units spent per bucket, from units spent per method."""
    out: dict[str, int] = {}
    for method, units in used_by_method.items():
        bucket = model.bucket(method)
        out[bucket] = out.get(bucket, 0) + int(units)
    return out


class QuotaExhausted(Exception):
    """The next call would exceed the daily budget (raised before the call is made)."""

    def __init__(self, method: str, bucket: str, used: int, limit: int) -> None:
        super().__init__(
            f"{method} would exceed the {bucket} YouTube quota ({used}/{limit} units used today)"
        )
        self.method, self.bucket, self.used, self.limit = method, bucket, used, limit


class QuotaLedger:
    """The miner's view of today's quota: reads and records usage in the store (`quota_usage`).

    `store` needs `quota_used(day) -> {method: units}` and `add_quota(day, method, units)`.
    """

    def __init__(
        self,
        store: Any,
        daily_quota: int,
        model: CostModel | str = "legacy",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.daily_quota = daily_quota
        self.model = cost_model(model) if isinstance(model, str) else model
        self.clock = clock or (lambda: datetime.now(UTC))
        self.spent_this_run = 0

    @property
    def day(self) -> str:
        """Today's quota day."""
        return pacific_day(self.clock())

    def check(self, method: str) -> int:
        """Raise `QuotaExhausted` when one more `method` call would exceed its bucket; else its cost."""
        units = self.model.cost(method)
        bucket = self.model.bucket(method)
        used = bucket_usage(self.store.quota_used(self.day), self.model).get(bucket, 0)
        limit = self.model.limit(bucket, self.daily_quota)
        if used + units > limit:
            raise QuotaExhausted(method, bucket, used, limit)
        return units

    def charge(self, method: str) -> int:
        """Record one call of `method` (made or attempted) against today's quota; its units."""
        units = self.model.cost(method)
        self.store.add_quota(self.day, method, units)
        self.spent_this_run += units
        return units
