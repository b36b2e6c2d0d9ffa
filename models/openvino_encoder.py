"""The OpenVINO CPU backend for the one encoder pass (``models.encoder.backend: openvino``).

    encoder = OpenVinoEncoder.from_config(EncoderConfig(backend="openvino"))
    vectors = encoder.encode(texts)          # the same contract as models.encoder.Encoder

The model is converted with ``openvino.convert_model`` straight from the torch ``Encoder``'s HF model
(after the LoRA adapter was merged) and computes what ``Encoder`` computes: BERT, mean pooling over the
attention mask, L2 normalisation. OpenVINO's CPU plugin fuses the graph into oneDNN kernels and runs it
at the plugin's default inference precision: bf16 on CPUs with AVX-512 BF16 or AMX, else fp32 (weights
are stored in fp32 either way). The file is built once per encoder weights and cached, never committed:

    $UGCMINER_CACHE_DIR/onnx/<weights version>/openvino/model.xml (+ model.bin)

Accuracy and speed against torch fp32 and ONNX Runtime: ``python -m bench.run`` (bench/README.md). A
static int8 variant (NNCF, calibrated on demo corpus texts) ran 1.33x faster but lost 0.62 macro-F1
points on the complaint head, over the 0.5 limit, so it is not offered.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.onnx_encoder import (
    FastEncoder,
    _torch_encoder,
    default_threads,
    identity_of,
    traced,
    version_dir,
)
from ugcminer.errors import ModelError

if TYPE_CHECKING:
    from models.encoder import Encoder
    from ugcminer.config import EncoderConfig

BACKEND = "openvino"


def _atomic_folder(target: Path, write: Any) -> Path:
    """Run `write(tmp_folder)` and move the folder to `target` in one rename (a racing builder's
    folder wins; ours is discarded).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        write(tmp)
        os.rename(tmp, target)
    except OSError:
        if not (target / "model.xml").exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def convert(encoder: Encoder) -> Any:
    """`encoder`'s HF model with pooling and normalisation as an (in-memory) OpenVINO model."""
    import openvino as ov

    inputs = [("input_ids", [-1, -1], ov.Type.i64), ("attention_mask", [-1, -1], ov.Type.i64)]
    with traced(encoder.hf_model) as (module, example):
        return ov.convert_model(module, example_input=example, input=inputs)


def build_model_file(encoder: Encoder) -> Path:
    """The cached OpenVINO IR of `encoder` (fp32 weights), converted when missing."""
    import openvino as ov

    target = version_dir(getattr(encoder, "weights_version", encoder.version)) / "openvino"
    if not (target / "model.xml").exists():
        _atomic_folder(
            target,
            lambda tmp: ov.save_model(convert(encoder), str(tmp / "model.xml"), compress_to_fp16=False),
        )
    return target / "model.xml"


class OpenVinoEncoder(FastEncoder):
    """The encoder run by OpenVINO: same tokenizer, pooling, normalisation and contract as Encoder."""

    def __init__(
        self,
        path: Path,
        tokenizer: Any,
        *,
        version: str,
        dim: int,
        weights_version: str | None = None,
        backend: str = BACKEND,
        batch_size: int = 64,
        max_length: int = 256,
        threads: int | None = None,
    ) -> None:
        import openvino as ov

        core = ov.Core()
        # no CPU pinning: OpenVINO pins its threads by default, so two single-threaded Dask workers on
        # this 2-core machine both ran on one core (195 texts/s each; 400 each unpinned, bench/README.md)
        config = {
            "INFERENCE_NUM_THREADS": threads or default_threads(),
            "PERFORMANCE_HINT": "LATENCY",
            "ENABLE_CPU_PINNING": False,
        }
        try:
            self.compiled = core.compile_model(core.read_model(str(path)), "CPU", config)
        except Exception as exc:  # noqa: BLE001  (OpenVINO raises its own untyped errors)
            raise ModelError(
                f"{path}: cannot load the OpenVINO encoder ({exc}); delete its folder to rebuild it"
            ) from exc
        self.path = path
        self.precision = str(self.compiled.get_property("INFERENCE_PRECISION_HINT"))
        self._identify(
            tokenizer, version=version, weights_version=weights_version, backend=backend, dim=dim,
            batch_size=batch_size, max_length=max_length,
        )  # fmt: skip
        self._local = threading.local()  # an infer request is not thread-safe: one per thread

    @classmethod
    def from_config(cls, cfg: EncoderConfig) -> OpenVinoEncoder:
        """Build the OpenVINO encoder `cfg.backend` names (converting the model on first use)."""
        torch_encoder = _torch_encoder(cfg)
        if cfg.backend != BACKEND:
            raise ModelError(
                f"models.encoder.backend: {cfg.backend!r} is not the OpenVINO backend ({BACKEND})"
            )
        path = build_model_file(torch_encoder)
        return cls(
            path,
            torch_encoder.tokenizer,
            backend=cfg.backend,
            threads=cfg.threads,
            **identity_of(torch_encoder),
        )

    def embed_ids(self, ids: Sequence[list[int]]) -> np.ndarray:
        """Embeddings of one batch of token id lists."""
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.compiled.create_infer_request()
        input_ids, mask = self.tokenize.pad(ids)
        result = request.infer({"input_ids": input_ids, "attention_mask": mask})
        return np.array(result[self.compiled.output(0)], dtype=np.float32)
