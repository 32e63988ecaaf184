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


def multiplicities(resamples: np.ndarray, n_items: int) -> np.ndarray:
    """(k x n_items) how many times each item was drawn in each row of a (k x m) matrix of resampled indices."""
    k = len(resamples)
    flat = (resamples + (np.arange(k) * n_items)[:, None]).ravel()
    return np.bincount(flat, minlength=k * n_items).reshape(k, n_items).astype(np.float64)


def resampled_ranks(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The average rank (scipy's, ties included) each item would have in each resample, from its multiplicities:
    the items drawn before its group of equal values plus half the group; no resample is sorted."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new_group = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.empty(len(values), dtype=np.int64)
    group[order] = np.cumsum(new_group) - 1
    ends = np.r_[np.flatnonzero(new_group)[1:], len(values)] - 1  # last position of each group of ties
    through = np.cumsum(counts[:, order], axis=1)[:, ends]  # (k x groups) drawn up to the end of each group
    sizes = np.diff(through, axis=1, prepend=0)
    return (through - sizes + (sizes + 1) / 2)[:, group]


def resampled_spearman(x: np.ndarray, y: np.ndarray, resamples: np.ndarray) -> np.ndarray:
    """Spearman correlation of x and y on each row of ``resamples`` (indices into them; NaN where a side is
    constant): the Pearson correlation of average ranks weighted by how often each item was drawn, which is
    scipy's ``spearmanr`` of ``x[row], y[row]`` computed without sorting any resample."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    counts = multiplicities(resamples, len(x))
    drawn = counts.sum(axis=1, keepdims=True)
    rx, ry = resampled_ranks(x, counts), resampled_ranks(y, counts)
    rx -= (counts * rx).sum(axis=1, keepdims=True) / drawn
    ry -= (counts * ry).sum(axis=1, keepdims=True) / drawn
    covariance = (counts * rx * ry).sum(axis=1)
    denominator = np.sqrt((counts * rx * rx).sum(axis=1) * (counts * ry * ry).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, covariance / denominator, np.nan)
