"""Text normalization shared by training and inference (TweetEval style).

The tweet training data has user mentions replaced by ``@user`` and URLs by ``http``; every text the
encoder sees goes through :func:`normalize_text` so that training and inference agree.
"""

from __future__ import annotations

import html
import re

from miners.base import LINK_PATTERN

_MENTION = re.compile(r"(?<![\w@])@\w+")
_ESCAPED_UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")
_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Return `text` as the models see it.

    HTML entities are unescaped, literal backslash-u escapes decoded, @mentions become ``@user``,
    URLs become ``http`` and runs of whitespace collapse to one space (stripped at both ends).
    """
    if not text:
        return ""
    out = html.unescape(html.unescape(text))
    out = _ESCAPED_UNICODE.sub(lambda m: chr(int(m.group(1), 16)), out)
    out = LINK_PATTERN.sub("http", out)
    out = _MENTION.sub("@user", out)
    # lone surrogates (the tokenizer rejects them) become '?'
    out = out.encode("utf-8", "replace").decode("utf-8")
    return _SPACE.sub(" ", out).strip()
