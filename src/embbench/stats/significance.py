"""Paired significance tests between two providers on the items both scored, and Holm's correction.

Each test is one-sided: the p-value of "the other provider is worse than the best" (in the task's direction).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats


def williams_test(r_gold_best: float, r_gold_other: float, r_best_other: float, n: int) -> tuple[float, float]:
    """Williams' t for two dependent correlations sharing one variable (Steiger 1980, eq. 7), df = n - 3.

    ``r_gold_best`` and ``r_gold_other`` correlate the human scores with each model, ``r_best_other`` the two
    models with each other; returns (t, one-sided p that the first correlation is not larger)."""
    if n <= 3:
        return math.nan, math.nan
    determinant = 1 - r_gold_best**2 - r_gold_other**2 - r_best_other**2 + 2 * r_gold_best * r_gold_other * r_best_other
    mean = (r_gold_best + r_gold_other) / 2
    denominator = 2 * (n - 1) / (n - 3) * determinant + mean**2 * (1 - r_best_other) ** 3
    if denominator <= 0:
        return math.nan, math.nan
    t = (r_gold_best - r_gold_other) * math.sqrt((n - 1) * (1 + r_best_other) / denominator)
    return t, float(stats.t.sf(t, n - 3))


def spearman_williams(gold: np.ndarray, best: np.ndarray, other: np.ndarray) -> float:
    """Williams' test on Spearman correlations (Pearson of ranks) of two models' similarities with the gold."""
    ranks = [stats.rankdata(values) for values in (gold, best, other)]
    r = np.corrcoef(ranks)
    return williams_test(r[0, 1], r[0, 2], r[1, 2], len(gold))[1]


def paired_t(best: np.ndarray, other: np.ndarray, higher: bool) -> float:
    """The paired t-test on per-item scores (scipy's ``ttest_rel``), one-sided: that ``other`` is worse. Equal
    differences throughout (no spread) give 0 when the best is ahead, 1 when it is not."""
    differences = (best - other) if higher else (other - best)
    if np.ptp(differences) <= 1e-12 * max(1.0, float(np.abs(differences).max())):  # no spread beyond rounding
        return 0.0 if differences[0] > 0 else 1.0
    return float(stats.ttest_rel(best, other, alternative="greater" if higher else "less").pvalue)


def mcnemar_exact(best_correct: np.ndarray, other_correct: np.ndarray) -> float:
    """Exact McNemar: among the items the two disagree on, the chance of the best being right on at least as
    many under a fair coin (one-sided binomial test)."""
    best_only = int(np.sum(best_correct & ~other_correct))
    other_only = int(np.sum(~best_correct & other_correct))
    if best_only + other_only == 0:
        return 1.0
    return float(stats.binom.sf(best_only - 1, best_only + other_only, 0.5))


def paired_bootstrap(best: np.ndarray, other: np.ndarray, best_is_higher: bool) -> float:
    """One-sided paired bootstrap p: the share of resamples (the same items for both: position r of each array
    scores resample r) in which the other provider does at least as well as the best. NaN rounds are dropped."""
    finite = np.isfinite(best) & np.isfinite(other)
    if not finite.any():
        return math.nan
    difference = best[finite] - other[finite] if best_is_higher else other[finite] - best[finite]
    return float((np.sum(difference <= 0) + 1) / (len(difference) + 1))


def resampled(score: Callable[[np.ndarray], np.ndarray], n: int, rounds: int = 1000, seed: int = 0) -> np.ndarray:
    """``score(chunk)`` (a chunk of resampled item indices to one value per resample) over ``rounds`` resamples."""
    from embbench.stats.bootstrap import resamples

    return np.concatenate([score(chunk) for chunk in resamples(n, rounds, seed)])


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1); NaN stays NaN."""
    valid = [(p, i) for i, p in enumerate(p_values) if not math.isnan(p)]
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(valid)):
        running = max(running, min(1.0, (len(valid) - rank) * p))
        adjusted[i] = running
    return adjusted
