"""Build the bundled demo corpus from the real data in ../shared/data, deterministically.

    python -m miners.emulator.build_demo_corpus --shared ../shared --out miners/emulator/demo_corpus

Reads the Reddit top-posts CSVs (2013, ODC PDDL 1.0) and the YouTube statistics set (2022, CC0),
keeps the demo brand's posts and videos (plus some that do not match or are excluded, so alias
matching matters), converts them into the APIs' own resource shapes (t3 data objects as in the 2026
listing recording; youtube#video resources as in the videos.list recording), re-times them into the
ten ISO weeks before `DEMO_AS_OF` keeping each source's original order, and writes the emulator's
corpus layout (see `miners/emulator/types.py`) plus `retime.jsonl` (original timestamps) and
`manifest.json`. Fields the sources lack are filled synthetically; PROVENANCE.md lists each one.
The same inputs always give the same bytes. The KB, taxonomy and PROVENANCE.md are hand-written
files in the output folder and are left alone.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from miners.base import match_alias
from miners.emulator.demo_records import reddit_t3, youtube_video
from ugcminer.config import BrandConfig
from ugcminer.demo import DEMO_AS_OF, DEMO_BRAND, demo_brand

REDDIT_DIR = "data/demo_corpus_candidates/reddit_top_2013_consumer_subreddits"
YOUTUBE_CSV = "data/demo_corpus_candidates/youtube_statistics_2022/videos-stats.csv"
CHANNELS_SAMPLE = "api_samples/youtube/Y10_channels_list_multiple.json"

#: subreddits read for the demo (brand, complaint and how-to communities of the 2013 set)
REDDIT_SUBREDDITS = (
    "google",
    "Android",
    "AndroidQuestions",
    "chrome",
    "techsupport",
    "howto",
    "lifehacks",
    "gadgets",
    "cordcutters",
    "BuyItForLife",
    "headphones",
)
#: matching posts kept per subreddit, best score first (self posts carry the complaints and how-tos;
#: link posts are mostly news and pictures), to keep the corpus near 1,500 posts and under 6 MB
MAX_SELF_POSTS_PER_SUBREDDIT = 270
MAX_LINK_POSTS_PER_SUBREDDIT = 40
#: posts that do not match any alias, kept per watched subreddit (the miner must skip them)
NON_MATCHING_PER_SUBREDDIT = 25
#: YouTube search keywords of the statistics set whose videos are kept besides alias matches
YOUTUBE_KEYWORDS = ("google", "tech", "how-to", "tutorial")

WEEKS = 10
#: relative volume of each of the ten weeks, oldest first (some growth, some dips)
WEEK_PROFILE = (0.82, 0.90, 0.78, 0.95, 1.00, 0.88, 1.04, 0.97, 1.12, 1.30)


def stable_hash(*parts: str) -> str:
    """A hex digest of `parts` (the only source of "randomness" in the build)."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Item:
    """One selected source row, before conversion."""

    key: str  # mention-style id, e.g. reddit:t3_abc or youtube:video:XYZ
    original: float  # original epoch seconds
    row: dict[str, str]
    label: str  # "match", "excluded" or "other" (why it was selected)


# ---- reading and selecting ------------------------------------------------------------------------


def read_reddit(shared: Path) -> list[dict[str, str]]:
    """The rows of the selected subreddits' CSVs (subreddit name added as `_subreddit`)."""
    csv.field_size_limit(1 << 30)
    rows = []
    for sub in REDDIT_SUBREDDITS:
        with (shared / REDDIT_DIR / f"{sub}.csv").open(encoding="utf-8", newline="") as fh:
            rows.extend({**row, "_subreddit": sub} for row in csv.DictReader(fh))
    return rows


@functools.cache
def _brands() -> tuple[BrandConfig, BrandConfig]:
    """The demo brand, and the same brand without its exclusions."""
    brand = demo_brand()
    return brand, brand.model_copy(update={"exclude": []})


def _label(texts: Iterable[str]) -> str:
    brand, unexcluded = _brands()
    blob = " \n ".join(texts).lower()
    if not any(alias.lower() in blob for alias in brand.all_aliases):
        return "other"  # no alias even as a substring: match_alias would find nothing (fast path)
    if match_alias(brand, *texts):
        return "match"
    if match_alias(unexcluded, *texts):
        return "excluded"
    return "other"


def _best(rows: list[dict[str, str]], per_subreddit: int) -> set[str]:
    """Ids of the `per_subreddit` best-scored rows of each subreddit."""
    by_sub: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_sub.setdefault(row["_subreddit"], []).append(row)
    keep: set[str] = set()
    for group in by_sub.values():
        group.sort(key=lambda r: (-int(r["score"]), r["id"]))
        keep |= {r["id"] for r in group[:per_subreddit]}
    return keep


def select_reddit(rows: list[dict[str, str]]) -> list[Item]:
    """Per subreddit the best-scored matching self and link posts, every excluded post and a fixed
    sample of non-matching self posts from the watched subreddits; one copy per post id.
    """
    seen: set[str] = set()
    labelled = []
    for row in rows:
        if row["id"] not in seen:
            seen.add(row["id"])
            labelled.append((_label((html.unescape(row["title"]), html.unescape(row["selftext"]))), row))
    matching = [r for lab, r in labelled if lab == "match"]
    keep = _best([r for r in matching if r["is_self"] == "True"], MAX_SELF_POSTS_PER_SUBREDDIT)
    keep |= _best([r for r in matching if r["is_self"] != "True"], MAX_LINK_POSTS_PER_SUBREDDIT)
    keep |= {r["id"] for lab, r in labelled if lab == "excluded"}
    watched = set(demo_brand().subreddits) | {"howto", "lifehacks"}
    for sub in sorted(watched):
        others = [
            r for lab, r in labelled if lab == "other" and r["_subreddit"] == sub and r["is_self"] == "True"
        ]
        others.sort(key=lambda r: stable_hash("other", r["id"]))
        keep |= {r["id"] for r in others[:NON_MATCHING_PER_SUBREDDIT]}
    return [
        Item(f"reddit:t3_{r['id']}", float(r["created_utc"]), r, lab)
        for lab, r in labelled
        if r["id"] in keep
    ]


def read_youtube(shared: Path) -> list[dict[str, str]]:
    """The rows of the YouTube statistics set."""
    with (shared / YOUTUBE_CSV).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def select_youtube(rows: list[dict[str, str]]) -> list[Item]:
    """Videos whose title matches the brand (or only an exclusion), plus every video the set's
    search keywords in `YOUTUBE_KEYWORDS` returned; one copy per video id.
    """
    items, seen = [], set()
    for row in rows:
        video_id = row["Video ID"]
        if video_id in seen:
            continue
        label = _label([html.unescape(row["Title"])])
        if label == "other" and row["Keyword"] not in YOUTUBE_KEYWORDS:
            continue
        seen.add(video_id)
        month, day, year = (int(p) for p in row["Published At"].split("/"))
        published = datetime(year, month, day, tzinfo=UTC).timestamp()
        items.append(Item(f"youtube:video:{video_id}", published, row, label))
    return items


# ---- re-timing ------------------------------------------------------------------------------------


def week_counts(total: int) -> list[int]:
    """How many of `total` items fall in each of the ten weeks (largest remainder rounding)."""
    weight = sum(WEEK_PROFILE)
    raw = [total * w / weight for w in WEEK_PROFILE]
    counts = [int(x) for x in raw]
    order = sorted(range(WEEKS), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def retime(items: list[Item], source: str) -> dict[str, float]:
    """New epoch seconds for each item: the original order kept, spread over the ten ISO weeks that
    end at `DEMO_AS_OF`, volumes per week from `WEEK_PROFILE`, a little deterministic jitter.
    """
    ordered = sorted(items, key=lambda it: (it.original, it.key))
    start = datetime(DEMO_AS_OF.year, DEMO_AS_OF.month, DEMO_AS_OF.day, tzinfo=UTC) - timedelta(weeks=WEEKS)
    out: dict[str, float] = {}
    position = 0
    for week, count in enumerate(week_counts(len(ordered))):
        week_start = start.timestamp() + week * 7 * 86400
        slot = 7 * 86400 / max(count, 1)
        for index in range(count):
            item = ordered[position]
            jitter = (int(stable_hash(source, item.key)[:6], 16) / 0xFFFFFF - 0.5) * 0.8
            out[item.key] = float(int(week_start + (index + 0.5 + jitter) * slot))
            position += 1
    return out


# ---- writing --------------------------------------------------------------------------------------


def _dump(record: Any) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_lines(path: Path, records: Iterable[Any]) -> int:
    """Write JSON lines (compact, UTF-8, one record a line); returns the number of records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(_dump(record) + "\n")
            count += 1
    return count


def _official_channels(shared: Path) -> list[dict[str, Any]]:
    record = json.loads((shared / CHANNELS_SAMPLE).read_text(encoding="utf-8"))
    return json.loads(record["body"])["items"]


def _limited(items: list[Item], limit: int | None) -> list[Item]:
    if limit is None:
        return items
    return sorted(items, key=lambda it: stable_hash("limit", it.key))[:limit]


def _sampled(rows: list[dict[str, str]], id_field: str, limit: int | None) -> list[dict[str, str]]:
    """A fixed hash sample of the raw rows for a quick `--limit` build (all rows without a limit)."""
    if limit is None:
        return rows
    ids = sorted({row[id_field] for row in rows}, key=lambda value: stable_hash("sample", value))
    keep = set(ids[: limit * 8])
    return [row for row in rows if row[id_field] in keep]


def build(shared: Path, out: Path, limit: int | None = None) -> dict[str, Any]:
    """Build the corpus from `shared` into `out`; `limit` keeps at most that many items per source
    (for quick tests). Returns the manifest that was written.
    """
    posts = _limited(select_reddit(_sampled(read_reddit(shared), "id", limit)), limit)
    videos = _limited(select_youtube(_sampled(read_youtube(shared), "Video ID", limit)), limit)
    post_times, video_times = retime(posts, "reddit"), retime(videos, "youtube")
    posts.sort(key=lambda it: (-post_times[it.key], it.key))
    videos.sort(key=lambda it: (-video_times[it.key], it.key))
    counts = {
        "reddit_submissions": write_lines(
            out / "reddit/submissions.jsonl", (reddit_t3(it.row, post_times[it.key]) for it in posts)
        ),
        "reddit_comments": write_lines(out / "reddit/comments.jsonl", []),
        "youtube_videos": write_lines(
            out / "youtube/videos.jsonl", (youtube_video(it.row, video_times[it.key]) for it in videos)
        ),
        "youtube_comment_threads": write_lines(out / "youtube/comment_threads.jsonl", []),
        "youtube_channels": write_lines(out / "youtube/channels.jsonl", _official_channels(shared)),
    }
    write_lines(out / "retime.jsonl", _retime_records(posts, post_times, videos, video_times))
    manifest = _manifest(counts, posts, videos, limit)
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


def _retime_records(
    posts: list[Item], post_times: dict[str, float], videos: list[Item], video_times: dict[str, float]
) -> Iterable[dict[str, Any]]:
    for item in sorted(posts + videos, key=lambda it: it.key):
        new = post_times.get(item.key, video_times.get(item.key))
        yield {"id": item.key, "original_created_utc": item.original, "demo_created_utc": new}


def _labels(items: list[Item]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item.label] = out.get(item.label, 0) + 1
    return dict(sorted(out.items()))


def _manifest(
    counts: dict[str, int], posts: list[Item], videos: list[Item], limit: int | None
) -> dict[str, Any]:
    return {
        "brand": DEMO_BRAND,
        "as_of": DEMO_AS_OF.isoformat(),
        "weeks": WEEKS,
        "limit": limit,
        "counts": counts,
        "selection": {"reddit": _labels(posts), "youtube": _labels(videos)},
        "builder": "python -m miners.emulator.build_demo_corpus --shared ../shared --out miners/emulator/demo_corpus",
        "provenance": "PROVENANCE.md",
        "licences": {
            "reddit": "ODC PDDL 1.0 (umbrae/reddit-top-2.5-million)",
            "youtube": "CC0-1.0 per the Kaggle 'YouTube Statistics' card",
            "youtube_channels": "recorded API response, sns-sdks/python-youtube (MIT)",
        },
        "synthetic": "timestamps re-timed; authors, channel ids/titles and some fields filled; see PROVENANCE.md",
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared", type=Path, default=Path("../shared"), help="the shared folder (data, api_samples)"
    )
    parser.add_argument("--out", type=Path, default=Path("miners/emulator/demo_corpus"), help="corpus folder")
    parser.add_argument("--limit", type=int, default=None, help="at most N items per source (quick builds)")
    args = parser.parse_args(argv)
    manifest = build(args.shared, args.out, args.limit)
    print(json.dumps(manifest["counts"]), json.dumps(manifest["selection"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
