"""Embedding a task's texts or words through a provider, checked (shape, finite values, float32's safe range), and the
vector helpers tasks share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from embbench._util.scaling import in_safe_range
from embbench.contract import Embedded, Node, Provider
from embbench.errors import EmbbenchError, SkipTask

if TYPE_CHECKING:
    import scipy.sparse


def embed_distinct(provider: Provider, texts: list[str]) -> tuple[Embedded, np.ndarray]:
    """Each distinct text embedded once (SICK's 19,854 sentences are 6,077 texts), and each text's row in it."""
    distinct = list(dict.fromkeys(texts))
    row = {text: i for i, text in enumerate(distinct)}
    return embed_checked(provider, distinct), np.array([row[text] for text in texts], dtype=np.int64)


def pair_measures(provider: Provider, first: list[str], second: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """MTEB's four measures of each sentence pair (cosine, dot product, Euclidean and Manhattan distance; NaN
    where a side has no embedding) and which pairs both sides cover; every distinct sentence is embedded once.

    They are computed in float64 and rounded to float32, the precision of the embeddings: pairs that are equally
    similar get equal values and rank as ties (as in MTEB's float32 computation, and unlike float64, whose last
    bits tell them apart), and between +-1 vectors (binary codes) every measure is exact."""
    embedded, rows = embed_distinct(provider, first + second)
    left, right = rows[: len(first)], rows[len(first) :]
    covered = embedded.covered[left] & embedded.covered[right]
    a = np.asarray(embedded.vectors[left[covered]], dtype=np.float64)
    b = np.asarray(embedded.vectors[right[covered]], dtype=np.float64)
    dot = np.einsum("ij,ij->i", a, b)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    difference = a - b
    measures = {
        "cosine": np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0),  # 0 beside a zero vector
        "dot": dot,
        "euclidean": np.sqrt(np.einsum("ij,ij->i", difference, difference)),
        "manhattan": np.abs(difference).sum(axis=1),
    }
    out = {name: np.full(len(first), np.nan) for name in measures}
    for name, column in measures.items():
        out[name][covered] = column.astype(np.float32)
    return out, covered


def _checked(embedded: Embedded, texts: list[str]) -> Embedded:
    """The embeddings with their shapes and values checked, in float32's safe range (``in_safe_range``: one power
    of two for the whole call, so every score that does not depend on a common factor is unchanged)."""
    vectors, covered = np.asarray(embedded.vectors, dtype=np.float32), np.asarray(embedded.covered, dtype=bool)
    count = len(texts)
    if vectors.ndim != 2 or vectors.shape[0] != count or vectors.shape[1] == 0 or covered.shape != (count,):
        raise EmbbenchError(
            f"provider returned embeddings of shape {vectors.shape} and coverage of shape {covered.shape} for"
            f" {count} texts; expected ({count}, dim) and ({count},), and dimension 0 cannot be evaluated"
        )
    finite = np.isfinite(vectors).all(axis=1)
    if not finite[covered].all():
        row = int(np.flatnonzero(covered & ~finite)[0])
        raise EmbbenchError(f"the provider's embedding of text {row + 1} of {count} ({texts[row][:60]!r}) is not"
                            " finite (a value is NaN or beyond float32's range)")  # fmt: skip
    return Embedded(in_safe_range(vectors)[0], covered)


def embed_checked(provider: Provider, texts: list[str]) -> Embedded:
    """Embeddings of ``texts`` and the mask of those the provider could embed, checked (see ``_checked``)."""
    return _checked(provider.embed_with_coverage(texts), texts)


def embed_words_checked(provider: Provider, words: list[str]) -> Embedded:
    """Embeddings of single words (looked up whole first) and their coverage, checked (see ``_checked``)."""
    return _checked(provider.embed_words(words), words)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float64); a zero row stays zero."""
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def check_distinct(points: np.ndarray, k: int, n_items: int, what: str) -> None:
    """Clustering ``points`` into ``k`` clusters needs at least ``k`` distinct points; with fewer (every vector
    the same, say) any clustering is arbitrary, so the pair is skipped and says why."""
    distinct = len(np.unique(points, axis=0)) if len(points) else 0
    if distinct < k:
        raise SkipTask(f"the {len(points)} covered {what} have {distinct} distinct vector(s), fewer than the {k}"
                       " clusters, so any clustering of them is arbitrary", n_items, len(points))  # fmt: skip


SPARSE_BELOW = 0.1
"""Vectors with fewer nonzeros than this share (one-hot words, bags of words) are fitted as a sparse matrix."""


def sparse_when_sparse(vectors: np.ndarray) -> np.ndarray | scipy.sparse.csr_matrix:
    """``vectors`` as CSR when most of its values are zero (scikit-learn then works on the nonzeros only), else as
    they are."""
    import scipy.sparse

    if vectors.size and np.count_nonzero(vectors) < SPARSE_BELOW * vectors.size:
        return scipy.sparse.csr_matrix(vectors)
    return vectors


def embed_nodes_checked(provider: Provider, nodes: list[Node]) -> Embedded:
    """Embeddings of graph nodes and the mask of those the provider could embed, checked (see ``_checked``)."""
    return _checked(provider.embed_nodes(nodes), [node.id for node in nodes])
