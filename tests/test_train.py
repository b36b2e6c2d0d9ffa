import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from models import lora
from models.data import data_dir, load_task, split_of
from models.encoder import Encoder, base_digest, mean_pool, packaged_model_dir
from models.heads import load_heads
from models.train import TrainPolicy, load_sets
from ugcminer.cli import app

TINY = replace(TrainPolicy(), epochs=2.0, evals=1, batch=(("sentiment", 8), ("complaint", 4), ("howto", 4)))


@pytest.fixture(scope="module")
def tiny_sets():
    return load_sets(("sentiment", "complaint", "howto"), data_dir(), limit=8)


def test_split_of__deterministic_and_about_15_10_75():
    ds = load_task("complaint")
    assert [split_of(t) for t in ds.texts[:50]] == list(ds.splits[:50])
    share = {s: float(np.mean(ds.splits == s)) for s in ("train", "dev", "test")}
    assert 0.10 < share["test"] < 0.20 and 0.06 < share["dev"] < 0.14 and share["train"] > 0.68


def test_split_of__near_duplicates_land_together():
    assert split_of("@delta My bag is LOST!! http://t.co/x") == split_of("my bag is lost")


def test_load_task__howto_has_both_labels_and_no_test_text_in_train():
    ds = load_task("howto")
    train, test = set(ds.part("train")[0]), set(ds.part("test")[0])
    assert not train & test
    assert 0.1 < ds.labels.mean() < 0.4


def test_merge_adapter__merged_encoder_equals_the_lora_model(tmp_path):
    from transformers import AutoModel

    path = str(packaged_model_dir())
    model = AutoModel.from_pretrained(path)
    lora.add_lora(model, rank=4, alpha=8, dropout=0.0)
    torch.manual_seed(0)
    for module in model.modules():
        if isinstance(module, lora.LoraLinear):
            module.lora_B.data.normal_(0, 0.02)
    model.eval()
    adapter = tmp_path / "adapter.safetensors"
    lora.save_adapter(adapter, model, replace(TrainPolicy(), rank=4, alpha=8), base_digest(path))
    merged = Encoder(adapter=adapter, threads=2)
    texts = ["the app keeps crashing", "how to pair the headphones"]
    batch = merged.tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch)[0]
    wrapped = torch.nn.functional.normalize(mean_pool(hidden, batch["attention_mask"]), dim=-1).numpy()
    assert np.allclose(merged.encode(texts), wrapped, atol=1e-4)
    frozen = Encoder(adapter=None, threads=2)
    assert merged.version != frozen.version
    assert not np.allclose(merged.encode(texts), frozen.encode(texts), atol=1e-3)


@pytest.mark.slow
def test_train_adapter__tiny_subset_is_deterministic(tmp_path, tiny_sets):
    torch.set_num_threads(2)
    path = str(packaged_model_dir())
    runs = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.safetensors"
        heads, history = lora.train_adapter(tiny_sets, TINY, path, "cpu", out, "sha", log=lambda *_: None)
        runs.append((load_file(str(out)), heads, history))
    # same weights up to float rounding (MKL GEMM results may depend on memory alignment)
    assert runs[0][0].keys() == runs[1][0].keys() and len(runs[0][0]) == 6 * 6 * 2
    for key, value in runs[0][0].items():
        assert torch.allclose(value, runs[1][0][key], atol=1e-5), key
    for task in ("sentiment", "complaint", "howto"):
        assert np.allclose(runs[0][1][task].weight, runs[1][1][task].weight, atol=1e-4)
    assert runs[0][2][0]["cos_to_frozen"] == pytest.approx(runs[1][2][0]["cos_to_frozen"], abs=1e-3)
    assert runs[0][2][0]["cos_to_frozen"] > 0.9


def _cli_train_heads(task: str, limit: int, out) -> dict:
    """`ugcminer train --mode heads` for one task; the written heads.json."""
    result = CliRunner().invoke(
        app, ["train", "--mode", "heads", "--task", task, "--limit", str(limit), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "heads.json").read_text())


@pytest.mark.slow
def test_cli_train__heads_mode_writes_weights_with_metrics(tmp_path):
    for stale in ("post_heads.json", "instructional.json"):  # fitted on heads now replaced
        (tmp_path / stale).write_text("{}")
    meta = _cli_train_heads("complaint", 40, tmp_path)
    assert not (tmp_path / "post_heads.json").exists()  # no sentiment head to fit post heads on
    assert not (tmp_path / "instructional.json").exists()  # no how-to head to fit the model on
    assert set(meta["heads"]) == {"complaint"} and meta["encoder_adapter"] is None
    assert meta["heads"]["complaint"]["metrics"]["n"] == 40
    assert (tmp_path / "heads.safetensors").exists() and not (
        tmp_path / "encoder_adapter.safetensors"
    ).exists()


@pytest.mark.slow
def test_cli_train__sentiment_gets_a_text_view_that_loads_with_the_heads(tmp_path):
    meta = _cli_train_heads("sentiment", 60, tmp_path)
    assert meta["text_views"] == ["sentiment"]
    headset = load_heads(tmp_path)
    view = headset.text_views["sentiment"]
    assert view.meta["metrics"]["n"] == 60 and view.meta["metrics"] == meta["heads"]["sentiment"]["metrics"]
    proba = headset.predict_proba("sentiment", np.zeros((1, 384), np.float32), ["great, thanks!"])
    assert proba.shape == (1, 3) and proba.sum() == pytest.approx(1, abs=1e-5)


@pytest.mark.slow
def test_cli_train__sentiment_and_complaint_heads_come_with_post_heads_fitted_on_them(tmp_path):
    from models.post_heads import load_post_heads

    result = CliRunner().invoke(
        app,
        ["train", "--mode", "heads", "--task", "sentiment", "--task", "complaint", "--limit", "40"]
        + ["--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    headset = load_heads(tmp_path)
    post = load_post_heads(tmp_path, headset.digest("sentiment"))  # fitted on the new sentiment head
    assert post is not None and post.meta["report"]["complaint"]["rows"] == 600
    assert post.heads["complaint"].threshold == pytest.approx(headset["complaint"].threshold)


@pytest.mark.slow
def test_cli_train__a_howto_head_comes_with_an_instructional_model_fitted_on_it(tmp_path):
    from models.encoder import load_encoder
    from models.instructional import instructional_for
    from ugcminer.config import EncoderConfig, ModelsConfig

    meta = _cli_train_heads("howto", 60, tmp_path)
    assert set(meta["heads"]) == {"howto"}
    encoder = load_encoder(EncoderConfig(adapter="none"))  # heads mode: the frozen packaged model
    model = instructional_for(ModelsConfig(), encoder, load_heads(tmp_path), tmp_path)
    assert model is not None  # fitted for this encoder and the new how-to head, so not refused
    assert model.meta["report"]["rows"] == 918 and model.head.threshold == pytest.approx(
        load_heads(tmp_path)["howto"].threshold
    )
