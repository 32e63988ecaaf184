"""Quantized embeddings: int8 with a per-dimension scale, or binary (the sign of each value).

Over a base with a vocabulary (GloVe, word2vec, ...) the word matrix is really stored compactly (1 byte per value
for int8, 1 bit for binary, against float32's 4 bytes; provenance reports both sizes), and word tasks search it
through a view that turns only the rows they read into float32: int8 codes times their scale, or +-1 for bits.

Over a sentence encoder (``bert``), each text's embedding is quantized as a vector index would store it: int8
with a per-dimension scale calibrated once on sentences of a corpus (``calibration``, values beyond it clipped),
or sign bits. Tasks get the codes decoded (codes times scale, or +-1), so a search ranks documents exactly as
over the codes: between +-1 vectors, cosine = 1 - 2 * Hamming / dim; ``vector_bytes`` gives the codes' size.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from embbench.contract import Context, Embedded, Provider
from embbench.hookspecs import Register, hookimpl
from embbench.providers._training import corpus_inputs, provider_corpus
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


def int8_scale(matrix: np.ndarray) -> np.ndarray:
    """Symmetric per-dimension int8 scale: max |x| / 127 per dimension (1 where a dimension is all zero)."""
    scale = np.zeros(matrix.shape[1], dtype=np.float32)
    for start in range(0, len(matrix), BLOCK):
        scale = np.maximum(scale, np.abs(np.asarray(matrix[start : start + BLOCK], dtype=np.float32)).max(axis=0))
    return np.where(scale > 0, scale / 127, 1).astype(np.float32)


def quantize_int8(matrix: np.ndarray, scale: np.ndarray | None = None) -> Int8Matrix:
    """int8 codes = round(x / scale), clipped to +-127; the scale is the matrix's own unless given."""
    scale = int8_scale(matrix) if scale is None else scale
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
    calibration: str = "sotu"
    """For a sentence encoder at 8 bits: the corpus whose sentences set the per-dimension scale."""
    calibration_texts: int = Field(1000, ge=1)
    """How many of its sentences (evenly spaced through it)."""

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

    encoder_: Provider | None = None
    """The base sentence encoder whose embeddings are quantized (None: a word matrix is)."""
    scale_: np.ndarray | None = None

    def inputs(self, context: Context) -> dict[str, str]:
        calibration = corpus_inputs(self, context, "calibration") if self.options.bits == 8 else {}
        return {**super().inputs(context), **calibration}

    def fit(self, context: Context) -> Quantize:
        base = context.make_provider(self.options.base, shared_embeddings=True)  # an encoder's: embedded once
        vectors = base.word_vectors()
        if vectors is None:
            return self._fit_encoder(base)
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

    def _fit_encoder(self, base: Provider) -> Quantize:
        """Quantize a sentence encoder's embeddings: at 8 bits, calibrate the scale on the corpus's sentences."""
        start = time.perf_counter()
        self.encoder_ = base
        facts: dict[str, Any] = {}
        if self.options.bits == 8:
            sentences = provider_corpus(self, "calibration").sentences
            step = max(1, len(sentences) // self.options.calibration_texts)
            sample = [" ".join(tokens) for tokens in sentences[::step][: self.options.calibration_texts]]
            embedded = base.embed_with_coverage(sample)
            self.scale_ = int8_scale(np.asarray(embedded.vectors[embedded.covered], dtype=np.float32))
            facts = {"calibration": self.options.calibration, "calibration_texts": len(sample)}
        self.dim_ = len(self.scale_) if self.scale_ is not None else base.embed(["a"]).shape[1]
        self.provenance_ = {"base": self.options.base, "base_provenance": base.provenance(), "bits": self.options.bits,
                            **facts, "bytes_per_vector": self._code_bytes(), "float32_bytes_per_vector": 4 * self.dim_,
                            "fit_seconds": round(time.perf_counter() - start, 3)}  # fmt: skip
        return self

    def _quantized(self, embedded: Embedded) -> Embedded:
        """The encoder's embeddings as their codes decode: int8 codes times the scale, or +-1 signs."""
        if self.scale_ is not None:
            decoded = quantize_int8(embedded.vectors, self.scale_)[:]
        else:
            decoded = np.where(np.asarray(embedded.vectors) > 0, 1.0, -1.0).astype(np.float32)
        return Embedded(decoded, embedded.covered)

    def embed_with_coverage(self, texts: Sequence[str]) -> Embedded:
        if self.encoder_ is None:
            return super().embed_with_coverage(texts)
        return self._quantized(self.encoder_.embed_with_coverage(texts))

    def embed_words(self, words: Sequence[str]) -> Embedded:
        if self.encoder_ is None:
            return super().embed_words(words)
        return self._quantized(self.encoder_.embed_words(words))

    def word_vectors(self) -> WordVectors | None:
        return None if self.encoder_ is not None else self.vectors_

    def vector_bytes(self, count: int) -> int | None:
        """A sentence encoder's ``count`` embeddings as stored: one byte per value and the scale, or one bit."""
        if self.encoder_ is None:
            return None
        return count * self._code_bytes() + (self.scale_.nbytes if self.scale_ is not None else 0)

    def _code_bytes(self) -> int:
        return self.dim_ if self.scale_ is not None else -(-self.dim_ // 8)

    def provenance(self) -> dict[str, Any]:
        if self.encoder_ is None:
            return super().provenance()
        return {**self.provenance_, "dim": self.dim_, "memory_mib": self.encoder_.provenance().get("memory_mib")}

    def resources(self) -> dict[str, float]:
        return self.encoder_.resources() if self.encoder_ is not None else super().resources()


@hookimpl
def register_providers(register: Register) -> None:
    register(Quantize)
