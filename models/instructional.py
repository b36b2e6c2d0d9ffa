"""Which texts are instructional content: how-to scores for posts, videos and `ugcminer classify`.

The how-to head learned from rule-labelled data (r/howto and r/lifehacks posts against other
subreddits' posts with how-to words left out), and the title rule (`models.howto.structure_parts`)
trusts words such as "fix", "guide" or "how to". On 518 posts and videos of the 24-subreddit dump and
the YouTube set, labelled by two AI annotators (`models/labelled/instructional_posts.csv`, see its
guidelines), the head alone was right 63 % of the time (recall 64 %) and head-or-title 60 % (recall
83 %): "[REQUEST] how to keep mosquitos away?", "Dear Facebook: please learn how to design Android
apps", "Hitchhiker's Guide reference found in FCC filing", a photo of a DIY key organiser. On the demo,
such items reached the leaderboard and the draft outlines of "what to do next". A second draw of 400
(`instructional_posts_2.csv`) first served as a held-out test and now also trains the model (918 rows).

This model reads what the analyzer already has, the shared embedding, the how-to head's logit and the
text's form (`models.howto.form_features`; a text's first line is its title, the rest its body), so
no second encoder pass: a logistic regression fitted on all 918 rows, each weighted back to its
sampling stratum's share of the candidates its draw sampled. Repeated stratified k-fold gives
out-of-fold precision and recall per threshold; the shipped operating point is the highest threshold
keeping recall >= 0.7 (`InstructionalPolicy`; 0.65: P 0.87 / R 0.73), moved onto the how-to head's
threshold by a bias shift. The analyzer gives its probability as the how-to score of the rows in
`howto_form` (posts and videos in the analyze flow, where comments keep the head and the rule; every
row of `ugcminer classify`/`evaluate`), its version carries the model's and the form patterns' digest
(`VERSION_TAG`), and the how-to ranking judges those posts and videos by the stored score and flag
alone (`models.howto.rank_howto(judged=...)`).

Files (no pickles): ``instructional.safetensors`` (``instructional.weight`` (1, dim + 7),
``instructional.bias``) and ``instructional.json`` (threshold, encoder version, how-to head digest,
training data, scores). ``ugcminer train`` refits it for the encoder and how-to head it writes; a model
fitted for other weights is refused (a warning; the how-to head scores every row) until it is fitted
again: ``python -m models.instructional`` (about 15 s on this CPU; repeatable on one machine).
"""

from __future__ import annotations

import argparse
import csv
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from models.encoder import WEIGHTS_DIR
from models.heads import LinearHead, balanced_logistic, head_digest, read_head_files, save_heads
from models.howto import form_digest, form_features

FILES = ("instructional.safetensors", "instructional.json")
LABELLED = tuple(
    Path(__file__).resolve().parent / "labelled" / name
    for name in ("instructional_posts.csv", "instructional_posts_2.csv")
)  # two draws from the candidates (see models/README.md); each row is weighted within its own draw
TASK = "instructional"
PROBABILITY_FLOOR = 1e-4
VERSION_TAG = "+instructional="  # in the analyzer's version when posts' how-to scores come from this model
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstructionalPolicy:
    """How the model is fitted (recorded in instructional.json)."""

    c: float = 1.0  # logistic regression inverse regularisation (CV on 518 rows: 0.3-10 within 0.02 F1)
    # the operating point, shaped like the how-to target (precision first at recall >= 0.7): the highest
    # threshold on this grid whose out-of-fold recall stays >= min_recall (0.65: P 0.87, R 0.73; at the
    # class-balanced 0.5: P 0.81, R 0.80); the bias is then shifted so that it sits on the how-to head's
    # threshold, and one threshold (``models.howto``'s) serves both
    min_recall: float = 0.7
    grid: tuple[float, ...] = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
    folds: int = 5
    repeats: int = 3
    seed: int = 13


def features(embeddings: np.ndarray, head: Sequence[float], items: Sequence[Any]) -> np.ndarray:
    """The model's input: the embedding, the how-to head's logit (scaled by 1/4) and the item's form."""
    p = np.clip(np.asarray(head, dtype=np.float64), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    logit = (np.log(p / (1 - p)) / 4).reshape(-1, 1)
    form = np.array([form_features(m) for m in items], dtype=np.float64).reshape(len(items), -1)
    return np.hstack([np.asarray(embeddings, dtype=np.float64), logit, form]).astype(np.float32)


@dataclass(frozen=True)
class InstructionalModel:
    """The fitted model and its metadata."""

    head: LinearHead
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def encoder_version(self) -> str:
        """The encoder weights (``Encoder.weights_version``) whose embeddings it reads."""
        return str(self.meta.get("encoder_version", ""))

    @property
    def digest(self) -> str:
        """Content hash of the weights and of the form patterns (``howto.form_digest``): stored results
        re-score when either changes.
        """
        return head_digest(self.head) + form_digest()

    @property
    def howto_digest(self) -> str:
        """The ``HeadSet.digest("howto")`` of the how-to head whose logit it reads."""
        return str(self.meta.get("howto_digest", ""))

    def probabilities(
        self, embeddings: np.ndarray, head: Sequence[float], items: Sequence[Any]
    ) -> np.ndarray:
        """Probability that each item (a post or video with its embedding and how-to head score) is
        instructional content.
        """
        if not len(items):
            return np.zeros(0, dtype=np.float32)
        return self.head.predict_proba(features(embeddings, head, items))


def load_instructional(folder: Path = WEIGHTS_DIR) -> InstructionalModel | None:
    """The model saved in `folder`, or None when it has none."""
    meta_path, tensor_path = folder / FILES[1], folder / FILES[0]
    if not meta_path.exists() and not tensor_path.exists():
        return None
    document, heads = read_head_files(
        meta_path, tensor_path, "instructional model files", "`python -m models.instructional`"
    )
    return InstructionalModel(heads[TASK], document)


def instructional_for(
    cfg: Any, encoder: Any, heads: Any, folder: Path = WEIGHTS_DIR
) -> InstructionalModel | None:
    """The model in `folder` when `cfg` (``ModelsConfig``) turns it on, the how-to head is the built-in
    one it was fitted on (`heads`: the ``HeadSet`` in use) and `encoder` makes the embeddings it was
    fitted on; else None (the how-to head decides, and a model fitted for other weights is named in a
    warning).
    """
    if not cfg.instructional or cfg.howto.backend != "builtin" or heads is None or "howto" not in heads.heads:
        return None
    model = load_instructional(folder)
    if model is None:
        return None
    found = (getattr(encoder, "weights_version", None), heads.digest("howto"))
    if found != (model.encoder_version, model.howto_digest):
        log.warning(
            "%s: the instructional model was fitted for encoder %s and how-to head %s, not %s and %s: "
            "every row gets the how-to head's score; refit it with `ugcminer train --mode instructional "
            "--out %s` (or `python -m models.instructional`)",
            folder, model.encoder_version, model.howto_digest, *found, folder,
        )  # fmt: skip
        return None
    return model


def post_item(text: str) -> SimpleNamespace:
    """A post or video as the analyzer gets it (``Mention.full_text``: the title, a line break, the
    body), split back into title and body for the form features.
    """
    title, _, body = text.partition("\n")
    return SimpleNamespace(title=title.strip(), text=body.strip(), extra={})


def reads_form(model_version: str | None) -> bool:
    """Whether an analysis by `model_version` scored posts and videos with this model."""
    return VERSION_TAG in (model_version or "")


@dataclass(frozen=True)
class Labelled:
    """The labelled posts and videos."""

    items: list[Any]  # title, text (the first 1,000 characters of the body), extra
    label: np.ndarray  # 1 = instructional
    weight: np.ndarray  # stratum size / rows drawn from it

    @property
    def texts(self) -> list[str]:
        """What the analyzer reads for each row (``Mention.full_text``)."""
        return [f"{m.title}\n{m.text}" if m.text else m.title for m in self.items]


def load_labelled(paths: Path | Sequence[Path] = LABELLED) -> Labelled:
    """Read the labelled CSVs (columns title, body, instructional, stratum, stratum_size); each row is
    weighted by its stratum's size over the rows its file drew from that stratum.
    """
    items: list[Any] = []
    labels: list[int] = []
    weights: list[float] = []
    for path in [paths] if isinstance(paths, Path) else paths:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        drawn = Counter(r["stratum"] for r in rows)
        items += [SimpleNamespace(title=r["title"], text=r["body"], extra={}) for r in rows]
        labels += [int(r["instructional"] == "true") for r in rows]
        weights += [int(r["stratum_size"]) / drawn[r["stratum"]] for r in rows]
    return Labelled(items, np.array(labels, dtype=int), np.array(weights, dtype=np.float64))


def weighted_scores(pred: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of `pred` on the positive class, each row counted with its weight."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f1, _ = precision_recall_fscore_support(
        y, np.asarray(pred, dtype=int), average="binary", sample_weight=w, zero_division=0
    )
    return {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f1), 4)}


def fit_instructional(
    x: np.ndarray, data: Labelled, align_to: float = 0.5, policy: InstructionalPolicy = InstructionalPolicy()
) -> tuple[LinearHead, dict[str, Any]]:
    """Fit on all rows; out-of-fold scores from repeated stratified k-fold choose the operating point
    (`InstructionalPolicy`), which the bias shift moves onto probability `align_to`.
    """
    from sklearn.model_selection import StratifiedKFold

    y, w = data.label, data.weight
    oof = np.zeros(len(y))
    for repeat in range(policy.repeats):
        folds = StratifiedKFold(policy.folds, shuffle=True, random_state=policy.seed + repeat)
        for train, test in folds.split(x, y):
            oof[test] += balanced_logistic(x[train], y[train], policy.c, w[train]).predict_proba(x[test])[
                :, 1
            ]
    oof /= policy.repeats
    by_threshold = {t: weighted_scores(oof >= t, y, w) for t in policy.grid}
    chosen = max(
        [t for t, r in by_threshold.items() if r["recall"] >= policy.min_recall] or [min(policy.grid)]
    )
    model = balanced_logistic(x, y, policy.c, w)
    shift = float(np.log(align_to / (1 - align_to)) - np.log(chosen / (1 - chosen)))
    head = LinearHead(
        TASK, model.coef_.astype(np.float32), (model.intercept_ + shift).astype(np.float32), "sigmoid",
        ("no", "yes"), align_to,
    )  # fmt: skip
    report = {
        "policy": asdict(policy),
        "chosen_threshold": chosen,
        "aligned_to_threshold": align_to,
        "out_of_fold": by_threshold[chosen],
        "out_of_fold_by_threshold": {str(t): r for t, r in by_threshold.items()},
        "rows": int(len(y)),
        "positives": int(y.sum()),
    }
    return head, report


def baseline_scores(data: Labelled, head: np.ndarray) -> dict[str, float]:
    """The rule it replaces (`models.howto.is_instructional`) on the same rows and weights."""
    from models.howto import is_instructional

    pred = np.array([is_instructional(m, float(p)) for m, p in zip(data.items, head, strict=True)])
    return weighted_scores(pred, data.label, data.weight)


def fit_and_save(
    out: Path,
    *,
    threads: int | None = None,
    labelled: Path | Sequence[Path] = LABELLED,
    weights: Path | None = None,
    encoder: Any = None,
    test: Path | None = None,
) -> dict[str, Any]:
    """Embed the labelled rows as the analyzer does, fit, and write the two files to `out`. The encoder
    and how-to head are the shipped ones, or those in `weights` (``ugcminer train`` passes the folder it
    just wrote, and `encoder`, the adapted encoder it trained, reading 128 tokens as the analyzer does).
    With `test` (a labelled CSV kept out of `labelled`), the report also scores the fitted model, the
    how-to head and the rule there.
    """
    import torch

    from models.encoder import load_encoder, weights_encoder
    from models.heads import load_heads
    from ugcminer.config import EncoderConfig

    if threads:
        torch.set_num_threads(threads)
    paths = [labelled] if isinstance(labelled, Path) else list(labelled)
    data = load_labelled(paths)
    folder = weights or WEIGHTS_DIR
    if encoder is None:  # as the analyzer reads texts (128 tokens): the shipped encoder, or `weights`'
        max_length = EncoderConfig().max_length
        encoder = load_encoder() if weights is None else weights_encoder(weights, max_length=max_length)
    heads = load_heads(folder)

    def read(rows: Labelled) -> tuple[np.ndarray, np.ndarray]:  # features and the how-to head's own score
        embeddings = encoder.encode(rows.texts)
        howto = heads.predict_proba("howto", embeddings, rows.texts)
        return features(embeddings, howto, rows.items), howto

    x, howto = read(data)
    head, report = fit_instructional(x, data, align_to=float(heads["howto"].threshold or 0.5))
    if test is not None:
        held_out = load_labelled(test)
        x_test, howto_test = read(held_out)
        report["test"] = {
            "data": test.name,
            "model": weighted_scores(
                head.predict_proba(x_test) >= head.threshold, held_out.label, held_out.weight
            ),
            "howto_head": weighted_scores(
                howto_test >= heads["howto"].threshold, held_out.label, held_out.weight
            ),
            "rule_before": baseline_scores(held_out, howto_test),
        }
    meta = {
        "command": "python -m models.instructional",
        "encoder_version": encoder.weights_version,
        "howto_digest": heads.digest("howto"),
        "features": "embedding, how-to head logit / 4, how-to title, title asks, >= 2 listed steps, no body, "
        "tip words in the title, body asks",
        "training_data": f"{', '.join(p.name for p in paths)}: {report['rows']} labelled posts and videos, "
        f"{report['positives']} instructional (models/labelled/GUIDELINES_instructional.md)",
        "report": {**report, "rule_before": baseline_scores(data, howto)},
    }
    save_heads(out, {TASK: head}, meta, files=FILES)
    return meta


def main(argv: Sequence[str] | None = None) -> None:
    """Fit and write the model (``python -m models.instructional [--out DIR]``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="folder for the two files")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--labelled", type=Path, action="append", help="labelled CSV to fit on (repeat; default: both draws)"
    )
    parser.add_argument("--test", type=Path, default=None, help="labelled CSV to score the fitted model on")
    args = parser.parse_args(argv)
    meta = fit_and_save(args.out, threads=args.threads, labelled=args.labelled or LABELLED, test=args.test)
    report = meta["report"]
    print(f"out-of-fold: {report['out_of_fold']}; the rule before: {report['rule_before']}")
    if "test" in report:
        print(f"held out ({args.test}): {report['test']}")


if __name__ == "__main__":
    main()
