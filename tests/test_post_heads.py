"""Heads for forum posts: files, fitting, the analyzer's routing and their measured effect on Reddit posts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.analyzer import Analyzer, load_analyzer
from models.encoder import WEIGHTS_DIR
from models.heads import load_heads
from models.post_heads import (
    LABELLED_POSTS,
    POST_HEADS_FILE,
    POST_META_FILE,
    LabelledPosts,
    fit_post_heads,
    load_labelled_posts,
    load_post_heads,
    post_features,
)
from ugcminer.config import EncoderConfig, ModelsConfig
from ugcminer.errors import ModelError

CFG = ModelsConfig(encoder=EncoderConfig(threads=2))
SAMPLE = Path(__file__).resolve().parents[1] / "bench" / "data" / "reddit_posts_labelled.csv"
TITLES = SAMPLE.with_name("youtube_titles_labelled.csv")


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return load_analyzer(CFG)


def _synthetic(n: int = 240, dim: int = 8, seed: int = 3) -> tuple[np.ndarray, np.ndarray, LabelledPosts]:
    """Posts whose complaint label is a direction of the embedding and sentiment another."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    complaint = (x[:, 0] + 0.3 * rng.normal(size=n) > 0.6).astype(int)
    sentiment = np.digitize(x[:, 1], [-0.5, 0.7])
    sentiment[:5] = -1  # annotators differed: left out of the sentiment head
    proba = np.full((n, 3), 1 / 3, dtype=np.float32)
    posts = LabelledPosts(
        [f"p{i}" for i in range(n)], [""] * n, complaint, sentiment, flagged=rng.random(n) < 0.5
    )
    return x, proba, posts


def test_post_heads__fit_learns_the_labels_and_aligns_the_threshold():
    x, proba, posts = _synthetic()
    heads, report = fit_post_heads(x, proba, posts, main_threshold=0.867)
    assert report["complaint"]["out_of_fold"]["macro_f1"] > 0.85
    assert report["sentiment"]["out_of_fold"]["macro_recall"] > 0.8 and report["sentiment"]["rows"] == 235
    complaint = heads["complaint"]
    assert complaint.threshold == pytest.approx(0.867) and complaint.weight.shape == (1, x.shape[1] + 3)
    # the probability crosses the shared threshold exactly where the logit crosses the chosen one
    logit = complaint.logits(post_features(x, proba))[:, 0] - np.log(0.867 / 0.133)
    flags = complaint.predict_proba(post_features(x, proba)) >= 0.867
    assert np.array_equal(flags, logit >= -1e-6)
    confusion = np.asarray(report["sentiment_confusion"]["confusion"])
    assert confusion.shape == (3, 3) and confusion.sum() == pytest.approx(235)


def test_post_heads__saved_files_round_trip_and_refuse_another_sentiment_head(tmp_path: Path):
    from models.post_heads import save_post_heads

    assert load_post_heads(tmp_path) is None  # no files: no post heads
    x, proba, posts = _synthetic()
    heads, _ = fit_post_heads(x, proba, posts, main_threshold=0.5)
    save_post_heads(tmp_path, heads, {"sentiment_digest": "abc.def"})
    loaded = load_post_heads(tmp_path, "abc.def")
    assert loaded is not None and set(loaded.heads) == {"sentiment", "complaint"}
    out = loaded.predict(x, proba)
    assert out["sentiment"].shape == (len(x), 3) and out["complaint"].shape == (len(x),)
    with pytest.raises(ModelError, match="another sentiment head"):
        load_post_heads(tmp_path, "other.digest")
    (tmp_path / POST_META_FILE).write_text("{", encoding="utf-8")
    with pytest.raises(ModelError, match="post heads files are unreadable"):
        load_post_heads(tmp_path)


def test_post_heads__labelled_posts_file_is_complete_and_double_annotated():
    posts = load_labelled_posts()
    assert len(posts.ids) == len(set(posts.ids)) == 600 and all(posts.texts)
    assert posts.flagged.sum() == 300 and 100 < posts.complaint.sum() < 200
    assert (posts.sentiment >= 0).sum() >= 580  # sentiment where both annotators agreed
    sample = {line.split(",", 1)[0] for line in SAMPLE.read_text(encoding="utf-8").splitlines()[1:]}
    assert not sample & set(posts.ids)  # the evaluation sample is never trained on


def test_post_heads__shipped_heads_belong_to_the_shipped_sentiment_head(analyzer):
    heads = load_heads(WEIGHTS_DIR)
    post = load_post_heads(WEIGHTS_DIR, heads.digest("sentiment"))
    assert post is not None and analyzer.post_tasks == ("complaint", "sentiment")
    meta = json.loads((WEIGHTS_DIR / POST_META_FILE).read_text(encoding="utf-8"))
    assert meta["encoder_version"] == heads.encoder_version
    assert meta["heads"]["complaint"]["threshold"] == pytest.approx(heads["complaint"].threshold)
    assert f"posts={post.digest}" in analyzer.version


def test_analyzer__posts_use_the_post_heads_and_nothing_else_changes(analyzer):
    texts = [
        "Google Maps update removed offline areas, terrible",
        "Anyone know a good podcast app for Android?",
        "Google Maps update removed offline areas, terrible",
    ]
    plain = analyzer.predict(texts)
    mixed = analyzer.predict(texts, embeddings=plain.embeddings, posts=[True, True, False])
    post = analyzer.post_heads.predict(plain.embeddings[:2], plain.sentiment[:2])
    assert np.allclose(mixed.sentiment[:2], post["sentiment"]) and np.allclose(
        mixed.complaint[:2], post["complaint"]
    )
    assert np.allclose(mixed.sentiment[2], plain.sentiment[2]) and mixed.complaint[2] == plain.complaint[2]
    assert mixed.howto[2] == plain.howto[2]  # posts' how-to scores: models.instructional (its tests)
    assert not np.allclose(mixed.complaint[0], mixed.complaint[2])  # same text, post or not
    off = Analyzer.from_config(CFG.model_copy(update={"post_heads": False}))
    assert off.post_heads is None and "posts=" not in off.version
    again = off.predict(texts, embeddings=plain.embeddings, posts=[True, True, True])
    assert np.allclose(again.complaint, plain.complaint)

    def confusion(a, posts):
        return a.share_calibration("sentiment", posts=posts).confusion

    assert np.array_equal(confusion(off, True), confusion(off, False))  # no post heads: the tweets' rates
    assert confusion(analyzer, True).sum() < 600 < confusion(analyzer, False).sum()  # the posts' own


def _evaluate(data: Path, out_dir: Path) -> dict[tuple[str, bool], dict]:
    """`ugcminer evaluate` of both tasks on `data`, with the tweet heads and with --posts."""
    from typer.testing import CliRunner

    from ugcminer.cli import app

    runner = CliRunner()
    scores = {}
    for posts in (False, True):
        for task in ("complaint", "sentiment"):
            out = out_dir / f"{task}{posts}.json"
            args = [
                "evaluate",
                "--task",
                task,
                "--data",
                str(data),
                "--label-column",
                task,
                "--output",
                str(out),
            ]
            result = runner.invoke(app, args + (["--posts"] if posts else []))
            assert result.exit_code == 0, result.output
            scores[task, posts] = json.loads(out.read_text(encoding="utf-8"))
    return scores


def test_evaluate__posts_flag_scores_the_reddit_sample_with_the_post_heads(tmp_path: Path):
    """The 120 hand-labelled demo posts (never trained on): the post heads beat the tweet heads there."""
    scores = _evaluate(SAMPLE, tmp_path)
    assert scores["complaint", False]["macro_f1"] == pytest.approx(0.743, abs=0.002)
    assert scores["complaint", True]["macro_f1"] == pytest.approx(0.772, abs=0.002)
    assert scores["sentiment", False]["macro_recall"] == pytest.approx(0.584, abs=0.002)
    assert scores["sentiment", True]["macro_recall"] == pytest.approx(0.686, abs=0.002)
    assert scores["sentiment", True]["posts"] is True
    negative = scores["sentiment", True]["shares"]["negative"]
    assert abs(negative["estimated"] - negative["true"]) < 0.05  # was 0.20 with the tweet heads


def test_evaluate__youtube_titles_flag_far_fewer_false_complaints_with_the_post_heads(tmp_path: Path):
    """332 labelled YouTube titles (10 complaints, never fitted on): why videos are read as posts."""
    from models.post_heads import reads_as_post

    assert reads_as_post("post") and reads_as_post("video")
    assert not reads_as_post("comment") and not reads_as_post("video_comment")
    scores = _evaluate(TITLES, tmp_path)
    flagged = {p: scores["complaint", p]["per_class"]["true"] for p in (False, True)}
    assert flagged[False]["precision"] == pytest.approx(7 / 52, abs=1e-3)
    assert flagged[True]["precision"] == pytest.approx(5 / 11, abs=1e-3)
    assert scores["complaint", True]["macro_f1"] == pytest.approx(0.730, abs=0.002)
    assert scores["complaint", False]["macro_f1"] == pytest.approx(0.573, abs=0.002)
    assert scores["sentiment", True]["macro_recall"] > scores["sentiment", False]["macro_recall"]


@pytest.mark.slow
def test_train__post_heads_mode_reproduces_the_shipped_files(tmp_path: Path):
    from models.train import main

    for name in (
        "heads.json",
        "heads.safetensors",
        "sentiment_text_view.json",
        "sentiment_text_view.safetensors",
    ):
        shutil.copy(WEIGHTS_DIR / name, tmp_path / name)
    shutil.copy(WEIGHTS_DIR / "encoder_adapter.safetensors", tmp_path / "encoder_adapter.safetensors")
    from typer.testing import CliRunner

    from ugcminer.cli import app

    result = CliRunner().invoke(app, ["train", "--mode", "post-heads", "--out", str(tmp_path)])
    assert result.exit_code == 0 and "Added the post heads" in result.output, result.output
    report = main(["--mode", "post-heads", "--weights", str(tmp_path), "--threads", "2"])  # again: the same
    assert report["complaint"]["rows"] == 600
    shipped = load_post_heads(WEIGHTS_DIR)
    fresh = load_post_heads(tmp_path)
    # the same machine repeats itself to the bit (run twice above); another CPU's float rounding in the
    # encoder moves the fitted weights by up to about 0.01 (seen 2026-12-07: 0.005 weight, 0.010 bias)
    for task in ("sentiment", "complaint"):
        assert np.allclose(fresh.heads[task].weight, shipped.heads[task].weight, atol=0.03)
        assert np.allclose(fresh.heads[task].bias, shipped.heads[task].bias, atol=0.03)
    assert (tmp_path / POST_HEADS_FILE).exists() and LABELLED_POSTS.exists()
