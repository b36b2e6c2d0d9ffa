"""Encoding fan-out: the task runner chosen by config, and a real 2-worker Dask LocalCluster."""

from __future__ import annotations

import numpy as np
import pytest

from bench.texts import real_texts
from models.parallel import (
    chunks,
    encode_on_client,
    encode_parallel,
    local_cluster_kwargs,
    task_runner_for,
    worker_encoder_config,
)
from ugcminer.config import EncoderConfig, ScaleConfig


def test_task_runner_for__thread_by_default() -> None:
    from prefect.task_runners import ThreadPoolTaskRunner

    runner = task_runner_for(ScaleConfig())
    assert isinstance(runner, ThreadPoolTaskRunner) and runner._max_workers == 2


def test_task_runner_for__dask_local_cluster_and_address() -> None:
    from prefect_dask import DaskTaskRunner

    local = task_runner_for(ScaleConfig(task_runner="dask", n_workers=3))
    assert isinstance(local, DaskTaskRunner) and local.address is None
    assert local.cluster_kwargs["n_workers"] == 3 and local.cluster_kwargs["processes"] is True
    remote = task_runner_for(ScaleConfig(task_runner="dask", dask_address="tcp://10.0.0.5:8786"))
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.5:8786"


def test_worker_encoder_config__threads_follow_the_worker() -> None:
    scale = ScaleConfig(threads_per_worker=3)
    assert worker_encoder_config(EncoderConfig(), scale).threads == 3
    assert worker_encoder_config(EncoderConfig(threads=1), scale).threads == 1


def test_chunks__cover_every_text_in_order() -> None:
    texts = [str(i) for i in range(10)]
    parts = chunks(texts, 4)
    assert [len(p) for p in parts] == [4, 4, 2] and sum(parts, []) == texts
    assert chunks([], 4) == []


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return real_texts(120)


@pytest.fixture(scope="module")
def in_process(texts) -> np.ndarray:
    from models.encoder import load_encoder

    return load_encoder(EncoderConfig(threads=1)).encode(texts)


@pytest.mark.slow
def test_encode_on_client__two_workers_match_in_process(texts, in_process) -> None:
    from distributed import Client, LocalCluster

    scale = ScaleConfig(task_runner="dask", n_workers=2)
    with LocalCluster(**local_cluster_kwargs(scale)) as cluster, Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        vectors = encode_on_client(
            client, texts, worker_encoder_config(EncoderConfig(), scale), chunk_size=30
        )
        busy = client.run(lambda: __import__("models.encoder").encoder._cached.cache_info().currsize)
    assert sorted(busy.values()) == [1, 1]  # both workers loaded the encoder and encoded chunks
    assert vectors.shape == in_process.shape and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, in_process, atol=1e-4)


@pytest.mark.slow
def test_encode_parallel__dask_task_runner_matches_in_process(prefect_harness, texts, in_process) -> None:
    scale = ScaleConfig(task_runner="dask", n_workers=2, chunk_size=40)
    vectors = encode_parallel(texts, EncoderConfig(), scale)
    np.testing.assert_allclose(vectors, in_process, atol=1e-4)


@pytest.mark.slow
def test_encode_parallel__thread_runner_and_empty_input(prefect_harness, texts, in_process) -> None:
    scale = ScaleConfig(chunk_size=50)
    np.testing.assert_allclose(encode_parallel(texts, EncoderConfig(), scale), in_process, atol=1e-4)
    assert encode_parallel([], EncoderConfig(), scale).shape == (0, in_process.shape[1])


def test_fanned_out__dask_config_wraps_the_encoder_keeping_its_version() -> None:
    from models.parallel import FannedOutEncoder, fanned_out
    from ugcminer.config import EncoderConfig, ScaleConfig

    class _Enc:
        version, dim = "enc@1", 4

    enc = _Enc()
    assert fanned_out(enc, EncoderConfig(), ScaleConfig()) is enc
    wrapped = fanned_out(enc, EncoderConfig(), ScaleConfig(task_runner="dask", n_workers=2))
    assert isinstance(wrapped, FannedOutEncoder)
    assert (wrapped.version, wrapped.dim) == ("enc@1", 4)
