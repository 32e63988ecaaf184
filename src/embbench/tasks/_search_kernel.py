"""The compiled (numba) merge of a block of scores into each query's held top k, in trec order (by decreasing
score, equal scores by decreasing document id rank): one pass over the block, which inserts only the few scores
that reach a query's k-th best."""

from __future__ import annotations

import numba
import numpy as np

JIT = {"cache": True, "nogil": True, "parallel": True}


@numba.njit(**JIT)
def merge_block(block: np.ndarray, first_doc: int, id_rank: np.ndarray, docs: np.ndarray, scores: np.ndarray) -> None:
    """Merge ``block`` (queries x documents ``first_doc``...) into the full, trec-ordered ``docs``/``scores``
    (queries x k), in place."""
    k = docs.shape[1]
    for i in numba.prange(block.shape[0]):
        threshold, threshold_rank = scores[i, k - 1], id_rank[docs[i, k - 1]]
        for j in range(block.shape[1]):
            score = block[i, j]
            if score < threshold:
                continue
            rank = id_rank[first_doc + j]
            if score == threshold and rank < threshold_rank:
                continue
            place = k - 1
            while place > 0 and (
                score > scores[i, place - 1] or (score == scores[i, place - 1] and rank > id_rank[docs[i, place - 1]])
            ):
                scores[i, place], docs[i, place] = scores[i, place - 1], docs[i, place - 1]
                place -= 1
            scores[i, place], docs[i, place] = score, first_doc + j
            threshold, threshold_rank = scores[i, k - 1], id_rank[docs[i, k - 1]]
