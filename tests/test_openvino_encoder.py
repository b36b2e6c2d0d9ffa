"""models/openvino_encoder.py: the OpenVINO backend against the real torch encoder on real texts."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from bench.texts import real_texts
from models.openvino_encoder import OpenVinoEncoder, _atomic_folder, build_model_file
from ugcminer.config import EncoderConfig
from ugcminer.errors import ModelError

# bf16 inference where the CPU has it (OpenVINO's default), else fp32: measured on 2,000 bench texts,
# cosine to torch fp32 mean 0.99999, min 0.99995 (bf16 here). The bound leaves a margin.
MIN_COS = 0.995


@pytest.fixture(scope="session")
def torch_encoder():  # noqa: ANN201
    from models.encoder import Encoder

    return Encoder.from_config(EncoderConfig())


@pytest.fixture(scope="session")
def texts() -> list[str]:
    return real_texts(200)


@pytest.fixture(scope="session")
def reference(torch_encoder, texts) -> np.ndarray:  # noqa: ANN001
    return torch_encoder.encode(texts)


@pytest.fixture(scope="session")
def encoder(model_cache) -> OpenVinoEncoder:  # noqa: ANN001
    from models.encoder import load_encoder

    return load_encoder(EncoderConfig(backend="openvino"))


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_openvino_encoder__other_backends_are_rejected() -> None:
    with pytest.raises(ModelError, match="not the OpenVINO backend"):
        OpenVinoEncoder.from_config(EncoderConfig(backend="onnx"))


def test_atomic_folder__failed_build_leaves_nothing(tmp_path: Path) -> None:
    def fail(folder: Path) -> None:
        (folder / "model.xml").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _atomic_folder(tmp_path / "openvino", fail)
    assert list(tmp_path.iterdir()) == []
    _atomic_folder(tmp_path / "openvino", lambda folder: (folder / "model.xml").write_text("ok"))
    # a racing builder that finishes second keeps the first folder and leaves no temp folder behind
    _atomic_folder(tmp_path / "openvino", lambda folder: (folder / "model.xml").write_text("late"))
    assert (tmp_path / "openvino" / "model.xml").read_text() == "ok"
    assert [p.name for p in tmp_path.iterdir()] == ["openvino"]


@pytest.mark.slow
def test_openvino_encoder__matches_torch(encoder, torch_encoder, texts, reference, model_cache) -> None:  # noqa: ANN001
    assert isinstance(encoder, OpenVinoEncoder)
    assert encoder.version == torch_encoder.version and encoder.dim == torch_encoder.dim
    assert encoder.variant_version.endswith("+openvino") and encoder.path.is_relative_to(model_cache)
    vectors = encoder.encode(texts)
    assert vectors.dtype == np.float32 and vectors.shape == reference.shape
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert _cosines(vectors, reference).min() >= MIN_COS


@pytest.mark.slow
def test_openvino_encoder__empty_blank_and_order(encoder, texts, reference) -> None:  # noqa: ANN001
    assert encoder.encode([]).shape == (0, encoder.dim)
    vectors = encoder.encode(["", texts[7], "   ", texts[0]], batch_size=2)
    assert vectors.shape == (4, encoder.dim)
    assert _cosines(vectors[[1, 3]], reference[[7, 0]]).min() >= MIN_COS


@pytest.mark.slow
def test_openvino_encoder__cached_model_is_reused(encoder, torch_encoder) -> None:  # noqa: ANN001
    path = build_model_file(torch_encoder)
    assert path == encoder.path
    stamp = path.stat().st_mtime_ns
    assert build_model_file(torch_encoder) == path and path.stat().st_mtime_ns == stamp
    assert not [p for p in path.parent.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_openvino_encoder__threads_as_configured_and_not_pinned(model_cache) -> None:  # noqa: ANN001
    # pinned threads put two single-threaded worker processes on the same core (measured: half speed)
    encoder = OpenVinoEncoder.from_config(EncoderConfig(backend="openvino", threads=1))
    assert encoder.compiled.get_property("INFERENCE_NUM_THREADS") == 1
    assert encoder.compiled.get_property("ENABLE_CPU_PINNING") is False


@pytest.mark.slow
def test_openvino_encoder__threads_share_it_safely(encoder, texts, reference) -> None:  # noqa: ANN001
    out: dict[int, np.ndarray] = {}

    def work(k: int) -> None:
        out[k] = encoder.encode(texts[k * 50 : (k + 1) * 50], batch_size=8)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    together = np.concatenate([out[k] for k in range(3)])
    assert _cosines(together, reference[:150]).min() >= MIN_COS


@pytest.mark.slow
def test_openvino_encoder__broken_cache_names_the_file(model_cache, torch_encoder, tmp_path: Path) -> None:  # noqa: ANN001
    bad = tmp_path / "model.xml"
    bad.write_text("<net>not a model")
    with pytest.raises(ModelError, match="delete its folder to rebuild"):
        OpenVinoEncoder(bad, torch_encoder.tokenizer, version="v", dim=384)


@pytest.mark.slow
def test_analyzer__openvino_backend_gives_the_torch_predictions(model_cache, texts) -> None:  # noqa: ANN001
    from models.analyzer import Analyzer
    from ugcminer.config import ModelsConfig

    fast = Analyzer.from_config(ModelsConfig(encoder=EncoderConfig(backend="openvino"))).predict(texts)
    exact = Analyzer.from_config(ModelsConfig()).predict(texts)
    assert (fast.sentiment.argmax(1) == exact.sentiment.argmax(1)).mean() >= 0.97
    for task in ("complaint", "howto"):
        assert (fast.flags(task) == exact.flags(task)).mean() >= 0.97
