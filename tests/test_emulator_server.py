from __future__ import annotations

import http.client
import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from reddit_kit import acme_corpus

from miners.emulator.faults import FaultSpec, parse_rule
from miners.emulator.server import Emulator


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return acme_corpus(tmp_path / "corpus", n_posts=3, comments_per_post=1)


def _token(base: str) -> str:
    resp = requests.post(
        f"{base}/api/v1/access_token", data={"grant_type": "client_credentials"}, auth=("id", "secret")
    )
    return resp.json()["access_token"]


def _get(base: str, path: str, token: str, **kwargs: object) -> requests.Response:
    return requests.get(f"{base}{path}", headers={"Authorization": f"bearer {token}"}, **kwargs)


def test_emulator__start_serves_and_stop_releases_port(corpus: Path) -> None:
    emu = Emulator(corpus)
    base = emu.start()
    assert base.startswith("http://127.0.0.1:")
    assert _get(base, "/r/all/new", _token(base)).status_code == 200
    emu.stop()
    port = urlsplit(base).port
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_emulator__counts_every_call_by_endpoint(corpus: Path) -> None:
    with Emulator(corpus) as emu:
        token = _token(emu.base_url)
        _get(emu.base_url, "/r/all/search/", token, params={"q": "acme"})
        _get(emu.base_url, "/r/all/search/", token, params={"q": "acme"})
        _get(emu.base_url, "/comments/p00001/", token)
        assert emu.counters.snapshot()["calls"] == {
            "reddit:token": 1,
            "reddit:search": 2,
            "reddit:comments": 1,
        }


def test_emulator__5xx_fault_by_count_then_recovers(corpus: Path) -> None:
    with Emulator(corpus, faults="500x1,503x1") as emu:
        token = _token(emu.base_url)  # the token endpoint is not faulted unless a rule names it
        first = _get(emu.base_url, "/r/all/new", token)
        second = _get(emu.base_url, "/r/all/new", token)
        third = _get(emu.base_url, "/r/all/new", token)
        assert (first.status_code, first.content) == (500, b"")
        assert (second.status_code, second.content) == (503, b"")
        assert third.status_code == 200
        assert emu.counters.snapshot()["faults"] == {"500": 1, "503": 1}


def test_emulator__429_variants_carry_retry_after(corpus: Path) -> None:
    with Emulator(corpus, faults="429x2,retry_after=3") as emu:
        token = _token(emu.base_url)
        answers = [_get(emu.base_url, "/r/all/new", token) for _ in range(2)]
    assert [a.status_code for a in answers] == [429, 429]
    assert all(a.headers["retry-after"] == "3" for a in answers)
    kinds = sorted(a.headers["content-type"].split(";")[0] for a in answers)
    assert kinds == ["application/json", "text/html"]
    html = next(a for a in answers if "html" in a.headers["content-type"]).text
    assert "whoa there, pardner!" in html
    assert next(a for a in answers if "json" in a.headers["content-type"]).json() == {
        "message": "Too Many Requests",
        "error": 429,
    }


def test_emulator__cut_body_declares_more_than_it_sends(corpus: Path) -> None:
    with Emulator(corpus, faults="cutx1") as emu:
        token = _token(emu.base_url)
        parts = urlsplit(emu.base_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        conn.request("GET", "/r/all/new", headers={"Authorization": f"bearer {token}"})
        resp = conn.getresponse()
        declared = int(resp.getheader("content-length"))
        with pytest.raises(http.client.IncompleteRead) as info:
            resp.read()
        assert len(info.value.partial) < declared
        conn.close()
        assert _get(emu.base_url, "/r/all/new", token).json()["kind"] == "Listing"


def test_emulator__malformed_body_is_broken_json(corpus: Path) -> None:
    with Emulator(corpus, faults="malformedx1") as emu:
        token = _token(emu.base_url)
        resp = _get(emu.base_url, "/r/all/new", token)
        assert resp.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(resp.content)


def test_emulator__timeout_stalls_past_the_client_timeout(corpus: Path) -> None:
    with Emulator(corpus, faults="timeoutx1,delay=0.6") as emu:
        token = _token(emu.base_url)
        with pytest.raises(requests.exceptions.ReadTimeout):
            _get(emu.base_url, "/r/all/new", token, timeout=0.2)
        assert _get(emu.base_url, "/r/all/new", token, timeout=2).status_code == 200
        assert emu.counters.snapshot()["faults"] == {"timeout": 1}


def test_emulator__token_endpoint_faulted_only_when_named(corpus: Path) -> None:
    with Emulator(corpus, faults="500") as emu:
        assert _token(emu.base_url)  # every other call fails, the token still comes
        emu.faults.set("500~reddit:tokenx1")
        resp = requests.post(
            f"{emu.base_url}/api/v1/access_token",
            data={"grant_type": "client_credentials"},
            auth=("id", "secret"),
        )
        assert resp.status_code == 500


def test_emulator__faults_switch_at_run_time(corpus: Path) -> None:
    with Emulator(corpus, faults="503") as emu:
        token = _token(emu.base_url)
        assert _get(emu.base_url, "/r/all/new", token).status_code == 503
        emu.faults.enabled = False
        assert _get(emu.base_url, "/r/all/new", token).status_code == 200
        requests.post(f"{emu.base_url}/_emulator/faults", data={"spec": "500x1"})
        emu.faults.enabled = True
        assert _get(emu.base_url, "/r/all/new", token).status_code == 500
        counters = requests.get(f"{emu.base_url}/_emulator/counters").json()
        assert counters["faults"] == {"503": 1, "500": 1}


def test_fault_spec__parses_every_form() -> None:
    spec = FaultSpec.parse("429:0.25,500x3,quota_exceeded@5,comments_disabled=VID1|VID2,seed=9,delay=0.5")
    assert (spec.seed, spec.delay_s) == (9, 0.5)
    kinds = [(r.kind, r.rate, r.remaining, r.after, r.targets) for r in spec.rules]
    assert kinds == [
        ("429", 0.25, None, None, frozenset()),
        ("500", None, 3, None, frozenset()),
        ("quota_exceeded", None, None, 5, frozenset()),
        ("comments_disabled", None, None, None, frozenset({"VID1", "VID2"})),
    ]
    assert spec.targets("comments_disabled") == {"VID1", "VID2"}
    assert [spec.fires("quota_exceeded", "youtube:search.list") for _ in range(7)] == [False] * 5 + [True] * 2


def test_fault_spec__same_seed_same_faults() -> None:
    def sequence(seed: int) -> list[str | None]:
        spec = FaultSpec.parse(f"429:0.2,500:0.2,cut:0.1,seed={seed}")
        return [spec.pick_generic("reddit:search") for _ in range(200)]

    assert sequence(3) == sequence(3)
    assert sequence(3) != sequence(4)
    rate = sum(k is not None for k in sequence(3)) / 200
    assert 0.3 < rate < 0.6


@pytest.mark.parametrize("bad", ["", "429:1.5", "bad kind:0.1", "500~"])
def test_fault_spec__rejects_bad_rules(bad: str) -> None:
    if bad == "500~":
        assert parse_rule(bad).scope == ""  # an empty scope is every endpoint
        return
    with pytest.raises(ValueError, match="fault rule"):
        parse_rule(bad)
