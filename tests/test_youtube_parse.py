from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from youtube_kit import BRAND, TED_CHANNEL, sample

from miners.mention import MentionKind
from miners.youtube_parse import (
    ParseContext,
    comment_mention,
    duration_seconds,
    parse_chapters,
    video_alias,
    video_mention,
)
from ugcminer.errors import BadPayload
from ugcminer.secrets import Pseudonymizer

CTX = ParseContext(BRAND, Pseudonymizer("k"), datetime(2024, 3, 10, tzinfo=UTC))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("PT21M3S", 1263), ("PT1H2M", 3720), ("P1DT1S", 86401), ("P0D", 0), ("21:03", None), (None, None)],
)
def test_duration_seconds__reads_iso_8601(value, seconds):
    assert duration_seconds(value) == seconds


def test_parse_chapters__needs_two_timestamps_from_zero():
    description = "Fix the login loop\n0:00 Intro\n1:05 - Clear the cache\n(12:30) Reinstall\n1:02:03 | Done"
    assert parse_chapters(description) == [
        {"start_s": 0, "title": "Intro"},
        {"start_s": 65, "title": "Clear the cache"},
        {"start_s": 750, "title": "Reinstall"},
        {"start_s": 3723, "title": "Done"},
    ]
    assert parse_chapters("1:05 Clear the cache\n2:00 Reinstall") == []
    assert parse_chapters("0:00 only one") == []


def test_video_mention__from_the_recorded_y04_video():
    item = sample("Y04")["items"][0]
    mention = video_mention(item, CTX, video_alias(item, BRAND))
    assert mention.id == "youtube:video:Ks-_Mh1QhMc" and mention.kind is MentionKind.VIDEO
    assert mention.matched_alias in ("TED", "TED Talks")
    assert (mention.views, mention.likes, mention.num_comments) == (23278951, 391633, 9518)
    assert mention.is_official and mention.channel_id == TED_CHANNEL
    assert mention.created_at == datetime(2012, 10, 1, 15, 27, 35, tzinfo=UTC)
    assert mention.author == Pseudonymizer("k")(TED_CHANNEL)
    assert mention.extra["duration_s"] == 1263 and mention.extra["tags"][0] == "Amy Cuddy"


def test_comment_mention__strips_html_and_links_replies_to_their_parent():
    video = video_mention(sample("Y04")["items"][0], CTX, "TED")
    thread = sample("Y07")
    top = copy.deepcopy(thread["snippet"]["topLevelComment"])
    del top["snippet"]["textOriginal"]  # only textDisplay (HTML) left
    parent = comment_mention(top, video, CTX, thread_id=thread["id"], reply_count=1)
    reply = comment_mention(thread["replies"]["comments"][0], video, CTX, thread_id=thread["id"])
    assert parent.text == "Actions.ai" and parent.parent_id == video.id and parent.reply_count == 1
    assert reply.parent_id == parent.id and reply.thread_id == video.id
    assert parent.author != "Loren Robilio" and parent.channel_id is None  # not the brand's channel


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=json_values)
def test_parsers__any_payload_is_a_mention_or_bad_payload(payload):
    video = video_mention(sample("Y04")["items"][0], CTX, "TED")
    for parse in (
        lambda p: video_mention(p, CTX, "TED"),
        lambda p: comment_mention(p, video, CTX, thread_id="t"),
    ):
        try:
            parse(payload)
        except BadPayload:
            pass


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(["title", "description", "publishedAt", "tags", "channelId"]), value=json_values)
def test_video_mention__a_broken_field_never_crashes(field, value):
    item = copy.deepcopy(sample("Y04")["items"][0])
    item["snippet"][field] = value
    try:
        mention = video_mention(item, CTX, video_alias(item, BRAND))
    except BadPayload:
        assert field == "publishedAt"
        return
    assert isinstance(mention.text, str) and isinstance(mention.title, str)
