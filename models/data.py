"""Training sets for the heads, read from ``../shared/data``, with a deterministic hash split.

Split: ``sha1(SALT + aggressive_normalize(text))``, first 8 hex digits as an int, ``% 100``:
``< 15`` test (held out to estimate scores, never trained on), ``< 25`` dev (calibration, thresholds,
model selection), else train. Near-duplicates land on the same side, in every task.

The how-to set is built from real posts (rules in :func:`load_howto`, documented in models/README.md).
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.preprocess import normalize_text
from ugcminer.errors import ModelError

SALT = "ugcminer-heads-v1:"
SPLIT_BOUNDS = (("test", 15), ("dev", 25), ("train", 100))
SENTIMENT_LABELS = ("negative", "neutral", "positive")
HOWTO_SUBREDDITS = ("howto", "lifehacks")
HOWTO_PATTERN = re.compile(
    r"\b(how[- ]?to|guide|tutorial|tips?|lpt|psa|step[- ]by[- ]step|diy|tricks?|hacks?|instructions)\b", re.I
)
HOWTO_YT_KEYWORDS = ("tutorial", "how-to")
NEG_REDDIT_PER_SUB = 300
NEG_TWEETS = 1500
csv.field_size_limit(1 << 26)


@dataclass(frozen=True)
class Dataset:
    """Texts (already normalised), integer labels and the split of each row."""

    task: str
    texts: list[str]
    labels: np.ndarray
    splits: np.ndarray
    labels_names: tuple[str, ...]

    def part(self, split: str) -> tuple[list[str], np.ndarray]:
        """The texts and labels of one split (train, dev or test)."""
        idx = np.flatnonzero(self.splits == split)
        return [self.texts[i] for i in idx], self.labels[idx]


def data_dir(path: str | Path | None = None) -> Path:
    """The shared data folder: `path`, else $UGCMINER_DATA, else ../shared/data next to the repo."""
    root = Path(
        path or os.environ.get("UGCMINER_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    if not root.exists():
        raise ModelError(f"training data folder {root} not found (pass --data or set UGCMINER_DATA)")
    return root


def aggressive_normalize(text: str) -> str:
    """The SOURCES.md key: no URLs/mentions/rt, lower-case, only [0-9a-z] and non-ASCII letters."""
    out = re.sub(r"https?://\S+", " ", html.unescape(text))
    out = re.sub(r"@\w+", " ", out).lower()
    out = " ".join(w for w in out.split() if w not in ("rt", "mt"))
    return "".join(
        ch for ch in out if ("0" <= ch <= "9") or ("a" <= ch <= "z") or (ord(ch) > 127 and ch.isalpha())
    )


def split_of(text: str) -> str:
    """The split (train/dev/test) a text belongs to."""
    bucket = int(hashlib.sha1((SALT + aggressive_normalize(text)).encode("utf-8")).hexdigest()[:8], 16) % 100
    return next(name for name, bound in SPLIT_BOUNDS if bucket < bound)


def _dataset(task: str, rows: Iterable[tuple[str, int]], names: tuple[str, ...]) -> Dataset:
    seen: dict[str, int] = {}
    for text, label in rows:
        clean = normalize_text(text)
        if clean and clean not in seen:
            seen[clean] = label
    texts = sorted(seen)
    labels = np.array([seen[t] for t in texts], dtype=np.int64)
    splits = np.array([split_of(t) for t in texts])
    return Dataset(task=task, texts=texts, labels=labels, splits=splits, labels_names=names)


def load_sentiment(root: Path) -> Dataset:
    """SemEval 2013-2016 subtask A tweets (``text_clean``), labels negative/neutral/positive."""
    path = root / "sentiment_train" / "semeval2013-2016_subtaskA_train.jsonl"
    with path.open(encoding="utf-8") as handle:
        rows = [(r["text_clean"], int(r["label_id"])) for r in map(json.loads, handle)]
    return _dataset("sentiment", rows, SENTIMENT_LABELS)


def load_complaint(root: Path) -> Dataset:
    """Complaint tweets (Preotiuc-Pietro et al. 2019), label 1 = complaint."""
    rows = [(r["text"], int(r["label"])) for r in _csv(root / "complaints" / "complaints_train.csv")]
    return _dataset("complaint", rows, ("no", "yes"))


def _csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _post(row: dict[str, str], body_chars: int = 600) -> str:
    body = (row.get("selftext") or "").strip()
    return f"{row['title'].strip()}\n{body[:body_chars]}".strip()


def _stable_sample(texts: list[str], n: int) -> list[str]:
    return sorted(texts, key=lambda t: hashlib.sha1(t.encode("utf-8")).hexdigest())[:n]


def howto_positives(root: Path) -> list[str]:
    """Instructional content: r/howto and r/lifehacks posts (not questions), tutorial videos, accepted answers."""
    reddit = root / "demo_corpus_candidates" / "reddit_top_2013_consumer_subreddits"
    out = [
        _post(r)
        for s in HOWTO_SUBREDDITS
        for r in _csv(reddit / f"{s}.csv")
        if not r["title"].rstrip().endswith("?")
    ]
    youtube = root / "demo_corpus_candidates"
    out += [
        r["Title"]
        for r in _csv(youtube / "youtube_statistics_2022" / "videos-stats.csv")
        if r["Keyword"] in HOWTO_YT_KEYWORDS
    ]
    for r in _csv(youtube / "youtube_programming_tutorials" / "ytunlabeled3.csv"):
        out.append(f"{r['title']}\n{(r.get('description') or '')[:300]}".strip())
    emse = root / "howto_solution_candidates" / "emse_best_answer" / "dwolla_docusign_posts_train.csv"
    out += [r["text"][:1200] for r in _csv(emse) if r["resolve"] == "solution"]
    return out


def howto_negatives(root: Path) -> list[str]:
    """Not instructional: news/discussion/problem posts, forum questions, other videos, tweets."""
    reddit = root / "demo_corpus_candidates" / "reddit_top_2013_consumer_subreddits"
    out: list[str] = []
    for path in sorted(reddit.glob("*.csv")):
        if path.stem in HOWTO_SUBREDDITS:
            continue
        posts = [_post(r) for r in _csv(path) if not HOWTO_PATTERN.search(r["title"])]
        out += _stable_sample(posts, NEG_REDDIT_PER_SUB)
    youtube = root / "demo_corpus_candidates" / "youtube_statistics_2022" / "videos-stats.csv"
    out += [
        r["Title"]
        for r in _csv(youtube)
        if r["Keyword"] not in HOWTO_YT_KEYWORDS and not HOWTO_PATTERN.search(r["Title"])
    ]
    emse = root / "howto_solution_candidates" / "emse_best_answer" / "dwolla_docusign_posts_train.csv"
    out += [f"{r['title']}\n{r['text'][:1200]}" for r in _csv(emse) if r["type"] == "question"]
    out += [r["text"] for r in _csv(root / "complaints" / "complaints_train.csv")]
    tweets = root / "sentiment_train" / "semeval2013-2016_subtaskA_train.jsonl"
    with tweets.open(encoding="utf-8") as handle:
        out += _stable_sample([json.loads(line)["text_clean"] for line in handle], NEG_TWEETS)
    return out


def load_howto(root: Path) -> Dataset:
    """How-to / instructional (1) vs not (0), built from real posts; see the module docstring."""
    rows = [(t, 1) for t in howto_positives(root)] + [(t, 0) for t in howto_negatives(root)]
    return _dataset("howto", rows, ("no", "yes"))


LOADERS = {"sentiment": load_sentiment, "complaint": load_complaint, "howto": load_howto}


def load_task(task: str, root: str | Path | None = None) -> Dataset:
    """The dataset of `task` (sentiment, complaint or howto)."""
    if task not in LOADERS:
        raise ModelError(f"unknown task {task!r} (known: {', '.join(LOADERS)})")
    return LOADERS[task](data_dir(root))
