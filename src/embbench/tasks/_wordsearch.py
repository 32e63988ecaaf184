"""Cosines of query words against a vocabulary visited in blocks of rows, dense or sparse: each block gives one
(queries x block) float32 matrix of about ``BLOCK_ELEMENTS`` floats, whatever the vocabulary size."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from embbench.api import WordVectors

BLOCK_ELEMENTS = 1 << 22  # floats in one (queries x vocabulary block) matrix of cosines: 16 MiB


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
