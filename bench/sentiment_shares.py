"""Sentiment shares: counted labels against labels corrected for known errors (`models.quantify`).

    .venv/bin/python -m bench.sentiment_shares                  # test split + airline tweets
    .venv/bin/python -m bench.sentiment_shares --samples 2000   # more random batches

The weekly report's headline sentiment shares are estimated from the label counts with the confusion
counts the shipped model recorded on its dev split (`dev_confusion` in
`models/weights/sentiment_text_view.json`). This measures, on labelled tweets the model never trained
on, how far each estimate lands from the true share of each class:

* ``test split``: the held-out 15 % of the SemEval 2013-2016 tweets (`models.data`, 7,216 rows);
* ``airline``: the 10,193 airline tweets of ``twitter_airline_sentiment/Tweets_train.csv`` (another
  domain, 62.5 % negative);
* ``mixed priors``: batches drawn from the test split with the negative share set uniformly between 5 %
  and 70 % (the rest split as in the test split), as a brand's weeks differ.

Each row: mean absolute error of the class shares (mean over the three classes, in points) for random
batches of n mentions: counted labels ("counted", the baseline), adjusted classify-and-count
("adjusted"), and what the report shows ("estimate": counted moved towards adjusted by n / (n + 200),
`models.quantify.SHRINK_ROWS`), with the estimate's ratio to the baseline measured in the same run.
Predictions are cached in ``--cache`` by model version.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from models.data import SENTIMENT_LABELS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SIZES = (50, 100, 200, 500, 1000)


def predictions(texts: list[str], cache: Path) -> np.ndarray:
    """The shipped analyzer's sentiment label index per text (cached by model version and texts)."""
    from models.analyzer import load_analyzer

    analyzer = load_analyzer()
    key = hashlib.sha1((analyzer.version + "\x00".join(texts)).encode()).hexdigest()[:16]
    path = cache / f"sentiment_{key}.npy"
    if path.exists():
        return np.load(path)
    labels = analyzer.predict(texts, progress=True).sentiment.argmax(axis=1)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, labels)
    return labels


def test_split() -> tuple[list[str], np.ndarray]:
    """The held-out sentiment tweets and their label ids (negative, neutral, positive)."""
    from models.data import load_task

    texts, labels = load_task("sentiment", SHARED).part("test")
    return list(texts), np.asarray(labels)


def airline() -> tuple[list[str], np.ndarray]:
    """The airline tweets and their label ids."""
    import pandas as pd

    frame = pd.read_csv(SHARED / "twitter_airline_sentiment" / "Tweets_train.csv")
    return frame.text.astype(str).tolist(), frame.airline_sentiment.map(SENTIMENT_LABELS.index).to_numpy()


def errors(truth: np.ndarray, predicted: np.ndarray, batches: list[np.ndarray]) -> tuple[float, ...]:
    """Mean absolute share error (mean over classes) over `batches`: counted, adjusted, estimate."""
    from models.analyzer import load_analyzer

    calibration = load_analyzer().share_calibration("sentiment")
    assert calibration is not None, "the shipped weights carry no dev_confusion"
    out = []
    for rows in batches:
        true = np.bincount(truth[rows], minlength=3) / len(rows)
        labelled = dict(
            zip(SENTIMENT_LABELS, np.bincount(predicted[rows], minlength=3).tolist(), strict=True)
        )
        adjusted, estimate = calibration.adjusted(labelled), calibration.shares(labelled)
        assert adjusted is not None and estimate is not None
        counted = np.asarray([labelled[x] for x in SENTIMENT_LABELS]) / len(rows)
        out.append(
            [
                np.abs(shares - true).mean()
                for shares in (
                    counted,
                    np.asarray([adjusted[x] for x in SENTIMENT_LABELS]),
                    np.asarray([estimate[x] for x in SENTIMENT_LABELS]),
                )
            ]
        )
    return tuple(float(v) for v in np.mean(out, axis=0))


def random_batches(n_rows: int, size: int, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`count` random batches of `size` rows (the whole set once when `size` >= `n_rows`)."""
    if size >= n_rows:
        return [np.arange(n_rows)]
    return [rng.choice(n_rows, size=size, replace=False) for _ in range(count)]


def prior_batches(truth: np.ndarray, size: int, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Batches whose negative share is drawn uniformly from 5-70 %, the rest as in `truth`."""
    pools = [np.flatnonzero(truth == k) for k in range(3)]
    rest = np.asarray([len(pools[1]), len(pools[2])], dtype=float)
    out = []
    for _ in range(count):
        negative = int(round(rng.uniform(0.05, 0.70) * size))
        neutral = int(round((size - negative) * rest[0] / rest.sum()))
        takes = (negative, neutral, size - negative - neutral)
        out.append(
            np.concatenate([rng.choice(p, size=k, replace=True) for p, k in zip(pools, takes, strict=True)])
        )
    return out


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500, help="random batches per size")
    parser.add_argument(
        "--cache", type=Path, default=Path.home() / ".cache" / "ugcminer" / "sentiment_shares"
    )
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(
        f"{'set':<14}{'n':>7}{'true neg':>10}{'counted':>9}{'adjusted':>10}{'estimate':>10}{'ratio':>7}"
        "   (mean share error, points; ratio = estimate / counted)"
    )
    for name, load in (("test split", test_split), ("airline", airline)):
        texts, truth = load()
        predicted = predictions(texts, args.cache)
        sets = [
            (name, size, random_batches(len(texts), size, args.samples, rng)) for size in (*SIZES, len(texts))
        ]
        if name == "test split":
            sets += [("mixed priors", size, prior_batches(truth, size, args.samples, rng)) for size in SIZES]
        for label, size, batches in sets:
            counted, adjusted, estimate = errors(truth, predicted, batches)
            negative = float(np.mean([np.mean(truth[b] == 0) for b in batches]))
            print(
                f"{label:<14}{size:>7}{negative:>10.1%}{counted * 100:>9.2f}{adjusted * 100:>10.2f}"
                f"{estimate * 100:>10.2f}{estimate / counted:>7.2f}"
            )


if __name__ == "__main__":
    main()
