"""The n-gram text view: fitting on real labelled tweets, joining a head, storage, the shipped view."""

import json

import numpy as np
import pytest

from models.data import data_dir, load_task
from models.encoder import WEIGHTS_DIR
from models.heads import joint_proba, load_heads
from models.text_view import TextViewPolicy, fit_text_view, load_text_view, save_text_view
from ugcminer.errors import ModelError

LABELS = ("negative", "neutral", "positive")
SMALL = TextViewPolicy(word_features=2000, char_features=4000)


@pytest.fixture(scope="module")
def tweets():
    ds = load_task("sentiment", data_dir())
    (tt, ty), (dt, dy) = ds.part("train"), ds.part("dev")
    return (tt[:3000], ty[:3000]), (dt[:600], dy[:600])


@pytest.fixture(scope="module")
def view(tweets):
    train, (dev_texts, dev_labels) = tweets
    return fit_text_view("sentiment", LABELS, train, (dev_texts, dev_labels, np.zeros((600, 3))), SMALL)


def _macro_recall(y, pred):
    return float(np.mean([(pred[y == c] == c).mean() for c in range(3)]))


def test_fit_text_view__ngrams_alone_beat_chance_on_dev_and_fusion_comes_from_the_grid(tweets, view):
    _, (dev_texts, dev_labels) = tweets
    assert len(view.word_vocab) == 2000 and len(view.char_vocab) == 4000
    assert view.fusion in SMALL.fusion_grid and view.offsets.shape == (3,)
    alone = _macro_recall(dev_labels, view.log_proba(dev_texts).argmax(1))
    assert alone > 0.5  # three classes: chance is 0.33
    fused = view.fuse(np.zeros((600, 3)), dev_texts)
    assert fused.shape == (600, 3) and np.allclose(fused.sum(1), 1, atol=1e-5)
    assert view.meta["dev_macro_recall"] == pytest.approx(_macro_recall(dev_labels, fused.argmax(1)))


def test_fuse__empty_and_markup_texts_get_probabilities_not_errors(view):
    proba = view.fuse(np.zeros((3, 3)), ["", "<b>&amp;</b>", "x" * 50_000])
    assert proba.shape == (3, 3) and np.isfinite(proba).all()
    assert view.fuse(np.zeros((0, 3)), []).shape == (0, 3)


def test_save_text_view__round_trip_keeps_probabilities_and_digest(tmp_path, tweets, view):
    _, (dev_texts, _) = tweets
    path = save_text_view(tmp_path, view, {"training_data": "test"})
    loaded = load_text_view(tmp_path, "sentiment")
    assert np.allclose(loaded.log_proba(dev_texts[:50]), view.log_proba(dev_texts[:50]), atol=1e-5)
    assert loaded.digest == view.digest and loaded.meta["training_data"] == "test"
    assert json.loads(path.read_text())["fusion"] == view.fusion


def test_load_text_view__arrays_not_matching_the_vocabulary_name_the_file(tmp_path, view):
    save_text_view(tmp_path, view)
    document = json.loads((tmp_path / "sentiment_text_view.json").read_text())
    document["char_vocab"] = document["char_vocab"][:-1]
    (tmp_path / "sentiment_text_view.json").write_text(json.dumps(document))
    with pytest.raises(ModelError, match="sentiment_text_view"):
        load_text_view(tmp_path, "sentiment")
    (tmp_path / "sentiment_text_view.json").write_text("{")
    with pytest.raises(ModelError, match="sentiment_text_view.json"):
        load_text_view(tmp_path, "sentiment")


def test_shipped_view__joins_the_sentiment_head_and_changes_its_version(tweets):
    headset = load_heads(WEIGHTS_DIR)
    assert set(headset.text_views) == {"sentiment"}
    shipped = headset.text_views["sentiment"]
    assert shipped.fusion in TextViewPolicy().fusion_grid and shipped.meta["metrics"]["n"] == 7216
    head = headset["sentiment"]
    emb = np.random.default_rng(0).normal(size=(4, head.weight.shape[1])).astype(np.float32)
    texts = ["so happy with it :)", "worst service ever", "it is tuesday", ""]
    joined = headset.predict_proba("sentiment", emb, texts)
    assert np.allclose(joined, joint_proba(head, shipped, emb, texts))
    assert not np.allclose(joined, head.predict_proba(emb), atol=1e-3)
    assert headset.digest("sentiment").endswith("." + shipped.digest)
    assert "." not in headset.digest("complaint")


def test_load_heads__a_view_fitted_for_another_head_is_refused(tmp_path):
    import shutil

    for path in WEIGHTS_DIR.glob("*"):
        if path.is_file() and path.name.startswith(("heads.", "sentiment_text_view.")):
            shutil.copy(path, tmp_path / path.name)
    assert load_heads(tmp_path).text_views["sentiment"].meta["head_digest"]
    document = json.loads((tmp_path / "sentiment_text_view.json").read_text())
    document["head_digest"] = "00000000"
    (tmp_path / "sentiment_text_view.json").write_text(json.dumps(document))
    with pytest.raises(ModelError, match="text view was fitted for another sentiment head.*--mode text-view"):
        load_heads(tmp_path)
