"""One analyze measurement in a fresh process (so peak memory is this backend's alone).

    python -m bench.analyze --backend onnx-int8 --n 2000 --out result.json

Backends: the encoder backends of ``models.encoder.backend`` (full analysis: encoder + every head via
``Analyzer.predict``) and ``roberta-baseline``: a roberta-base-sized ``text-classification`` pipeline
with random weights (``RobertaConfig()``, 125M parameters) doing sentiment alone, tokenised with the
MiniLM tokenizer (its vocabulary fits RoBERTa's embedding table; no downloads).
Writes throughput, peak RSS and the predictions (sentiment/complaint/how-to, and the held-out
evaluation rows) so the parent can compare each backend with torch fp32.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.texts import real_texts

BASELINE = "roberta-baseline"
BASELINE_BATCH = 1  # the pipeline's default: no padding waste on mixed lengths
EVAL_TASKS = ("sentiment", "complaint", "howto")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline_pipeline(max_length: int) -> Any:
    """The roberta-base-sized sentiment pipeline with random weights."""
    import torch
    from transformers import AutoTokenizer, RobertaConfig, RobertaForSequenceClassification, pipeline

    from models.encoder import packaged_model_dir

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(str(packaged_model_dir()))
    config = RobertaConfig(num_labels=3, pad_token_id=tokenizer.pad_token_id)
    model = RobertaForSequenceClassification(config).eval()
    return pipeline("text-classification", model=model, tokenizer=tokenizer, device=-1), max_length


def run_baseline(texts: list[str], max_length: int) -> dict[str, Any]:
    """Throughput of the baseline pipeline on `texts`."""
    pipe, length = baseline_pipeline(max_length)
    pipe(texts[:4], batch_size=4, truncation=True, max_length=length)  # warm-up
    start = time.perf_counter()
    pipe(texts, batch_size=BASELINE_BATCH, truncation=True, max_length=length)
    return {"seconds": time.perf_counter() - start, "n": len(texts)}


def heldout_rows(limit: int) -> dict[str, tuple[list[str], np.ndarray]]:
    """Up to `limit` held-out (test split) rows per head task, as ``models.data`` splits them."""
    from models.data import load_task

    out = {}
    for task in EVAL_TASKS:
        texts, labels = load_task(task).part("test")
        out[task] = (texts[:limit], labels[:limit])
    return out


HEADS_ONLY = "/heads-only"


def split_spec(spec: str) -> tuple[str, int | None]:
    """``"onnx-int8:128"`` -> ("onnx-int8", 128); a bare backend keeps the config's max_length."""
    name, _, length = spec.partition(":")
    return name, int(length) if length else None


def run_analyzer(spec: str, texts: list[str], eval_limit: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Throughput of `Analyzer.predict` with backend `spec` (``name[:max_length][/heads-only]``), plus
    predictions. ``/heads-only`` leaves out the heads' text views (``models.text_view``): their cost.
    """
    from dataclasses import replace

    from models.analyzer import Analyzer
    from ugcminer.config import EncoderConfig, ModelsConfig

    backend, length = split_spec(spec.removesuffix(HEADS_ONLY))
    encoder = EncoderConfig(backend=backend, **({"max_length": length} if length else {}))
    analyzer = Analyzer.from_config(ModelsConfig(encoder=encoder))
    if spec.endswith(HEADS_ONLY) and analyzer.heads is not None:
        analyzer.heads = replace(analyzer.heads, text_views={})
    analyzer.predict(texts[:8])  # warm-up (first session run allocates)
    start = time.perf_counter()
    preds = analyzer.predict(texts)
    seconds = time.perf_counter() - start
    arrays: dict[str, Any] = {
        "embeddings": preds.embeddings,
        "sentiment": preds.sentiment.argmax(1),
        "complaint": preds.flags("complaint"),
        "howto": preds.flags("howto"),
    }
    for task, (rows, labels) in heldout_rows(eval_limit).items():
        held = analyzer.predict(rows)
        arrays[f"eval_{task}"] = held.sentiment.argmax(1) if task == "sentiment" else held.flags(task)
        arrays[f"label_{task}"] = labels
    return {"seconds": seconds, "n": len(texts)}, arrays


def main(argv: list[str] | None = None) -> None:
    """Measure one backend; write JSON (and an .npz of predictions) to --out."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", required=True, help="an encoder backend, optionally :max_length")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--eval", type=int, default=1000, help="held-out rows per head")
    parser.add_argument("--max-length", type=int, default=256, help="the baseline's truncation")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    texts = real_texts(args.n)
    out = Path(args.out)
    if args.backend == BASELINE:
        result = run_baseline(texts, args.max_length)
    else:
        result, arrays = run_analyzer(args.backend, texts, args.eval)
        np.savez(out.with_suffix(".npz"), **arrays)
    result.update(backend=args.backend, peak_rss_mb=peak_rss_mb(), per_s=result["n"] / result["seconds"])
    out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
