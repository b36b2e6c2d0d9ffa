"""Small YouTube corpora for tests, cloned from the recorded samples in tests/fixtures/youtube/.

Videos are copies of Y04's recorded `youtube#video` resources (new ids, dates and counts), comment
threads are copies of Y05's and Y07's recorded threads, replies copies of Y08/Y09's recorded replies.
Only ids, dates, channels and counts change; every text is a recorded one.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from miners.emulator.corpus import write_jsonl
from ugcminer.config import BrandConfig, OfficialAccounts

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
TED_CHANNEL = "UCAuUUnT6oDeKwE6v1NGQxug"  # the channel of Y04's first video: the brand's own here
THIRD_PARTY = "UCthirdPartyHowToChannel"
BRAND = BrandConfig(
    name="TED",
    aliases=["TED Talks"],
    youtube_queries=["TED"],
    official=OfficialAccounts(youtube_channels=[TED_CHANNEL]),
)


def sample_file(prefix: str) -> dict[str, Any]:
    """A recorded sample file (metadata and body) by its prefix, e.g. "Y04"."""
    path = next(FIXTURES.glob(f"{prefix}_*.json"))
    return json.loads(path.read_text(encoding="utf-8"))


def sample(prefix: str) -> dict[str, Any]:
    """The parsed body of a recorded sample."""
    return json.loads(sample_file(prefix)["body"])


def video(
    vid: str,
    published: str,
    *,
    brand: bool = True,
    channel: str = THIRD_PARTY,
    disabled: bool = False,
    views: int = 1000,
) -> dict[str, Any]:
    """A copy of Y04's TED video (brand=True) or its Google video (brand=False) as `vid`."""
    item = copy.deepcopy(sample("Y04")["items"][0 if brand else 1])
    item["id"] = vid
    item["snippet"].update(publishedAt=published, channelId=channel)
    if channel != TED_CHANNEL:
        item["snippet"]["channelTitle"] = "How-To Channel"
    item["statistics"]["viewCount"] = str(views)
    if disabled:
        item["commentsDisabled"] = True
        item["statistics"].pop("commentCount", None)
    return item


def threads(vid: str, count: int = 5) -> list[dict[str, Any]]:
    """`count` copies of Y05's recorded threads, on video `vid`."""
    recorded = sample("Y05")["items"]
    out = []
    for i in range(count):
        thread = copy.deepcopy(recorded[i % len(recorded)])
        thread["id"] = f"{thread['id'][:20]}{vid}{i:02d}"
        thread["snippet"]["videoId"] = vid
        top = thread["snippet"]["topLevelComment"]
        top["id"] = thread["id"]
        top["snippet"]["videoId"] = vid
        top["snippet"]["publishedAt"] = f"2024-01-{1 + i % 28:02d}T10:00:{i % 60:02d}Z"
        thread["snippet"]["totalReplyCount"] = 0
        out.append(thread)
    return out


def thread_with_replies(vid: str, replies: int) -> dict[str, Any]:
    """Y07's recorded thread on `vid`, carrying `replies` copies of Y08/Y09's recorded replies."""
    thread = copy.deepcopy(sample("Y07"))
    thread["id"] = f"UgydxWWoeA7F1Odqyp{vid}"
    thread["snippet"]["videoId"] = vid
    top = thread["snippet"]["topLevelComment"]
    top["id"] = thread["id"]
    top["snippet"]["videoId"] = vid
    recorded = sample("Y08")["items"] + sample("Y09")["items"]
    out = []
    for i in range(replies):
        reply = copy.deepcopy(recorded[i % len(recorded)])
        reply["id"] = f"{thread['id']}.r{i:03d}"
        reply["snippet"].update(
            videoId=vid, parentId=thread["id"], publishedAt=f"2024-02-01T10:{i // 60:02d}:{i % 60:02d}Z"
        )
        out.append(reply)
    thread["snippet"]["totalReplyCount"] = replies
    thread["replies"] = {"comments": out}
    return thread


def write_corpus(root: Path, videos: list[dict[str, Any]], comment_threads: list[dict[str, Any]]) -> Path:
    """Write a corpus folder; each video's commentCount is the number of its comments."""
    counts: dict[str, int] = {}
    for thread in comment_threads:
        vid = thread["snippet"]["videoId"]
        counts[vid] = counts.get(vid, 0) + 1 + len((thread.get("replies") or {}).get("comments") or [])
    for item in videos:
        if not item.get("commentsDisabled"):
            item["statistics"]["commentCount"] = str(counts.get(item["id"], 0))
    write_jsonl(root / "youtube" / "videos.jsonl", videos)
    write_jsonl(root / "youtube" / "comment_threads.jsonl", comment_threads)
    write_jsonl(root / "youtube" / "channels.jsonl", sample("Y10")["items"] + sample("Y11")["items"])
    (root / "manifest.json").write_text(json.dumps({"brand": "TED", "source": "tests/youtube_kit.py"}))
    return root


def standard_corpus(root: Path) -> Path:
    """Five videos: three third-party TED videos (5 threads; 1 thread with 7 replies + 3 threads;
    comments disabled), one official TED video (2 threads), one video that does not mention TED.
    """
    videos = [
        video("vidAAAAAAA1", "2024-03-05T10:00:00Z"),
        video("vidBBBBBBB2", "2024-03-04T10:00:00Z"),
        video("vidCCCCCCC3", "2024-03-03T10:00:00Z", disabled=True),
        video("vidOFFICIAL", "2024-03-02T10:00:00Z", channel=TED_CHANNEL),
        video("vidGOOGLE05", "2024-03-01T10:00:00Z", brand=False),
    ]
    comment_threads = [
        *threads("vidAAAAAAA1", 5),
        thread_with_replies("vidBBBBBBB2", 7),
        *threads("vidBBBBBBB2", 3),
        *threads("vidOFFICIAL", 2),
        *threads("vidGOOGLE05", 2),
    ]
    return write_corpus(root, videos, comment_threads)


def many_videos(root: Path, n: int, threads_each: int = 1) -> Path:
    """`n` third-party TED videos, one a day, each with `threads_each` threads."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    videos = [
        video(f"vidMANY{i:04d}", (start + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        for i in range(n)
    ]
    comment_threads = [t for v in videos for t in threads(v["id"], threads_each)]
    return write_corpus(root, videos, comment_threads)
