"""Word co-occurrence counts of a corpus and their PPMI transform (shared by pca, glove training, autoencoder)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse


def cooccurrence(
    ids: np.ndarray,
    starts: np.ndarray,
    vocab_size: int,
    window: int,
    weighting: Literal["count", "harmonic"] = "count",
) -> scipy.sparse.csr_matrix:
    """Symmetric co-occurrence of words at most ``window`` apart within a sentence (out-of-vocabulary ids < 0).

    ``count`` adds 1 per pair; ``harmonic`` adds 1/distance, as GloVe does (Pennington et al. 2014).
    """
    import scipy.sparse

    sentence = np.zeros(len(ids), dtype=np.int64)
    sentence[starts[1:]] = 1
    sentence = np.cumsum(sentence)
    rows, cols, weights = [], [], []
    for offset in range(1, window + 1):
        keep = (sentence[:-offset] == sentence[offset:]) & (ids[:-offset] >= 0) & (ids[offset:] >= 0)
        rows.append(ids[:-offset][keep])
        cols.append(ids[offset:][keep])
        weights.append(np.full(int(keep.sum()), 1.0 if weighting == "count" else 1.0 / offset))
    left, right, weight = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
    counts = scipy.sparse.coo_matrix(
        (np.r_[weight, weight], (np.r_[left, right], np.r_[right, left])), shape=(vocab_size, vocab_size)
    )
    return counts.tocsr()


def ppmi(counts: scipy.sparse.csr_matrix, cds: float = 0.75) -> scipy.sparse.csr_matrix:
    """Positive PMI with context-distribution smoothing (Levy, Goldberg & Dagan 2015)."""
    import scipy.sparse

    word = np.asarray(counts.sum(axis=1)).ravel()
    context = np.asarray(counts.sum(axis=0)).ravel() ** cds
    coo = counts.tocoo()
    pmi = np.log(coo.data) + np.log(context.sum()) - np.log(word[coo.row]) - np.log(context[coo.col])
    keep = pmi > 0
    return scipy.sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=counts.shape)
