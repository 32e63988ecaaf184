"""Cosines of query words against a vocabulary visited in blocks of rows, dense or sparse: each block gives one
(queries x block) float32 matrix of about ``BLOCK_ELEMENTS`` floats, whatever the vocabulary size."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse

BLOCK_ELEMENTS = 1 << 22  # floats in one (queries x vocabulary block) matrix of cosines: 16 MiB


def scale_rows(
    block: np.ndarray | scipy.sparse.csr_matrix, factors: np.ndarray
) -> np.ndarray | scipy.sparse.csr_matrix:
    """Each row of ``block`` times its factor (dense or sparse)."""
    import scipy.sparse

    if scipy.sparse.issparse(block):
        return scipy.sparse.diags(factors) @ block
    return np.asarray(block, dtype=np.float32) * factors[:, None]


def products(queries: np.ndarray, block: np.ndarray | scipy.sparse.csr_matrix) -> np.ndarray:
    """``queries @ block.T`` as a C-contiguous float32 (queries x block) array, for dense or sparse blocks."""
    import scipy.sparse

    if scipy.sparse.issparse(block):
        return np.ascontiguousarray((block @ queries.T).T, dtype=np.float32)
    return queries @ np.asarray(block, dtype=np.float32).T


def reciprocals(norms: np.ndarray) -> np.ndarray:
    """1 / norm (float32), 1 for a zero norm (a zero row stays zero)."""
    return (1 / np.where(norms > 0, norms, 1)).astype(np.float32)


def unit_block(block: np.ndarray | scipy.sparse.csr_matrix, norms: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; zero rows stay zero."""
    return scale_rows(block, reciprocals(norms))


def exact_products(words: np.ndarray, block: np.ndarray | scipy.sparse.csr_matrix) -> bool:
    """Whether every product of a word row and a block row is an exact float32 integer: both integer-valued
    (binary codes, counts) and small enough that no partial sum reaches 2**24."""
    import scipy.sparse

    values = block.data if scipy.sparse.issparse(block) else np.asarray(block)
    if not (values.size and words.size and np.array_equal(values, np.round(values))):
        return False
    if not np.array_equal(words, np.round(words)):
        return False
    return float(np.abs(words).max()) * float(np.abs(values).max()) * words.shape[1] < 2**24


def cosines(words: np.ndarray, block: np.ndarray | scipy.sparse.csr_matrix, block_norms: np.ndarray) -> np.ndarray:
    """(words x block) cosines, float32, of raw word rows against a block of vocabulary rows. Between
    integer-valued vectors the products are exact, so they are taken first and scaled after: equal dot products
    give equal cosines whatever order BLAS sums in, and exact ties (binary vectors have many) break the same way
    on every machine. Other vectors are scaled to unit length first."""
    word_norms = np.linalg.norm(words, axis=1)
    if exact_products(words, block):
        result = products(words, block)
        result *= reciprocals(word_norms)[:, None]
        result *= reciprocals(block_norms)[None, :]
        return result
    return products(unit_block(words, word_norms), unit_block(block, block_norms))
