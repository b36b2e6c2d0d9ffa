"""Real texts for benchmarks and tests: tweets, YouTube comments and Reddit posts from ../shared/data.

The mix is fixed (a third each where available) and shuffled with a seed, so every backend and every
run sees the same texts; larger sizes repeat the pool.
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("UGCMINER_SHARED_DATA", REPO.parent / "shared" / "data"))
TWEETS = "sentiment_train/semeval2013-2016_subtaskA_train.jsonl"
COMMENTS = "demo_corpus_candidates/youtube_statistics_2022/comments.csv"
REDDIT = "demo_corpus_candidates/reddit_top_2013_consumer_subreddits"


def _tweets(limit: int) -> Iterator[str]:
    with (SHARED_DATA / TWEETS).open(encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i >= limit:
                return
            yield json.loads(line)["text_clean"]


def _rows(path: Path, limit: int) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if i >= limit:
                return
            yield row


def _reddit(limit: int) -> Iterator[str]:
    files = sorted((SHARED_DATA / REDDIT).glob("*.csv"))
    for path in files:
        for row in _rows(path, max(1, limit // len(files))):
            yield f"{row['title']}\n{row['selftext']}".strip()


def real_texts(n: int, seed: int = 0) -> list[str]:
    """`n` real, non-empty texts (a third tweets, comments, Reddit posts), repeated when n is large."""
    per = max(1, min(n, 18_000) // 3 + 1)
    pool = [*_tweets(per), *(r["Comment"] for r in _rows(SHARED_DATA / COMMENTS, per)), *_reddit(per)]
    pool = [t for t in pool if t and t.strip()]
    random.Random(seed).shuffle(pool)
    if not pool:
        raise FileNotFoundError(f"no texts under {SHARED_DATA} (set UGCMINER_SHARED_DATA)")
    return [pool[i % len(pool)] for i in range(n)]


def labelled_sentiment(n: int, offset: int = 20_000) -> tuple[list[str], list[int]]:
    """`n` labelled tweets (0/1/2 = negative/neutral/positive) from past `offset` rows of the train file."""
    texts, labels = [], []
    with (SHARED_DATA / TWEETS).open(encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i < offset:
                continue
            if len(texts) >= n:
                break
            row = json.loads(line)
            texts.append(row["text_clean"])
            labels.append(int(row["label_id"]))
    return texts, labels
