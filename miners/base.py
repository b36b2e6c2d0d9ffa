"""What every miner shares: the run summary, alias matching and text cleaning.

A miner is constructed with its brand, its config section, the store and a pseudonymizer, and
`run()` mines incrementally: it writes each batch of mentions together with the cursor that covers
it (`store.upsert_mentions(batch, cursor)`) and returns a `SourceSummary`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ugcminer.config import BrandConfig

MAX_TEXT_CHARS = 20_000  # longer texts are truncated (and counted) before storage


@dataclass
class SourceSummary:
    """What one source did in one run (logged, returned by the flow, stored with the run)."""

    source: str
    brand: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # not a brand match, excluded, or own-brand filtered
    quarantined: int = 0  # payloads that could not be understood
    calls: int = 0
    quota_units: int = 0
    retries: int = 0
    stopped_reason: str | None = None  # e.g. "quotaExceeded", "budget", "error: ..."
    errors: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        """True when the source finished without being cut short."""
        return self.stopped_reason is None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {
            "source": self.source,
            "brand": self.brand,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "quarantined": self.quarantined,
            "calls": self.calls,
            "quota_units": self.quota_units,
            "retries": self.retries,
            "stopped_reason": self.stopped_reason,
            "errors": list(self.errors),
            "details": dict(self.details),
        }


_TAG = re.compile(r"<[^>]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0]+")
LINK_PATTERN = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)  # the one URL pattern: miners and models


def clean_text(value: Any, *, strip_html: bool = False, limit: int = MAX_TEXT_CHARS) -> str:
    """User text made safe to store: str, HTML tags dropped when asked, entities unescaped, control
    characters and lone surrogates removed, whitespace tidied, truncated to `limit` characters.
    (Escaping for display is the report's job; this keeps text faithful, not safe for HTML.)
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if strip_html:
        text = _TAG.sub(" ", text.replace("<br>", "\n").replace("<br/>", "\n").replace("<br />", "\n"))
    text = html.unescape(text)
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> '?'
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    text = _SPACES.sub(" ", text).strip()
    return text[:limit]


def _alias_pattern(alias: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])" + re.escape(alias.lower()) + r"(?![\w])")


def match_alias(brand: BrandConfig, *texts: str | None) -> str | None:
    """The first alias of `brand` found (whole word, case-insensitive) in `texts`, unless an exclusion
    phrase appears; None when there is no match or the match is excluded. Links do not count: a post
    that only links to docs.google.com is not about Google (the demo's top how-to was a headphone
    guide citing a Google Docs sheet).
    """
    blob = LINK_PATTERN.sub(" ", " \n ".join(t for t in texts if t).lower())
    if not blob:
        return None
    for phrase in brand.exclude:
        if _alias_pattern(phrase).search(blob):
            return None
    for alias in brand.all_aliases:
        if _alias_pattern(alias).search(blob):
            return alias
    return None
