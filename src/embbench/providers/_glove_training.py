"""GloVe training as Pennington, Socher & Manning (2014) describe it, in numpy.

Co-occurrence counts X_ij weighted by 1/distance within a symmetric window; the weighted least-squares
objective  sum_ij f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2  with f(x) = min(1, (x / x_max)^alpha);
AdaGrad updates (gradient-square accumulators start at 1, as in the reference C code); the final vectors are
W + W~. Updates are applied in shuffled mini-batches of non-zero entries (gradients of repeated rows in a
batch are summed; a batch holds at most two entries per word), the vectorised counterpart of the reference
implementation's Hogwild SGD; with one entry per batch it is that SGD exactly (a test checks this).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

BATCH = 65536
ENTRIES_PER_WORD = 2  # batches hold at most this many entries per vocabulary word, so few rows repeat within one


def _step(params: tuple[np.ndarray, np.ndarray], squares: tuple[np.ndarray, np.ndarray], rows: np.ndarray,
          grads: np.ndarray, rate: float) -> None:  # fmt: skip
    """AdaGrad update of a side's vectors and biases (``params``) from per-entry gradients (vector columns, then
    the bias), summed per row by one sparse product."""
    size = params[0].shape[0]
    selector = scipy.sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, np.arange(len(rows)))), (size, len(rows))
    )
    touched = np.flatnonzero(selector.indptr[1:] > selector.indptr[:-1])
    summed = (selector @ grads)[touched]
    for param, square, gradient in ((params[0], squares[0], summed[:, :-1]), (params[1], squares[1], summed[:, -1])):
        param[touched] -= rate * gradient / np.sqrt(square[touched])
        square[touched] += gradient**2


def train_glove(
    counts: scipy.sparse.coo_matrix,
    dim: int,
    epochs: int,
    x_max: float = 100.0,
    alpha: float = 0.75,
    learning_rate: float = 0.05,
    seed: int = 0,
) -> tuple[np.ndarray, list[float]]:
    """Return W + W~ (vocabulary x dim, float32) and the mean weighted cost of each epoch."""
    rng = np.random.default_rng(seed)
    size = counts.shape[0]
    words = ((rng.random((size, dim)) - 0.5) / dim).astype(np.float32)
    contexts = ((rng.random((size, dim)) - 0.5) / dim).astype(np.float32)
    word_bias, context_bias = np.zeros(size, np.float32), np.zeros(size, np.float32)
    squares = [np.ones_like(words), np.ones_like(contexts), np.ones(size, np.float32), np.ones(size, np.float32)]
    rows, cols = counts.row.astype(np.int64), counts.col.astype(np.int64)
    log_x = np.log(counts.data).astype(np.float32)
    weight = np.minimum(1.0, (counts.data / x_max) ** alpha).astype(np.float32)
    costs = []
    batch_size = max(1, min(BATCH, ENTRIES_PER_WORD * size))
    for _ in range(epochs):
        order = rng.permutation(len(rows))
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            i, j = rows[batch], cols[batch]
            wi, wj = words[i], contexts[j]
            diff = np.einsum("ij,ij->i", wi, wj) + word_bias[i] + context_bias[j] - log_x[batch]
            fdiff = weight[batch] * diff
            total += float(0.5 * np.dot(fdiff, diff))
            _step((words, word_bias), (squares[0], squares[2]), i, np.c_[fdiff[:, None] * wj, fdiff], learning_rate)
            _step((contexts, context_bias), (squares[1], squares[3]), j, np.c_[fdiff[:, None] * wi, fdiff],
                  learning_rate)  # fmt: skip
        if not np.isfinite(total):
            raise FloatingPointError("GloVe training diverged (cost is NaN or inf); try a smaller learning_rate")
        costs.append(total / len(rows))
    return words + contexts, costs
