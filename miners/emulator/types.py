"""The contract between the emulator's HTTP server and its API modules.

The server (`miners/emulator/server.py`) parses each HTTP request into an `EmuRequest`, applies
generic faults (429, 5xx, slow, cut-off, malformed bodies), and dispatches by path:

    POST /api/v1/access_token, /r/..., /comments/..., /api/...  -> RedditAPI.handle(req)
    GET  /youtube/v3/...                                        -> YouTubeAPI.handle(req)

An API module returns an `EmuResponse`. Counters live in `Counters` (thread-safe), shared by the
server and the API modules, readable by tests (`emulator.counters.snapshot()`).

Corpus directory layout (JSON lines, the APIs' own resource shapes):

    <corpus>/manifest.json                  provenance, brand, licence notes
    <corpus>/reddit/submissions.jsonl       {"kind": "t3", "data": {...}} one per line
    <corpus>/reddit/comments.jsonl          {"kind": "t1", "data": {...}} (link_id/parent_id link them)
    <corpus>/youtube/videos.jsonl           youtube#video resources (snippet, statistics, contentDetails)
    <corpus>/youtube/comment_threads.jsonl  youtube#commentThread resources (replies.comments inline)
    <corpus>/youtube/channels.jsonl         youtube#channel resources (optional)
    <corpus>/kb/                            the demo brand's sample knowledge base (Markdown)
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EmuRequest:
    """One parsed HTTP request."""

    method: str
    path: str  # without the query string, e.g. "/r/all/search/" or "/youtube/v3/search"
    query: dict[str, list[str]]
    form: dict[str, list[str]]  # parsed application/x-www-form-urlencoded body (POST)
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query (or form) parameter."""
        values = self.query.get(name) or self.form.get(name)
        return values[0] if values else default


@dataclass
class EmuResponse:
    """What an API module answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> EmuResponse:
        """A JSON response (`application/json; charset=UTF-8`)."""
        h = {"content-type": "application/json; charset=UTF-8", **(headers or {})}
        return cls(status=status, body=json.dumps(payload).encode("utf-8"), headers=h)


class Counters:
    """Thread-safe call and quota counters (read by tests and benchmarks)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()  # by endpoint key, e.g. "reddit:search", "youtube:search.list"
        self.quota: Counter[str] = Counter()  # YouTube units by method
        self.faults: Counter[str] = Counter()  # injected faults by kind

    def add_call(self, key: str) -> None:
        """Count one call."""
        with self._lock:
            self.calls[key] += 1

    def add_quota(self, method: str, units: int) -> None:
        """Count spent quota units."""
        with self._lock:
            self.quota[method] += units

    def add_fault(self, kind: str) -> None:
        """Count one injected fault."""
        with self._lock:
            self.faults[kind] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        """A copy of every counter."""
        with self._lock:
            return {"calls": dict(self.calls), "quota": dict(self.quota), "faults": dict(self.faults)}

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self.calls.clear()
            self.quota.clear()
            self.faults.clear()
