"""Approximate and compressed search through FAISS, the library deployments use: HNSW graphs, IVF-PQ product
quantization, 8-bit scalar quantization, and binary codes (sign bits, ranked by Hamming distance). Each index is
built over unit document vectors and searched by inner product, so its ranking approximates the cosine's."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from embbench.errors import EmbbenchError

IndexKind = Literal["exact", "hnsw", "ivfpq", "int8", "binary"]
TRAINING_POINTS_PER_CENTROID = 39  # FAISS's k-means asks for at least this many points per centroid


@dataclass
class BuiltIndex:
    """A FAISS index over the documents, its size once serialized, and the seconds its build took."""

    kind: str
    index: Any
    bytes: int
    build_seconds: float

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest documents of each query (-1 where fewer) and their scores (larger is nearer)."""
        if self.kind == "binary":
            distances, found = self.index.search(sign_codes(queries), k)
            return found.astype(np.int64), -distances.astype(np.float32)
        scores, found = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return found.astype(np.int64), scores


def sign_codes(vectors: np.ndarray) -> np.ndarray:
    """Each vector's sign bits, packed 8 to a byte (the dimension padded to a multiple of 8 with zero bits)."""
    bits = np.asarray(vectors) > 0
    padding = (-bits.shape[1]) % 8
    return np.packbits(np.pad(bits, ((0, 0), (0, padding))), axis=1)


def product_quantizer(dim: int, documents: int) -> tuple[int, int, int]:
    """IVF-PQ's shape for this corpus: lists (about 4 sqrt(N), each with enough points to train its centroid),
    sub-quantizers (the largest divisor of the dimension up to dim / 4, so each codes four or more values) and
    bits per code (8, fewer for a corpus too small to train 256 centroids per sub-quantizer)."""
    lists = max(1, min(int(4 * math.sqrt(documents)), documents // TRAINING_POINTS_PER_CENTROID))
    subquantizers = max(m for m in range(1, max(1, dim // 4) + 1) if dim % m == 0)
    bits = max(1, min(8, int(math.log2(max(2, documents // TRAINING_POINTS_PER_CENTROID)))))
    return lists, subquantizers, bits


def build_index(kind: IndexKind, documents: np.ndarray, hnsw_m: int, ef_search: int, nprobe: int) -> BuiltIndex:
    """Build and fill the index of ``kind`` over unit ``documents``; needs faiss-cpu."""
    try:
        import faiss
    except ImportError:
        raise EmbbenchError("needs FAISS installed (pip install embbench[faiss])", "task option 'index'") from None
    documents = np.ascontiguousarray(documents, dtype=np.float32)
    count, dim = documents.shape
    start = time.perf_counter()
    if kind == "binary":
        index = faiss.IndexBinaryFlat(8 * sign_codes(documents[:1]).shape[1])
        index.add(sign_codes(documents))
        size = faiss.serialize_index_binary(index).nbytes
        return BuiltIndex(kind, index, int(size), time.perf_counter() - start)
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = ef_search
    elif kind == "int8":
        index = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    else:
        lists, subquantizers, bits = product_quantizer(dim, count)
        index = faiss.IndexIVFPQ(faiss.IndexFlatIP(dim), dim, lists, subquantizers, bits, faiss.METRIC_INNER_PRODUCT)
        index.nprobe = min(nprobe, lists)
    if not index.is_trained:
        index.train(documents)
    index.add(documents)
    return BuiltIndex(kind, index, int(faiss.serialize_index(index).nbytes), time.perf_counter() - start)
