from pathlib import Path

import numpy as np
import pytest

from models.encoder import Encoder, load_encoder, merge_adapter, packaged_model_dir, resolve_adapter
from ugcminer.config import EncoderConfig
from ugcminer.errors import ModelError

TEXTS = [
    "My phone battery dies after an hour, @support please help",
    "",
    "How to replace the screen of a Pixel 6, step by step",
    "ok",
    "The new update is great, thanks https://t.co/xyz",
]


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return load_encoder(EncoderConfig(threads=2))


def test_encoder__unit_norm_float32_rows_in_input_order(encoder):
    emb = encoder.encode(TEXTS, batch_size=2)
    assert emb.shape == (len(TEXTS), encoder.dim) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    singles = np.vstack([encoder.encode([t]) for t in TEXTS])
    assert np.allclose(emb, singles, atol=1e-4)


def test_encoder__empty_input_gives_empty_matrix(encoder):
    assert encoder.encode([]).shape == (0, encoder.dim)


def test_encoder__similar_texts_are_closer_than_unrelated(encoder):
    a, b, c = encoder.encode(
        ["my card was charged twice", "I was billed two times", "a cat sleeps on the sofa"]
    )
    assert a @ b > a @ c + 0.2


def test_encoder__normalises_mentions_and_urls_like_training(encoder):
    a, b = encoder.encode(["@bob the app crashes http://x.co/1", "@user the app crashes http"])
    assert np.allclose(a, b, atol=1e-5)


def test_encoder__version_names_model_and_hash(encoder):
    name, digest = encoder.version.split("@")
    assert name == "all-MiniLM-L6-v2" and len(digest) == 10
    assert encoder.dim == 384 and encoder.hf_model.config.model_type == "bert"


def test_encoder_version__legacy_length_keeps_the_weights_version_others_differ():
    from models.encoder import LEGACY_MAX_LENGTH, encoder_version

    weights = "all-MiniLM-L6-v2@2ad92dbbb6"
    assert encoder_version(weights, LEGACY_MAX_LENGTH) == weights
    short, shorter = encoder_version(weights, 128), encoder_version(weights, 64)
    assert len({weights, short, shorter}) == 3
    name, digest = short.split("@")
    assert name == "all-MiniLM-L6-v2" and len(digest) == 10


def test_encoder__max_length_changes_version_not_weights_version(encoder):
    other = 128 if encoder.max_length != 128 else 256
    truncated = load_encoder(EncoderConfig(threads=2, max_length=other))
    assert truncated.max_length == other
    assert truncated.weights_version == encoder.weights_version and truncated.version != encoder.version


def test_load_encoder__cached_per_config(encoder):
    assert load_encoder(EncoderConfig(threads=2)) is encoder


def test_resolve_adapter__none_and_missing_path(tmp_path):
    assert resolve_adapter(EncoderConfig(adapter=None)) is None
    with pytest.raises(ModelError, match="not found"):
        resolve_adapter(EncoderConfig(adapter=str(tmp_path / "nope.safetensors")))


def test_merge_adapter__adds_low_rank_update_and_checks_base(tmp_path):
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(packaged_model_dir()))
    name = "encoder.layer.0.attention.self.query"
    before = model.get_submodule(name).weight.detach().clone()
    a, b = torch.randn(4, 384), torch.randn(384, 4)
    path = tmp_path / "adapter.safetensors"
    save_file(
        {f"{name}.lora_A": a, f"{name}.lora_B": b},
        str(path),
        metadata={"rank": "4", "alpha": "8", "base_sha1": "abc"},
    )
    merge_adapter(model, path, base_hash="abc")
    assert torch.allclose(model.get_submodule(name).weight, before + 2.0 * (b @ a), atol=1e-4)
    with pytest.raises(ModelError, match="other base weights"):
        merge_adapter(model, path, base_hash="def")


def test_encoder__builtin_adapter_changes_version_only_when_present(encoder):
    adapter = resolve_adapter(EncoderConfig())
    frozen = Encoder(adapter=None, threads=2) if adapter is not None else encoder
    assert (frozen.version != encoder.version) == (adapter is not None)
    assert Path(packaged_model_dir(), "model.safetensors").exists()


def test_cpu_has_bf16__avx512_bf16_or_amx() -> None:
    from models.encoder import cpu_has_bf16

    assert cpu_has_bf16("flags\t: fpu avx512f avx512_bf16 amx_bf16 amx_tile\n")
    assert cpu_has_bf16("flags\t: fpu avx512f avx512_bf16 avx512_vnni\n")
    assert not cpu_has_bf16("flags\t: fpu avx2 avx512f avx512_vnni\n")
