"""The key/JSON-type comparator against recorded API responses (miners/emulator/shapes.py)."""

from __future__ import annotations

import copy

import pytest
from conftest import SHARED

from miners.emulator.shapes import json_type, learn_shape, recorded_samples, recorded_shape, shape_diff

needs_shared = pytest.mark.skipif(
    not (SHARED / "api_samples").is_dir(), reason="../shared/api_samples not present"
)


def test_json_type__names_each_json_type() -> None:
    values = [None, True, 1, 1.0, "x", {}, []]
    assert [json_type(v) for v in values] == ["null", "bool", "int", "float", "str", "object", "array"]


def test_shape_diff__same_payload_has_no_differences() -> None:
    sample = {"a": 1, "b": {"c": "x", "d": [1, 2]}, "e": None}
    assert shape_diff(copy.deepcopy(sample), sample) == []


def test_shape_diff__wrong_type_and_int_for_float() -> None:
    recorded = {"score": 3, "created_utc": 1750348372.0}
    assert shape_diff({"score": "3", "created_utc": 1750348372}, recorded) == [
        "$.created_utc: type int, recorded float",
        "$.score: type str, recorded int",
    ]


def test_shape_diff__unknown_and_missing_keys() -> None:
    assert shape_diff({"a": 1, "z": 2}, {"a": 1, "b": 2}) == [
        "$.z: key not in the recordings",
        "$.b: missing (present in every recording)",
    ]


def test_shape_diff__optional_and_nullable_learned_from_recordings() -> None:
    shape = learn_shape({"a": 1, "flair": None}, {"a": 2, "flair": "Solved", "extra": True})
    assert shape_diff({"a": 3, "flair": None}, shape) == []
    assert shape_diff({"a": 3, "flair": "x", "extra": False}, shape) == []
    assert shape_diff({"flair": None}, shape) == ["$.a: missing (present in every recording)"]


def test_shape_diff__optional_paths_given_by_caller() -> None:
    recorded = {"snippet": {"title": "t", "tags": ["a"]}}
    actual = {"snippet": {"title": "u"}}
    assert shape_diff(actual, recorded) == ["$.snippet.tags: missing (present in every recording)"]
    assert shape_diff(actual, recorded, optional=["snippet.tags"]) == []


def test_shape_diff__array_elements_checked_against_merged_items() -> None:
    recorded = {"items": [{"id": "a", "n": 1}, {"id": "b", "n": 2}], "empty": []}
    problems = shape_diff({"items": [{"id": "a", "n": 1}, {"id": 5, "n": 1}], "empty": [1]}, recorded)
    assert problems == [
        "$.empty: non-empty array, recorded arrays were always empty",
        "$.items[1].id: type int, recorded str",
    ]


@needs_shared
def test_recorded_shape__accepts_every_recording_it_learned_from() -> None:
    for name in ("reddit.t3", "reddit.t1", "youtube.video", "youtube.commentThread", "youtube.channel"):
        shape = recorded_shape(SHARED, name)
        samples = recorded_samples(SHARED, name)
        assert samples, name
        assert all(shape_diff(sample, shape) == [] for sample in samples), name


@needs_shared
def test_recorded_shape__t3_catches_a_changed_field() -> None:
    shape = recorded_shape(SHARED, "reddit.t3")
    post = copy.deepcopy(recorded_samples(SHARED, "reddit.t3")[0])
    post["num_comments"] = str(post["num_comments"])
    del post["upvote_ratio"]
    assert shape_diff(post, shape) == [
        "$.upvote_ratio: missing (present in every recording)",
        "$.num_comments: type str, recorded int",
    ]


@needs_shared
def test_recorded_shape__video_tags_known_optional_and_distinguished_may_be_a_string() -> None:
    video = copy.deepcopy(recorded_samples(SHARED, "youtube.video")[0])
    del video["snippet"]["tags"]
    assert shape_diff(video, recorded_shape(SHARED, "youtube.video")) == []
    post = dict(recorded_samples(SHARED, "reddit.t3")[0], distinguished="moderator")
    assert shape_diff(post, recorded_shape(SHARED, "reddit.t3")) == []


def test_recorded_samples__unknown_name_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="reddit.t3"):
        recorded_samples(SHARED, "reddit.t9")
