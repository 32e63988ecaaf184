"""Seeded bootstrap confidence intervals of a task's main score over its items."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ROUNDS = 1000


def bootstrap_ci(
    statistic: Callable[[np.ndarray], float | None], n_items: int, rounds: int = ROUNDS, seed: int = 0
) -> list[float] | None:
    """The 2.5th and 97.5th percentiles of ``statistic(sample)`` over ``rounds`` resamples of item indices.

    ``statistic`` gets an index array drawn with replacement from ``range(n_items)``; resamples where it is
    undefined (None or NaN) are dropped. Returns None when fewer than half of the resamples give a value.
    """
    if n_items < 2:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(rounds):
        value = statistic(rng.integers(0, n_items, n_items))
        if value is not None and np.isfinite(value):
            values.append(value)
    if len(values) < rounds / 2:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return [float(low), float(high)]
