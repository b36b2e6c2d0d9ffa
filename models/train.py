"""Reproducible training of the encoder adapter and the heads, from ``../shared/data``.

Modes (``--mode``; ``score`` measures the shipped weights):

* ``adapter`` (default): LoRA adapters on every linear layer of the BERT encoder, trained jointly with
  the sentiment, complaint and how-to heads (multi-task), plus a distillation term keeping the adapted
  embedding close (cosine) to the frozen model's so topics and KB matching keep working. Writes
  ``encoder_adapter.safetensors``, ``heads.safetensors``, ``heads.json``, ``metrics.json`` and the
  sentiment text view (``sentiment_text_view.safetensors``/``.json``).
* ``heads``: logistic-regression heads on the current encoder's embeddings (frozen baseline).
* ``complaint-refit``: keeps the adapter and the other heads, refits only the complaint head as a
  logistic regression on the current adapted embeddings of train + dev (:func:`refit_complaint`).
* ``text-view``: keeps adapter and heads, fits the sentiment head's word/character n-gram view
  (``models.text_view``) and adds it to the weights folder (:func:`add_text_views`).
* ``post-heads``: keeps adapter, heads and views, fits the sentiment and complaint heads for forum posts
  on the labelled Reddit posts (``models.post_heads``) and adds them to the weights folder
  (:func:`add_post_heads`). The ``adapter``, ``heads`` and ``text-view`` modes refit them too (they read
  the sentiment head and view); the ``adapter`` and ``heads`` modes also refit the instructional model
  (``models.instructional``: it reads the how-to head and the embedding).

Then, on the dev split: sentiment logit offsets maximising macro recall, complaint threshold maximising
macro-F1, how-to threshold for precision >= 0.93; the sentiment head's n-gram text view is fitted on the
train split and joined to the head on dev (``TrainPolicy.text_view_tasks``). Scores on the held-out test split go into the metadata.
Runs without installing the project: ``PYTHONPATH=. python -m models.train --device cuda --out DIR``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from models import lora
from models.data import Dataset, data_dir, load_task
from models.encoder import (
    PACKAGED_MODEL,
    WEIGHTS_DIR,
    Encoder,
    base_digest,
    resolve_model_path,
    weights_encoder,
)
from models.heads import META_FILE, LinearHead, fit_logistic, head_digest, save_heads
from models.scoring import banking77_few_shot, calibrate, classification_scores, score_heads
from models.text_view import TextView, fit_text_view, save_text_view
from ugcminer.config import EncoderConfig
from ugcminer.errors import ModelError

TASKS = ("sentiment", "complaint", "howto")
BASE_NAME = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class TrainPolicy:
    """Hyper-parameters of one training run (recorded in heads.json)."""

    rank: int = 16
    alpha: float = 32.0
    lora_dropout: float = 0.1
    epochs: float = 3.0
    lr: float = 4e-4
    head_lr: float = 3e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    batch: tuple[tuple[str, int], ...] = (("sentiment", 32), ("complaint", 8), ("howto", 16))
    task_weight: tuple[tuple[str, float], ...] = (("sentiment", 1.0), ("complaint", 0.5), ("howto", 0.5))
    distill: float = 1.0
    max_length: int = 128
    head_scale: float = 16.0
    evals: int = 6
    seed: int = 13
    lr_c: tuple[float, ...] = (0.5, 2.0, 8.0)
    howto_precision: float = 0.93
    text_view_tasks: tuple[str, ...] = ("sentiment",)  # softmax heads joined with an n-gram view


def load_sets(tasks: tuple[str, ...], root: Path, limit: int | None = None) -> dict[str, Dataset]:
    """The datasets of `tasks`; `limit` keeps a deterministic subset of each split (for quick runs)."""
    sets = {t: load_task(t, root) for t in tasks}
    return {t: _limit(d, limit) for t, d in sets.items()} if limit else sets


def _limit(ds: Dataset, limit: int) -> Dataset:
    keep = np.concatenate([np.flatnonzero(ds.splits == s)[:limit] for s in ("train", "dev", "test")])
    keep.sort()
    return replace(ds, texts=[ds.texts[i] for i in keep], labels=ds.labels[keep], splits=ds.splits[keep])


def fit_heads_frozen(
    encoder: Encoder, sets: dict[str, Dataset], policy: TrainPolicy
) -> dict[str, LinearHead]:
    """Logistic-regression heads on `encoder`'s embeddings; C chosen on dev."""
    from sklearn.metrics import balanced_accuracy_score

    heads = {}
    for task, ds in sets.items():
        (xt, yt), (xd, yd) = ds.part("train"), ds.part("dev")
        et, ed = encoder.encode(xt), encoder.encode(xd)
        best: tuple[float, LinearHead] | None = None
        for c in policy.lr_c:
            head = fit_logistic(task, et, yt, ds.labels_names, c, policy.seed)
            pred = head.logits(ed).argmax(1) if head.kind == "softmax" else (head.logits(ed)[:, 0] > 0)
            score = balanced_accuracy_score(yd, pred)
            if best is None or score > best[0]:
                best = (score, head)
        heads[task] = best[1]  # type: ignore[index]
    return heads


def train(
    *,
    tasks: tuple[str, ...] = TASKS,
    mode: str = "adapter",
    device: str = "cpu",
    out: Path = WEIGHTS_DIR,
    data: Path | None = None,
    base: str = PACKAGED_MODEL,
    base_sha1: str | None = None,
    limit: int | None = None,
    policy: TrainPolicy = TrainPolicy(),
    log: Any = print,
) -> dict[str, Any]:
    """Train, calibrate on dev, score on the held-out test split and write the weight files to `out`."""
    started = time.time()
    root = data_dir(data)
    sets = load_sets(tasks, root, limit)
    model_path = resolve_model_path(base)
    base_sha1 = base_sha1 or base_digest(model_path)
    out.mkdir(parents=True, exist_ok=True)
    adapter_file: Path | None = None
    if mode == "adapter":
        adapter_file = out / "encoder_adapter.safetensors"
        heads, history = lora.train_adapter(sets, policy, model_path, device, adapter_file, base_sha1, log)
    encoder = Encoder(
        model_path, adapter=adapter_file, device=device, max_length=256, name=BASE_NAME, base_sha1=base_sha1
    )
    if mode != "adapter":
        heads, history = fit_heads_frozen(encoder, sets, policy), []
    heads = calibrate(encoder, heads, sets, policy.howto_precision)
    views = fit_text_views(encoder, heads, sets, policy.text_view_tasks)
    scores = score_heads(encoder, heads, sets, views=views)
    few_shot = banking77_few_shot(encoder, root) if limit is None else None
    seconds = round(time.time() - started, 1)
    heads = {t: replace(h, meta={**h.meta, **_head_meta(t, sets[t], scores[t])}) for t, h in heads.items()}
    meta = {
        "format": 1,
        "encoder_version": encoder.version,
        "encoder_adapter": adapter_file.name if adapter_file else None,
        "mode": mode,
        "policy": asdict(policy),
        "preprocessing": "models.preprocess.normalize_text",
        "device": device,
        "train_seconds": seconds,
        "banking77_10shot_nearest_centroid": few_shot,
        "text_views": sorted(views),
    }
    save_heads(out, heads, meta)
    for task, view in views.items():
        save_text_view(out, view, _view_meta(task, heads[task], scores[task]))
    metrics = {
        "encoder_version": encoder.version,
        "mode": mode,
        "device": device,
        "train_seconds": seconds,
        "scores": scores,
        "banking77_10shot_nearest_centroid": few_shot,
        "history": history,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log(json.dumps({k: metrics[k] for k in ("scores", "banking77_10shot_nearest_centroid", "train_seconds")}))
    reader = None  # the base just trained on, reading texts as the analyzer does (only when needed)
    if _fits_post_heads(heads) or "howto" in heads:
        reader = Encoder(
            model_path,
            adapter=adapter_file,
            device=device,
            max_length=EncoderConfig().max_length,
            name=BASE_NAME,
            base_sha1=base_sha1,
        )
    _refresh_dependents(out, heads, device, log, reader)
    return metrics


def _fits_post_heads(heads: dict[str, LinearHead]) -> bool:
    """The post heads need the sentiment head (their input) and a complaint head (their threshold)."""
    return {"sentiment", "complaint"} <= set(heads)


def _refresh_dependents(
    out: Path,
    heads: dict[str, LinearHead],
    device: str,
    log: Any,
    encoder: Encoder | None = None,
    *,
    instructional: bool = True,
) -> None:
    """Refit what reads the heads just written to `out`: the post heads (they read the sentiment head)
    and, with `instructional` (the encoder or how-to head changed), the instructional model (it reads
    the how-to head); remove stale files of either when the heads it needs are missing. `encoder`
    (default: the packaged model with the adapter in `out`) must read texts as the analyzer does (its
    default 128 tokens).
    """
    from models.instructional import FILES as INSTRUCTIONAL_FILES
    from models.instructional import fit_and_save as fit_instructional
    from models.post_heads import POST_HEADS_FILE, POST_META_FILE

    stale = []
    instructional = instructional and "howto" in heads
    if _fits_post_heads(heads) or instructional:
        encoder = encoder or weights_encoder(out, device, EncoderConfig().max_length)
    if _fits_post_heads(heads):
        add_post_heads(weights=out, device=device, log=log, encoder=encoder)
    else:
        stale += [POST_HEADS_FILE, POST_META_FILE]
    if instructional:
        report = fit_instructional(out, weights=out, encoder=encoder)["report"]
        log(json.dumps({"instructional": {k: report[k] for k in ("chosen_threshold", "out_of_fold")}}))
    elif "howto" not in heads:
        stale += list(INSTRUCTIONAL_FILES)
    for name in stale:
        (out / name).unlink(missing_ok=True)


def fit_text_views(
    encoder: Encoder, heads: dict[str, LinearHead], sets: dict[str, Dataset], tasks: tuple[str, ...]
) -> dict[str, TextView]:
    """An n-gram view (``models.text_view``) per softmax head in `tasks`: fitted on the train split,
    joined with the (calibrated) head on the dev split.
    """
    views = {}
    for task in tasks:
        if task not in heads or heads[task].kind != "softmax":
            continue
        dev_texts, dev_labels = sets[task].part("dev")
        dev = (dev_texts, dev_labels, heads[task].logits(encoder.encode(dev_texts)))
        views[task] = fit_text_view(task, heads[task].labels, sets[task].part("train"), dev)
    return views


def add_text_views(
    *, weights: Path = WEIGHTS_DIR, data: Path | None = None, device: str = "cpu", log: Any = print
) -> dict[str, Any]:
    """Fit the text views of `TrainPolicy.text_view_tasks` for the adapter and heads in `weights` and add
    them there (files + ``text_views`` in heads.json); returns the held-out scores with the views.
    """
    from models.heads import load_heads

    started = time.time()
    headset = load_heads(weights)
    tasks = tuple(t for t in TrainPolicy().text_view_tasks if t in headset.heads)
    sets = load_sets(tasks, data_dir(data))
    encoder = weights_encoder(weights, device)
    heads = {t: headset[t] for t in tasks}
    views = fit_text_views(encoder, heads, sets, tasks)
    scores = score_heads(encoder, heads, sets, views=views)
    for task, view in views.items():
        save_text_view(weights, view, _view_meta(task, heads[task], scores[task]))
    document = json.loads((weights / META_FILE).read_text(encoding="utf-8"))
    document["text_views"] = sorted(set(document.get("text_views", [])) | set(views))
    (weights / META_FILE).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    # the post heads read the sentiment view; the how-to head and the encoder are unchanged
    _refresh_dependents(weights, headset.heads, device, log, instructional=False)
    result = {"scores": scores, "fusion": {t: v.fusion for t, v in views.items()}}
    result["seconds"] = round(time.time() - started, 1)
    log(json.dumps(result))
    return result


def add_post_heads(
    *, weights: Path = WEIGHTS_DIR, device: str = "cpu", log: Any = print, encoder: Encoder | None = None
) -> dict[str, Any]:
    """Fit the post heads (``models.post_heads``) for the adapter and heads in `weights` and add them
    there; returns their out-of-fold report. `encoder` (default: the packaged model with the adapter in
    `weights`) must read texts as the analyzer does (its default 128 tokens).
    """
    from models.heads import load_heads
    from models.post_heads import LABELLED_POSTS, fit_post_heads, load_labelled_posts, save_post_heads

    started = time.time()
    headset = load_heads(weights)
    posts = load_labelled_posts()
    if encoder is None:  # read posts as the analyzer does
        encoder = weights_encoder(weights, device, EncoderConfig().max_length)
    embeddings = encoder.encode(posts.texts)
    sentiment = headset.predict_proba("sentiment", embeddings, posts.texts)
    heads, report = fit_post_heads(
        embeddings, sentiment, posts, main_threshold=float(headset["complaint"].threshold or 0.5)
    )
    meta = {
        "encoder_version": headset.encoder_version,
        "sentiment_digest": headset.digest("sentiment"),
        "features": "embedding (max_length 128) + log tweet-sentiment probabilities (head + text view)",
        "training_data": f"{LABELLED_POSTS.relative_to(LABELLED_POSTS.parents[2])} (600 Reddit posts, "
        "two annotators, see models/README.md)",
        "command": "python -m models.train --mode post-heads",
        "sentiment_confusion": report.pop("sentiment_confusion"),
        "report": report,
    }
    save_post_heads(weights, heads, meta)
    report["seconds"] = round(time.time() - started, 1)
    log(json.dumps(report))
    return report


def _view_meta(task: str, head: LinearHead, scores: dict[str, Any]) -> dict[str, Any]:
    return {"training_data": TRAINING_DATA[task], "metrics": scores, "head_digest": head_digest(head)}


def score_weights(
    *,
    weights: Path = WEIGHTS_DIR,
    data: Path | None = None,
    device: str = "cpu",
    out: Path | None = None,
    tasks: tuple[str, ...] = TASKS,
    log: Any = print,
) -> dict[str, Any]:
    """Score the heads in `weights` (with their adapter) on the held-out test split; banking77 few-shot
    for the adapted and the frozen encoder. Writes ``score_<device>.json`` to `out` when given.
    """
    from models.heads import load_heads

    root = data_dir(data)
    headset = load_heads(weights)
    encoder = weights_encoder(weights, device)
    if encoder.version != headset.encoder_version:
        log(f"warning: heads are for {headset.encoder_version}, encoder is {encoder.version}")
    sets = load_sets(tasks, root)
    result: dict[str, Any] = {"encoder_version": encoder.version, "device": device}
    result["scores"] = score_heads(encoder, {t: headset[t] for t in tasks}, sets, views=headset.text_views)
    result["banking77_10shot_nearest_centroid"] = {
        "adapted": banking77_few_shot(encoder, root),
        "frozen": banking77_few_shot(Encoder(PACKAGED_MODEL, adapter=None, device=device), root),
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"score_{device}.json").write_text(
            json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    log(json.dumps(result))
    return result


# complaint refit: the grid searched by dev-fold cross-validation (see refit_complaint)
REFIT_C = (0.03, 0.05, 0.1, 0.2, 0.3, 1.0, 3.0, 10.0)
REFIT_CLASS_WEIGHT = (None, "balanced")
REFIT_REPEATS = 10
REFIT_FOLDS = 5


def refit_complaint(
    *,
    weights: Path = WEIGHTS_DIR,
    out: Path = WEIGHTS_DIR,
    data: Path | None = None,
    device: str = "cpu",
    seed: int = 13,
    repeats: int = REFIT_REPEATS,
    grid: tuple[tuple[float, str | None], ...] | None = None,
    embeddings: np.ndarray | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Refit the complaint head as a logistic regression on the current adapted embeddings.

    The adapter was fine-tuned on the complaint **train** labels, so the train rows' embeddings are
    memorised (any head separates them perfectly); only the dev rows are honest. Hence model selection
    by repeated k-fold over the dev rows, every fold's model fitted on all train rows + the other dev
    folds (:func:`models.heads.dev_fold_cv`): C x class_weight over the grid, plus the current
    (jointly trained) head as a candidate, ranked by nested out-of-fold dev macro-F1. The winner is
    refitted on train + dev; its threshold maximises macro-F1 over the pooled out-of-fold dev logits.
    The test split is scored once, at the end. Writes the heads (only the complaint head changes) and
    updates ``metrics.json`` in `out`. `embeddings` (the complaint dataset's, in its order) skip encoding.
    """
    from sklearn.linear_model import LogisticRegression

    from models.heads import best_macro_f1_threshold, dev_fold_cv, load_heads

    root = data_dir(data)
    headset = load_heads(weights)
    current = headset["complaint"]
    ds = load_task("complaint", root)
    if embeddings is None:
        encoder = weights_encoder(weights, device)
        if encoder.version != headset.encoder_version:
            raise ModelError(f"heads are for {headset.encoder_version}, the encoder is {encoder.version}")
        embeddings = encoder.encode(ds.texts)
    x, y = np.asarray(embeddings, dtype=np.float32), ds.labels
    train_idx, dev_idx, test_idx = (np.flatnonzero(ds.splits == s) for s in ("train", "dev", "test"))

    def fitter(c: float, cw: str | None) -> Any:
        def fit_score(fit_idx: np.ndarray, score_idx: np.ndarray) -> np.ndarray:
            model = LogisticRegression(C=c, class_weight=cw, max_iter=5000).fit(x[fit_idx], y[fit_idx])
            return model.decision_function(x[score_idx])

        return fit_score

    cv_args = {"folds": REFIT_FOLDS, "repeats": repeats, "seed": seed}
    table: dict[str, dict[str, Any]] = {}
    previous_refit = current.meta.get("refit")
    if previous_refit is None:  # the jointly trained head never saw dev: a fair candidate
        joint = current.logits(x)[:, 0]
        table["current"] = dev_fold_cv(lambda _f, s: joint[s], y, train_idx, dev_idx, **cv_args)
    results: dict[str, dict[str, Any]] = {}
    for c, cw in grid or tuple((c, cw) for c in REFIT_C for cw in REFIT_CLASS_WEIGHT):
        name = f"lr C={c:g} class_weight={cw}"
        results[name] = dev_fold_cv(fitter(c, cw), y, train_idx, dev_idx, **cv_args)
        results[name]["params"] = {"C": c, "class_weight": cw}
        log(f"{name}: dev-fold CV macro-F1 {results[name]['macro_f1']}")
    table.update(results)
    best_name = max(results, key=lambda n: results[n]["macro_f1"])
    summary = {n: {k: v for k, v in r.items() if k not in ("oof",)} for n, r in table.items()}
    if previous_refit is not None and "current" in previous_refit.get("cv", {}):
        summary["current"] = {**previous_refit["cv"]["current"], "carried_from_previous_refit": True}
    if "current" in table and table["current"]["macro_f1"] >= results[best_name]["macro_f1"]:
        log(f"the current head wins dev-fold CV ({table['current']['macro_f1']}): nothing changed")
        return {"changed": False, "cv": summary}
    params = results[best_name]["params"]
    fit_idx = np.concatenate([train_idx, dev_idx])
    model = LogisticRegression(C=params["C"], class_weight=params["class_weight"], max_iter=5000)
    model.fit(x[fit_idx], y[fit_idx])
    oof = results[best_name]["oof"]
    logit_threshold = best_macro_f1_threshold(oof.ravel(), np.tile(y[dev_idx], oof.shape[0]))
    threshold = float(1.0 / (1.0 + np.exp(-logit_threshold)))
    head = LinearHead(
        "complaint",
        model.coef_.astype(np.float32),
        model.intercept_.astype(np.float32),
        "sigmoid",
        current.labels,
        threshold,
    )
    scores = _binary_scores(head, x[test_idx], y[test_idx])
    refit_meta = {
        "recipe": (
            "logistic regression on the adapted embeddings of complaint train + dev; C and class_weight "
            f"by {repeats}x repeated {REFIT_FOLDS}-fold CV over the dev rows (each model also fitted on "
            "all train rows), nested out-of-fold macro-F1; threshold maximising macro-F1 over the pooled "
            "out-of-fold dev logits"
        ),
        "command": "python -m models.train --mode complaint-refit",
        "chosen": {**params, "logit_threshold": round(logit_threshold, 6)},
        "seed": seed,
        "cv": summary,
        "replaced_head_test_macro_f1": (current.meta.get("metrics") or {}).get("macro_f1"),
    }
    if previous_refit is not None:
        refit_meta["replaced_head_test_macro_f1"] = previous_refit.get("replaced_head_test_macro_f1")
    meta = {
        **{k: v for k, v in current.meta.items() if k != "refit"},
        "training_data": TRAINING_DATA["complaint"] + "; refit on train + dev",
        "rows": {s: int((ds.splits == s).sum()) for s in ("train", "dev", "test")},
        "metrics": scores,
        "refit": refit_meta,
    }
    heads = {**headset.heads, "complaint": replace(head, meta=meta)}
    save_heads(out, heads, headset.meta)
    for view in headset.text_views.values():  # kept, as the other heads are
        save_text_view(out, view)
    metrics_path = out / "metrics.json"
    source = weights / "metrics.json"
    metrics = json.loads(source.read_text(encoding="utf-8")) if source.exists() else {}
    metrics.setdefault("scores", {})["complaint"] = scores
    metrics["complaint_refit"] = {k: v for k, v in refit_meta.items() if k != "cv"}
    metrics_path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log(json.dumps({"chosen": best_name, "cv": summary[best_name], "test": scores}))
    return {"changed": True, "chosen": best_name, "cv": summary, "test": scores, "head": head}


def _binary_scores(head: LinearHead, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import average_precision_score

    proba = head.predict_proba(x)
    scores = classification_scores(y, (proba >= head.threshold).astype(int), head.labels)
    scores["threshold"] = head.threshold
    scores["average_precision"] = round(float(average_precision_score(y, proba)), 4)
    return scores


def _head_meta(task: str, ds: Dataset, scores: dict[str, Any]) -> dict[str, Any]:
    counts = {s: int((ds.splits == s).sum()) for s in ("train", "dev", "test")}
    return {"training_data": TRAINING_DATA[task], "rows": counts, "metrics": scores}


TRAINING_DATA = {
    "sentiment": "shared/data/sentiment_train/semeval2013-2016_subtaskA_train.jsonl (text_clean, label_id)",
    "complaint": "shared/data/complaints/complaints_train.csv (text, label)",
    "howto": "built by models.data.load_howto from shared/data reddit/youtube/emse files (see models/README.md)",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options of ``python -m models.train``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", action="append", choices=TASKS, help="repeat; default all")
    parser.add_argument(
        "--mode",
        choices=("adapter", "heads", "score", "complaint-refit", "text-view", "post-heads"),
        default="adapter",
        help="score: measure the weights in --weights on the held-out split, train nothing; "
        "complaint-refit: refit only the complaint head on the adapter in --weights (see README); "
        "text-view: fit the n-gram text views for the adapter and heads in --weights and add them there; "
        "post-heads: fit the heads for forum posts on the labelled Reddit posts and add them to --weights",
    )
    parser.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--base", default=PACKAGED_MODEL, help="packaged model, a local folder or hub id")
    parser.add_argument("--base-sha1", default=None, help="digest of the original base weights (see README)")
    parser.add_argument("--limit", type=int, default=None, help="rows per split (quick runs)")
    parser.add_argument("--epochs", type=float, default=None)
    parser.add_argument("--distill", type=float, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--policy", type=json.loads, default=None, help='JSON overrides, e.g. {"rank": 8}')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Entry point of ``python -m models.train``."""
    args = parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    policy = TrainPolicy()
    overrides = {k: getattr(args, k) for k in ("epochs", "distill") if getattr(args, k) is not None}
    for key, value in (args.policy or {}).items():
        overrides[key] = tuple(tuple(v) for v in value) if isinstance(value, list) else value
    policy = replace(policy, **overrides)
    tasks = tuple(args.task) if args.task else TASKS
    if args.mode == "complaint-refit":
        if args.out.resolve() == args.weights.resolve():
            raise ModelError(
                "--mode complaint-refit: pass --out DIR (a folder other than --weights); the shipped "
                "complaint head is kept (the refit scored lower on the held-out split, see models/README.md)"
            )
        return refit_complaint(weights=args.weights, out=args.out, data=args.data, device=args.device)
    if args.mode == "text-view":
        return add_text_views(weights=args.weights, data=args.data, device=args.device)
    if args.mode == "post-heads":
        return add_post_heads(weights=args.weights, device=args.device)
    if args.mode == "score":
        out = None if args.out == WEIGHTS_DIR else args.out
        return score_weights(weights=args.weights, data=args.data, device=args.device, out=out, tasks=tasks)
    return train(
        tasks=tasks,
        mode=args.mode,
        device=args.device,
        out=args.out,
        data=args.data,
        base=args.base,
        base_sha1=args.base_sha1,
        limit=args.limit,
        policy=policy,
    )


if __name__ == "__main__":
    main()
