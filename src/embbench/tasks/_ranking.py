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


def ranking_measures(ranked: np.ndarray, ideal: np.ndarray, cutoffs: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Per query (rows), the measures of its ranking at each cutoff, as pytrec_eval computes them: ``ndcg_at_k``
    (``ndcg_cut.k``), ``map_at_k`` (``map_cut.k``), ``recall_at_k``, ``precision_at_k`` (``P.k``, over k even when
    fewer documents were retrieved), and ``mrr_at_10``.

    ``ranked`` holds the relevance of each retrieved document, best first (0 past the end); ``ideal`` each query's
    relevance judgements sorted from the highest (0 past the end)."""
    depth = max(max(cutoffs), 10)
    ranked = _padded(ranked, depth)
    ideal = _padded(ideal, depth)
    hits = ranked > 0
    relevant = np.maximum((ideal > 0).sum(axis=1), 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision_at_rank = np.cumsum(hits, axis=1) / np.arange(1, depth + 1)
        gains = np.clip(ranked, 0, None) / np.log2(np.arange(2, depth + 2))
        ideal_gains = np.clip(ideal, 0, None) / np.log2(np.arange(2, depth + 2))
        out: dict[str, np.ndarray] = {}
        for k in cutoffs:
            best = ideal_gains[:, :k].sum(axis=1)
            out[f"ndcg_at_{k}"] = np.where(best > 0, gains[:, :k].sum(axis=1) / best, 0.0)
            found = hits[:, :k].sum(axis=1)
            out[f"map_at_{k}"] = np.where(relevant > 0, (precision_at_rank[:, :k] * hits[:, :k]).sum(axis=1) / relevant,
                                          0.0)  # fmt: skip
            out[f"recall_at_{k}"] = np.where(relevant > 0, found / relevant, 0.0)
            out[f"precision_at_{k}"] = found / k
    first = np.where(hits[:, :10].any(axis=1), hits[:, :10].argmax(axis=1) + 1, 0)
    out["mrr_at_10"] = np.where(first > 0, 1.0 / np.maximum(first, 1), 0.0)
    return out


def _padded(matrix: np.ndarray, width: int) -> np.ndarray:
    """The first ``width`` columns of ``matrix`` as floats, with zero columns added where it is narrower."""
    matrix = np.asarray(matrix, dtype=np.float64)[:, :width]
    return np.pad(matrix, ((0, 0), (0, width - matrix.shape[1])))
