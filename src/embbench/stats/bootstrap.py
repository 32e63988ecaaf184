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


def multiplicities(resamples: np.ndarray, n_items: int) -> np.ndarray:
    """(n_items x k) float counts: how often each item was drawn in each of the k rows of a chunk of resamples,
    so a statistic that sums over items becomes a matrix product."""
    rows = len(resamples)
    drawn = (resamples * rows + np.arange(rows)[:, None]).ravel()
    return np.bincount(drawn, minlength=n_items * rows).reshape(n_items, rows).astype(np.float64)


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


def sorted_groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The items in order of value (stable) and the sorted positions where each group of equal values starts,
    ending with the number of items."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return order, np.r_[starts, len(values)]


class SpearmanResamples:
    """Spearman correlation of x and y on rows of resampled indices, which is scipy's ``spearmanr`` of
    ``x[row], y[row]``: both sides are sorted once, and each resample costs three compiled passes over its
    multiplicities (the average rank of an item is the number drawn before its group of equal values plus
    half the group), with the rows spread over the cores."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y
        x_order, x_starts = sorted_groups(x)
        y_order, y_starts = sorted_groups(y)
        x_position = np.empty_like(x_order)
        x_position[x_order] = np.arange(len(x_order))
        self.arrays = (x_order, x_starts, x_position[y_order], y_starts)

    def __call__(self, resamples: np.ndarray) -> np.ndarray:
        """One correlation per row of ``resamples`` (NaN where a side is constant)."""
        import numba

        from embbench.stats.kernels import spearman_rows

        return spearman_rows(np.ascontiguousarray(resamples, dtype=np.int64), *self.arrays, numba.get_num_threads())


_last: list[SpearmanResamples] = []


def resampled_spearman(x: np.ndarray, y: np.ndarray, resamples: np.ndarray) -> np.ndarray:
    """Spearman correlation of x and y on each row of ``resamples`` (indices into them; NaN where a side is
    constant). Consecutive calls with equal x and y (the chunks of one interval) reuse their sorts."""
    x, y = np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)
    if not (_last and np.array_equal(_last[0].x, x) and np.array_equal(_last[0].y, y)):
        _last[:] = [SpearmanResamples(x, y)]
    return _last[0](resamples)
