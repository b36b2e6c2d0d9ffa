"""Class shares of a batch from its predicted labels, corrected for the classifier's known errors.

The sentiment labels are tuned for macro-averaged recall, which favours the rarer classes, so counting
them misstates how many mentions are negative: on the held-out tweets (15.1 % negative) 24.8 % are
labelled negative, on airline tweets (62.5 % negative) 57.9 %. Adjusted classify-and-count (Forman
2008) inverts the confusion rates measured on the dev split: with ``R[i, j] = P(label j | class i)``
the label shares are ``q = R^T p``; the class shares ``p`` are the non-negative solution summing to one
closest to it (least squares). That removes the bias but adds noise in small batches, so the estimate
moves from the counted shares towards the adjusted ones with the batch size n, by ``n / (n +
SHRINK_ROWS)``. `python -m bench.sentiment_shares` measures all three on held-out data (mean share
error over the three classes): against counting, the estimate's is 8 % lower at 50 mentions and 37 %
lower at 200 on the held-out tweets, 4 % higher at 50 and 5 % lower at 200 on the airline tweets
(another domain), 3 % higher at 50 and 19 % lower at 200 on held-out batches with negative shares
between 5 and 70 %, and lower in every set from 200 mentions on (SHRINK_ROWS chosen from 100 / 200 /
400 on these sets: 100 was better on the held-out tweets and worse on the airline tweets). The rates
are the tweets' dev split's; Reddit posts are labelled by the post heads (``models.post_heads``), whose
rates are their out-of-fold confusion on the labelled posts, stored under `calibration_key(version,
posts=True)` and applied to the posts' labels alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

SUM_WEIGHT = 100.0  # how hard the least-squares solve holds the shares to summing to one
SHRINK_ROWS = 200.0  # batch size at which the estimate sits halfway between counted and adjusted


POSTS_KEY = "#posts"


def calibration_key(version: str, posts: bool) -> str:
    """Where a model version's confusion counts are stored: posts and videos (read by the post heads,
    ``models.post_heads``) have their own, when the version has post heads.
    """
    return f"{version}{POSTS_KEY}" if posts else version


def format_shares(shares: Mapping[str, float]) -> str:
    """Like "negative 45.6%, neutral 38.0%, positive 16.4%" (in the mapping's order)."""
    return ", ".join(f"{label} {share:.1%}" for label, share in shares.items())


@dataclass(frozen=True)
class ShareCalibration:
    """A classifier's confusion counts on a labelled split (rows: true class, columns: label given)."""

    labels: tuple[str, ...]
    confusion: np.ndarray  # (k, k) counts

    @classmethod
    def from_json(cls, labels: Sequence[str], confusion: Sequence[Sequence[float]]) -> ShareCalibration:
        """Check and build one from JSON-ready values (a ValueError names what is wrong)."""
        matrix = np.asarray(confusion, dtype=float)
        k = len(labels)
        if matrix.shape != (k, k) or (matrix < 0).any() or (matrix.sum(axis=1) <= 0).any():
            raise ValueError(f"confusion must be {k}x{k} non-negative counts with every row used")
        return cls(tuple(labels), matrix)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready labels and confusion counts."""
        return {"labels": list(self.labels), "confusion": self.confusion.tolist()}

    @property
    def rates(self) -> np.ndarray:
        """``P(label j | true class i)``: the confusion rows normalised."""
        return self.confusion / self.confusion.sum(axis=1, keepdims=True)

    def adjusted(self, counts: Mapping[str, float]) -> dict[str, float] | None:
        """Adjusted classify-and-count: the class shares whose expected label shares are closest to
        those counted (None for an empty batch).
        """
        from scipy.optimize import nnls

        observed = np.asarray([float(counts.get(label, 0)) for label in self.labels])
        total = observed.sum()
        if total <= 0:
            return None
        k = len(self.labels)
        system = np.vstack([self.rates.T, np.full((1, k), SUM_WEIGHT)])
        target = np.concatenate([observed / total, [SUM_WEIGHT]])
        solution, _ = nnls(system, target)
        solution = solution / solution.sum() if solution.sum() > 0 else observed / total
        return {label: float(v) for label, v in zip(self.labels, solution, strict=True)}

    def shares(self, counts: Mapping[str, float]) -> dict[str, float] | None:
        """Estimated class shares of a batch whose labels were counted as `counts`: counted shares moved
        towards the adjusted ones by ``n / (n + SHRINK_ROWS)`` (None for an empty batch).
        """
        adjusted = self.adjusted(counts)
        if adjusted is None:
            return None
        total = float(sum(counts.get(label, 0) for label in self.labels))
        weight = total / (total + SHRINK_ROWS)
        return {
            label: (1 - weight) * float(counts.get(label, 0)) / total + weight * adjusted[label]
            for label in self.labels
        }

    def counts(self, counts: Mapping[str, float]) -> dict[str, float]:
        """Estimated class counts of a batch whose labels were counted as `counts` (see `shares`)."""
        total = float(sum(counts.get(label, 0) for label in self.labels))
        shares = self.shares(counts)
        return {label: (shares[label] * total if shares else 0.0) for label in self.labels}
