"""Fast CPU inference for the one encoder pass: ONNX Runtime fp32 or int8, and torch bf16.

    encoder = OnnxEncoder.from_config(EncoderConfig(backend="onnx-int8"))
    vectors = encoder.encode(texts)          # the same contract as models.encoder.Encoder

The graph is exported with ``torch.onnx.export`` from the torch ``Encoder``'s HF model, i.e. after the
LoRA adapter was merged, and computes what ``Encoder`` computes: BERT, mean pooling over the attention
mask, L2 normalisation. ORT's transformer optimizer then fuses attention, GELU and LayerNorm. The int8
variant is dynamic quantization with per-channel weight scales (per-tensor scales drift to a mean
cosine of 0.955); node names matching ``QuantPolicy.exclude`` stay in fp32 (by default layer 0). Files are built once per
encoder version and cached, never committed:

    $UGCMINER_CACHE_DIR/onnx/<version>/<variant>.onnx     (default cache dir: ~/.cache/ugcminer)

``version`` is the torch encoder's version (its weights and ``max_length``: the trained heads are for
that model), ``variant_version`` adds the backend for callers that must keep int8 and fp32 embeddings
apart. The graph files depend on the weights alone (``weights_version``), not on the truncation.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.preprocess import normalize_text
from ugcminer.errors import ModelError

if TYPE_CHECKING:
    from models.encoder import Encoder
    from ugcminer.config import EncoderConfig

CACHE_ENV = "UGCMINER_CACHE_DIR"
OPSET = 17
VARIANTS = {"onnx": "fp32", "onnx-int8": "int8"}


@dataclass(frozen=True)
class QuantPolicy:
    """How the int8 graph is quantized (dynamic: weights int8 offline, activations uint8 per batch)."""

    per_channel: bool = True
    reduce_range: bool = False  # only needed on CPUs without VNNI (u8s8 saturation)
    exclude: tuple[str, ...] = ()  # regexes on node names kept in fp32, e.g. r"layer\.5/output/dense"
    op_types: tuple[str, ...] = ("MatMul", "Attention")
    extra: dict[str, Any] = field(default_factory=lambda: {"MatMulConstBOnly": True})

    def tag(self) -> str:
        """A short, stable name for the cache file."""
        parts = ["pc" if self.per_channel else "pt"] + (["rr"] if self.reduce_range else [])
        if self.exclude or self.op_types != QuantPolicy.op_types:
            key = json.dumps([self.exclude, self.op_types])
            parts.append(format(abs(hash_text(key)) % 16**8, "08x"))
        return "-".join(parts)


# Layer 0 (attention and FFN) stays fp32: its inputs come straight from the embeddings, whose outliers
# per-tensor uint8 activations clip. Measured on the held-out splits (bench/README.md): all of layer 0
# in fp32 keeps every head within 0.4 points of fp32; quantizing everything lost 0.96 F1 on how-to.
DEFAULT_POLICY = QuantPolicy(exclude=(r"layer\.0/", r"^Attention_0$"))


def hash_text(text: str) -> int:
    """A stable (process-independent) 64-bit hash of `text`."""
    import hashlib

    return int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "big")


def cache_root() -> Path:
    """The cache folder for built model files (``$UGCMINER_CACHE_DIR`` or ``~/.cache/ugcminer``)."""
    base = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "ugcminer"
    return Path(base).expanduser() / "onnx"


def version_dir(version: str) -> Path:
    """The cache folder of one encoder version (the version made file-name safe)."""
    return cache_root() / re.sub(r"[^A-Za-z0-9@._-]+", "_", version)


def pooled_module(hf_model: Any) -> Any:
    """BERT + mean pooling + L2 norm as one torch module: what the ONNX graph computes."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled.float(), dim=-1)

    return Pooled(hf_model).eval()


def _atomic_target(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".onnx")
    os.close(handle)
    return Path(tmp)


@contextmanager
def traced(hf_model: Any) -> Iterator[tuple[Any, tuple[Any, Any]]]:
    """What a graph export traces: the pooled module and example inputs, with eager attention (the
    pattern ORT fuses; restored afterwards), no gradients and the tracer's shape-check notes silenced
    (they hold for every input).
    """
    import warnings

    import torch

    ids = torch.randint(1000, 2000, (2, 12))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0  # a padded row, so no "mask is all ones" shortcut is traced
    previous = getattr(hf_model.config, "_attn_implementation", None)
    switch = previous not in (None, "eager") and hasattr(hf_model, "set_attn_implementation")
    if switch:
        hf_model.set_attn_implementation("eager")
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            yield pooled_module(hf_model), (ids, mask)
    finally:
        if switch:
            hf_model.set_attn_implementation(previous)


def export_fp32(hf_model: Any, path: Path) -> Path:
    """Export `hf_model` (a loaded, merged HF BERT) with pooling to `path`, fused by ORT's optimizer."""
    import torch
    from onnxruntime.transformers import optimizer

    raw = _atomic_target(path.with_name("raw.onnx"))
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}
    with traced(hf_model) as (module, example):
        torch.onnx.export(
            module, example, str(raw), input_names=list(axes), output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}}, opset_version=OPSET, dynamo=False,
        )  # fmt: skip
    cfg = hf_model.config
    fused = optimizer.optimize_model(
        str(raw),
        model_type="bert",
        num_heads=cfg.num_attention_heads,
        hidden_size=cfg.hidden_size,
        opt_level=0,
    )
    tmp = _atomic_target(path)
    fused.save_model_to_file(str(tmp))
    os.replace(tmp, path)
    raw.unlink(missing_ok=True)
    return path


def quantize_int8(src: Path, dst: Path, policy: QuantPolicy = DEFAULT_POLICY) -> Path:
    """Dynamic int8 quantization of the fused fp32 graph at `src` into `dst` under `policy`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(src), load_external_data=False).graph
    patterns = [re.compile(p) for p in policy.exclude]
    excluded = [n.name for n in graph.node if any(p.search(n.name) for p in patterns)]
    tmp = _atomic_target(dst)
    quantize_dynamic(
        str(src), str(tmp), weight_type=QuantType.QInt8, per_channel=policy.per_channel,
        reduce_range=policy.reduce_range, nodes_to_exclude=excluded, op_types_to_quantize=list(policy.op_types),
        extra_options={**policy.extra, "DefaultTensorType": onnx.TensorProto.FLOAT},
    )  # fmt: skip
    os.replace(tmp, dst)
    return dst


def build_model_file(encoder: Encoder, variant: str, policy: QuantPolicy = DEFAULT_POLICY) -> Path:
    """The cached ONNX file of `encoder` for `variant` ("fp32" or "int8"), exported when missing."""
    folder = version_dir(getattr(encoder, "weights_version", encoder.version))
    fp32 = folder / "fp32.onnx"
    if not fp32.exists():
        export_fp32(encoder.hf_model, fp32)
    if variant == "fp32":
        return fp32
    if variant != "int8":
        raise ModelError(f"models.encoder.backend: unknown ONNX variant {variant!r} (use onnx or onnx-int8)")
    path = folder / f"int8-{policy.tag()}.onnx"
    if not path.exists():
        quantize_int8(fp32, path, policy)
    return path


class BatchTokenizer:
    """Batch tokenization with the encoder's own fast tokenizer (Rust), truncated, unpadded."""

    def __init__(self, tokenizer: Any, max_length: int) -> None:
        backend = getattr(tokenizer, "backend_tokenizer", None)
        self.hf = tokenizer
        self.max_length = max_length
        self.fast = None
        if backend is not None:
            from tokenizers import Tokenizer

            self.fast = Tokenizer.from_str(backend.to_str())
            self.fast.no_padding()
            self.fast.enable_truncation(max_length)
        self.pad_id = int(tokenizer.pad_token_id or 0)

    def __call__(self, texts: list[str]) -> list[list[int]]:
        """Token ids per text (special tokens added, truncated to `max_length`)."""
        if self.fast is not None:
            return [e.ids for e in self.fast.encode_batch(texts)]
        return self.hf(texts, truncation=True, max_length=self.max_length)["input_ids"]

    def pad(self, ids: Sequence[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Right-pad a batch: (input_ids, attention_mask) as int64 arrays."""
        width = max(len(row) for row in ids)
        out = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for i, row in enumerate(ids):
            out[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return out, mask


class FastEncoder:
    """What every non-torch backend shares with the torch ``Encoder``: its tokenizer, versions and sizes,
    and length-sorted batches through the backend's `embed_ids`.
    """

    dim: int
    batch_size: int

    def _identify(
        self, tokenizer: Any, *, version: str, weights_version: str | None, backend: str, dim: int,
        batch_size: int, max_length: int,
    ) -> None:  # fmt: skip
        self.tokenizer = tokenizer
        self.tokenize = BatchTokenizer(tokenizer, max_length)
        self.version = version
        self.weights_version = weights_version or version
        self.variant_version = f"{version}+{backend}"
        self.backend = backend
        self.dim = dim
        self.batch_size = batch_size
        self.max_length = max_length

    def encode(
        self, texts: Sequence[str], *, batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        """Embed `texts` (normalised first): (n, dim) float32, L2-normalised, in input order."""
        return encode_sorted(self, texts, batch_size or self.batch_size, progress)

    def embed_ids(self, ids: Sequence[list[int]]) -> np.ndarray:
        """Embeddings of one batch of token id lists."""
        raise NotImplementedError


def identity_of(encoder: Encoder) -> dict[str, Any]:
    """The torch `encoder`'s version, sizes and truncation, as a fast encoder's keyword arguments."""
    return {
        "version": encoder.version, "weights_version": getattr(encoder, "weights_version", None),
        "dim": encoder.dim, "batch_size": encoder.batch_size, "max_length": encoder.max_length,
    }  # fmt: skip


class OnnxEncoder(FastEncoder):
    """The encoder run by ONNX Runtime: same tokenizer, pooling, normalisation and contract as Encoder."""

    def __init__(
        self,
        path: Path,
        tokenizer: Any,
        *,
        version: str,
        dim: int,
        weights_version: str | None = None,
        backend: str = "onnx",
        batch_size: int = 64,
        max_length: int = 256,
        threads: int | None = None,
    ) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001  (ORT raises its own untyped errors)
            raise ModelError(
                f"{path}: cannot load the ONNX encoder ({exc}); delete the file to rebuild it"
            ) from exc
        self.path = path
        self._identify(
            tokenizer, version=version, weights_version=weights_version, backend=backend, dim=dim,
            batch_size=batch_size, max_length=max_length,
        )  # fmt: skip
        self._shrink = ort.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    @classmethod
    def from_config(cls, cfg: EncoderConfig, policy: QuantPolicy = DEFAULT_POLICY) -> Any:
        """Build the fast encoder `cfg.backend` names (exporting the graph on first use)."""
        if cfg.backend == "torch-bf16":
            return Bf16Encoder.from_config(cfg)
        if cfg.backend not in VARIANTS:
            raise ModelError(f"models.encoder.backend: {cfg.backend!r} is not an ONNX backend")
        torch_encoder = _torch_encoder(cfg)
        path = build_model_file(torch_encoder, VARIANTS[cfg.backend], policy)
        return cls.from_encoder(torch_encoder, path, backend=cfg.backend, threads=cfg.threads)

    @classmethod
    def from_encoder(
        cls, encoder: Encoder, path: Path, *, backend: str, threads: int | None = None
    ) -> OnnxEncoder:
        """Serve the ONNX file at `path` with `encoder`'s tokenizer, version and settings."""
        return cls(path, encoder.tokenizer, backend=backend, threads=threads, **identity_of(encoder))

    def encode(
        self, texts: Sequence[str], *, batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        """Embed `texts` (normalised first): (n, dim) float32, L2-normalised, in input order."""
        out = super().encode(texts, batch_size=batch_size, progress=progress)
        self.release_memory()
        return out

    def embed_ids(self, ids: Sequence[list[int]], run_options: Any = None) -> np.ndarray:  # type: ignore[override]
        """Embeddings of one batch of token id lists."""
        input_ids, mask = self.tokenize.pad(ids)
        return self.session.run(None, {"input_ids": input_ids, "attention_mask": mask}, run_options)[0]

    def release_memory(self) -> None:
        """Give ORT's arena back (it keeps the largest batch's activations, ~1 GB after 64 texts of 256
        tokens) with one tiny run that shrinks it; the next batch re-grows it at no measurable cost.
        """
        self.embed_ids([[0, 0]], self._shrink)


class Bf16Encoder(FastEncoder):
    """The torch encoder with bfloat16 weights (AVX-512 BF16 CPUs); pooling and norm in fp32."""

    def __init__(self, encoder: Encoder, threads: int | None = None) -> None:
        import torch

        torch.set_num_threads(threads or default_threads())
        self.model = pooled_module(encoder.hf_model.to(torch.bfloat16))
        self._identify(encoder.tokenizer, backend="torch-bf16", **identity_of(encoder))

    @classmethod
    def from_config(cls, cfg: EncoderConfig) -> Bf16Encoder:
        """The bf16 encoder for `cfg`."""
        return cls(_torch_encoder(cfg), cfg.threads)

    def embed_ids(self, ids: Sequence[list[int]]) -> np.ndarray:
        """Embeddings of one batch of token id lists."""
        import torch

        input_ids, mask = self.tokenize.pad(ids)
        with torch.inference_mode():
            out = self.model(torch.from_numpy(input_ids), torch.from_numpy(mask))
        return out.float().numpy()


def encode_sorted(encoder: Any, texts: Sequence[str], batch_size: int, progress: bool) -> np.ndarray:
    """Normalise, tokenize in one call, run length-sorted batches through `encoder.embed_ids`."""
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    if not len(texts):
        return out
    ids = encoder.tokenize([normalize_text(t or "") for t in texts])
    order = np.argsort([-len(row) for row in ids], kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if progress:
        from rich.progress import track

        batches = track(batches, description="encoding")
    for batch in batches:
        out[batch] = encoder.embed_ids([ids[i] for i in batch])
    return out


def default_threads() -> int:
    """Threads for one inference session: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _torch_encoder(cfg: EncoderConfig) -> Encoder:
    """The torch encoder `cfg` describes (merged adapter included): tokenizer, version, HF model."""
    from models.encoder import Encoder

    return Encoder.from_config(cfg.model_copy(update={"backend": "torch"}))
