"""Fan-out of the encoding and mining steps: Prefect's thread pool on one machine, Dask beyond it.

    runner = task_runner_for(config.scale)                # ThreadPoolTaskRunner or DaskTaskRunner
    mine_flow.with_options(task_runner=runner)(path)      # any flow's tasks run on it
    vectors = encode_parallel(texts, config.models.encoder, config.scale)   # chunks in parallel

Config (``scale:`` in ugcminer.yaml)::

    scale:
      task_runner: dask            # "thread" (default) or "dask"
      dask_address: tcp://scheduler:8786   # an existing cluster; omit for a LocalCluster
      n_workers: 2                 # LocalCluster worker processes
      threads_per_worker: 1        # also the encoder's inference threads in each worker
      chunk_size: 2048             # texts per encoding task

Each worker process loads the encoder once (``models.encoder.load_encoder`` caches it per process)
and encodes whole chunks, so only texts go out and float32 arrays come back. The same chunking works
without Prefect on a plain ``distributed.Client`` (:func:`encode_on_client`), which the benchmark uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from distributed import Client
    from prefect.task_runners import TaskRunner

    from ugcminer.config import EncoderConfig, ScaleConfig


def task_runner_for(scale: ScaleConfig) -> TaskRunner:
    """The Prefect task runner `scale` selects: a thread pool, a LocalCluster or an existing cluster."""
    if scale.task_runner == "thread":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=scale.n_workers)
    from prefect_dask import DaskTaskRunner

    if scale.dask_address:
        return DaskTaskRunner(address=scale.dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster", cluster_kwargs=local_cluster_kwargs(scale)
    )


def local_cluster_kwargs(scale: ScaleConfig) -> dict[str, Any]:
    """Keyword arguments for a ``distributed.LocalCluster`` of `scale.n_workers` worker processes."""
    return {
        "n_workers": scale.n_workers,
        "threads_per_worker": scale.threads_per_worker,
        "processes": True,
        "dashboard_address": None,
    }


def worker_encoder_config(cfg: EncoderConfig, scale: ScaleConfig) -> EncoderConfig:
    """The encoder config a worker uses: inference threads = the worker's threads (no oversubscription)."""
    return cfg.model_copy(update={"threads": cfg.threads or scale.threads_per_worker})


def chunks(texts: Sequence[str], size: int) -> list[list[str]]:
    """`texts` cut into consecutive lists of at most `size`."""
    return [list(texts[i : i + size]) for i in range(0, len(texts), size)]


def encode_chunk(texts: list[str], cfg: EncoderConfig) -> np.ndarray:
    """Encode one chunk with this process's cached encoder for `cfg`."""
    from models.encoder import load_encoder

    return load_encoder(cfg).encode(texts)


def _stack(parts: list[np.ndarray], dim_hint: int = 0) -> np.ndarray:
    if not parts:
        return np.zeros((0, dim_hint), dtype=np.float32)
    return np.concatenate(parts).astype(np.float32, copy=False)


def encode_on_client(client: Client, texts: Sequence[str], cfg: EncoderConfig, chunk_size: int) -> np.ndarray:
    """Encode `texts` in chunks on the workers of a ``distributed.Client`` (no Prefect involved)."""
    parts = client.gather(client.map(encode_chunk, chunks(texts, chunk_size), cfg=cfg, pure=False))
    return _stack(parts)


def encode_parallel(texts: Sequence[str], cfg: EncoderConfig, scale: ScaleConfig) -> np.ndarray:
    """Encode `texts` as Prefect tasks on the runner `scale` selects; rows in input order."""
    if not texts:
        from models.encoder import load_encoder

        return load_encoder(cfg).encode([])
    flow = _encode_flow().with_options(task_runner=task_runner_for(scale))
    return flow(list(texts), worker_encoder_config(cfg, scale), scale.chunk_size)


def _encode_flow() -> Any:
    """The encoding flow (built lazily: importing this module does not import Prefect)."""
    global _FLOW
    if _FLOW is None:
        from prefect import flow, task
        from prefect.cache_policies import NO_CACHE

        chunk_task = task(encode_chunk, name="encode-chunk", cache_policy=NO_CACHE)

        @flow(name="encode", log_prints=False, validate_parameters=False)
        def encode_flow(texts: list[str], cfg: EncoderConfig, chunk_size: int) -> np.ndarray:
            """Submit one task per chunk and stack the results in order."""
            futures = [chunk_task.submit(part, cfg) for part in chunks(texts, chunk_size)]
            return _stack([f.result() for f in futures])

        _FLOW = encode_flow
    return _FLOW


_FLOW: Any = None


class FannedOutEncoder:
    """An encoder whose `encode` fans out over the configured Dask cluster (same version and dim as
    the local encoder, so stored embeddings are shared); used by the analyze flow's one pass.
    """

    def __init__(self, encoder: Any, cfg: EncoderConfig, scale: ScaleConfig) -> None:
        self._encoder, self._cfg, self._scale = encoder, cfg, scale
        self.version = encoder.version
        self.dim = encoder.dim

    def encode(self, texts: Sequence[str], **_: Any) -> np.ndarray:
        """Encode `texts` on the cluster (rows in input order)."""
        return encode_parallel(texts, self._cfg, self._scale)


def fanned_out(encoder: Any, cfg: EncoderConfig, scale: ScaleConfig) -> Any:
    """`encoder` itself, or a Dask fan-out of it when `scale.task_runner` is "dask"."""
    return FannedOutEncoder(encoder, cfg, scale) if scale.task_runner == "dask" else encoder
