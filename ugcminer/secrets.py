"""Credentials: from the environment, or from a Prefect Secret block of the same name (lower-cased,
underscores as dashes). Values are never logged, stored or put in exception messages.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from ugcminer.errors import CredentialsError

_DEMO_PSEUDONYM_KEY = "ugcminer-demo-key-not-secret"


def _from_prefect_block(env_var: str) -> str | None:
    try:
        from prefect.blocks.system import Secret
    except Exception:  # noqa: BLE001  (Prefect not importable: environment only)
        return None
    try:
        block = Secret.load(env_var.lower().replace("_", "-"), _sync=True)  # type: ignore[call-arg]
    except Exception:  # noqa: BLE001  (no server, no block: not found)
        return None
    value = block.get()
    return str(value) if value else None


def get_secret(env_var: str, *, purpose: str, use_blocks: bool = False) -> str:
    """The credential in `env_var` (or its Prefect Secret block); a clear error names the variable."""
    value = os.environ.get(env_var)
    if not value and use_blocks:
        value = _from_prefect_block(env_var)
    if not value:
        raise CredentialsError(
            f"{purpose} needs the environment variable {env_var} (or a Prefect Secret block named "
            f"{env_var.lower().replace('_', '-')!r}); set it, or run with the bundled emulator (--demo)"
        )
    return value


def optional_secret(env_var: str) -> str | None:
    """The value of `env_var`, or None."""
    return os.environ.get(env_var) or None


class Pseudonymizer:
    """Keyed pseudonyms for authors: HMAC-SHA256 with a secret key, truncated. `drop` stores none."""

    def __init__(self, key: str | None, *, drop: bool = False) -> None:
        self._key = (key or _DEMO_PSEUDONYM_KEY).encode("utf-8")
        self.drop = drop
        self.is_demo_key = key is None

    def __call__(self, author: str | None) -> str | None:
        """The pseudonym of `author` (None for deleted/absent authors or when dropping)."""
        if self.drop or not author or author in {"[deleted]", "[removed]"}:
            return None
        digest = hmac.new(self._key, author.strip().lower().encode("utf-8", "surrogatepass"), hashlib.sha256)
        return "a_" + digest.hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Pseudonymizer(drop={self.drop}, key=<hidden>)"
