"""Compare the key sets and JSON types of a payload with recorded real API responses.

The emulator and the demo corpus must answer "field for field" like the real APIs. This module learns
a `Shape` from one or more recorded samples (the real responses in `../shared/api_samples/`) and lists
every difference between a payload and that shape:

    shape = recorded_shape(SHARED, "reddit.t3")
    problems = shape_diff(my_t3_data, shape)      # [] when the payload looks like the recordings

Tolerance is learned from the recordings themselves: a key missing from some recorded objects is
optional, a key that was `null` in some recording may be `null`, a key seen as a string in one
recording and `false` in another (Reddit's `edited`) may be either. Knowledge the recordings cannot
show (YouTube omits `snippet.tags` on untagged videos) is passed as `optional` paths. JSON types are
those `json.loads` produces, and `int` and `float` are kept apart (Reddit's `created_utc` is always
`1750348372.0`, never `1750348372`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def json_type(value: Any) -> str:
    """The JSON type name of a parsed JSON value: null, bool, int, float, str, object or array."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


@dataclass
class Shape:
    """What recorded values at one place looked like: their types, keys and array items."""

    types: set[str] = field(default_factory=set)
    keys: dict[str, Shape] = field(default_factory=dict)
    key_counts: dict[str, int] = field(default_factory=dict)
    objects: int = 0  # how many recorded objects were seen here
    items: Shape | None = None  # merged shape of array elements (None: arrays always empty)
    optional_keys: set[str] = field(default_factory=set)  # known optional beyond the recordings

    def add(self, value: Any) -> Shape:
        """Merge one more recorded value into this shape (returns self)."""
        kind = json_type(value)
        self.types.add(kind)
        if kind == "object":
            self.objects += 1
            for key, sub in value.items():
                self.keys.setdefault(key, Shape()).add(sub)
                self.key_counts[key] = self.key_counts.get(key, 0) + 1
        elif kind == "array":
            for element in value:
                self.items = (self.items or Shape()).add(element)
        return self

    def required(self, key: str) -> bool:
        """True when every recorded object here had `key`."""
        return key not in self.optional_keys and self.key_counts.get(key, 0) == self.objects

    def at(self, dotted: str) -> Shape:
        """The shape at a dotted path of object keys (`snippet.tags`)."""
        shape = self
        for key in dotted.split("."):
            shape = shape.keys[key]
        return shape

    def widen(self, optional: Iterable[str] = (), types: dict[str, set[str]] | None = None) -> Shape:
        """Allow what the APIs do but the recordings happen not to show: keys at the dotted paths in
        `optional` may be missing; the path -> JSON type names in `types` are allowed too.
        """
        for dotted in optional:
            parent, _, key = dotted.rpartition(".")
            (self.at(parent) if parent else self).optional_keys.add(key)
        for dotted, extra in (types or {}).items():
            self.at(dotted).types |= extra
        return self


def learn_shape(*samples: Any) -> Shape:
    """The merged shape of `samples` (each one recorded value, e.g. one t3 `data` object)."""
    shape = Shape()
    for sample in samples:
        shape.add(sample)
    return shape


def _child(path: str, key: str) -> str:
    return f"{path}.{key}"


def _dotted(path: str) -> str:
    """`$.snippet.tags` -> `snippet.tags`; array indexes dropped (`$.items[3].id` -> `items.id`)."""
    parts = [p.split("[", 1)[0] for p in path.split(".")[1:]]
    return ".".join(p for p in parts if p)


def _diff(actual: Any, shape: Shape, path: str, optional: frozenset[str]) -> Iterator[str]:
    kind = json_type(actual)
    if kind not in shape.types:
        seen = "/".join(sorted(shape.types)) or "nothing"
        yield f"{path}: type {kind}, recorded {seen}"
        return
    if kind == "object" and shape.objects:
        for key in sorted(set(actual) - set(shape.keys)):
            yield f"{_child(path, key)}: key not in the recordings"
        for key in sorted(set(shape.keys) - set(actual)):
            here = _child(path, key)
            if shape.required(key) and _dotted(here) not in optional:
                yield f"{here}: missing (present in every recording)"
        for key in sorted(set(actual) & set(shape.keys)):
            yield from _diff(actual[key], shape.keys[key], _child(path, key), optional)
    elif kind == "array" and actual:
        if shape.items is None:
            yield f"{path}: non-empty array, recorded arrays were always empty"
            return
        for index, element in enumerate(actual):
            yield from _diff(element, shape.items, f"{path}[{index}]", optional)


def shape_diff(actual: Any, recorded: Shape | Any, *, optional: Iterable[str] = ()) -> list[str]:
    """Every difference in keys and JSON types between `actual` and the recordings.

    `recorded` is a `Shape` (see `learn_shape`, `recorded_shape`) or one recorded sample. `optional`
    names dotted paths (e.g. `snippet.tags`) that may be missing although every recording had them.
    Returns human-readable lines such as `$.score: type str, recorded int`; empty when they agree.
    """
    shape = recorded if isinstance(recorded, Shape) else learn_shape(recorded)
    return list(_diff(actual, shape, "$", frozenset(optional)))


# ---- the recorded samples in ../shared/api_samples ------------------------------------------------


def _body(shared: Path, relative: str) -> Any:
    record = json.loads((shared / "api_samples" / relative).read_text(encoding="utf-8"))
    return json.loads(record["body"])


def _walk_t1(listing: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for child in listing["data"]["children"]:
        if child["kind"] != "t1":
            continue
        yield child["data"]
        if isinstance(child["data"].get("replies"), dict):
            yield from _walk_t1(child["data"]["replies"])


def _t3(shared: Path) -> list[Any]:
    listing = _body(shared, "reddit/10_r_popular_hot_2026.json")
    return [child["data"] for child in listing["data"]["children"]]


def _t1(shared: Path) -> list[Any]:
    return list(_walk_t1(_body(shared, "reddit/16_comment_permalink_context_2025.json")[1]))


def _videos(shared: Path) -> list[Any]:
    return _body(shared, "youtube/Y04_videos_list_snippet_contentDetails_statistics.json")["items"]


def _threads(shared: Path) -> list[Any]:
    pages = [_body(shared, f"youtube/{name}.json") for name in _THREAD_PAGES]
    return [item for page in pages for item in page["items"]] + [
        _body(shared, "youtube/Y07_commentThread_with_replies_item.json")
    ]


def _channels(shared: Path) -> list[Any]:
    return _body(shared, "youtube/Y10_channels_list_multiple.json")["items"]


_THREAD_PAGES = ("Y05_commentThreads_list_by_video_page1", "Y06_commentThreads_list_by_video_page2")

#: name -> loader of the recorded resources that define that shape
RECORDINGS = {
    "reddit.t3": _t3,  # t3 data objects of a 2026 listing (R:10), as search/new return them
    "reddit.t1": _t1,  # t1 data objects of a 2025 comment tree (R:16), replies walked
    "youtube.video": _videos,  # youtube#video resources from videos.list (Y04)
    "youtube.commentThread": _threads,  # youtube#commentThread resources (Y05, Y06, Y07)
    "youtube.channel": _channels,  # youtube#channel resources (Y10)
}

#: keys the recordings always show but the real APIs omit at times (untagged videos have no tags)
KNOWN_OPTIONAL: dict[str, frozenset[str]] = {
    "youtube.video": frozenset({"snippet.tags", "snippet.defaultLanguage", "snippet.defaultAudioLanguage"}),
}
#: types the APIs return that the recordings happen not to show (API_NOTES.md section 1.5:
#: `distinguished` is "moderator"/"admin" on distinguished posts, null otherwise)
KNOWN_TYPES: dict[str, dict[str, set[str]]] = {
    "reddit.t3": {"distinguished": {"str"}},
    "reddit.t1": {"distinguished": {"str"}},
}


def recorded_samples(shared: str | Path, name: str) -> list[Any]:
    """The recorded resources called `name` (see `RECORDINGS`) from `shared`/api_samples."""
    if name not in RECORDINGS:
        raise KeyError(f"no recording called {name!r}; known: {', '.join(RECORDINGS)}")
    return RECORDINGS[name](Path(shared))


def recorded_shape(shared: str | Path, name: str) -> Shape:
    """The merged `Shape` of the recorded resources called `name`, widened by `KNOWN_OPTIONAL` and
    `KNOWN_TYPES` (documented API behaviour the recordings do not happen to show).
    """
    shape = learn_shape(*recorded_samples(shared, name))
    return shape.widen(KNOWN_OPTIONAL.get(name, ()), KNOWN_TYPES.get(name))
