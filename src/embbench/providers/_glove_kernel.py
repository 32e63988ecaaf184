"""The compiled (numba) epoch of GloVe training: each mini-batch's weighted errors from the parameters as they were
at the batch's start, their gradients summed per row in the batch's order, then one AdaGrad step per touched row.
All arithmetic is float32 (the cost is summed in float64); no (batch x dim) temporaries are made."""

from __future__ import annotations

import numba
import numpy as np

JIT = {"cache": True, "nogil": True, "error_model": "numpy"}  # numpy's division (no zero check) vectorises


@numba.njit(**JIT)
def _dot(a: np.ndarray, b: np.ndarray) -> np.float32:
    """float32 dot product summed in four interleaved partial sums, added up in order at the end: a fixed order
    (the same on every CPU) without one long chain of dependent additions."""
    s0 = s1 = s2 = s3 = np.float32(0)
    whole = len(a) - len(a) % 4
    for t in range(0, whole, 4):
        s0 += a[t] * b[t]
        s1 += a[t + 1] * b[t + 1]
        s2 += a[t + 2] * b[t + 2]
        s3 += a[t + 3] * b[t + 3]
    for t in range(whole, len(a)):
        s0 += a[t] * b[t]
    return (s0 + s1) + (s2 + s3)


@numba.njit(**JIT)
def _touch(row: int, touched: np.ndarray, rows: np.ndarray, count: int) -> int:
    """Note ``row`` in the batch's list of touched rows (``count`` long) unless it is there; the new length."""
    if touched[row]:
        return count
    touched[row] = True
    rows[count] = row
    return count + 1


@numba.njit(**JIT)
def _apply(rows: np.ndarray, grads: np.ndarray, params: np.ndarray, bias: np.ndarray, squares: np.ndarray,
           bias_squares: np.ndarray, rate: np.float32, touched: np.ndarray) -> None:  # fmt: skip
    """AdaGrad step of each row in ``rows`` from its summed gradient (vector columns, then the bias), which is then
    cleared for the next batch."""
    dim = params.shape[1]
    for row in rows:
        param, square, grad = params[row], squares[row], grads[row]
        for t in range(dim):
            param[t] -= rate * grad[t] / np.sqrt(square[t])
            square[t] += grad[t] * grad[t]
            grad[t] = 0
        gradient = grads[row, dim]
        bias[row] -= rate * gradient / np.sqrt(bias_squares[row])
        bias_squares[row] += gradient * gradient
        grads[row, dim] = 0
        touched[row] = False


@numba.njit(**JIT)
def glove_epoch(rows: np.ndarray, cols: np.ndarray, log_x: np.ndarray, weight: np.ndarray,
                words: np.ndarray, contexts: np.ndarray, word_bias: np.ndarray, context_bias: np.ndarray,
                squares: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], batch_size: int,
                rate: float) -> float:  # fmt: skip
    """One pass over the non-zero entries in the order given, updating the parameters in place; the summed weighted
    cost 0.5 f(X) (w.w~ + b + b~ - log X)^2 of the pass."""
    size, dim = words.shape
    step = np.float32(rate)
    word_grads, context_grads = np.zeros((size, dim + 1), np.float32), np.zeros((size, dim + 1), np.float32)
    word_touched, context_touched = np.zeros(size, np.bool_), np.zeros(size, np.bool_)
    word_rows, context_rows = np.empty(batch_size, np.int64), np.empty(batch_size, np.int64)
    total = 0.0
    for start in range(0, len(rows), batch_size):
        n_words = n_contexts = 0
        for entry in range(start, min(start + batch_size, len(rows))):
            i, j = rows[entry], cols[entry]
            word, context = words[i], contexts[j]
            diff = _dot(word, context) + word_bias[i] + context_bias[j] - log_x[entry]
            fdiff = weight[entry] * diff
            total += 0.5 * float(fdiff) * float(diff)
            n_words = _touch(i, word_touched, word_rows, n_words)
            n_contexts = _touch(j, context_touched, context_rows, n_contexts)
            word_grad, context_grad = word_grads[i], context_grads[j]
            for t in range(dim):
                word_grad[t] += fdiff * context[t]
                context_grad[t] += fdiff * word[t]
            word_grad[dim] += fdiff
            context_grad[dim] += fdiff
        _apply(word_rows[:n_words], word_grads, words, word_bias, squares[0], squares[2], step, word_touched)
        _apply(context_rows[:n_contexts], context_grads, contexts, context_bias, squares[1], squares[3], step,
               context_touched)  # fmt: skip
    return total
