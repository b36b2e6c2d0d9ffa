from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reddit_kit import t1, t3

from miners.mention import Mention
from miners.reddit_convert import RedditConverter, scrub
from ugcminer.config import BrandConfig, OfficialAccounts
from ugcminer.errors import BadPayload
from ugcminer.secrets import Pseudonymizer

CONVERT = RedditConverter(
    BrandConfig(
        name="Acme", exclude=["looney tunes"], official=OfficialAccounts(reddit_accounts=["u/AcmeSupport"])
    ),
    Pseudonymizer("test-key"),
)
TEXTS = st.one_of(
    st.text(),
    st.just(""),
    st.just(" \t\n "),
    st.just("x" * 100_000),
    st.just("🙂 Acme 🚀"),
    st.just("מוצר Acme עברית"),
    st.just("\x00\x07Acme\x1b"),
    st.just("\ud800 lone surrogate Acme"),
    st.just("<script>alert(1)</script> Acme"),
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXTS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)
T3_KEYS = [
    "id",
    "name",
    "title",
    "selftext",
    "created_utc",
    "author",
    "score",
    "num_comments",
    "upvote_ratio",
    "permalink",
    "subreddit",
    "link_flair_text",
    "removed_by_category",
    "is_self",
]
T1_KEYS = [
    "id",
    "name",
    "body",
    "created_utc",
    "author",
    "score",
    "link_id",
    "parent_id",
    "permalink",
    "depth",
]


def _mutate(base: dict[str, Any], changes: dict[str, Any], drops: list[str]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data.update(changes)
    for key in drops:
        data.pop(key, None)
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(T3_KEYS), JSON, max_size=5),
    st.lists(st.sampled_from(T3_KEYS), max_size=3),
)
def test_reddit_convert__any_t3_payload_is_a_mention_or_bad_payload(
    changes: dict[str, Any], drops: list[str]
) -> None:
    data = _mutate(t3("abc", "Acme router"), changes, drops)
    try:
        mention = CONVERT.post(data)
    except BadPayload:
        return
    assert isinstance(mention, Mention) and mention.id.startswith("reddit:t3_")
    assert len(mention.text) <= 20_000 and "\x00" not in mention.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(T1_KEYS), JSON, max_size=5),
    st.lists(st.sampled_from(T1_KEYS), max_size=3),
)
def test_reddit_convert__any_t1_payload_is_a_mention_or_bad_payload(
    changes: dict[str, Any], drops: list[str]
) -> None:
    data = _mutate(t1("c1", "t3_abc", "t3_abc", "it worked"), changes, drops)
    try:
        mention = CONVERT.comment(data)
    except BadPayload:
        return
    assert mention.thread_id and mention.parent_id and mention.id.startswith("reddit:t1_")


@given(JSON)
def test_reddit_convert__non_objects_are_bad_payloads(value: Any) -> None:
    if isinstance(value, dict):
        return
    for convert in (CONVERT.post, CONVERT.comment):
        try:
            convert(value)
        except BadPayload:
            continue
        raise AssertionError(f"{value!r} was accepted")


def test_reddit_convert__official_account_with_u_prefix_and_tombstones() -> None:
    official = CONVERT.post(t3("o1", "Acme support: reset steps", author="AcmeSupport"))
    removed = CONVERT.comment(t1("c2", "t3_o1", "t3_o1", "[removed]", author="[deleted]"))
    assert official.is_official and official.author and official.author.startswith("a_")
    assert (
        removed.is_deleted and removed.text == "" and removed.author is None and removed.matched_alias is None
    )


def test_reddit_convert__scrub_keeps_authors_out_of_quarantine() -> None:
    payload = scrub(t1("c3", "t3_x", "t3_x", "hello", author="someone_real"))
    assert "someone_real" not in payload and '"author": "<removed>"' in payload
