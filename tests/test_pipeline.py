"""The pipeline flow's plumbing: keyword filtering, step announcements, a missing step."""

from __future__ import annotations

import pytest
from prefect import flow

from flows import pipeline
from flows.pipeline import call_with_known, step_listener
from ugcminer.errors import UgcminerError


def test_call_with_known__passes_only_accepted_non_none_arguments():
    @flow
    def narrow(config_path: str, brand: str | None = None) -> dict:
        return {"config_path": config_path, "brand": brand}

    assert call_with_known(narrow.fn, config_path="c.yaml", brand=None, week="2026-W47") == {
        "config_path": "c.yaml",
        "brand": None,
    }
    assert call_with_known(lambda **kw: kw, a=1) == {}


def test_step_listener__hears_steps_in_order_and_detaches():
    heard: list[str] = []
    with step_listener(heard.append):
        for step in ("mine", "analyze", "report"):
            pipeline._announce(step)
    pipeline._announce("after")
    assert heard == ["mine", "analyze", "report"]


def test_flow_lookup__missing_step_is_one_clear_error():
    with pytest.raises(UgcminerError, match="flows.nope.nope_flow is not installed"):
        pipeline._flow("flows.nope", "nope_flow")
