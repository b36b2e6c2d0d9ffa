"""The YouTube side of the emulator, through the real googleapiclient over HTTP (and `.handle` for raw
bodies), held to the recorded responses (tests/fixtures/youtube) and the discovery schemas.
"""

from __future__ import annotations

import json
from pathlib import Path

import httplib2
import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from youtube_kit import FIXTURES, TED_CHANNEL, sample, standard_corpus

from miners.emulator.server import Emulator
from miners.emulator.shapes import learn_shape, shape_diff
from miners.emulator.types import EmuRequest
from miners.emulator.youtube_discovery import response_schema, schema_errors

SUBSET = json.loads((FIXTURES / "youtube.v3.discovery.subset.json").read_text(encoding="utf-8"))
OPTIONAL_VIDEO = (
    "snippet.tags",
    "snippet.defaultLanguage",
    "snippet.defaultAudioLanguage",
    "snippet.localized",
)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return standard_corpus(tmp_path / "corpus")


@pytest.fixture
def emu(corpus: Path):
    with Emulator(corpus, quota=10_000) as emulator:
        yield emulator


@pytest.fixture
def yt(emu: Emulator):
    return build(
        "youtube",
        "v3",
        developerKey="test-key",
        client_options={"api_endpoint": emu.base_url},
        static_discovery=True,
        http=httplib2.Http(timeout=5),
    )


def raw(emu: Emulator, path: str, **query: str):
    """Call the API module directly: the exact status and body bytes."""
    req = EmuRequest("GET", f"/youtube/v3/{path}", {k: [v] for k, v in query.items()}, {}, {})
    return emu.youtube.handle(req)


def http_error_body(exc: HttpError) -> dict:
    return json.loads(exc.content)


def assert_schema(body: dict, method: str) -> None:
    assert schema_errors(body, response_schema(method), SUBSET) == []


def test_schema_errors__reports_wrong_types_and_unknown_keys():
    good = sample("Y04")
    assert schema_errors(good, "VideoListResponse", SUBSET) == []
    bad = json.loads(json.dumps(good))
    bad["items"][0]["statistics"]["viewCount"] = 12
    bad["items"][0]["snippet"]["made_up"] = True
    bad["pageInfo"]["totalResults"] = "2"
    errors = schema_errors(bad, "VideoListResponse", SUBSET)
    assert "$.items[0].statistics.viewCount: expected string, got int" in errors
    assert "$.items[0].snippet.made_up: not in the schema" in errors
    assert "$.pageInfo.totalResults: expected integer, got str" in errors


def test_search__matches_recorded_shape_and_schema(yt):
    body = yt.search().list(part="snippet", q="ted", type="video", order="date", maxResults=2).execute()
    recorded = [sample("Y01"), sample("Y02"), sample("Y03")]
    assert shape_diff(body, learn_shape(*recorded), optional=("prevPageToken",)) == []
    assert list(body) == ["kind", "etag", "nextPageToken", "regionCode", "pageInfo", "items"]
    assert_schema(body, "search.list")
    dates = [item["snippet"]["publishedAt"] for item in body["items"]]
    assert dates == sorted(dates, reverse=True)


def test_search__pages_with_opaque_tokens_until_the_end(yt, corpus):
    request = yt.search().list(part="snippet", q="TED", type="video", order="date", maxResults=2)
    seen, pages = [], 0
    while request is not None:
        response = request.execute()
        pages += 1
        seen += [item["id"]["videoId"] for item in response["items"]]
        request = yt.search().list_next(request, response)
    expected = [v for v in _corpus_videos(corpus) if "TED" in v["snippet"]["description"]]
    assert sorted(seen) == sorted(v["id"] for v in expected)
    assert len(seen) == len(set(seen))
    assert pages == -(-len(expected) // 2)


def test_search__filters_by_time_channel_and_orders_by_views(yt):
    def ids(**kw):
        body = yt.search().list(part="snippet", q="ted", type="video", **kw).execute()
        return [item["id"]["videoId"] for item in body["items"]]

    assert ids(order="date", publishedAfter="2024-03-04T00:00:00Z", maxResults=50) == [
        "vidAAAAAAA1",
        "vidBBBBBBB2",
    ]
    assert ids(order="date", publishedBefore="2024-03-02T10:00:00Z", maxResults=50) == ["vidOFFICIAL"]
    assert ids(channelId=TED_CHANNEL, maxResults=50) == ["vidOFFICIAL"]
    assert ids(order="date", maxResults=0) == []
    assert yt.search().list(part="snippet", q="no-such-words-anywhere").execute()["items"] == []


def test_videos__match_y04_field_for_field_and_schema(yt, corpus):
    body = yt.videos().list(part="snippet,contentDetails,statistics", id="vidAAAAAAA1,vidBBBBBBB2").execute()
    recorded = sample("Y04")
    assert shape_diff(body, learn_shape(recorded), optional=("nextPageToken",)) == []
    assert_schema(body, "videos.list")
    assert [item["id"] for item in body["items"]] == ["vidAAAAAAA1", "vidBBBBBBB2"]
    assert body["items"][0]["snippet"] == _corpus_videos(corpus)[0]["snippet"]
    assert all(isinstance(v, str) for v in body["items"][0]["statistics"].values())


def test_videos__parts_are_filtered_and_markers_stripped(yt):
    body = yt.videos().list(part="statistics", id="vidCCCCCCC3").execute()
    assert set(body["items"][0]) == {"kind", "etag", "id", "statistics"}
    assert "commentsDisabled" not in json.dumps(body)


def test_comment_threads__html_by_default_plain_text_on_request(yt):
    html_body = yt.commentThreads().list(part="snippet,replies", videoId="vidAAAAAAA1").execute()
    plain = yt.commentThreads().list(part="snippet", videoId="vidAAAAAAA1", textFormat="plainText").execute()
    recorded = sample("Y05")
    assert shape_diff(html_body, learn_shape(recorded, sample("Y06"))) == []
    assert_schema(html_body, "commentThreads.list")
    texts = {t["snippet"]["topLevelComment"]["snippet"]["textDisplay"] for t in html_body["items"]}
    plains = {t["snippet"]["topLevelComment"]["snippet"]["textDisplay"] for t in plain["items"]}
    assert '<a href="http://google.com/">Google.com</a>' in texts
    assert "Google.com" in plains and not any("<a" in text for text in plains)


def test_comment_threads__pages_and_carries_a_subset_of_replies(yt):
    request = yt.commentThreads().list(part="snippet,replies", videoId="vidBBBBBBB2", maxResults=1)
    threads = []
    while request is not None:
        response = request.execute()
        assert response["pageInfo"] == {"totalResults": len(response["items"]), "resultsPerPage": 1}
        threads += response["items"]
        request = yt.commentThreads().list_next(request, response)
    assert len(threads) == 4
    with_replies = [t for t in threads if t["snippet"]["totalReplyCount"]]
    assert len(with_replies) == 1
    assert shape_diff(with_replies[0], learn_shape(sample("Y07"))) == []
    assert len(with_replies[0]["replies"]["comments"]) < with_replies[0]["snippet"]["totalReplyCount"]


def test_comments__replies_by_parent_like_y08(yt):
    parent = "UgydxWWoeA7F1OdqypvidBBBBBBB2"
    request = yt.comments().list(part="snippet", parentId=parent, maxResults=4, textFormat="plainText")
    first = request.execute()
    assert shape_diff(first, learn_shape(sample("Y08"), sample("Y09"))) == []
    assert_schema(first, "comments.list")
    assert first["pageInfo"] == {"resultsPerPage": 4}
    rest = yt.comments().list_next(request, first).execute()
    assert "nextPageToken" not in rest
    ids = [c["id"] for c in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 7
    assert all(c["snippet"]["parentId"] == parent for c in first["items"])


def test_channels__match_y10(yt):
    ids = ",".join(item["id"] for item in sample("Y10")["items"])
    body = yt.channels().list(part="snippet,contentDetails,statistics,brandingSettings", id=ids).execute()
    assert shape_diff(body, learn_shape(sample("Y10"), sample("Y11"))) == []
    assert_schema(body, "channels.list")
    assert body["pageInfo"] == {"totalResults": 2, "resultsPerPage": 5}


def test_errors__missing_key_is_y13(emu):
    resp = raw(emu, "search", part="snippet", q="ted")
    assert resp.status == 400
    assert json.loads(resp.body) == sample("Y13")


@pytest.mark.parametrize(
    ("path", "query", "reason"),
    [
        ("search", {"q": "ted"}, "required"),
        ("search", {"part": "snippet,statistics"}, "unknownPart"),
        ("search", {"part": "snippet", "maxResults": "51"}, "invalidValue"),
        ("commentThreads", {"part": "snippet", "videoId": "vidAAAAAAA1", "maxResults": "0"}, "invalidValue"),
        (
            "commentThreads",
            {"part": "snippet", "videoId": "vidAAAAAAA1", "maxResults": "101"},
            "invalidValue",
        ),
        (
            "commentThreads",
            {"part": "snippet", "videoId": "vidAAAAAAA1", "textFormat": "markdown"},
            "invalidParameter",
        ),
        ("commentThreads", {"part": "snippet", "videoId": "nope"}, "videoNotFound"),
        ("search", {"part": "snippet", "pageToken": "not-a-token"}, "invalidPageToken"),
        ("videos", {"part": "snippet", "id": ",".join(f"v{i}" for i in range(51))}, "invalidValue"),
    ],
)
def test_errors__bad_parameters_answer_the_error_envelope_and_cost_quota(emu, path, query, reason):
    resp = raw(emu, path, key="k", **query)
    body = json.loads(resp.body)
    assert resp.status in (400, 404)
    assert body["error"]["code"] == resp.status
    assert body["error"]["errors"][0]["reason"] == reason
    assert sum(emu.counters.snapshot()["quota"].values()) >= 1


def test_quota__exhausted_answers_y15_until_the_next_day(corpus):
    with Emulator(corpus, quota=102) as emu:
        assert raw(emu, "search", key="k", part="snippet", q="ted").status == 200
        assert raw(emu, "videos", key="k", part="id", id="vidAAAAAAA1").status == 200
        assert raw(emu, "videos", key="k", part="id", id="vidAAAAAAA1").status == 200
        refused = raw(emu, "videos", key="k", part="id", id="vidAAAAAAA1")
        assert refused.status == 403
        assert json.loads(refused.body) == sample("Y15")
        assert b"\\u003ca href" in refused.body
        assert emu.counters.snapshot()["quota"] == {"search.list": 100, "videos.list": 2}
        emu.youtube.reset_quota()
        assert raw(emu, "videos", key="k", part="id", id="vidAAAAAAA1").status == 200


def test_quota__bucket_model_gives_search_its_own_100_calls(corpus):
    with Emulator(corpus, quota=3, search_cost_model="bucket") as emu:
        for _ in range(100):
            assert raw(emu, "search", key="k", part="id", q="ted").status == 200
        assert raw(emu, "search", key="k", part="id", q="ted").status == 403
        assert raw(emu, "videos", key="k", part="id", id="vidAAAAAAA1").status == 200
        assert emu.counters.snapshot()["quota"] == {"search.list": 100, "videos.list": 1}
        assert emu.youtube.quota_used() == {"search.list": 100, "daily": 1}


def test_quota__exceeded_through_googleapiclient_carries_the_reason(corpus):
    with Emulator(corpus, quota=100) as emu:
        yt = build("youtube", "v3", developerKey="k", client_options={"api_endpoint": emu.base_url})
        yt.search().list(part="snippet", q="ted").execute()
        with pytest.raises(HttpError) as caught:
            yt.videos().list(part="snippet", id="vidAAAAAAA1").execute()
    assert caught.value.resp.status == 403
    assert http_error_body(caught.value)["error"]["errors"][0]["reason"] == "quotaExceeded"


def test_comments_disabled__corpus_marker_and_fault_spec_answer_y16(corpus):
    with Emulator(corpus, faults="comments_disabled=vidAAAAAAA1") as emu:
        marked = raw(emu, "commentThreads", key="k", part="snippet", videoId="vidCCCCCCC3")
        faulted = raw(emu, "commentThreads", key="k", part="snippet", videoId="vidAAAAAAA1")
        normal = raw(emu, "commentThreads", key="k", part="snippet", videoId="vidBBBBBBB2")
    assert (marked.status, faulted.status, normal.status) == (403, 403, 200)
    assert json.loads(marked.body) == sample("Y16") == json.loads(faulted.body)


def test_faults__server_5xx_carries_a_youtube_error_body(corpus):
    with Emulator(corpus, faults="503~youtube:x1") as emu:
        yt = build("youtube", "v3", developerKey="k", client_options={"api_endpoint": emu.base_url})
        with pytest.raises(HttpError) as caught:
            yt.search().list(part="snippet", q="ted").execute()
        assert yt.search().list(part="snippet", q="ted").execute()["items"]
        assert emu.counters.snapshot()["calls"] == {"youtube:search.list": 2}
    assert caught.value.resp.status == 503
    assert http_error_body(caught.value)["error"]["errors"][0]["reason"] == "serviceUnavailable"


def _corpus_videos(corpus: Path) -> list[dict]:
    lines = (corpus / "youtube" / "videos.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
