"""A corpus directory loaded for the emulator: JSON-lines files read lazily and indexed by id.

Layout (see `miners/emulator/types.py`):

    <corpus>/manifest.json
    <corpus>/reddit/submissions.jsonl       {"kind": "t3", "data": {...}}
    <corpus>/reddit/comments.jsonl          {"kind": "t1", "data": {...}}
    <corpus>/youtube/videos.jsonl           youtube#video resources
    <corpus>/youtube/comment_threads.jsonl  youtube#commentThread resources
    <corpus>/youtube/channels.jsonl         youtube#channel resources (optional)

Every collection is loaded on first use, under a lock (the server answers from many threads).
Tests that change the corpus between runs rewrite the files and call `reload()`.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

#: collection name -> file inside the corpus directory
FILES = {
    "reddit_submissions": "reddit/submissions.jsonl",
    "reddit_comments": "reddit/comments.jsonl",
    "youtube_videos": "youtube/videos.jsonl",
    "youtube_comment_threads": "youtube/comment_threads.jsonl",
    "youtube_channels": "youtube/channels.jsonl",
}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file (blank lines skipped; a missing file is empty)."""
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{path}:{number}: not valid JSON ({exc.msg}); fix or remove the line"
                ) from None
    return out


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    """Write `records` as JSON lines (creating folders)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


class Corpus:
    """The emulator's data: raw records plus indexes, loaded lazily."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"emulator corpus folder {self.root} does not exist; pass --corpus DIR")
        self._lock = threading.RLock()
        self._cache: dict[str, Any] = {}

    def reload(self) -> None:
        """Forget everything loaded (the files changed)."""
        with self._lock:
            self._cache.clear()

    def _get(self, name: str, build: Any) -> Any:
        with self._lock:
            if name not in self._cache:
                self._cache[name] = build()
            return self._cache[name]

    def records(self, collection: str) -> list[dict[str, Any]]:
        """The raw records of one collection (see `FILES`)."""
        return self._get(collection, lambda: read_jsonl(self.root / FILES[collection]))

    @property
    def manifest(self) -> dict[str, Any]:
        """The corpus manifest (empty when absent)."""

        def build() -> dict[str, Any]:
            path = self.root / "manifest.json"
            return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

        return self._get("manifest", build)

    # ---- Reddit ---------------------------------------------------------------------------------
    @property
    def submissions(self) -> list[dict[str, Any]]:
        """t3 data objects, newest first (created_utc descending, then id)."""

        def build() -> list[dict[str, Any]]:
            data = [r["data"] for r in self.records("reddit_submissions")]
            return sorted(data, key=lambda d: (-float(d.get("created_utc") or 0), d.get("id", "")))

        return self._get("submissions", build)

    @property
    def comments(self) -> list[dict[str, Any]]:
        """t1 data objects in file order."""
        return self._get("comments", lambda: [r["data"] for r in self.records("reddit_comments")])

    @property
    def things_by_fullname(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Map fullname -> (kind, data) for every submission and comment."""

        def build() -> dict[str, tuple[str, dict[str, Any]]]:
            out: dict[str, tuple[str, dict[str, Any]]] = {}
            for data in self.submissions:
                out[f"t3_{data['id']}"] = ("t3", data)
            for data in self.comments:
                out[f"t1_{data['id']}"] = ("t1", data)
            return out

        return self._get("things", build)

    @property
    def children_by_parent(self) -> dict[str, list[dict[str, Any]]]:
        """Map parent fullname -> its comments (t1 data), best score first."""

        def build() -> dict[str, list[dict[str, Any]]]:
            out: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for data in self.comments:
                out[data.get("parent_id") or data.get("link_id") or ""].append(data)
            for children in out.values():
                children.sort(key=lambda d: (-int(d.get("score") or 0), d.get("id", "")))
            return dict(out)

        return self._get("children", build)

    def submission(self, id36: str) -> dict[str, Any] | None:
        """The t3 data of submission `id36`, or None."""
        found = self.things_by_fullname.get(f"t3_{id36}")
        return found[1] if found else None

    # ---- YouTube --------------------------------------------------------------------------------
    def by_id(self, collection: str) -> dict[str, dict[str, Any]]:
        """The records of a YouTube collection indexed by their `id`."""
        return self._get(f"{collection}:by_id", lambda: {r["id"]: r for r in self.records(collection)})

    @property
    def videos(self) -> list[dict[str, Any]]:
        """youtube#video resources."""
        return self.records("youtube_videos")

    @property
    def comment_threads(self) -> list[dict[str, Any]]:
        """youtube#commentThread resources."""
        return self.records("youtube_comment_threads")

    @property
    def channels(self) -> list[dict[str, Any]]:
        """youtube#channel resources."""
        return self.records("youtube_channels")

    @property
    def threads_by_video(self) -> dict[str, list[dict[str, Any]]]:
        """Map videoId -> its comment threads, in file order."""

        def build() -> dict[str, list[dict[str, Any]]]:
            out: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for thread in self.comment_threads:
                video = (thread.get("snippet") or {}).get("videoId")
                out[video or ""].append(thread)
            return dict(out)

        return self._get("threads_by_video", build)
