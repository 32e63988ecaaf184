"""Blocked nearest-neighbour search over a whole vocabulary, with bounded extra memory.

The vocabulary is visited in blocks of rows; each block's scores against a batch of queries form one
(queries x block) matrix that is reduced to a running top-k at once, so memory stays at about
``BLOCK_ELEMENTS`` floats whatever the vocabulary size.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse

from embbench.api import WordVectors

Score = Callable[[np.ndarray | scipy.sparse.csr_matrix, np.ndarray], np.ndarray]
BLOCK_ELEMENTS = 1 << 22  # floats in one (queries x vocabulary block) score matrix: 16 MiB


def unit_rows(vectors: WordVectors, rows: np.ndarray) -> np.ndarray:
    """The given rows scaled to unit length (zero rows stay zero), float32."""
    block = vectors.dense_rows(rows)
    return unit_block(block, np.linalg.norm(block, axis=1))


def scale_rows(
    block: np.ndarray | scipy.sparse.csr_matrix, factors: np.ndarray
) -> np.ndarray | scipy.sparse.csr_matrix:
    """Each row of ``block`` times its factor (dense or sparse)."""
    if scipy.sparse.issparse(block):
        return scipy.sparse.diags(factors) @ block
    return np.asarray(block, dtype=np.float32) * factors[:, None]


def products(queries: np.ndarray, block: np.ndarray | scipy.sparse.csr_matrix) -> np.ndarray:
    """``queries @ block.T`` as a C-contiguous float32 (queries x block) array, for dense or sparse blocks."""
    if scipy.sparse.issparse(block):
        return np.ascontiguousarray((block @ queries.T).T, dtype=np.float32)
    return queries @ np.asarray(block, dtype=np.float32).T


def unit_block(block: np.ndarray | scipy.sparse.csr_matrix, norms: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; zero rows stay zero."""
    return scale_rows(block, (1 / np.where(norms > 0, norms, 1)).astype(np.float32))


def _merge(best: tuple[np.ndarray, np.ndarray], scores: np.ndarray, start: int, k: int) -> tuple:
    """Merge a block's (q x block) scores into the running (q x k) top-k; ties go to the lower row."""
    best_scores, best_rows = best
    if k == 1:
        rows = scores.argmax(axis=1)
        values = scores[np.arange(len(rows)), rows]
        better = values > best_scores[:, 0]
        best_scores[better, 0] = values[better]
        best_rows[better, 0] = rows[better] + start
        return best_scores, best_rows
    n = scores.shape[1]
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < n else np.broadcast_to(np.arange(n), scores.shape)
    all_scores = np.concatenate([best_scores, np.take_along_axis(scores, part, axis=1)], axis=1)
    all_rows = np.concatenate([best_rows, part + start], axis=1)
    order = np.lexsort((all_rows, -all_scores), axis=-1)[:, :k]
    return np.take_along_axis(all_scores, order, axis=1), np.take_along_axis(all_rows, order, axis=1)


def nearest(vectors: WordVectors, limit: int, score: Score, exclude: np.ndarray, k: int = 1) -> np.ndarray:
    """Top-``k`` rows among the first ``limit`` for each of q queries, best first (q x k; -1 if none).

    ``score(block, norms)`` returns the (q x block) scores of a block of vocabulary rows (with their norms);
    it may return a fresh array that is then modified. Rows in ``exclude`` (q x e) are never returned.
    """
    return nearest_each(vectors, limit, lambda block, norms: [score(block, norms)], exclude, k)[0]


def nearest_each(
    vectors: WordVectors, limit: int, scores: Callable[..., list[np.ndarray]], exclude: np.ndarray, k: int = 1
) -> list[np.ndarray]:
    """``nearest`` for several scorings computed together in one pass over the vocabulary (they may share work,
    such as the three similarity blocks of 3CosAdd and 3CosMul)."""
    limit = min(limit, len(vectors))
    n_queries = exclude.shape[0]
    best: list[tuple[np.ndarray, np.ndarray]] = []
    block_rows = max(256, BLOCK_ELEMENTS // max(1, n_queries))
    for start in range(0, limit, block_rows):
        stop = min(limit, start + block_rows)
        for i, block_scores in enumerate(scores(vectors.matrix[start:stop], vectors.norms[start:stop])):
            for column in exclude.T:
                inside = np.flatnonzero((column >= start) & (column < stop))
                block_scores[inside, column[inside] - start] = -np.inf
            if i == len(best):
                best.append((np.full((n_queries, k), -np.inf, np.float32), np.full((n_queries, k), -1, np.int64)))
            best[i] = _merge(best[i], block_scores, start, k)
    return [rows for _, rows in best]
