"""The compiled (numba) inner loop of analogy search: 3CosAdd and 3CosMul of every question against a block of
the vocabulary, from the block's cosines to the distinct question words, reduced to a running best at once, so
no (questions x block) score matrix is ever written.

The arithmetic is float32 in the order numpy would do it, so the answers are the same to the bit. Each
question's scores for the block are computed in one vectorised loop; their maximum is found on the integers
that order float32 values as the floats do (integer max vectorises where a float max does not), and only a
block whose maximum beats the question's best so far is scanned for the first better, allowed row."""

from __future__ import annotations

import numba
import numpy as np

COSMUL_EPSILON = 1e-3  # Levy & Goldberg 2014
ONE = np.float32(1)
COSMUL_SHIFT = np.float32(1 + 2 * COSMUL_EPSILON)  # cosines shifted by 1 instead of halved: the same argmax
JIT = {"cache": True, "nogil": True, "error_model": "numpy"}  # numpy's division (no zero check) vectorises


@numba.njit(**JIT)
def _order_key(bits: np.int32) -> np.int32:
    """An integer that orders float32 values (given by their bits) as the floats do (-0 below +0)."""
    return bits ^ ((bits >> 31) & np.int32(0x7FFFFFFF))


@numba.njit(**JIT)
def _may_beat(scores: np.ndarray, best: np.ndarray) -> bool:
    """Whether some score may beat ``best[0]`` (both float32; NaN counts as may)."""
    bits = scores.view(np.int32)
    found = np.int32(-(2**31))
    for column in range(len(bits)):  # an indexed loop: iterating over the array does not vectorise
        key = _order_key(bits[column])
        found = key if key > found else found
    return found > _order_key(best.view(np.int32)[0])


@numba.njit(**JIT)
def _scan(scores: np.ndarray, start: int, exclude: np.ndarray, best: np.ndarray, best_row: np.ndarray) -> None:
    """Move ``best[0]``, ``best_row[0]`` to the first row that beats it, then to any later row that beats that."""
    for column in range(len(scores)):
        if scores[column] > best[0]:
            row = start + column
            allowed = True
            for excluded in exclude:
                allowed = allowed and excluded != row
            if allowed:
                best[0], best_row[0] = scores[column], row


@numba.njit(parallel=True, **JIT)
def best_add_and_mul(
    cosines: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    exclude: np.ndarray,
    start: int,
    best: np.ndarray,
    best_rows: np.ndarray,
    chunks: int,
) -> None:
    """Update each question's best 3CosAdd (``best[:, 0]``) and 3CosMul (``best[:, 1]``) score and vocabulary row
    with the words ``start ... start + width`` whose cosines to the distinct question words are ``cosines``
    (words x width, float32); ``a``, ``b``, ``c`` index its rows per question, rows in ``exclude`` (questions
    x e, -1 padded) are never chosen, and ties go to the lower row. The questions are split into ``chunks``
    shared among the threads (a few per thread even out the blocks that need a scan).

    3CosAdd is cos(d, b) - cos(d, a) + cos(d, c); 3CosMul is (cos(d, b) + 1)(cos(d, c) + 1) / (cos(d, a) + 1 +
    2 eps), Levy & Goldberg's (cos' = (cos + 1) / 2) scaled by 4."""
    width = cosines.shape[1]
    n_questions = len(a)
    chunks = max(1, min(chunks, n_questions))
    share = (n_questions + chunks - 1) // chunks
    for chunk in numba.prange(chunks):
        added = np.empty(width, dtype=np.float32)
        multiplied = np.empty(width, dtype=np.float32)
        for question in range(chunk * share, min(n_questions, (chunk + 1) * share)):
            to_a, to_b, to_c = cosines[a[question]], cosines[b[question]], cosines[c[question]]
            for column in range(width):
                x, y, z = to_a[column], to_b[column], to_c[column]
                added[column] = (y - x) + z
                multiplied[column] = ((y + ONE) * (z + ONE)) / (x + COSMUL_SHIFT)
            for method, scores in enumerate((added, multiplied)):
                if _may_beat(scores, best[question, method : method + 1]):
                    _scan(scores, start, exclude[question], best[question, method : method + 1],
                          best_rows[question, method : method + 1])  # fmt: skip
