from __future__ import annotations

from pathlib import Path
from typing import Any

import praw
import pytest
import requests
from reddit_kit import BASE_TIME, acme_corpus, fixture, id36, t1, t3, thread, write_corpus

from miners.emulator.reddit_api import LISTING_CAP, RateWindow
from miners.emulator.server import Emulator
from miners.emulator.shapes import learn_shape, shape_diff

FAST = 1.0  # a 1 s rate-limit window: praw does not pace its requests (600 s real)


def _envelope(listing: dict[str, Any]) -> dict[str, Any]:
    """A Listing without its children (compared separately)."""
    return {**listing, "data": {**listing["data"], "children": []}}


def _t1s(listing: dict[str, Any]) -> list[dict[str, Any]]:
    """Every t1 data object in a (nested) comment listing."""
    out = []
    for child in listing["data"]["children"]:
        if child["kind"] == "t1":
            out.append(child["data"])
            if child["data"]["replies"]:
                out += _t1s(child["data"]["replies"])
    return out


def _t1_shape() -> Any:
    return learn_shape(*_t1s(fixture("comments_tree_2025.json")["json"][1]))


@pytest.fixture
def emu(tmp_path: Path) -> Emulator:
    corpus = acme_corpus(tmp_path / "corpus", n_posts=6, comments_per_post=4)
    with Emulator(corpus, reddit_window_s=FAST) as emulator:
        yield emulator


class Client:
    """A bare HTTP client holding a token, for the emulator's raw answers."""

    def __init__(self, base: str) -> None:
        self.base = base
        token = requests.post(
            f"{base}/api/v1/access_token", data={"grant_type": "client_credentials"}, auth=("cid", "csecret")
        ).json()["access_token"]
        self.headers = {"Authorization": f"bearer {token}"}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(f"{self.base}{path}", params={**params, "raw_json": 1}, headers=self.headers)

    def post(self, path: str, **form: Any) -> requests.Response:
        return requests.post(f"{self.base}{path}", data=form, headers=self.headers)


def _praw(base: str) -> praw.Reddit:
    return praw.Reddit(
        client_id="cid",
        client_secret="csecret",
        user_agent="ugcminer-tests/0.1",
        oauth_url=base,
        reddit_url=base,
        short_url=base,
        check_for_updates=False,
    )


# ---- shapes against the recordings --------------------------------------------------------------
def test_reddit_emulator__search_listing_matches_recordings(emu: Emulator) -> None:
    body = Client(emu.base_url).get("/r/all/search/", q="acme", sort="new", restrict_sr="False").json()
    recorded = [fixture("search_r_all_2020.json")["json"], fixture("listing_t3_2026.json")["json"]]
    assert shape_diff(_envelope(body), learn_shape(*map(_envelope, recorded))) == []
    t3_shape = learn_shape(*[c["data"] for c in recorded[1]["data"]["children"]])
    t3_shape.widen(types={"removed_by_category": {"str"}})  # "deleted"/"moderator" as in R:34, R:35
    assert body["data"]["children"]
    for child in body["data"]["children"]:
        assert child["kind"] == "t3"
        assert shape_diff(child["data"], t3_shape) == []


def test_reddit_emulator__comment_tree_matches_recordings(emu: Emulator) -> None:
    body = Client(emu.base_url).get("/comments/p00001/", limit=2048, sort="confidence").json()
    recorded = [fixture("comments_tree_2025.json")["json"], fixture("comments_empty_2025.json")["json"]]
    assert isinstance(body, list) and len(body) == 2
    envelopes = learn_shape(*[[_envelope(r[0]), _envelope(r[1])] for r in recorded])
    assert shape_diff([_envelope(body[0]), _envelope(body[1])], envelopes) == []
    t1_shape = _t1_shape()
    comments = [c for c in body[1]["data"]["children"] if c["kind"] == "t1"]
    assert comments
    for comment in comments:
        assert shape_diff(comment["data"], t1_shape) == []
    leaves = [c for c in comments if not c["data"]["replies"]]
    assert leaves and all(c["data"]["replies"] == "" for c in leaves)


def test_reddit_emulator__more_stubs_and_morechildren_match_recordings(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "c", [t3("big", "Acme thread", num_comments=40)], thread("big", 12, 2))
    with Emulator(root) as emu:
        emu.reddit.tree.top_level, emu.reddit.tree.width = 5, 1
        client = Client(emu.base_url)
        tree = client.get("/comments/big/").json()
        stubs = [c for c in tree[1]["data"]["children"] if c["kind"] == "more"]
        assert len(stubs) == 1 and len(stubs[0]["data"]["children"]) == 7
        more_shape = learn_shape(*fixture("more_stubs_2017.json")["json"])
        assert shape_diff(stubs[0], more_shape) == []
        answer = client.post(
            "/api/morechildren/",
            api_type="json",
            link_id="t3_big",
            children=",".join(stubs[0]["data"]["children"]),
            sort="confidence",
        ).json()
    recorded = fixture("morechildren_2017.json")["json"]
    assert set(answer) == set(recorded) and set(answer["json"]) == set(recorded["json"])
    things = answer["json"]["data"]["things"]
    t1_shape = _t1_shape()
    assert [shape_diff(t["data"], t1_shape) for t in things if t["kind"] == "t1"] == [[]] * 7
    assert all(shape_diff(t, more_shape) == [] for t in things if t["kind"] == "more")


def test_reddit_emulator__token_info_and_401_match_recordings(emu: Emulator) -> None:
    token = requests.post(
        f"{emu.base_url}/api/v1/access_token",
        data={"grant_type": "client_credentials"},
        auth=("cid", "csecret"),
    )
    assert shape_diff(token.json(), fixture("oauth_token_2026.json")["json"]) == []
    info = Client(emu.base_url).get("/api/info/", id="t3_p00001,t1_cdel01").json()
    assert shape_diff(_envelope(info), _envelope(fixture("api_info_comment_2023.json")["json"])) == []
    assert [c["data"]["name"] for c in info["data"]["children"]] == ["t3_p00001", "t1_cdel01"]
    denied = requests.get(f"{emu.base_url}/r/all/new", headers={"Authorization": "bearer nope"})
    recorded = fixture("401_invalid_token.json")
    assert denied.status_code == 401
    assert denied.json() == recorded["json"]
    assert denied.headers["www-authenticate"] == recorded["headers"]["www-authenticate"][0]


def test_reddit_emulator__ratelimit_headers_as_recorded(tmp_path: Path) -> None:
    with Emulator(acme_corpus(tmp_path / "c", n_posts=1)) as emu:
        client = Client(emu.base_url)
        first, second = client.get("/r/all/new"), client.get("/r/all/new")
    assert first.headers["x-ratelimit-remaining"] == "999.0" and first.headers["x-ratelimit-used"] == "1"
    assert second.headers["x-ratelimit-remaining"] == "998.0" and second.headers["x-ratelimit-used"] == "2"
    assert 0 <= int(second.headers["x-ratelimit-reset"]) <= 600


def test_reddit_emulator__429_past_the_window_limit(emu: Emulator) -> None:
    emu.reddit.rate = RateWindow(limit=2, seconds=600)
    client = Client(emu.base_url)
    statuses = [client.get("/r/all/new").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


# ---- behaviour ----------------------------------------------------------------------------------
def test_reddit_emulator__search_matches_title_and_body_case_insensitively(emu: Emulator) -> None:
    client = Client(emu.base_url)
    everywhere = client.get("/r/all/search/", q="ACME", restrict_sr="False", sort="new", limit=100).json()
    names = [c["data"]["name"] for c in everywhere["data"]["children"]]
    assert "t3_oth001" not in names and "t3_exc001" in names  # exclusion is the miner's job
    created = [c["data"]["created_utc"] for c in everywhere["data"]["children"]]
    assert created == sorted(created, reverse=True)
    in_sub = client.get("/r/acme/search/", q="acme", restrict_sr="True", sort="new", limit=100).json()
    assert {c["data"]["subreddit"] for c in in_sub["data"]["children"]} == {"acme"}
    assert len(in_sub["data"]["children"]) < len(names)
    by_body = client.get("/r/all/search/", q="dropping wifi", restrict_sr="False", limit=100).json()
    assert len(by_body["data"]["children"]) == 6


def test_reddit_emulator__time_filter_uses_the_emulator_clock(emu: Emulator) -> None:
    emu.reddit.now = BASE_TIME + 5 * 3600 + 1
    day = Client(emu.base_url).get("/r/all/search/", q="router", t="hour", restrict_sr="False").json()
    assert [c["data"]["id"] for c in day["data"]["children"]] == ["p00005"]


def test_reddit_emulator__pagination_stops_at_the_listing_cap(tmp_path: Path) -> None:
    posts = [t3(id36(i), f"Acme post {i}", created=BASE_TIME + i) for i in range(LISTING_CAP + 50)]
    with Emulator(write_corpus(tmp_path / "c", posts)) as emu:
        client, after, seen, pages = Client(emu.base_url), None, [], 0
        while True:
            params = {"q": "acme", "sort": "new", "limit": 100, **({"after": after} if after else {})}
            data = client.get("/r/all/search/", **params).json()["data"]
            pages += 1
            seen += [c["data"]["name"] for c in data["children"]]
            after = data["after"]
            if not after:
                break
    assert pages == 10 and len(seen) == LISTING_CAP == len(set(seen))
    assert seen[0] == f"t3_{id36(LISTING_CAP + 49)}"


def test_reddit_emulator__praw_replace_more_recovers_the_whole_tree(tmp_path: Path) -> None:
    comments = thread("big", 30, 3)
    nested = [
        t1(f"deep{i}", "t3_big", f"t1_{'deep' + str(i - 1) if i else comments[0]['id']}", f"level {i}")
        for i in range(8)
    ]
    root = write_corpus(tmp_path / "c", [t3("big", "Acme thread", num_comments=128)], comments + nested)
    with Emulator(root, reddit_window_s=FAST) as emu:
        emu.reddit.tree.top_level, emu.reddit.tree.width, emu.reddit.tree.depth = 10, 2, 3
        submission = _praw(emu.base_url).submission("big")
        left = submission.comments.replace_more(limit=None)
        got = {c.id for c in submission.comments.list()}
        calls = emu.counters.snapshot()["calls"]
    assert left == []
    assert got == {c["id"] for c in comments + nested}
    assert calls["reddit:morechildren"] >= 3


def test_reddit_emulator__oauth_errors_as_recorded(emu: Emulator) -> None:
    url = f"{emu.base_url}/api/v1/access_token"
    wrong_grant = requests.post(url, data={"grant_type": "password"}, auth=("cid", "csecret"))
    assert wrong_grant.status_code == 200 and "error" in wrong_grant.json()
    emu.reddit.credentials = ("cid", "right")
    assert (
        requests.post(url, data={"grant_type": "client_credentials"}, auth=("cid", "wrong")).status_code
        == 401
    )


def test_reddit_emulator__praw_recovers_from_a_revoked_token(emu: Emulator) -> None:
    reddit = _praw(emu.base_url)
    assert len(list(reddit.subreddit("all").new(limit=5))) == 5
    emu.reddit.revoke_tokens()
    assert len(list(reddit.subreddit("all").new(limit=5))) == 5
    assert emu.counters.snapshot()["calls"]["reddit:token"] == 2
