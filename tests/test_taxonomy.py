"""models/taxonomy.py (and the N-shot builder models/taxonomies/build.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

from models.taxonomies.build import few_shot_split
from models.taxonomies.build import main as build_main
from models.taxonomy import (
    OTHER,
    Taxonomy,
    TaxonomyClassifier,
    TaxonomyPolicy,
    _off_topic_floor,
    load_taxonomy,
    parse_taxonomy,
    taxonomy_classifier,
)
from ugcminer.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "labeled"
TAXONOMY = FIXTURES / "banking77_taxonomy.yaml"
SAMPLE = FIXTURES / "banking77_sample.csv"


def _sample() -> tuple[list[str], list[str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def descriptions_only(taxonomy: Taxonomy) -> Taxonomy:
    data = {"categories": [{"name": c.name, "description": c.description} for c in taxonomy.categories]}
    return parse_taxonomy(data, source="descriptions-only")


@pytest.fixture(scope="session")
def encoder():  # noqa: ANN201
    from models.encoder import load_encoder

    return load_encoder()


def test_load_taxonomy__fixture_categories_in_order() -> None:
    taxonomy = load_taxonomy(TAXONOMY)
    raw = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))["categories"]
    assert taxonomy.names == [c["name"] for c in raw]
    assert [list(c.examples) for c in taxonomy.categories] == [c["examples"] for c in raw]
    assert taxonomy.has_examples and taxonomy.source == str(TAXONOMY) and len(taxonomy.digest) == 40


def test_load_taxonomy__demo_corpus_taxonomy_is_valid() -> None:
    demo = Path(__file__).parent.parent / "miners" / "emulator" / "demo_corpus" / "taxonomy.yaml"
    assert len(load_taxonomy(demo).categories) >= 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", r"t.yaml: expected a mapping with a 'categories' list"),
        ("categories: []\n", r"t.yaml: categories: must be a list of at least two"),
        ("categories:\n- name: a\n- name: a\n", r"t.yaml: categories\[1\].name: duplicate category 'a'"),
        (
            "categories:\n- name: a\n- nmae: b\n",
            r"t.yaml: categories\[1\].nmae: unknown key \(allowed: name, description, examples\)",
        ),
        ("categories:\n- name: a\n- description: b\n", r"t.yaml: categories\[1\].name: required"),
        ("categories:\n- name: a\n- name: Other\n", r"categories\[1\].name: 'other' is reserved"),
        ("categories:\n- name: a\n  examples: x\n- name: b\n", r"categories\[0\].examples: must be a list"),
        (
            "categories:\n- name: a\n  examples: ['', 'x']\n- name: b\n",
            r"categories\[0\].examples\[0\]: must be a non-empty",
        ),
        (
            "categories:\n- name: a\n  description: [1]\n- name: b\n",
            r"categories\[0\].description: must be a text",
        ),
        ("categories: [\n", r"t.yaml: line \d+ is not valid YAML"),
    ],
)
def test_load_taxonomy__invalid_files_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_taxonomy(path)


def test_load_taxonomy__missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"taxonomy file not found"):
        load_taxonomy(tmp_path / "none.yaml")


def test_category__description_text_falls_back_to_readable_name() -> None:
    taxonomy = parse_taxonomy({"categories": [{"name": "card_arrival"}, {"name": "b", "description": " x "}]})
    assert [c.description_text for c in taxonomy.categories] == ["card arrival", "x"]


def test_few_shot_split__deterministic_and_disjoint() -> None:
    rows = [{"text": f"t{i}", "category": "ab"[i % 2]} for i in range(20)] + [{"text": "t0", "category": "a"}]
    taxonomy, rest = few_shot_split(rows, shots=3)
    again, _ = few_shot_split(list(reversed(rows)), shots=3)
    assert taxonomy == again
    examples = {(c["name"], e) for c in taxonomy["categories"] for e in c["examples"]}
    assert len(examples) == 6 and [c["name"] for c in taxonomy["categories"]] == ["a", "b"]
    assert not any((r["category"], r["text"]) in examples for r in rest)
    assert len(rest) == len(rows) - 6 - (("a", "t0") in examples)


def test_build_main__writes_loadable_taxonomy_and_rest(tmp_path: Path) -> None:
    build_main(
        [
            str(SAMPLE),
            "--shots",
            "2",
            "--taxonomy",
            str(tmp_path / "t.yaml"),
            "--rest",
            str(tmp_path / "r.csv"),
        ]
    )
    taxonomy = load_taxonomy(tmp_path / "t.yaml")
    texts, _ = _sample()
    assert len(taxonomy.categories) == 6 and all(len(c.examples) == 2 for c in taxonomy.categories)
    with (tmp_path / "r.csv").open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(texts) - 12


@pytest.mark.slow
def test_taxonomy_classifier__few_shot_on_real_sample(encoder) -> None:  # noqa: ANN001
    texts, truth = _sample()
    classifier = TaxonomyClassifier(load_taxonomy(TAXONOMY), encoder, threshold=0.0)
    labels, scores = classifier.predict(encoder.encode(texts))
    accuracy = np.mean([a == b for a, b in zip(labels, truth, strict=True)])
    assert classifier.method == "few-shot logistic regression"
    assert accuracy >= 0.85, (accuracy, list(zip(labels, truth, strict=True)))
    np.testing.assert_allclose(scores, classifier.scores(encoder.encode(texts)).max(axis=1), atol=1e-6)


@pytest.mark.slow
def test_taxonomy_classifier__descriptions_only_on_real_sample(encoder) -> None:  # noqa: ANN001
    texts, truth = _sample()
    classifier = TaxonomyClassifier(descriptions_only(load_taxonomy(TAXONOMY)), encoder, threshold=0.0)
    labels, scores = classifier.predict(encoder.encode(texts))
    accuracy = np.mean([a == b for a, b in zip(labels, truth, strict=True)])
    assert classifier.method == "description similarity"
    assert accuracy >= 0.6, accuracy  # chance is 1/6
    assert ((scores > 0) & (scores <= 1)).all()


@pytest.mark.slow
def test_taxonomy_classifier__threshold_gives_other(encoder) -> None:  # noqa: ANN001
    texts, _ = _sample()
    embeddings = encoder.encode(texts)
    taxonomy = load_taxonomy(TAXONOMY)
    low, _ = TaxonomyClassifier(taxonomy, encoder, threshold=0.0).predict(embeddings)
    high, _ = TaxonomyClassifier(taxonomy, encoder, threshold=1.01).predict(embeddings)
    middle = TaxonomyClassifier(taxonomy, encoder, threshold=0.6)
    labels, scores = middle.predict(embeddings)
    assert OTHER not in low and set(high) == {OTHER}
    assert [lab == OTHER for lab in labels] == [bool(s < 0.6) for s in scores]
    assert middle.predict(np.zeros((0, encoder.dim), dtype=np.float32))[0] == []
    assert taxonomy_classifier(taxonomy, encoder, 0.5) is taxonomy_classifier(taxonomy, encoder, 0.5)


@pytest.mark.slow
def test_taxonomy_classifier__off_topic_texts_are_other(encoder) -> None:  # noqa: ANN001
    off_topic = ["The weather is nice today", "who won the football game", "I love pizza with pineapple"]
    texts, truth = _sample()
    embeddings = encoder.encode([*off_topic, *texts[:5]])
    taxonomy = load_taxonomy(TAXONOMY)
    labels, _ = TaxonomyClassifier(taxonomy, encoder, threshold=0.0).predict(embeddings)
    assert labels[:3] == [OTHER] * 3 and OTHER not in labels[3:]
    no_floor = TaxonomyClassifier(
        taxonomy, encoder, threshold=0.0, policy=TaxonomyPolicy(min_similarity=-1.0, floor_factor=0.0)
    )
    assert OTHER not in no_floor.predict(embeddings)[0]


def _unit(rows: list[list[float]]) -> np.ndarray:
    vectors = np.asarray(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_off_topic_floor__follows_how_close_the_examples_sit() -> None:
    policy = TaxonomyPolicy(min_similarity=0.25, floor_factor=0.8, floor_quantile=0.0)
    # two descriptions, then two tight examples per category (cosine 0.98-0.99 to a neighbour)
    tight = _unit([[1, 0, 0], [0, 1, 0], [1, 0.1, 0], [1, 0.2, 0], [0.1, 1, 0], [0.2, 1, 0]])
    floor = _off_topic_floor(tight, 2, policy)
    nearest_other = min(
        max(float(tight[i] @ tight[j]) for j in range(len(tight)) if j != i) for i in range(2, 6)
    )
    assert floor == pytest.approx(0.8 * nearest_other) and floor > 0.75
    # loose examples (orthogonal to everything) keep the absolute floor; so do descriptions alone
    loose = _unit([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]])
    assert _off_topic_floor(loose, 2, policy) == 0.25
    assert _off_topic_floor(tight[:2], 2, policy) == 0.25


@pytest.mark.slow
def test_taxonomy_classifier__tight_taxonomy_rejects_what_the_absolute_floor_lets_through(encoder) -> None:  # noqa: ANN001
    taxonomy = load_taxonomy(TAXONOMY)
    classifier = TaxonomyClassifier(taxonomy, encoder, threshold=0.0)
    absolute = TaxonomyClassifier(taxonomy, encoder, threshold=0.0, policy=TaxonomyPolicy(floor_factor=0.0))
    assert classifier.floor > absolute.floor == TaxonomyPolicy().min_similarity
    off_topic = [
        "I paid for the concert tickets and the band never showed up",
        "my phone screen cracked again",
    ]
    texts, _ = _sample()
    embeddings = classifier.embed([*off_topic, *texts])
    near = (embeddings[:2] @ classifier._known.T).max(axis=1)
    assert ((near >= absolute.floor) & (near < classifier.floor)).any()  # the case this floor exists for
    labels = classifier.predict(embeddings)[0]
    assert labels[:2] == [OTHER, OTHER]
    assert sum(lab == OTHER for lab in labels[2:]) <= 0.02 * len(texts)
