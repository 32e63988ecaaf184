"""GloVe training as Pennington, Socher & Manning (2014) describe it, compiled with numba (``_glove_kernel``).

Co-occurrence counts X_ij weighted by 1/distance within a symmetric window; the weighted least-squares
objective  sum_ij f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2  with f(x) = min(1, (x / x_max)^alpha);
AdaGrad updates (gradient-square accumulators start at 1, as in the reference C code); the final vectors are
W + W~. Updates are applied in shuffled mini-batches of non-zero entries (gradients of repeated rows in a
batch are summed; a batch holds at most two entries per word), a deterministic counterpart of the reference
implementation's Hogwild SGD; with one entry per batch it is that SGD exactly (a test checks this). Each epoch's
entries are gathered into their shuffled order first, so the compiled loop reads them in sequence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from embbench.providers._glove_kernel import glove_epoch

if TYPE_CHECKING:
    import scipy.sparse

BATCH = 65536
ENTRIES_PER_WORD = 2  # batches hold at most this many entries per vocabulary word, so few rows repeat within one


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
        total = glove_epoch(rows[order], cols[order], log_x[order], weight[order], words, contexts, word_bias,
                            context_bias, tuple(squares), batch_size, learning_rate)  # fmt: skip
        if not np.isfinite(total):
            raise FloatingPointError("GloVe training diverged (cost is NaN or inf); try a smaller learning_rate")
        costs.append(total / len(rows))
    return words + contexts, costs
