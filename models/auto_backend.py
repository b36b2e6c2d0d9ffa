"""``models.encoder.backend: auto``: the fastest accurate backend on this host, measured once and cached.

The candidates give the held-out scores of torch fp32 within 0.2 points on every head
(bench/README.md): ``torch``, ``openvino``, and ``torch-bf16`` where the CPU has bf16 instructions.
Which is fastest depends on the CPU more than on anything in this code: on a 2-core AMD EPYC with
AVX-512 BF16, OpenVINO ran 3.6x torch and torch-bf16 2.8x; on an Intel host without AMX both ran
below torch. So ``auto`` times each candidate on the
same bundled texts (demo corpus posts, after a warm-up, best of two) the first time a host needs it,
takes the fastest (another backend must beat torch by `MARGIN`), and records the choice with its
timings in ``$UGCMINER_CACHE_DIR/onnx/auto-backend.json``, keyed by the host (CPU model and flags, CPUs
available, torch and openvino versions) and the encoder settings. Delete the file to measure again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from models.encoder import cpu_has_bf16
from models.onnx_encoder import cache_root, default_threads

if TYPE_CHECKING:
    from ugcminer.config import EncoderConfig

log = logging.getLogger(__name__)

MARGIN = 1.15  # a backend other than torch (the exact reference) must be this much faster
SAMPLE = 256  # demo corpus texts timed per candidate
DEMO_POSTS = (
    Path(__file__).resolve().parents[1]
    / "miners"
    / "emulator"
    / "demo_corpus"
    / "reddit"
    / "submissions.jsonl"
)

Measure = Callable[["EncoderConfig", list[str]], float]


def choice_file() -> Path:
    """Where measured choices are kept."""
    return cache_root() / "auto-backend.json"


def candidates() -> list[str]:
    """The backends `auto` may pick on this CPU."""
    return ["torch", "openvino"] + (["torch-bf16"] if cpu_has_bf16() else [])


def host_key(cfg: EncoderConfig) -> str:
    """What a measured choice depends on: the CPU, the CPUs this process may use, the inference
    libraries' versions and the encoder settings.
    """
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        cpuinfo = ""
    lines = {}
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        lines.setdefault(name.strip(), value.strip())
    versions = {}
    for package in ("torch", "openvino"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    parts = {
        "cpu": lines.get("model name"), "flags": lines.get("flags"), "cpus": default_threads(),
        "versions": versions, "model": cfg.model, "adapter": cfg.adapter, "max_length": cfg.max_length,
        "batch_size": cfg.batch_size, "threads": cfg.threads,
    }  # fmt: skip
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def sample_texts(n: int = SAMPLE) -> list[str]:
    """`n` real texts spread over the bundled demo corpus (post titles and bodies), always the same."""
    texts = []
    with DEMO_POSTS.open(encoding="utf-8") as handle:
        for line in handle:
            data = json.loads(line)["data"]
            text = f"{data.get('title') or ''}\n{data.get('selftext') or ''}".strip()
            if text:
                texts.append(text)
    step = max(1, len(texts) // n)
    return texts[::step][:n]


def measure(cfg: EncoderConfig, texts: list[str]) -> float:
    """Texts per second of the encoder `cfg` describes on `texts` (after a warm-up, best of two); the
    encoder is built for the measurement only (not kept in `load_encoder`'s cache).
    """
    from models.encoder import Encoder

    encoder = Encoder.from_config(cfg)
    encoder.encode(texts[:16])
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        encoder.encode(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def choose(speeds: dict[str, float], margin: float = MARGIN) -> str:
    """The fastest backend of `speeds` (texts/s); torch unless another beats it by `margin`."""
    best = max(speeds, key=lambda b: speeds[b])
    if "torch" in speeds and speeds[best] < margin * speeds["torch"]:
        return "torch"
    return best


def auto_backend(cfg: EncoderConfig, measure: Measure = measure) -> str:
    """The backend `auto` stands for with `cfg` on this host: recorded, else measured and recorded."""
    path = choice_file()
    key = host_key(cfg)
    recorded = _read(path)
    if key in recorded and recorded[key].get("backend") in candidates():
        return recorded[key]["backend"]
    texts = sample_texts()
    speeds: dict[str, float] = {}
    for backend in candidates():
        try:
            speeds[backend] = measure(cfg.model_copy(update={"backend": backend}), texts)
        except Exception as exc:  # noqa: BLE001  (a backend that cannot run here is not a candidate)
            log.warning("auto backend: %s cannot run here (%s: %s)", backend, type(exc).__name__, exc)
    if not speeds:
        return "torch"
    choice = choose(speeds)
    recorded = _read(path)  # another process may have written meanwhile
    recorded[key] = {"backend": choice, "texts_per_s": {b: round(s, 1) for b, s in speeds.items()}}
    _write(path, recorded)
    rates = ", ".join(f"{b} {s:.0f}" for b, s in sorted(speeds.items(), key=lambda kv: -kv[1]))
    log.info("auto backend: %s (texts/s: %s); recorded in %s", choice, rates, path)
    return choice


def _read(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".auto-backend-", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2, sort_keys=True)
    os.replace(tmp, path)
