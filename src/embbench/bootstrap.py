"""Seeded bootstrap confidence intervals of a task's main score over its items.

The resamples are the rows of one (rounds x n) matrix of item indices drawn with replacement from a seeded
generator, made in chunks of whole rows (the same stream as one draw per round), so memory stays bounded for
millions of items. A statistic may be computed for a whole chunk at once (vectorised) or one resample at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

ROUNDS = 1000
CHUNK_ELEMENTS = 1 << 23  # indices per chunk of resamples (64 MiB)


def resamples(n_items: int, rounds: int = ROUNDS, seed: int = 0) -> Iterator[np.ndarray]:
    """Chunks of the (rounds x n_items) matrix of resampled indices, in order."""
    rng = np.random.default_rng(seed)
    per_chunk = max(1, CHUNK_ELEMENTS // max(n_items, 1))
    for start in range(0, rounds, per_chunk):
        yield rng.integers(0, n_items, (min(per_chunk, rounds - start), n_items))


def percentile_interval(values: np.ndarray, rounds: int = ROUNDS) -> list[float] | None:
    """The 2.5th and 97.5th percentiles of the finite values; None when fewer than half the rounds gave one."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) < rounds / 2:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return [float(low), float(high)]


def bootstrap_ci(
    statistic: Callable[[np.ndarray], float | None], n_items: int, rounds: int = ROUNDS, seed: int = 0
) -> list[float] | None:
    """Interval of ``statistic(sample)``, one resample (an index array) at a time; undefined values are dropped."""
    return vectorised_ci(
        lambda chunk: np.array([np.nan if (v := statistic(rows)) is None else v for rows in chunk], dtype=float),
        n_items, rounds, seed,
    )  # fmt: skip


def vectorised_ci(
    statistics: Callable[[np.ndarray], np.ndarray], n_items: int, rounds: int = ROUNDS, seed: int = 0
) -> list[float] | None:
    """Interval of ``statistics(chunk)``, which maps a (k x n) chunk of resamples to k values (NaN: undefined)."""
    if n_items < 2:
        return None
    return percentile_interval(
        np.concatenate([statistics(chunk) for chunk in resamples(n_items, rounds, seed)]), rounds
    )


def rowwise_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of x with the same row of y (NaN where a row is constant)."""
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    denominator = np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (x * y).sum(axis=1) / denominator, np.nan)


def rowwise_spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman correlation per row: Pearson of average ranks (scipy's definition, ties included)."""
    from scipy.stats import rankdata

    return rowwise_pearson(rankdata(x, axis=1), rankdata(y, axis=1))
