"""Quantized word vectors: int8 with a per-dimension scale, or binary (the sign of each value).

The matrix is really stored compactly (1 byte per value for int8, 1 bit for binary, against float32's 4 bytes;
provenance reports both sizes), and word tasks search it through a view that turns only the rows they read into
float32: int8 codes times their scale, or +-1 for bits. Between +-1 vectors, cosine = 1 - 2 * Hamming / dim, so
searching binary vectors by cosine ranks words exactly as by Hamming distance.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from pydantic import field_validator

from embbench.api import Context
from embbench.hookspecs import Register, hookimpl
from embbench.providers._transform import Transform, TransformOptions
from embbench.words import WordVectors

BLOCK = 65536


class Int8Matrix:
    """int8 codes (rows x dim) with a per-dimension float32 scale; indexing dequantizes just those rows."""

    def __init__(self, codes: np.ndarray, scale: np.ndarray) -> None:
        self.codes, self.scale = codes, scale
        self.shape = codes.shape
        self.nbytes = codes.nbytes + scale.nbytes

    def __getitem__(self, key: Any) -> np.ndarray:
        return self.codes[key].astype(np.float32) * self.scale

    def __len__(self) -> int:
        return self.shape[0]


class BinaryMatrix:
    """Sign bits packed eight to a byte; indexing gives those rows as +-1 float32."""

    def __init__(self, packed: np.ndarray, dim: int) -> None:
        self.packed, self.dim = packed, dim
        self.shape = (packed.shape[0], dim)
        self.nbytes = packed.nbytes

    def __getitem__(self, key: Any) -> np.ndarray:
        bits = np.unpackbits(self.packed[key], axis=-1, count=self.dim)
        return bits.astype(np.float32) * 2 - 1

    def __len__(self) -> int:
        return self.shape[0]


def quantize_int8(matrix: np.ndarray) -> Int8Matrix:
    """Symmetric per-dimension int8: scale = max |x| / 127 per dimension, codes = round(x / scale)."""
    scale = np.zeros(matrix.shape[1], dtype=np.float32)
    for start in range(0, len(matrix), BLOCK):
        scale = np.maximum(scale, np.abs(np.asarray(matrix[start : start + BLOCK], dtype=np.float32)).max(axis=0))
    scale = np.where(scale > 0, scale / 127, 1).astype(np.float32)
    codes = np.empty(matrix.shape, dtype=np.int8)
    for start in range(0, len(matrix), BLOCK):
        block = np.asarray(matrix[start : start + BLOCK], dtype=np.float32) / scale
        codes[start : start + BLOCK] = np.clip(np.rint(block), -127, 127)
    return Int8Matrix(codes, scale)


def quantize_binary(matrix: np.ndarray) -> BinaryMatrix:
    """One bit per value: 1 where the value is positive."""
    packed = np.concatenate([np.packbits(np.asarray(matrix[start : start + BLOCK]) > 0, axis=1)
                             for start in range(0, len(matrix), BLOCK)])  # fmt: skip
    return BinaryMatrix(packed, matrix.shape[1])


class QuantizeOptions(TransformOptions):
    bits: int = 8

    @field_validator("bits")
    @classmethod
    def _supported(cls, bits: int) -> int:
        if bits not in (8, 1):
            raise ValueError("choose 8 (int8) or 1 (binary)")
        return bits


class Quantize(Transform[QuantizeOptions]):
    """int8 (``bits=8``) or binary (``bits=1``) quantization of a base provider's vectors, searched as stored."""

    name = "quantize"
    description = "int8 or binary quantization of a base provider (base=), stored and searched compactly"
    Options: ClassVar = QuantizeOptions

    def fit(self, context: Context) -> Quantize:
        base = context.make_provider(self.options.base)
        vectors = base.word_vectors()
        if vectors is None:
            raise self.option_error("base", "the base provider has no word vocabulary to quantize")
        matrix = (
            vectors.matrix if isinstance(vectors.matrix, np.ndarray) else vectors.dense_rows(np.arange(len(vectors)))
        )
        start = time.perf_counter()
        quantized = quantize_int8(matrix) if self.options.bits == 8 else quantize_binary(matrix)
        seconds = round(time.perf_counter() - start, 3)
        self.vectors_ = WordVectors(vectors.words, quantized)  # type: ignore[arg-type]
        float_bytes = 4 * len(vectors) * vectors.dim
        self.provenance_ = {"base": self.options.base, "base_provenance": base.provenance(), "bits": self.options.bits,
                            "matrix_bytes": int(quantized.nbytes), "float32_bytes": float_bytes,
                            "bytes_per_value": round(quantized.nbytes / (len(vectors) * vectors.dim), 4),
                            "fit_seconds": seconds}  # fmt: skip
        return self


@hookimpl
def register_providers(register: Register) -> None:
    register(Quantize)
