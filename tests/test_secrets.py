from __future__ import annotations

import pytest

from ugcminer.errors import CredentialsError
from ugcminer.secrets import Pseudonymizer, get_secret


def test_get_secret__missing_names_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UGC_TEST_SECRET", raising=False)
    with pytest.raises(CredentialsError, match="UGC_TEST_SECRET"):
        get_secret("UGC_TEST_SECRET", purpose="Reddit mining")


def test_get_secret__value_never_in_error_or_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGC_TEST_SECRET", "s3cr3t-value")
    assert get_secret("UGC_TEST_SECRET", purpose="x") == "s3cr3t-value"
    assert "key-123" not in repr(Pseudonymizer("key-123"))


def test_pseudonymizer__keyed_stable_and_droppable() -> None:
    a, b = Pseudonymizer("k1"), Pseudonymizer("k2")
    assert a("Alice") == a("alice") != b("Alice")
    assert a("Alice").startswith("a_") and "alice" not in a("Alice").lower()[2:]
    assert a("[deleted]") is None and a(None) is None
    assert Pseudonymizer("k1", drop=True)("Alice") is None
