"""The topic encoder: issue sets, their split, the cached-layer training and the encoder it loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from models.encoder import PACKAGED_MODEL, Encoder, base_digest, load_encoder, mean_pool, resolve_model_path
from models.issue_encoder import (
    ISSUE_ADAPTER,
    IssuePolicy,
    issue_split,
    load_issue_sets,
    load_topic_encoder,
    topic_encoder_adapter,
)
from ugcminer.config import EncoderConfig

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def sets():
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not beside the checkout")
    return load_issue_sets(SHARED_DATA)


def test_issue_split__is_deterministic_and_about_30_10_60() -> None:
    texts = [f"my card number {i} was declined at the shop" for i in range(3000)]
    splits = [issue_split(t) for t in texts]
    assert splits == [issue_split(t) for t in texts]
    share = {s: splits.count(s) / len(splits) for s in ("test", "dev", "train")}
    assert 0.26 < share["test"] < 0.34 and 0.07 < share["dev"] < 0.13 and 0.55 < share["train"] < 0.65


def test_load_issue_sets__masked_disjoint_splits_and_no_cant_tell(sets) -> None:
    assert set(sets) == {"issue_banking", "issue_airline", "issue_asapp"}
    assert len(sets["issue_banking"].labels_names) == 77
    assert "Can't Tell" not in sets["issue_airline"].labels_names
    airline = sets["issue_airline"]
    assert not any("@united" in t.lower() or "http" in t for t in airline.texts)  # handles/URLs masked
    for ds in sets.values():
        parts = {s: set(ds.part(s)[0]) for s in ("train", "dev", "test")}
        assert not parts["train"] & parts["test"] and not parts["dev"] & parts["test"]
        assert all(issue_split(t) == "test" for t in parts["test"])


def test_load_topic_encoder__packaged_model_gets_the_issue_adapter() -> None:
    if not ISSUE_ADAPTER.exists():
        pytest.skip("no issue adapter shipped")
    topic = load_topic_encoder(EncoderConfig())
    main = load_encoder(EncoderConfig())
    assert topic is not main and topic.version != main.version
    assert load_topic_encoder(EncoderConfig()) is topic  # loaded once per process
    vec = topic.encode(["my card still has not arrived"])
    assert vec.shape == (1, main.dim) and abs(float(np.linalg.norm(vec)) - 1) < 1e-5


def test_load_topic_encoder__other_models_fall_back_to_the_main_encoder(tmp_path: Path) -> None:
    cfg = EncoderConfig(model=str(tmp_path / "some-local-model"))
    assert topic_encoder_adapter(cfg) is None


def test_cached_layers__match_the_full_forward() -> None:
    from transformers import AutoModel, AutoTokenizer

    from models.issue_training import _Cache, _run_layers

    path = resolve_model_path(PACKAGED_MODEL)
    tok, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
    texts = ["my card has not arrived yet", "flight delayed again, thanks a lot", "hi"]
    cache = _Cache(model, tok, texts, 3, 128)
    enc = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        full = torch.nn.functional.normalize(mean_pool(model(**enc)[0], enc["attention_mask"]), dim=-1)
        hidden, mask, frozen = cache.batch([0, 1, 2])
        top = torch.nn.functional.normalize(
            mean_pool(_run_layers(model, range(3, 6), hidden, mask), mask), dim=-1
        )
    assert torch.allclose(full, frozen, atol=1e-5) and torch.allclose(full, top, atol=1e-5)


def test_train_issue_adapter__writes_an_adapter_that_merges_into_the_top_layers(sets, tmp_path: Path) -> None:
    from dataclasses import replace

    from models.issue_training import train_issue_adapter

    small = {}
    for task, ds in list(sets.items())[:2]:
        keep = np.concatenate([np.flatnonzero(ds.splits == s)[:40] for s in ("train", "dev")])
        small[task] = replace(
            ds, texts=[ds.texts[i] for i in keep], labels=ds.labels[keep], splits=ds.splits[keep]
        )
    policy = IssuePolicy(epochs=1.0, evals=1, batch=(("issue_banking", 8), ("issue_airline", 8)))
    path = resolve_model_path(PACKAGED_MODEL)
    history = train_issue_adapter(
        small, policy, path, tmp_path / "a.safetensors", base_digest(path), log=lambda _: None
    )
    assert len(history) == 1 and 0.0 <= history[0]["dev_score"] <= 1.0
    from safetensors import safe_open

    with safe_open(str(tmp_path / "a.safetensors"), framework="pt") as handle:
        keys = list(handle.keys())
    assert keys and all(
        k.startswith(("encoder.layer.3.", "encoder.layer.4.", "encoder.layer.5.")) for k in keys
    )
    adapted = Encoder(PACKAGED_MODEL, adapter=tmp_path / "a.safetensors", name="t")
    assert adapted.version != Encoder(PACKAGED_MODEL, name="t").version
    assert adapted.encode(["refund please"]).shape == (1, 384)
