"""Vectors of any magnitude float32 can hold, brought to where float32 arithmetic is safe.

Squares and sums of squares of float32 values beyond about 2^60 overflow, and those of values below about 2^-60
underflow, so norms, cosines and distances of vectors scaled far up or down come out infinite or zero. Multiplying
by a power of two is exact in floating point, and every score embbench computes is unchanged by a common factor
(cosines, ranks, standardised features), so such vectors are rescaled once, by one power of two for the whole
matrix, before any arithmetic. Vectors within [2^-40, 2^40] are left as they are, bit for bit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse

SAFE_RANGE = (2.0**-40, 2.0**40)
MatrixT = TypeVar("MatrixT", "np.ndarray", "scipy.sparse.csr_matrix")


def magnitude(matrix: MatrixT) -> float:
    """The largest magnitude in ``matrix`` (NaN or infinite when a value is not finite), in two passes that
    allocate nothing; 0 for a matrix type of a provider's own (bit-packed codes), whose values are not floats."""
    import scipy.sparse

    if not (isinstance(matrix, np.ndarray) or scipy.sparse.issparse(matrix)):
        return 0.0
    values = matrix.data if scipy.sparse.issparse(matrix) else matrix
    return max(float(values.max()), -float(values.min())) if values.size else 0.0


def in_safe_range(matrix: MatrixT, largest: float | None = None) -> tuple[MatrixT, int]:
    """``matrix`` times the power of two that brings its largest magnitude (``largest``, when the caller has it)
    into [0.5, 1) when that magnitude is outside ``SAFE_RANGE``, and the exponent used (0: the matrix as it
    is). Non-finite values are left for the caller to report."""
    import scipy.sparse

    largest = magnitude(matrix) if largest is None else largest
    if largest == 0 or not math.isfinite(largest) or SAFE_RANGE[0] <= largest <= SAFE_RANGE[1]:
        return matrix, 0
    exponent = -math.frexp(largest)[1]
    values = matrix.data if scipy.sparse.issparse(matrix) else matrix
    scaled = np.ldexp(np.asarray(values, dtype=np.float32), exponent).astype(np.float32, copy=False)
    if scipy.sparse.issparse(matrix):
        out = matrix.copy()
        out.data = scaled
        return out, exponent
    return scaled, exponent
