"""The one record: what models read and what people read of a mention."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from miners.mention import Mention

T0 = datetime(2026, 11, 10, tzinfo=UTC)


def _post(title: str | None, text: str) -> Mention:
    return Mention(
        id="reddit:t3_1", source="reddit", kind="post", brand="Acme", native_id="t3_1",
        title=title, text=text, created_at=T0, fetched_at=T0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("title", "text", "shown"),
    [
        ("PSA: the extension injects ads", "PSA: the extension injects ads (see below). Remove it.",
         "PSA: the extension injects ads\n(see below). Remove it."),
        ("Router drops wifi", "router drops wifi: every night at 2am", "Router drops wifi\nevery night at 2am"),
        ("Router drops wifi", "Every night at 2am", "Router drops wifi\nEvery night at 2am"),
        ("Router drops wifi", "Router drops wifi", "Router drops wifi"),
        ("Router", "Routers drop wifi", "Router\nRouters drop wifi"),
        (None, "just a comment", "just a comment"),
    ],
)  # fmt: skip
def test_mention_display_text__a_body_repeating_its_title_is_shown_once(title, text, shown) -> None:
    post = _post(title, text)
    assert post.display_text == shown
    assert post.full_text == (f"{title}\n{text}" if title else text)  # what the models read is unchanged
