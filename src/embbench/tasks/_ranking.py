"""Ranking measures of one query, as trec_eval (and so pytrec_eval, which MTEB and BEIR use) computes them.

Documents are ranked by decreasing score; equal scores are ordered by decreasing document id, as trec_eval orders
them. Relevance is graded (0 = not relevant): nDCG's gain is the relevance itself, AP and reciprocal rank count
every relevance above 0.
"""

from __future__ import annotations

import numpy as np


def trec_order(scores: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The documents' ranking: decreasing score, ties by decreasing id (string order)."""
    _, id_rank = np.unique(ids.astype(str), return_inverse=True)
    return np.lexsort((-id_rank, -scores))


def average_precision(ranked: np.ndarray, relevant: int) -> float:
    """AP of a ranking (the relevance of each ranked document) over ``relevant`` relevant documents in all."""
    hits = ranked > 0
    if not relevant:
        return 0.0
    precision = np.cumsum(hits) / np.arange(1, len(ranked) + 1)
    return float(precision[hits].sum() / relevant)


def reciprocal_rank(ranked: np.ndarray, k: int | None = None) -> float:
    """1 / the rank of the first relevant document among the first ``k`` (all when None); 0 when none is."""
    hits = np.flatnonzero(ranked[:k] > 0)
    return float(1.0 / (hits[0] + 1)) if len(hits) else 0.0


def ndcg(ranked: np.ndarray, relevances: np.ndarray, k: int) -> float:
    """nDCG@k with the relevance as the gain and log2(rank + 1) discount; the ideal ranking is that of all the
    query's relevance judgements."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = np.asarray(ranked[:k], dtype=np.float64)
    ideal = np.sort(np.asarray(relevances, dtype=np.float64)[relevances > 0])[::-1][:k]
    best = float(ideal @ discounts[: len(ideal)])
    return float(np.clip(gains, 0, None) @ discounts[: len(gains)]) / best if best > 0 else 0.0
