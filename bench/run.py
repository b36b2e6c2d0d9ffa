"""The benchmark suite: one command, one table, ratios against baselines measured in the same run.

    python -m bench.run            # full sizes (a few minutes on an idle 2-core machine)
    python -m bench.run --quick    # tiny sizes (a smoke test; numbers are not meaningful)
    python -m bench.run --sections analyze,dask --backends torch,onnx-int8
    python -m bench.run --sections analyze --backends torch,onnx-int8:128 --eval-rows 3000   # name:max_length
    python -m bench.run --sections analyze --backends torch,torch/heads-only   # without the text views

Sections: analyze (encoder + every head via ``Analyzer.predict`` per encoder backend, against a
roberta-base-sized sentiment pipeline; each in its own process for peak memory; agreement with torch
fp32 and points lost on held-out rows), mining (emulator, demo corpus), topics (10k/50k/100k), report
(a 100k-mention week) and dask (encoding on 1 vs 2 workers). See bench/README.md for results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench import sections
from bench.analyze import BASELINE, EVAL_TASKS

SECTIONS = ("analyze", "mining", "topics", "report", "dask")
BACKENDS = ("torch", "onnx", "onnx-int8", "torch-bf16", "openvino")
# the backend the topics and dask sections encode with: the fastest accurate one measured here
FAST_PREFERENCE = ("openvino", "onnx-int8")
COLUMNS = ("section", "case", "value", "unit", "ratio", "peak_mb", "note")


@dataclass(frozen=True)
class Sizes:
    """How much work each section does."""

    analyze: int
    baseline: int
    eval_rows: int
    topics: tuple[int, ...]
    topic_pool: int
    report: int
    dask: int


FULL = Sizes(analyze=2000, baseline=160, eval_rows=600, topics=(10_000, 50_000, 100_000), topic_pool=3000,
             report=100_000, dask=2000)  # fmt: skip
QUICK = Sizes(analyze=48, baseline=8, eval_rows=40, topics=(300, 600), topic_pool=200, report=1000, dask=48)


def run_child(backend: str, n: int, eval_rows: int, workdir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Measure one analyze backend in a fresh process; return its JSON result and its arrays."""
    out = workdir / f"analyze-{backend.replace('/', '_')}.json"
    cmd = [sys.executable, "-m", "bench.analyze", "--backend", backend, "--n", str(n), "--eval", str(eval_rows),
           "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy(), check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"backend": backend, "error": tail[0][:120]}, {}
    arrays = dict(np.load(out.with_suffix(".npz"))) if out.with_suffix(".npz").exists() else {}
    return json.loads(out.read_text()), arrays


def head_metric(task: str, labels: np.ndarray, predicted: np.ndarray) -> float:
    """The head's headline metric in points: sentiment macro recall, complaint macro-F1, how-to F1."""
    from sklearn.metrics import f1_score, recall_score

    if task == "sentiment":
        return 100 * recall_score(labels, predicted, average="macro", zero_division=0)
    if task == "complaint":
        return 100 * f1_score(labels, predicted.astype(int), average="macro", zero_division=0)
    return 100 * f1_score(labels, predicted.astype(int), zero_division=0)


def compare(arrays: dict[str, Any], reference: dict[str, Any]) -> str:
    """Agreement with torch fp32 (%), points lost per head on held-out rows, embedding cosine."""
    if not arrays or not reference:
        return ""
    agree = [100 * np.mean(arrays[t] == reference[t]) for t in EVAL_TASKS]
    lost = [
        head_metric(t, reference[f"label_{t}"], reference[f"eval_{t}"])
        - head_metric(t, arrays[f"label_{t}"], arrays[f"eval_{t}"])
        for t in EVAL_TASKS
    ]
    cos = (arrays["embeddings"] * reference["embeddings"]).sum(1)
    return (
        "agree s/c/h " + "/".join(f"{a:.1f}" for a in agree) + "%; pts lost s/c/h "
        + "/".join(f"{v:+.2f}" for v in lost) + f"; cos mean {cos.mean():.4f} min {cos.min():.3f}"
    )  # fmt: skip


def analyze(backends: list[str], sizes: Sizes, workdir: Path) -> list[dict[str, Any]]:
    """Rows of the analyze section: the baseline first, then each backend with its ratio."""
    before, _ = run_child(BASELINE, sizes.baseline, 0, workdir)
    results = {b: run_child(b, sizes.analyze, sizes.eval_rows, workdir) for b in backends}
    after, _ = run_child(BASELINE, sizes.baseline, 0, workdir)  # load drifts: bracket the backends
    base = _mean_baseline(before, after)
    rows = [_analyze_row(base, "roberta-base random weights, sentiment only (baseline)", None, base["note"])]
    ref_name = next((b for b in results if b.partition(":")[0] == "torch"), None)  # torch or torch:<len>
    reference = results[ref_name][1] if ref_name else {}
    for backend, (result, arrays) in results.items():
        note = "reference" if backend == ref_name else compare(arrays, reference)
        rows.append(_analyze_row(result, f"{backend}: encoder + all heads", base.get("per_s"), note))
    return rows


def _mean_baseline(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The baseline measured before and after the backends: mean throughput, larger peak memory."""
    runs = [r for r in (before, after) if "error" not in r]
    if not runs:
        return {**before, "note": ""}
    per_s = [r["per_s"] for r in runs]
    note = "before/after " + "/".join(f"{v:.2f}" for v in per_s) + f" per s, {runs[0]['n']} texts"
    return {**runs[0], "per_s": float(np.mean(per_s)), "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "note": note}  # fmt: skip


def _analyze_row(result: dict[str, Any], case: str, baseline: float | None, note: str) -> dict[str, Any]:
    if "error" in result:
        return sections.row("analyze", case, None, "mentions/s", note=f"failed: {result['error']}")
    per_s = result["per_s"]
    ratio = per_s / baseline if baseline else None
    return sections.row(
        "analyze", case, per_s, "mentions/s", ratio=ratio, memory_mb=result["peak_rss_mb"],
        note=note or f"{result['n']} texts",
    )  # fmt: skip


def run(selected: list[str], backends: list[str], sizes: Sizes) -> list[dict[str, Any]]:
    """Run the selected sections in order; return all rows (a section that fails gives one row)."""
    workdir = sections.scratch_dir()
    names = [b.partition(":")[0] for b in backends]
    fast = next((b for b in FAST_PREFERENCE if b in names), names[0])
    plan = {
        "analyze": lambda: analyze(backends, sizes, workdir),
        "mining": lambda: sections.mining(workdir),
        "topics": lambda: sections.topics(
            list(sizes.topics), *sections.real_embeddings(sizes.topic_pool, fast)
        ),
        "report": lambda: sections.report(sizes.report, workdir),
        "dask": lambda: sections.dask_encoding(sections.real_texts(sizes.dask, seed=2), fast),
    }
    rows: list[dict[str, Any]] = []
    for name in (s for s in SECTIONS if s in selected):
        try:
            rows += plan[name]()
        except Exception as exc:  # noqa: BLE001  (one broken section must not hide the others)
            rows += sections.skipped(name, f"failed: {type(exc).__name__}: {str(exc)[:100]}")
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def render(rows: list[dict[str, Any]]) -> str:
    """The rows as one plain-text table with the COLUMNS header."""
    cells = [[_cell(r.get("memory_mb" if c == "peak_mb" else c)) for c in COLUMNS] for r in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(COLUMNS)]
    line = lambda values: " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(COLUMNS), "-+-".join("-" * w for w in widths), *(line(r) for r in cells)])


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run, print the table (and the machine load it ran under)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--eval-rows", type=int, help="held-out rows per head (default: the sizes')")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    load_before = os.getloadavg()
    sizes = QUICK if args.quick else FULL
    if args.eval_rows:
        sizes = replace(sizes, eval_rows=args.eval_rows)
    rows = run(args.sections.split(","), args.backends.split(","), sizes)
    load_after = os.getloadavg()
    print(f"# ugcminer bench ({'quick' if args.quick else 'full'}); {os.cpu_count()} CPUs; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after (1 min)")  # fmt: skip
    print(render(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=float), encoding="utf-8")


if __name__ == "__main__":
    main()
