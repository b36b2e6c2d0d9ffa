"""Heads for forum posts: sentiment and complaint fitted on labelled Reddit posts, applied to posts.

The main heads learned from tweets. On Reddit posts (a title and a body, often news, questions, feature
wishes and reviews) they read many neutral posts as negative complaints: on the 120 hand-labelled demo
posts (`bench/data/reddit_posts_labelled.csv`) complaint precision was 0.58 and sentiment macro recall
0.58. These heads are fitted on 600 other labelled Reddit posts (`models/labelled/reddit_posts.csv`,
see models/README.md) and replace the tweet heads' sentiment and complaint outputs for mentions that
are posts or YouTube videos (`POST_KINDS`). They read what the analyzer already has, so there is no
second encoder pass: the shared embedding plus the log of the tweet sentiment probabilities (head and
text view), a logistic regression each (class-balanced, ``PostHeadPolicy``).

Files (no pickles): ``post_heads.safetensors`` (``<task>.weight`` (k, dim + 3), ``<task>.bias``) and
``post_heads.json`` (labels, threshold, policy, the sentiment head they read, training data, scores).
The complaint head's bias is shifted at fit time so that its decision threshold in probability equals
the main complaint head's: one threshold (``models.complaint.threshold``) serves both.
Fit: ``python -m models.train --mode post-heads`` (`fit_post_heads`).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.data import SENTIMENT_LABELS
from models.heads import LinearHead, balanced_logistic, head_digest, read_head_files, save_heads
from ugcminer.errors import ModelError

POST_HEADS_FILE = "post_heads.safetensors"
POST_META_FILE = "post_heads.json"
LABELLED_POSTS = Path(__file__).resolve().parent / "labelled" / "reddit_posts.csv"
LOG_FLOOR = 1e-6
# What the post heads read: Reddit submissions and YouTube videos (title + description), whose titles
# read like posts' (on 332 labelled YouTube titles the tweet complaint head flagged 52, 7 of them
# complaints; the post head 11, 5: `bench/data/youtube_titles_labelled.csv`). Comments keep the tweet heads.
POST_KINDS = frozenset({"post", "video"})


def reads_as_post(kind: str) -> bool:
    """Whether a mention of this kind (``MentionKind``) is read by the post heads."""
    return str(kind) in POST_KINDS


@dataclass(frozen=True)
class PostHeadPolicy:
    """How the post heads are fitted (recorded in post_heads.json)."""

    c: float = 1.0  # logistic regression inverse regularisation, both heads
    folds: int = 5
    repeats: int = 5  # repeated stratified k-fold for the out-of-fold scores and the threshold
    # Rows were drawn half from posts the tweet complaint head flags and half from the rest; among 2,000
    # random posts of the 24 subreddits it flagged 482. Complaint metrics and the threshold weight rows
    # back to that mix.
    flagged_share: float = 482 / 2000


def post_features(embeddings: np.ndarray, sentiment: np.ndarray) -> np.ndarray:
    """The heads' input: the embedding and the log of the tweet sentiment probabilities."""
    return np.hstack([embeddings, np.log(np.maximum(sentiment, LOG_FLOOR))]).astype(np.float32)


@dataclass(frozen=True)
class PostHeads:
    """The post heads and the sentiment head digest they were fitted on."""

    heads: dict[str, LinearHead]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def sentiment_digest(self) -> str:
        """The ``HeadSet.digest("sentiment")`` of the sentiment head and view these heads read."""
        return str(self.meta.get("sentiment_digest", ""))

    @property
    def digest(self) -> str:
        """Content hash of both heads: stored results re-score when it changes."""
        return "-".join(head_digest(self.heads[t]) for t in sorted(self.heads))

    def predict(self, embeddings: np.ndarray, sentiment: np.ndarray) -> dict[str, np.ndarray]:
        """Per task, the probabilities (sentiment (n, 3), complaint (n,)) for posts."""
        x = post_features(embeddings, sentiment)
        return {task: head.predict_proba(x) for task, head in self.heads.items()}

    def calibration(self) -> dict[str, Any] | None:
        """The sentiment head's out-of-fold confusion counts on the labelled posts (for share estimates)."""
        return self.meta.get("sentiment_confusion")


def save_post_heads(folder: Path, heads: dict[str, LinearHead], meta: dict[str, Any]) -> None:
    """Write ``post_heads.safetensors`` and ``post_heads.json`` to `folder`."""
    save_heads(folder, heads, meta, files=(POST_HEADS_FILE, POST_META_FILE))


def load_post_heads(folder: Path, sentiment_digest: str | None = None) -> PostHeads | None:
    """The post heads saved in `folder`, or None when it has none. With `sentiment_digest` (the
    ``HeadSet.digest("sentiment")`` of the heads in use), heads fitted on another sentiment head and
    text view are refused: their input features would mean something else.
    """
    meta_path, tensor_path = folder / POST_META_FILE, folder / POST_HEADS_FILE
    if not meta_path.exists() and not tensor_path.exists():
        return None
    document, heads = read_head_files(
        meta_path, tensor_path, "post heads files", "`python -m models.train --mode post-heads`"
    )
    post = PostHeads(heads, document)
    if sentiment_digest is not None and post.sentiment_digest != sentiment_digest:
        raise ModelError(
            f"{folder}: the post heads were fitted on another sentiment head; "
            "rerun `python -m models.train --mode post-heads`"
        )
    return post


@dataclass(frozen=True)
class LabelledPosts:
    """The labelled posts: text, complaint (0/1), sentiment (index, -1 where annotators differed)."""

    ids: list[str]
    texts: list[str]
    complaint: np.ndarray
    sentiment: np.ndarray
    flagged: np.ndarray  # the row was drawn from the posts the tweet complaint head flagged


def load_labelled_posts(path: Path = LABELLED_POSTS) -> LabelledPosts:
    """Read the labelled posts CSV (columns id, stratum, complaint, sentiment, text)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ModelError(f"{path}: no labelled posts")
    return LabelledPosts(
        ids=[r["id"] for r in rows],
        texts=[r["text"] for r in rows],
        complaint=np.array([r["complaint"] == "true" for r in rows], dtype=int),
        sentiment=np.array(
            [SENTIMENT_LABELS.index(r["sentiment"]) if r["sentiment"] else -1 for r in rows], dtype=int
        ),
        flagged=np.array([r["stratum"] == "flagged" for r in rows], dtype=bool),
    )


def fit_post_heads(
    embeddings: np.ndarray,
    sentiment: np.ndarray,
    posts: LabelledPosts,
    *,
    main_threshold: float,
    policy: PostHeadPolicy = PostHeadPolicy(),
) -> tuple[dict[str, LinearHead], dict[str, Any]]:
    """Fit both heads on all labelled posts; out-of-fold scores (repeated stratified k-fold) say how
    they do on posts they did not see. Returns the heads and a JSON-ready report.
    """
    x = post_features(embeddings, sentiment)
    complaint, complaint_report = _fit_complaint(x, posts, main_threshold, policy)
    keep = posts.sentiment >= 0  # rows where both annotators agreed
    sentiment_head, sentiment_report, confusion = _fit_sentiment(x[keep], posts.sentiment[keep], policy)
    report = {
        "policy": asdict(policy),
        "complaint": complaint_report,
        "sentiment": sentiment_report,
        "sentiment_confusion": {
            "labels": list(SENTIMENT_LABELS),
            "confusion": np.round(confusion, 2).tolist(),
        },
    }
    return {"complaint": complaint, "sentiment": sentiment_head}, report


def _fit_complaint(
    x: np.ndarray, posts: LabelledPosts, main_threshold: float, policy: PostHeadPolicy
) -> tuple[LinearHead, dict[str, Any]]:
    """Out-of-fold logits per repeat, each fold thresholded at the weighted-macro-F1 optimum of the other
    folds; the head's threshold is the median optimum over repeats, moved onto `main_threshold`.
    """
    from sklearn.model_selection import StratifiedKFold

    y = posts.complaint
    flagged = posts.flagged
    weights = np.where(
        flagged, policy.flagged_share / flagged.mean(), (1 - policy.flagged_share) / (~flagged).mean()
    )
    preds, thresholds = [], []
    for repeat in range(policy.repeats):
        folds = StratifiedKFold(policy.folds, shuffle=True, random_state=repeat).split(x, y * 2 + flagged)
        oof, fold_of = np.zeros(len(y)), np.zeros(len(y), dtype=int)
        for k, (train, test) in enumerate(folds):
            oof[test] = balanced_logistic(x[train], y[train], policy.c).decision_function(x[test])
            fold_of[test] = k
        pred = np.zeros(len(y), dtype=int)
        for k in range(policy.folds):
            other = fold_of != k
            pred[fold_of == k] = oof[fold_of == k] >= _best_threshold(oof[other], y[other], weights[other])
        preds.append(pred)
        thresholds.append(_best_threshold(oof, y, weights))
    logit_threshold = float(np.median(thresholds))
    model = balanced_logistic(x, y, policy.c)
    shift = float(np.log(main_threshold / (1 - main_threshold))) - logit_threshold
    head = LinearHead(
        "complaint",
        model.coef_.astype(np.float32),
        (model.intercept_ + shift).astype(np.float32),
        "sigmoid",
        ("not_complaint", "complaint"),
        main_threshold,
    )
    report = {
        "rows": int(len(y)),
        "complaints": int(y.sum()),
        "logit_threshold": round(logit_threshold, 4),
        "aligned_to_threshold": main_threshold,
        "out_of_fold": _binary_report(y, preds, weights),
        "tweet_head_on_these_rows": _binary_report(y, [flagged.astype(int)], weights),
    }
    return head, report


def _fit_sentiment(
    x: np.ndarray, y: np.ndarray, policy: PostHeadPolicy
) -> tuple[LinearHead, dict[str, Any], np.ndarray]:
    """The sentiment head, its out-of-fold macro recall and its mean out-of-fold confusion counts."""
    from sklearn.model_selection import StratifiedKFold

    from models.scoring import classification_scores

    confusion = np.zeros((3, 3))
    recalls = []
    for repeat in range(policy.repeats):
        oof = np.zeros(len(y), dtype=int)
        for train, test in StratifiedKFold(policy.folds, shuffle=True, random_state=repeat).split(x, y):
            oof[test] = balanced_logistic(x[train], y[train], policy.c).predict(x[test])
        scores = classification_scores(y, oof, SENTIMENT_LABELS)
        recalls.append(scores["macro_recall"])
        confusion += np.asarray(scores["confusion"], dtype=float)
    model = balanced_logistic(x, y, policy.c)
    head = LinearHead(
        "sentiment",
        model.coef_.astype(np.float32),
        model.intercept_.astype(np.float32),
        "softmax",
        SENTIMENT_LABELS,
    )
    report = {"rows": int(len(y)), "out_of_fold": {"macro_recall": round(float(np.mean(recalls)), 4)}}
    return head, report, confusion / policy.repeats


def _best_threshold(scores: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
    """The logit threshold maximising weighted macro-F1 (candidates: score quantiles)."""
    from sklearn.metrics import f1_score

    candidates = np.unique(np.quantile(scores, np.linspace(0.02, 0.98, 97)))
    f1 = [f1_score(y, scores >= c, average="macro", sample_weight=weights) for c in candidates]
    return float(candidates[int(np.argmax(f1))])


def _binary_report(y: np.ndarray, preds: Sequence[np.ndarray], weights: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score, precision_score, recall_score

    def mean(fn: Any, **kw: Any) -> float:
        return round(float(np.mean([fn(y, p, **kw) for p in preds])), 4)

    return {
        "macro_f1": mean(f1_score, average="macro"),
        "macro_f1_weighted": mean(f1_score, average="macro", sample_weight=weights),
        "precision_weighted": mean(precision_score, sample_weight=weights),
        "recall_weighted": mean(recall_score, sample_weight=weights),
    }
