"""The benchmark suite: table rendering, comparisons, and a real --quick run."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from bench.run import COLUMNS, compare, head_metric, render
from bench.sections import PeakMemory, noisy_embeddings, row, skipped
from bench.texts import REPO, real_texts


def test_render__one_header_and_a_line_per_row() -> None:
    rows = [row("analyze", "torch", 212.345, "mentions/s", ratio=7.1, memory_mb=900.0), *skipped("report")]
    lines = render(rows).splitlines()
    assert [c.strip() for c in lines[0].split("|")] == list(COLUMNS)
    assert len(lines) == 4
    assert [c.strip() for c in lines[2].split("|")] == ["analyze", "torch", "212", "mentions/s", "7.10", "900",
                                                        ""]  # fmt: skip
    assert lines[3].split("|")[-1].strip() == "skipped: not available"


def test_compare__identical_predictions_agree_fully() -> None:
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(20, 8)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    ref = {"embeddings": emb}
    for task in ("sentiment", "complaint", "howto"):
        labels = rng.integers(0, 3 if task == "sentiment" else 2, 20)
        ref |= {task: labels, f"eval_{task}": labels, f"label_{task}": labels}
    assert compare(dict(ref), ref) == "agree s/c/h 100.0/100.0/100.0%; pts lost s/c/h +0.00/+0.00/+0.00; " \
                                      "cos mean 1.0000 min 1.000"  # fmt: skip
    worse = dict(ref, eval_complaint=1 - ref["eval_complaint"], complaint=1 - ref["complaint"])
    assert "agree s/c/h 100.0/0.0/100.0%" in compare(worse, ref) and "+100.00" in compare(worse, ref)


def test_head_metric__macro_recall_for_sentiment() -> None:
    labels = np.array([0, 0, 1, 2])
    assert head_metric("sentiment", labels, np.array([0, 1, 1, 2])) == pytest.approx(100 * (0.5 + 1 + 1) / 3)
    assert head_metric("howto", np.array([0, 1, 1]), np.array([0, 1, 0])) == pytest.approx(100 * 2 / 3)


def test_noisy_embeddings__unit_rows_without_duplicates() -> None:
    base = np.eye(4, dtype=np.float32)
    out = noisy_embeddings(base, 50)
    assert out.shape == (50, 4)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert len({tuple(r) for r in out.round(6)}) == 50


def test_peak_memory__sees_an_allocation() -> None:
    with PeakMemory() as mem:
        block = np.ones(64 * 2**20 // 8)  # 64 MiB
        del block
    assert mem.mb > 64


def test_split_spec__backend_with_optional_max_length() -> None:
    from bench.analyze import split_spec

    assert split_spec("onnx-int8:128") == ("onnx-int8", 128)
    assert split_spec("torch") == ("torch", None)


def test_real_texts__repeats_real_rows_deterministically() -> None:
    texts = real_texts(30)
    assert len(texts) == 30 and all(t.strip() for t in texts) and texts == real_texts(30)


@pytest.mark.slow
def test_bench_run__quick_prints_the_table(tmp_path) -> None:
    env = dict(os.environ, UGCMINER_CACHE_DIR=str(tmp_path / "cache"), HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "bench.run", "--quick", "--sections", "analyze", "--backends", "torch,onnx"]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=True)
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("# ugcminer bench (quick)") and "load average" in lines[0]
    assert [c.strip() for c in lines[1].split("|")] == list(COLUMNS)
    body = [[c.strip() for c in line.split("|")] for line in lines[3:]]
    assert [r[1] for r in body] == [
        "roberta-base random weights, sentiment only (baseline)",
        "torch: encoder + all heads",
        "onnx: encoder + all heads",
    ]
    assert all(float(r[2].replace(",", "")) > 0 for r in body)
    assert all(float(r[4]) > 0 for r in body[1:])  # a ratio against the baseline
    assert body[2][6].startswith("agree s/c/h ")


def test_issue_variants__out_of_domain_sets_are_masked_and_labelled() -> None:
    from bench.issue_variants import ood_sets
    from models.data import data_dir

    sets = ood_sets(data_dir())
    complaints, reddit = sets["ood_complaint_domain"], sets["ood_reddit_subreddit"]
    # complaint tweets by product domain (random tweets left out), 80 posts from each of 24 subreddits
    assert {label for _, label in complaints} >= {"apparel", "electronics", "software", "transport"}
    assert not any(label.startswith("random") for _, label in complaints)
    assert len({label for _, label in reddit}) == 24 and len(reddit) == 24 * 80
    # texts are masked as the topic pass masks them: no @handles or URLs reach the encoder
    handle = re.compile(r"(?<!\w)@\w")
    assert complaints and all(not handle.search(text) and "://" not in text for text, _ in complaints)


def test_label_names_class__a_label_that_names_its_majority_class_counts() -> None:
    from bench.topic_quality import label_names_class

    assignments = [0, 0, 0, 1, 1, -1]
    truth = ["card_arrival", "card_arrival", "Lost Luggage", "Lost Luggage", "Lost Luggage", "card_arrival"]
    right = {0: "card has not arrived yet", 1: "my suitcase never arrived, bag lost", -1: "unassigned"}
    assert label_names_class(assignments, right, truth) == 1.0
    swapped = {0: right[1], 1: right[0]}
    assert label_names_class(assignments, swapped, truth) == 0.0


@pytest.mark.slow
def test_run_analyzer__heads_only_leaves_out_the_text_view() -> None:
    from bench.analyze import run_analyzer

    texts = ["love it, best phone ever!!", "worst update :( cant even call", "it arrived on tuesday"] * 3
    _, joined = run_analyzer("torch", texts, eval_limit=40)
    _, alone = run_analyzer("torch/heads-only", texts, eval_limit=40)
    np.testing.assert_allclose(joined["embeddings"], alone["embeddings"], atol=1e-6)  # one encoder pass
    assert np.array_equal(joined["complaint"], alone["complaint"])  # only sentiment has a text view
    assert not np.array_equal(joined["eval_sentiment"], alone["eval_sentiment"])


def test_corrected_similarity__samples_of_one_spread_score_about_one_whatever_their_sizes() -> None:
    from bench.topic_matching import corrected_similarity
    from models.topic_tracking import TopicSnapshot

    rng = np.random.default_rng(0)

    def sample(center: np.ndarray, n: int) -> np.ndarray:  # mean pairwise cosine about 0.2
        rows = center / np.linalg.norm(center) + 0.25 * rng.normal(size=(n, 64))
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    a, b = rng.normal(size=64), rng.normal(size=64)
    old = sample(a, 400).mean(axis=0)
    history = [TopicSnapshot(7, "2026-W10", "a", 400, old)]
    local = {i: ("a", 5, sample(a, 5).mean(axis=0)) for i in range(50)}  # 50 small weekly samples of a
    local[50] = ("b", 400, sample(b, 400).mean(axis=0))
    sims, rows, cols = corrected_similarity(local, history, "2026-W11", 4)
    assert (rows, cols) == (list(range(51)), [7])
    plain = [float(local[i][2] @ old) / np.linalg.norm(local[i][2]) / np.linalg.norm(old) for i in range(50)]
    assert np.mean(plain) < 0.85  # the plain cosine of a small sample to its own issue
    assert abs(np.mean(sims[:50, 0]) - 1.0) < 0.08  # corrected: about 1
    assert sims[50, 0] < 0.3  # another issue


def test_halve_train__moves_about_half_the_training_rows_and_nothing_else() -> None:
    from bench.issue_learning_curve import halve_train
    from models.data import Dataset

    texts = [f"text {i}" for i in range(400)]
    splits = np.array(["train", "train", "dev", "test"] * 100)
    ds = Dataset("t", texts, np.zeros(400, dtype=np.int64), splits, ("a",))
    half = halve_train({"t": ds})["t"]
    assert np.array_equal(half.splits == "dev", splits == "dev")
    assert np.array_equal(half.splits == "test", splits == "test")
    moved = int((half.splits == "skip").sum())
    assert 80 < moved < 120 and moved + int((half.splits == "train").sum()) == 200
    assert np.array_equal(halve_train({"t": ds})["t"].splits, half.splits)  # stable


def test_identity_run__counts_recurring_issues_that_keep_their_id_and_new_ones_given_an_old_one() -> None:
    from types import SimpleNamespace

    from bench.small_periods import IdentityRun

    def week(topics: dict[int, np.ndarray], assignments: list[int]) -> SimpleNamespace:
        found = {
            t: SimpleNamespace(centroid=c, label=f"t{t}", size=assignments.count(t))
            for t, c in topics.items()
        }
        return SimpleNamespace(
            topics=found, assignments=np.asarray(assignments), clustered=np.ones(len(assignments), bool)
        )

    a, b, c = np.eye(3, dtype=np.float32)
    run = IdentityRun(0.82)
    first = run.week(
        "2026-W10", week({0: a, 1: b}, [0, 0, 1, 1]), np.asarray(["x", "x", "y", "y"]), ["x", "y"]
    )
    assert +first == {"new": 2}  # nothing seen before, nothing wrongly matched
    # "x" comes back close to its old centroid; "y" drifted; "z" is new and sits on y's old centroid
    drifted = (a + c) / np.linalg.norm(a + c)
    second = run.week(
        "2026-W11", week({0: a, 1: drifted, 2: b}, [0, 0, 1, 1, 2, 2]),
        np.asarray(["x", "x", "y", "y", "z", "z"]), ["x", "y", "z"],
    )  # fmt: skip
    assert +second == {"recurring": 2, "kept": 1, "new": 1, "wrong": 1}


def test_demo_links__counts_ties_against_both_annotators_labels() -> None:
    from bench.demo_links import labelled, score, stored_ties

    labels = {("W1", "a", 1): ("partly", "partly"), ("W1", "b", 2): ("no", "partly")}
    rows = [
        {"item": "a", "topic": 1, "centroid": 0.5, "complaint": 0.6, "stored": 1},
        {"item": "b", "topic": 2, "centroid": 0.4, "complaint": 0.3, "stored": 2},
        {"item": "c", "topic": 1, "centroid": 0.6, "complaint": 0.2, "stored": None},
    ]
    weeks = [{"period": "W1", "rows": rows}]
    assert score(weeks, labels, 0.35, None) == (3, 1, 2)
    assert score(weeks, labels, 0.35, 0.45) == (1, 1, 1)
    assert stored_ties(weeks, labels) == (2, 1, 2)
    shipped = labelled()
    assert len(shipped) == 11 and all(any(v != "no" for v in pair) for pair in shipped.values())


def test_demo_links__kb_coverage_counts_stored_coverage_the_annotators_call_right() -> None:
    from bench.demo_links import kb_coverage, kb_labelled

    labels = {("topic", "W1/T1", "ext"): ("partly", "yes"), ("item", "i1", "cast"): ("no", "partly")}
    weeks = [
        {
            "period": "W1",
            "topics": [{"topic_id": 1, "kb_article": {"id": "ext"}}, {"topic_id": 2, "kb_article": None}],
            "howto": [
                {"mention_id": "i1", "kb_article": {"id": "cast"}},
                {"mention_id": "i2", "kb_article": {"id": "ext"}},
            ],
        },
        {"period": "W2", "topics": [], "howto": [{"mention_id": "i1", "kb_article": {"id": "cast"}}]},
    ]
    assert kb_coverage(weeks, labels) == [("topics", 1, 1, 1), ("how-to items", 2, 0, 0)]
    shipped = kb_labelled()
    assert len(shipped) == 29 and {k[0] for k in shipped} == {"topic", "item"}
