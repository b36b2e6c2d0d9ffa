"""The YouTube Data API v3 discovery document as the emulator's rule book.

The document ships inside google-api-python-client (`discovery_cache/documents/youtube.v3.json`),
so the emulator needs no network and no copy of it. From it we read each list method's parameters
(`maxResults` bounds and defaults, enums), the resource parts a request may name, and the response
schemas; `schema_errors` is a small recursive validator (properties, types, formats, `$ref`) used by
the tests to hold emulator responses to the schemas.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

#: emulator method name -> (discovery resource, the resource schema whose properties are the parts)
METHOD_RESOURCES = {
    "search.list": ("search", "SearchResult"),
    "videos.list": ("videos", "Video"),
    "commentThreads.list": ("commentThreads", "CommentThread"),
    "comments.list": ("comments", "Comment"),
    "channels.list": ("channels", "Channel"),
}

_NOT_PARTS = {"kind", "etag"}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "any": (object,),
}


@cache
def discovery() -> dict[str, Any]:
    """The packaged youtube v3 discovery document."""
    path = resources.files("googleapiclient") / "discovery_cache" / "documents" / "youtube.v3.json"
    return json.loads(path.read_text(encoding="utf-8"))


def method_spec(method: str, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """The discovery entry of a list method, e.g. `search.list`."""
    doc = doc or discovery()
    resource, _ = METHOD_RESOURCES[method]
    return doc["resources"][resource]["methods"]["list"]


def allowed_parts(method: str, doc: dict[str, Any] | None = None) -> frozenset[str]:
    """The part names a request to `method` may name (the resource's top-level properties)."""
    doc = doc or discovery()
    _, schema = METHOD_RESOURCES[method]
    return frozenset(doc["schemas"][schema]["properties"]) - _NOT_PARTS


def max_results_bounds(method: str) -> tuple[int, int, int]:
    """(minimum, maximum, default) of `maxResults` for `method`."""
    spec = method_spec(method)["parameters"]["maxResults"]
    return int(spec.get("minimum", 0)), int(spec["maximum"]), int(spec.get("default", 5))


def enum_values(method: str, param: str) -> frozenset[str]:
    """The allowed values of an enum parameter (empty when it is not an enum)."""
    spec = method_spec(method)["parameters"].get(param, {})
    return frozenset(spec.get("enum", ()))


def response_schema(method: str) -> str:
    """The name of the response schema of `method`."""
    return method_spec(method)["response"]["$ref"]


def _check_format(value: Any, fmt: str | None, path: str) -> list[str]:
    if fmt in {"uint64", "int64"} and isinstance(value, str) and not value.lstrip("-").isdigit():
        return [f"{path}: {value!r} is not a {fmt} string"]
    if fmt in {"uint32", "int32"} and isinstance(value, int) and fmt == "uint32" and value < 0:
        return [f"{path}: {value!r} is negative ({fmt})"]
    return []


def schema_errors(
    value: Any, schema: dict[str, Any] | str, doc: dict[str, Any] | None = None, path: str = "$"
) -> list[str]:
    """Every way `value` departs from `schema` (a schema dict or a schema name): unknown keys,
    wrong JSON types, integer formats carried in strings, recursively through `$ref`s.
    """
    doc = doc or discovery()
    if isinstance(schema, str):
        schema = {"$ref": schema}
    if "$ref" in schema:
        return schema_errors(value, doc["schemas"][schema["$ref"]], doc, path)
    kind = schema.get("type", "any")
    expected = _JSON_TYPES.get(kind, (object,))
    if kind == "integer" and schema.get("format") in {"uint64", "int64"}:
        expected = (str,)  # 64-bit integers travel as strings in JSON
    if not isinstance(value, expected) or (kind in {"integer", "number"} and isinstance(value, bool)):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    errors = _check_format(value, schema.get("format"), path)
    if kind == "array":
        for i, item in enumerate(value):
            errors += schema_errors(item, schema.get("items", {}), doc, f"{path}[{i}]")
    elif kind == "object":
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if props is not None and key in props:
                errors += schema_errors(item, props[key], doc, f"{path}.{key}")
            elif extra is not None:
                errors += schema_errors(item, extra, doc, f"{path}.{key}")
            elif props is not None:
                errors.append(f"{path}.{key}: not in the schema")
    return errors
