from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import homogeneity_score, normalized_mutual_info_score

from models.topic_labels import label_topics
from models.topics import (
    TopicParams,
    brand_terms,
    fit_topics,
    mask_text,
    project_out,
    save_topic_model,
    summarize,
    term_directions,
)
from ugcminer.errors import ModelError

THEMES = {
    "battery": [
        "battery drains fast after the update",
        "battery drain overnight since the update",
        "phone battery dies by noon after updating",
        "the update killed my battery life",
    ],
    "login": [
        "app crashes when I try to log in",
        "login screen crashes the app every time",
        "cannot log in, the app crashes at sign in",
        "app keeps crashing on the login page",
    ],
    "refund": [
        "refund never arrived for my cancelled order",
        "still waiting on my refund after two weeks",
        "where is my refund, order was cancelled",
        "no refund yet for the returned order",
    ],
}
BRANDS = ["Acme", "Globex", "@AcmeSupport", "Initech"]


def _corpus(n_per_theme: int, seed: int = 7) -> tuple[list[str], list[str], list[str]]:
    rng = random.Random(seed)
    texts, themes, brands = [], [], []
    for theme, phrases in THEMES.items():
        for _ in range(n_per_theme):
            brand = rng.choice(BRANDS)
            lead = rng.choice(["ugh", "so", "honestly", "again", "why", "seriously"])
            texts.append(f"{brand} {lead} {rng.choice(phrases)} {rng.choice(['!!', '.', ' :(', '?'])}")
            themes.append(theme)
            brands.append(brand)
    return texts, themes, brands


@pytest.fixture(scope="module")
def encoder():
    from models.encoder import load_encoder

    return load_encoder()


def test_mask_text__removes_brand_terms_handles_and_urls() -> None:
    terms = brand_terms("Acme Phone", ["AcmeOS"])
    assert mask_text("@acme_help my Acme phone via https://x.co/1 and ACMEOS #fail", terms) == "my via and"


def test_mask_text__a_phrase_gap_keeps_labels_from_joining_words_around_a_name() -> None:
    from models.topic_labels import _phrases
    from models.topics import PHRASE_GAP

    text = "What would cause Acme to remove music from the store"
    terms = brand_terms("Acme")
    assert "cause to remove music" in _phrases(mask_text(text, terms), set())  # the bridge, without a gap
    phrases = _phrases(mask_text(text, terms, gap=PHRASE_GAP), set())
    assert not any("cause to" in p for p in phrases) and "remove music" in phrases


def test_term_directions__projecting_them_out_hides_which_brand_is_named() -> None:
    rng = np.random.default_rng(1)
    topic = rng.normal(size=(2, 16))
    brand = rng.normal(size=16) * 2
    texts = [f"{'Acme' if i % 2 else 'Globex'} issue" for i in range(40)]
    emb = np.stack(
        [topic[i % 4 // 2] + (brand if i % 2 else 0) + rng.normal(size=16) * 0.1 for i in range(40)]
    )
    out = project_out(emb.astype(np.float32), term_directions(texts, emb, ["acme"]))
    acme = out[1::2].mean(axis=0) - out[0::2].mean(axis=0)
    assert np.linalg.norm(acme) < 0.05 * np.linalg.norm(brand)


def test_project_out__removes_the_brand_direction() -> None:
    rng = np.random.default_rng(0)
    brand = rng.normal(size=16).astype(np.float32)
    emb = rng.normal(size=(5, 16)).astype(np.float32) + 3 * brand
    out = project_out(emb, brand[None, :])
    assert np.allclose(out @ brand, 0, atol=1e-4)
    assert np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)


def test_label_topics__picks_a_repeated_phrase_not_stop_words() -> None:
    samples = {0: ["the battery drains fast", "my battery drains fast today", "battery drains fast again"]}
    labels = label_topics(
        {0: np.ones(4)}, samples, {0: ["battery"]}, {"the", "my", "again", "today"}, None, 5
    )
    assert labels[0] == "battery drains fast"


def test_label_topics__a_repeated_post_is_not_a_repeated_phrase() -> None:
    rant = "In Chrome I feel like I'm on dialup and YouTube is unusable"
    samples = {0: [rant, rant.upper(), "youtube keeps buffering in chrome", "chrome youtube keeps buffering"]}
    labels = label_topics(
        {0: np.ones(4)}, samples, {0: ["youtube"]}, {"in", "i", "on", "is", "like"}, None, 5
    )
    assert labels[0] == "youtube keeps buffering"  # not "dialup and youtube", said twice by one post


def _bag_of_words(vocab: list[str]):  # noqa: ANN202
    def encode(texts: list[str]) -> np.ndarray:
        vecs = np.array([[t.lower().split().count(w) for w in vocab] for t in texts], dtype=np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)

    return encode


def test_label_topics__no_fitting_repeated_phrase_takes_a_central_posts_phrase() -> None:
    vocab = ["youtube", "buffers", "chrome", "request", "timed", "ms"]
    encode = _bag_of_words(vocab)
    centroid = encode(["youtube buffers chrome"])[0]
    samples = {
        0: [
            "youtube buffers forever since the update",  # most central first
            "my traceroute: request timed out 40 ms, request timed out 41 ms",
            "another traceroute, 38 ms then timed out",
        ]
    }
    stop = {"my", "the", "since", "then", "out", "another"}
    label = label_topics({0: centroid}, samples, {0: ["request", "timed", "ms"]}, stop, encode, 5)[0]
    assert label == "youtube buffers"  # not the repeated but off-topic "timed out ms" material
    # nothing close to the centroid at all: the top words stay
    off = {0: ["pasta recipes tonight", "pasta recipes again"]}
    assert label_topics({0: centroid}, off, {0: ["pasta", "recipes"]}, stop, encode, 5)[0] == "pasta recipes"
    assert label_topics({0: centroid}, {0: ["pasta tonight"]}, {0: ["pasta", "recipes"]}, stop, encode, 5)[
        0
    ] == ("pasta, recipes")


def test_topic_terms__mask_the_brand_its_aliases_and_its_topic_mask() -> None:
    from models.topics import topic_terms
    from ugcminer.config import BrandConfig

    brand = BrandConfig(name="Acme", aliases=["AcmePhone"], topic_mask=["Galaxy S", "AT&T"])
    terms = topic_terms(brand)
    assert {"acme", "acmephone", "galaxy s", "galaxy", "at&t"} <= set(terms)
    masked = mask_text("My Galaxy S on AT&T drains the battery, AcmePhone too", terms)
    assert "galaxy" not in masked.lower() and "at&t" not in masked.lower() and "battery" in masked
    assert topic_terms(BrandConfig(name="Acme")) == ["acme"]


def test_label_topics__contractions_of_stop_words_do_not_make_labels() -> None:
    samples = {
        0: ["I don't know why it froze", "honestly don\u2019t know, screen froze again", "don't know man"]
    }
    labels = label_topics(
        {0: np.ones(4)}, samples, {0: ["froze"]}, {"dont", "i", "it", "why", "again"}, None, 5
    )
    assert "know" not in labels[0]  # "don't know" would be the most repeated phrase
    assert labels[0] == "froze"  # no repeated phrase left: the top word


def test_fit_topics__small_period_says_too_little_data(encoder) -> None:
    texts, themes, _ = _corpus(4)
    result = fit_topics(
        texts,
        encoder.encode(texts),
        terms=brand_terms("Acme", ["Globex", "Initech"]),
        encode=encoder.encode,
        min_documents=20,
    )
    assert any("Too little data" in note for note in result.notes)
    assert result.topics, "a small period still groups its complaints"
    assert normalized_mutual_info_score(themes, result.assignments) > 0.5


def test_fit_topics__two_texts_give_no_topics_and_a_note() -> None:
    result = fit_topics(["a", "b"], np.eye(2, 4, dtype=np.float32))
    assert result.assignments.tolist() == [-1, -1] and "Too little data" in result.notes[0]


@pytest.mark.slow
def test_fit_topics__groups_by_issue_not_brand_and_is_deterministic(encoder, tmp_path: Path) -> None:
    texts, themes, brands = _corpus(40)
    terms = brand_terms("Acme", ["Globex", "Initech", "AcmeSupport"])
    emb = encoder.encode([mask_text(t, terms) for t in texts])  # as the analyze flow encodes complaints
    params = TopicParams(seed=42, density_min_documents=50)  # UMAP + HDBSCAN path
    first = fit_topics(texts, emb, terms=terms, encode=encoder.encode, params=params)
    second = fit_topics(texts, emb, terms=terms, encode=encoder.encode, params=params)
    assert first.assignments.tolist() == second.assignments.tolist()
    assert homogeneity_score(themes, first.assignments) > 0.9  # each topic is one issue...
    assert homogeneity_score(brands, first.assignments) < 0.2  # ...not one brand
    assert first.outlier_share <= 0.10
    for topic in first.topics.values():
        words = " ".join([topic.label, *topic.words]).lower()
        assert not any(b in words for b in ("acme", "globex", "initech")), topic
        assert "_" not in topic.label and len(topic.label.split()) >= 2
    info = summarize(first, texts)
    assert sum(t["size"] for t in info["summary"]) == int((first.assignments >= 0).sum())
    saved = save_topic_model(first, tmp_path / "model")
    names = {p.name for p in saved.iterdir()}
    assert "topics.json" in names and any(n.endswith(".safetensors") for n in names)
    assert not any(n.endswith((".pkl", ".pickle", ".bin")) for n in names)


def test_topics_command__writes_every_row_in_order_with_topic_and_summary(tmp_path: Path) -> None:
    import csv
    import json

    from typer.testing import CliRunner

    from ugcminer.cli import app

    texts, _, _ = _corpus(4)
    src = tmp_path / "in.csv"
    with src.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "body"])
        writer.writerows([[i, t] for i, t in enumerate(texts)])
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "topics",
            str(src),
            "--output",
            str(out),
            "--text-column",
            "body",
            "--mask",
            "Acme",
            "--mask",
            "Globex",
        ],
    )
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if line.strip().startswith("id"))
    assert header.split() == ["id", "size", "grouped", "label"]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [str(i) for i in range(len(texts))]
    assert all(isinstance(r["topic_id"], int) and r["topic_label"] for r in rows)
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["documents"] == len(texts) and summary["summary"][0]["representatives"]
    assert {r["topic_label"] for r in rows if r["topic_id"] >= 0} == {t["label"] for t in summary["summary"]}
    assert all(0 <= t["closely_grouped"] <= t["size"] for t in summary["summary"])
    assert 0 < summary["closely_grouped_share"] <= 1


@pytest.mark.slow
def test_topics_command__in_a_subprocess_shows_no_weight_loading_bars(tmp_path: Path) -> None:
    """The installed command, as a user runs it: the model libraries' "Loading weights" bars stay off."""
    import json
    import os
    import subprocess
    import sys

    texts, _, _ = _corpus(2)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE")}
    proc = subprocess.run(
        [sys.executable, "-c", "from ugcminer.cli import main; main()", "topics", str(src), "--output",
         str(tmp_path / "out.jsonl")],
        env={**env, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "out.jsonl").is_file() and "Loading weights" not in proc.stdout + proc.stderr


def test_fit_topics__clusters_in_the_cluster_space_and_describes_in_the_main_space() -> None:
    rng = np.random.default_rng(0)
    n = 60
    groups = np.repeat([0, 1, 2], n // 3)
    space = np.eye(3, 16, dtype=np.float32)[groups] + rng.normal(0, 0.05, (n, 16)).astype(np.float32)
    space /= np.linalg.norm(space, axis=1, keepdims=True)
    main = rng.normal(0, 1, (n, 16)).astype(np.float32)  # no structure: clusters must come from `space`
    main /= np.linalg.norm(main, axis=1, keepdims=True)
    names = np.array(["billing", "login", "shipping"])[groups]
    texts = [f"{w} problem number {i}" for i, w in enumerate(names)]
    result = fit_topics(texts, main, cluster_embeddings=space, params=TopicParams(seed=1))
    assert normalized_mutual_info_score(groups, result.assignments) > 0.95
    for topic_id, topic in result.topics.items():
        members = main[result.assignments == topic_id].mean(axis=0)
        assert np.allclose(topic.centroid, members / np.linalg.norm(members), atol=1e-5)
    with pytest.raises(ModelError):
        fit_topics(texts, main, cluster_embeddings=space[:10])


def test_label_topics__complaint_filler_does_not_start_a_label() -> None:
    samples = {
        0: [
            "having this issue with the login page again",
            "anyone having this issue? login page times out",
            "still having this issue",
        ]
    }
    stop = {"this", "with", "the", "again", "out", "still"}
    labels = label_topics({0: np.ones(4)}, samples, {0: ["login"]}, stop, None, 5)
    assert labels[0] == "login page"  # not "having this issue", said more often


def test_label_topics__model_numbers_stay_and_bare_numbers_go() -> None:
    samples = {
        0: [
            "my galaxy s7 reboots, flight 3763 too",
            "galaxy s7 reboots overnight",
            "the galaxy s7 reboots when charging, case 3763",
        ]
    }
    labels = label_topics({0: np.ones(4)}, samples, {0: ["galaxy"]}, {"my", "the", "when", "too"}, None, 5)
    assert labels[0] == "galaxy s7 reboots"
    counts = {0: ["ticket 48213 still open", "ticket 48213 still open?", "ticket 48213 still open!!"]}
    assert "48213" not in label_topics({0: np.ones(4)}, counts, {0: ["ticket"]}, set(), None, 5)[0]


def test_label_topics__a_clause_cut_midway_is_not_a_label() -> None:
    samples = {
        0: [
            "youtube is a frustrating mess",
            "youtube is a frustrating mess again",
            "youtube is a frustrating experience",
            "apps can't even use them",
            "core apps can't even use them",
        ]
    }
    stop = {"is", "a", "again", "can't", "cant", "even", "them"}
    labels = label_topics({0: np.ones(4)}, samples, {0: ["youtube"]}, stop, None, 5)
    assert labels[0] == "frustrating mess"  # not "youtube is a frustrating", said more often
    declined = {0: ["my card has been declined", "card has been declined twice", "why doesn't it work"] * 2}
    declined[0] += ["doesn't work at all", "doesn't work today"]
    stop = {"my", "has", "been", "twice", "why", "it", "at", "all"}
    assert (
        label_topics({0: np.ones(4)}, declined, {0: ["card"]}, stop, None, 5)[0] == "card has been declined"
    )


def test_label_topics__a_label_does_not_run_into_a_clause() -> None:
    """A relative word ("that", "when") or a subject pronoun after a noun starts a clause: a label may
    end before it ("spelling errors"), not run through it ("errors that the browser", "payment i didnt
    make", "extra fee when paying": the demo's and BANKING77's labels until 2026-12-07).
    """
    from models.topic_labels import _phrases

    stop = {"that", "the", "i", "when", "to", "and", "can", "which"}
    phrases = _phrases("spelling errors that the browser fixes", stop)
    assert "spelling errors" in phrases and not any("that" in p for p in phrases)
    assert "payment i didnt" not in _phrases("a payment i didnt make", stop)
    assert not any("when" in p for p in _phrases("extra fee when paying", stop))
    assert "atms can i use" in _phrases("which atms can i use", stop)  # a question's pronoun stays


def test_label_topics__a_label_does_not_run_across_punctuation() -> None:
    samples = {
        0: [
            "rich notifications? the old chat",
            "rich notifications? the old app",
            "rich notifications? the old one",
        ]
    }
    labels = label_topics({0: np.ones(4)}, samples, {0: ["notifications"]}, {"the", "one"}, None, 5)
    assert labels[0] == "rich notifications"  # not "rich notifications the old", as often and longer


def test_fit_topics__a_floor_without_cap_keeps_one_off_complaints_out_of_topics() -> None:
    rng = np.random.default_rng(3)
    groups = np.repeat([0, 1, 2], 6)
    core = np.eye(3, 32, dtype=np.float32)[groups] + rng.normal(0, 0.05, (18, 32)).astype(np.float32)
    odd = rng.normal(0, 1, (12, 32)).astype(np.float32)  # one-offs, unlike each other and every group
    odd[:, :3] = 0.35  # ...yet a little like every group, as the rest of a week's complaints are
    emb = np.vstack([core, odd])
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    texts = [f"{w} issue {i}" for i, w in enumerate(np.array(["billing", "login", "shipping"])[groups])]
    texts += [f"something else entirely {i}" for i in range(12)]
    default = fit_topics(texts, emb, params=TopicParams(seed=1))
    assert default.outlier_share <= 0.10  # the default pulls one-offs into the three topics
    assert default.clustered is not None and default.clustered[:18].all() and not default.clustered[18:].any()
    assert sum(t.core for t in default.topics.values()) == 18  # what each topic's own grouping holds
    assert all(t.core is not None and t.core <= t.size for t in default.topics.values())
    assert all(i < 18 for t in default.topics.values() for i in t.representatives)  # quotes from the core
    floor = fit_topics(
        texts, emb, params=TopicParams(seed=1, max_outlier_share=1.0, outlier_min_similarity=0.5)
    )
    assert (floor.assignments[18:] == -1).all() and (floor.assignments[:18] >= 0).all()
    assert normalized_mutual_info_score(groups, floor.assignments[:18]) > 0.95
