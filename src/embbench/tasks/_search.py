"""Exact top-k search by inner product, walked in blocks of the corpus (and of the queries), so memory is bounded by
one block of scores, never a queries x corpus matrix. Equal scores are ordered as trec_eval orders them: by
decreasing document id (the rank of each document's id in string order, ``id_rank``)."""

from __future__ import annotations

import numpy as np

BLOCK_ELEMENTS = 1 << 24  # floats in one block of scores: 64 MiB


def _best(rows: np.ndarray, scores: np.ndarray, docs: np.ndarray, id_rank: np.ndarray, n_queries: int, k: int):
    """The first ``k`` candidates of each query row in trec order, as (queries x k) arrays (-1 / -inf: none)."""
    order = np.lexsort((-id_rank[docs], -scores, rows))
    rows, scores, docs = rows[order], scores[order], docs[order]
    starts = np.searchsorted(rows, np.arange(n_queries))
    place = np.arange(len(rows)) - starts[rows]
    keep = place < k
    best_docs = np.full((n_queries, k), -1, dtype=np.int64)
    best_scores = np.full((n_queries, k), -np.inf, dtype=np.float32)
    best_docs[rows[keep], place[keep]] = docs[keep]
    best_scores[rows[keep], place[keep]] = scores[keep]
    return best_docs, best_scores


def top_k(queries: np.ndarray, corpus: np.ndarray, k: int, id_rank: np.ndarray,
          block_elements: int = BLOCK_ELEMENTS) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The ``k`` documents of ``corpus`` with the largest inner product with each query, best first (ties by
    decreasing id), and their scores: (queries x k) arrays, -1 and -inf where the corpus has fewer than k."""
    from embbench.tasks._search_kernel import merge_block  # numba: loaded when a search runs, not at start-up

    n_queries, n_docs = len(queries), len(corpus)
    k = min(k, n_docs)
    query_rows = max(1, min(n_queries, block_elements // max(k, 1024)))
    doc_rows = max(k, block_elements // query_rows)
    docs_out = np.empty((n_queries, k), dtype=np.int64)
    scores_out = np.empty((n_queries, k), dtype=np.float32)
    for q0 in range(0, n_queries, query_rows):
        block_queries = np.ascontiguousarray(queries[q0 : q0 + query_rows], dtype=np.float32)
        m = len(block_queries)
        best_docs = np.full((m, 0), -1, dtype=np.int64)
        best_scores = np.full((m, 0), -np.inf, dtype=np.float32)
        first = min(doc_rows, max(4 * k, 1024))  # a small first block fills each query's top k cheaply
        for d0, d1 in zip([0, *range(first, n_docs, doc_rows)], [*range(first, n_docs, doc_rows), n_docs], strict=True):
            block = block_queries @ np.asarray(corpus[d0:d1], dtype=np.float32).T
            width = block.shape[1]
            if best_docs.shape[1] == k and (best_docs[:, -1] >= 0).all():
                merge_block(block, d0, id_rank, best_docs, best_scores)  # k held for every query: merge in one pass
                continue
            if width > k:  # every score at least the k-th largest of its row: ties at the cut stay candidates
                kth = np.partition(block, width - k, axis=1)[:, width - k]
                rows, cols = np.nonzero(block >= kth[:, None])
            else:
                rows, cols = np.divmod(np.arange(m * width), width)
            held = best_docs >= 0
            best_docs, best_scores = _best(
                np.concatenate([np.nonzero(held)[0], rows]), np.concatenate([best_scores[held], block[rows, cols]]),
                np.concatenate([best_docs[held], cols + d0]), id_rank, m, k,
            )  # fmt: skip
        docs_out[q0 : q0 + m], scores_out[q0 : q0 + m] = best_docs, best_scores
    return docs_out, scores_out
