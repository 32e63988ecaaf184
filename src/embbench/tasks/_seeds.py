"""Tasks with random starts (k-means): one thread for bitwise-equal results, the runs over seeds, and the standard
error of their mean."""

from __future__ import annotations

from typing import Any

import numpy as np


def single_threaded() -> Any:
    """A context in which BLAS and OpenMP use one thread, so k-means gives bitwise the same result everywhere."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def seed_runs(run: Any, seeds: list[int]) -> np.ndarray:
    """(items x seeds) cluster assignments of ``run(seed)``, single-threaded so every machine gets the same."""
    with single_threaded():
        return np.stack([run(seed) for seed in seeds], axis=1)


def seed_error(values: list[float]) -> float:
    """Standard error of the mean over random starts (0 for a single start)."""
    return float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
