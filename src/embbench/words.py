"""Word-level providers: a static vocabulary and its matrix, and sentences embedded by pooling token vectors."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

import numpy as np

from embbench._util.scaling import in_safe_range, magnitude
from embbench.contract import Embedded, Options, Provider
from embbench.errors import EmbbenchError

if TYPE_CHECKING:
    import scipy.sparse

TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens: runs of letters/digits, keeping inner apostrophes (``don't``)."""
    return TOKEN_RE.findall(text.lower())


class WordVectors:
    """A static vocabulary and its matrix (dense float32 or scipy sparse CSR), in frequency order when known."""

    def __init__(self, words: Sequence[str], matrix: np.ndarray | scipy.sparse.csr_matrix) -> None:
        if len(words) != matrix.shape[0]:
            raise ValueError(f"{len(words)} words but {matrix.shape[0]} vectors")
        self.words = list(words)
        largest = magnitude(matrix)
        if not math.isfinite(largest):
            row = _first_non_finite_row(matrix)
            raise EmbbenchError(f"the vector of {self.words[row]!r} (row {row + 1}) is not finite: a value is NaN"
                                " or beyond float32's range")  # fmt: skip
        self.matrix, self.rescaled_by = in_safe_range(matrix, largest)
        """The power of two the vectors were multiplied by to bring them where float32 arithmetic is safe (0:
        none; see ``embbench._util.scaling``)."""
        self.oov: Callable[[Sequence[str]], np.ndarray] | None = None  # subword vectors for unknown words (fastText)

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    @cached_property
    def index(self) -> dict[str, int]:
        """Word -> row; the first (most frequent) row wins for a repeated key."""
        index: dict[str, int] = {}
        for i, word in enumerate(self.words):
            index.setdefault(word, i)
        return index

    @cached_property
    def lower_index(self) -> dict[str, int]:
        """Lower-cased word -> row of its first (most frequent) spelling."""
        index: dict[str, int] = {}
        for i, word in enumerate(self.words):
            index.setdefault(word.lower(), i)
        return index

    def folded_rows(self, limit: int) -> dict[str, list[int]]:
        """Upper-cased word -> its rows among the first ``limit``, most frequent first (gensim's case folding).

        Cached per limit, so several tasks on the same vectors build it once.
        """
        cache = self.__dict__.setdefault("_folded_rows", {})
        if limit not in cache:
            rows: dict[str, list[int]] = {}
            for i, word in enumerate(self.words[:limit]):
                rows.setdefault(word.upper(), []).append(i)
            cache[limit] = rows
        return cache[limit]

    def lookup(self, word: str) -> int | None:
        """Row of ``word``: exact spelling first, then its lower-case form; None when out of vocabulary."""
        row = self.index.get(word)
        return row if row is not None else self.lower_index.get(word.lower())

    def dense_rows(self, rows: np.ndarray | Sequence[int]) -> np.ndarray:
        """The given rows as a dense float32 array."""
        block = self.matrix[np.asarray(rows, dtype=np.int64)]
        return np.asarray(block.toarray() if hasattr(block, "toarray") else block, dtype=np.float32)

    @cached_property
    def norms(self) -> np.ndarray:
        """L2 norm of every row (float32)."""
        if hasattr(self.matrix, "multiply"):
            return np.sqrt(np.asarray(self.matrix.multiply(self.matrix).sum(axis=1)).ravel()).astype(np.float32)
        norms = np.empty(len(self), dtype=np.float32)
        for start in range(0, len(self), 65536):
            block = np.asarray(self.matrix[start : start + 65536], dtype=np.float32)
            norms[start : start + 65536] = np.linalg.norm(block, axis=1)
        return norms


def _first_non_finite_row(matrix: np.ndarray | scipy.sparse.csr_matrix) -> int:
    if hasattr(matrix, "indptr"):
        first = int(np.flatnonzero(~np.isfinite(matrix.data))[0])
        return int(np.searchsorted(matrix.indptr, first, side="right")) - 1
    return int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])


def mebibytes(size: int) -> float:
    """A size in bytes as MiB, to a tenth."""
    return round(size / 2**20, 1)


class WordOptions(Options):
    """Options shared by word-level providers."""

    pooling: Literal["mean", "sum", "max"] = "mean"
    embedding_only: ClassVar[frozenset[str]] = frozenset({"pooling"})  # a fit is shared by every pooling


WordOptionsT = TypeVar("WordOptionsT", bound=WordOptions)


class WordProvider(Provider[WordOptionsT]):
    """A provider with a static vocabulary; sentences are embedded by pooling their tokens' vectors."""

    Options: ClassVar[type[Options]] = WordOptions
    vectors_: WordVectors
    provenance_: dict[str, Any]

    def provenance(self) -> dict[str, Any]:
        """What ``fit`` recorded in ``provenance_`` (corpus or file sha256, fit time, ...), with the vocabulary size,
        the dimension and the model's size in memory."""
        facts = getattr(self, "provenance_", {})
        vectors = getattr(self, "vectors_", None)
        if vectors is None:
            return facts
        facts = {**facts, "vocabulary": len(vectors), "dim": vectors.dim, "memory_mib": mebibytes(self.model_bytes())}
        return {**facts, "rescaled_by": f"2^{vectors.rescaled_by}"} if vectors.rescaled_by else facts

    def model_bytes(self) -> int:
        """Bytes the fitted model holds: its vector matrix (dense, sparse or quantized)."""
        import scipy.sparse

        matrix = self.vectors_.matrix
        if scipy.sparse.issparse(matrix):
            return int(matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes)
        return int(matrix.nbytes)

    def word_vectors(self) -> WordVectors:
        return self.vectors_

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_with_coverage(texts).vectors

    def embed_with_coverage(self, texts: Sequence[str]) -> Embedded:
        """Each text pools its tokens' vectors (subword vectors for unknown tokens where the provider has them);
        a text none of whose tokens is known is not covered."""
        return self._pooled(texts, [tokenize(text) or ([text] if text else []) for text in texts])

    def embed_words(self, words: Sequence[str]) -> Embedded:
        """A word the vocabulary holds whole (``short-term``, ``new_york``, ``Paris``) is looked up as written, then
        lower-cased; an absent word gets its subword vector (fastText), else the pooled vectors of its tokens."""
        vectors = self.vectors_
        pieces = [
            [word] if vectors.lookup(word) is not None or vectors.oov is not None else tokenize(word) for word in words
        ]
        return self._pooled(words, pieces)

    def _pooled(self, texts: Sequence[str], pieces: list[list[str]]) -> Embedded:
        vectors = self.vectors_
        found = [[vectors.lookup(t) for t in tokens] for tokens in pieces]
        known = [[r for r in rows if r is not None] for rows in found]
        subwords = self._subword_blocks(pieces, found)
        if getattr(self.options, "pooling", "mean") == "max":
            return self._max_pooled(len(texts), known, subwords)
        import scipy.sparse

        counts = np.array([len(rows) for rows in known], dtype=np.int64)
        used, columns = np.unique(np.fromiter((r for rows in known for r in rows), np.int64), return_inverse=True)
        bags = scipy.sparse.csr_matrix(
            (np.ones(len(columns), dtype=np.float32), columns.ravel(), np.concatenate([[0], np.cumsum(counts)])),
            shape=(len(texts), len(used)),
        )
        summed = bags @ vectors.matrix[used]  # every text's known rows summed in one sparse product
        out = np.asarray(summed.toarray() if hasattr(summed, "toarray") else summed, dtype=np.float32)
        for i, block in subwords.items():  # known rows and subword vectors summed in one order, as in max pooling
            out[i] = np.concatenate([vectors.dense_rows(known[i]), block]).sum(axis=0)
            counts[i] += len(block)
        covered = counts > 0
        if getattr(self.options, "pooling", "mean") == "mean":
            out[covered] /= counts[covered, None].astype(np.float32)
        return Embedded(out, covered)

    def _subword_blocks(self, pieces: list[list[str]], found: list[list[int | None]]) -> dict[int, np.ndarray]:
        """The subword vectors of each text's unknown tokens that have known n-grams (fastText), by text; each
        distinct unknown token is computed once."""
        oov = self.vectors_.oov
        if oov is None:
            return {}
        unknown = [
            [t for t, r in zip(tokens, rows, strict=True) if r is None]
            for tokens, rows in zip(pieces, found, strict=True)
        ]
        distinct = sorted({t for tokens in unknown for t in tokens})
        if not distinct:
            return {}
        subword = oov(distinct)
        has_ngrams = np.any(subword != 0, axis=1)  # a word without known n-grams has no vector
        position = {t: i for i, t in enumerate(distinct) if has_ngrams[i]}
        return {i: subword[[position[t] for t in tokens if t in position]] for i, tokens in enumerate(unknown)
                if tokens}  # fmt: skip

    def _max_pooled(self, n: int, known: list[list[int]], subwords: dict[int, np.ndarray]) -> Embedded:
        vectors = self.vectors_
        out = np.zeros((n, vectors.dim), dtype=np.float32)
        covered = np.zeros(n, dtype=bool)
        for i, rows in enumerate(known):
            blocks = [vectors.dense_rows(rows)] if rows else []
            blocks += [subwords[i]] if i in subwords and len(subwords[i]) else []
            if blocks:
                out[i], covered[i] = np.concatenate(blocks).max(axis=0), True
        return Embedded(out, covered)
