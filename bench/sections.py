"""Benchmark sections besides analyze: mining, topics, report, Dask encoding. Each returns table rows.

A row is ``{"section", "case", "value", "unit", "ratio", "memory_mb", "note"}``; a section whose API
is not available returns one row with the note ``skipped: not available``.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib.util
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from bench.texts import real_texts

Row = dict[str, Any]


def row(section: str, case: str, value: float | None, unit: str, **extra: Any) -> Row:
    """One table row."""
    return {"section": section, "case": case, "value": value, "unit": unit, "ratio": None, "memory_mb": None,
            "note": "", **extra}  # fmt: skip


def skipped(section: str, why: str = "skipped: not available") -> list[Row]:
    """The single row of a section that could not run."""
    return [row(section, "-", None, "", note=why)]


def available(module: str) -> bool:
    """Whether `module` can be imported (another engineer's API may not exist yet)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class PeakMemory:
    """Peak RSS of this process while the `with` block runs (sampled every 20 ms), in MiB."""

    def __enter__(self) -> PeakMemory:
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def mb(self) -> float:
        """The peak in MiB."""
        return self.peak / 2**20


def mining(workdir: Path) -> list[Row]:
    """Mine the demo brand from the emulator on the demo corpus into a fresh SQLite store."""
    if not (available("miners.runner") and available("ugcminer.demo")):
        return skipped("mining")
    from miners.runner import mine_brand
    from store.db import Store
    from ugcminer.demo import DEMO_BRAND, demo_config

    (workdir / "mining").mkdir(parents=True, exist_ok=True)
    config = demo_config(workdir / "mining")
    store = Store(config.store_url())
    try:
        start = time.perf_counter()
        summary = mine_brand(config, config.brand(DEMO_BRAND), store, sleep=lambda _s: None)
        seconds = time.perf_counter() - start
        mentions = store.count_mentions()
    finally:
        store.close()
    totals = summary["totals"]
    per100 = 100 / max(1, mentions)
    note = f"{mentions} mentions in {seconds:.1f}s; status {summary['status']}"
    return [
        row("mining", "emulator, demo corpus", mentions / seconds, "mentions/s", note=note),
        row("mining", "API calls per 100 mentions", totals["calls"] * per100, "calls"),
        row("mining", "YouTube quota per 100 mentions", totals["quota_units"] * per100, "units"),
    ]


def noisy_embeddings(base: np.ndarray, n: int, seed: int = 0, sigma: float = 0.02) -> np.ndarray:
    """`n` rows drawn from `base` (real embeddings) with small noise, re-normalised (no exact duplicates)."""
    rng = np.random.default_rng(seed)
    rows = base[rng.integers(0, len(base), n)] + rng.normal(0, sigma, (n, base.shape[1])).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def topics(sizes: list[int], texts: list[str], embeddings: np.ndarray) -> list[Row]:
    """``models.topics.fit_topics`` time and peak memory at each size (texts repeated, embeddings jittered)."""
    if not available("models.topics"):
        return skipped("topics")
    from models.topics import fit_topics

    out = []
    for n in sizes:
        idx = np.arange(n) % len(texts)
        docs = [texts[i] for i in idx]
        emb = noisy_embeddings(embeddings, n, seed=n)
        with PeakMemory() as mem:
            start = time.perf_counter()
            result = fit_topics(docs, emb, terms=["Google"])
            seconds = time.perf_counter() - start
        found = len(getattr(result, "topics", {}) or {})
        del result, docs, emb  # a real run holds one fit: the previous size's model must not count
        gc.collect()
        out.append(row("topics", f"fit_topics n={n}", seconds, "s", memory_mb=mem.mb, note=f"{found} topics"))
    return out


def dask_encoding(texts: list[str], backend: str, workers: tuple[int, ...] = (1, 2)) -> list[Row]:
    """Encode `texts` on a LocalCluster of 1 and 2 single-threaded workers (encoders warmed first)."""
    from distributed import Client, LocalCluster

    from models.parallel import encode_chunk, encode_on_client, local_cluster_kwargs, worker_encoder_config
    from ugcminer.config import EncoderConfig, ScaleConfig

    out: list[Row] = []
    for n_workers in workers:
        scale = ScaleConfig(task_runner="dask", n_workers=n_workers, threads_per_worker=1)
        cfg = worker_encoder_config(EncoderConfig(backend=backend), scale)
        with LocalCluster(**local_cluster_kwargs(scale)) as cluster, Client(cluster) as client:
            client.run(encode_chunk, ["warm-up"], cfg)  # every worker loads its encoder
            chunk = max(32, len(texts) // (4 * n_workers))
            start = time.perf_counter()
            encode_on_client(client, texts, cfg, chunk)
            seconds = time.perf_counter() - start
        out.append(row("dask", f"encode {backend}, {n_workers} worker(s)", len(texts) / seconds, "texts/s"))
    if len(out) == 2 and out[0]["value"]:
        out[1]["ratio"] = out[1]["value"] / out[0]["value"]
        out[1]["note"] = "ratio vs 1 worker"
    return out


def report(n: int, workdir: Path) -> list[Row]:
    """Write a weekly report for a week of `n` stored mentions (demo mentions cloned into one week)."""
    if not (available("reports.build") and available("ugcminer.demo")):
        return skipped("report")
    from miners.runner import mine_brand
    from reports.build import generate_report
    from store.db import Store
    from ugcminer.demo import DEMO_AS_OF, DEMO_BRAND, demo_config

    (workdir / "report").mkdir(parents=True, exist_ok=True)
    config = demo_config(workdir / "report")
    store = Store(config.store_url())
    try:
        mine_brand(config, config.brand(DEMO_BRAND), store, sleep=lambda _s: None)
        week_start = _fill_week(store, DEMO_BRAND, DEMO_AS_OF, n)
        with PeakMemory() as mem:
            start = time.perf_counter()
            generate_report(config, DEMO_BRAND, as_of=DEMO_AS_OF.isoformat(), store=store)
            seconds = time.perf_counter() - start
    finally:
        store.close()
    note = f"week of {week_start:%Y-%m-%d}: insight (topics, how-to, KB) + render; embeddings stored"
    return [row("report", f"generate_report, {n} mentions", seconds, "s", memory_mb=mem.mb, note=note)]


def _fill_week(store: Any, brand: str, as_of: Any, n: int) -> Any:
    """Clone the store's mentions into the week before `as_of` until it holds `n`; add analyses rows."""
    from datetime import UTC, datetime

    from store.db import content_hash

    start = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) - timedelta(days=7 + as_of.weekday())
    base = [m for m in store.mentions(brand) if m.text]
    encoder = _fast_encoder()
    vectors = encoder.encode([m.full_text for m in base])
    rng = np.random.default_rng(0)
    labels = ("negative", "neutral", "positive")
    now = datetime.now(UTC)
    for lo in range(0, n, 5000):
        batch, analyses = [], []
        for i in range(lo, min(n, lo + 5000)):
            m = base[i % len(base)]
            when = start + timedelta(seconds=int(rng.integers(0, 7 * 86400)))
            clone = dataclasses.replace(
                m, id=f"{m.id}-b{i}", native_id=f"{m.native_id}-b{i}", created_at=when
            )
            batch.append(clone)
            p = rng.dirichlet((1, 1, 1))
            analyses.append({
                "mention_id": clone.id, "model_version": "bench", "content_hash": content_hash(m.title, m.text),
                "sentiment": labels[int(p.argmax())], "sentiment_negative": p[0], "sentiment_neutral": p[1],
                "sentiment_positive": p[2], "complaint": bool(p[0] > 0.5), "complaint_score": float(p[0]),
                "howto": bool(i % 7 == 0), "howto_score": float(i % 7 == 0), "analyzed_at": now,
            })  # fmt: skip
        store.upsert_mentions(batch)
        store.put_analyses(analyses)
        hashes = [
            (c.id, content_hash(c.title, c.text), vectors[i % len(base)]) for i, c in enumerate(batch, lo)
        ]
        store.put_embeddings(hashes, encoder.version)  # stored once, as the analyze flow would have
    return start


def _fast_encoder() -> Any:
    """The int8 ONNX encoder (same version as the torch one, so stored vectors are reused)."""
    from models.encoder import load_encoder
    from ugcminer.config import EncoderConfig

    return load_encoder(EncoderConfig(backend="onnx-int8"))


def real_embeddings(n: int, backend: str) -> tuple[list[str], np.ndarray]:
    """`n` real texts and their embeddings (the pool that topic sizes repeat)."""
    from models.encoder import load_encoder
    from ugcminer.config import EncoderConfig

    texts = real_texts(n, seed=1)
    return texts, load_encoder(EncoderConfig(backend=backend)).encode(texts)


def scratch_dir() -> Path:
    """A temporary folder for stores and reports."""
    return Path(tempfile.mkdtemp(prefix="ugcminer-bench-"))
