"""What the tasks scored by a rank correlation with human scores share (word similarity, STS): the correlations,
the per-item rank gap, the checks that make a correlation defined, and the score recomputed from items."""

from __future__ import annotations

import numpy as np

from embbench.contract import Items
from embbench.errors import SkipTask
from embbench.stats.bootstrap import resampled_spearman

MIN_PAIRS = 3


def correlations(gold: list[float], predicted: list[float]) -> dict[str, float | None]:
    """Spearman and Pearson; None when undefined (fewer than two pairs, or a constant side)."""
    from scipy import stats

    if len(gold) < 2 or len(set(predicted)) < 2 or len(set(gold)) < 2:
        return {"spearman": None, "pearson": None}
    return {
        "spearman": float(stats.spearmanr(gold, predicted).statistic),
        "pearson": float(stats.pearsonr(gold, predicted).statistic),
    }


def rank_gap(gold: np.ndarray, predicted: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """|rank of the human score - rank of the cosine| / number of covered pairs (NaN where not covered)."""
    from scipy import stats

    gap = np.full(len(gold), np.nan)
    if covered.any():
        ranks = stats.rankdata(gold[covered]) - stats.rankdata(predicted[covered])
        gap[covered] = np.abs(ranks) / covered.sum()
    return gap


def require_rank_correlation(gold: np.ndarray, predicted: np.ndarray, covered: np.ndarray) -> None:
    """Skip (saying why) unless a rank correlation over the covered pairs is defined and informative: at least
    ``MIN_PAIRS`` pairs, and neither side constant."""
    counts = len(gold), int(covered.sum())
    if covered.sum() < MIN_PAIRS:
        raise SkipTask(f"{int(covered.sum())} of {len(gold)} pairs covered; a rank correlation needs at least"
                       f" {MIN_PAIRS} (with 2 it is always +1 or -1)", *counts)  # fmt: skip
    for side, values in (("cosine", predicted[covered]), ("human score", gold[covered])):
        if np.ptp(values) == 0:
            raise SkipTask(f"all {int(covered.sum())} covered pairs have the same {side} ({values[0]:.4g}), so a"
                           " rank correlation is undefined", *counts)  # fmt: skip


class GoldSpearman:
    """The main score recomputed from items: the Spearman correlation of the ``score_column`` with ``gold``."""

    score_column: str | None

    def score_items(self, items: Items) -> float | None:
        return correlations(list(items["gold"]), list(items[self.score_column]))["spearman"]

    def score_resamples(self, items: Items, resamples: np.ndarray) -> np.ndarray:
        return resampled_spearman(items["gold"], items[self.score_column], resamples)
