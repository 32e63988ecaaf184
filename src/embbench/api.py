"""The public surface: Provider and Task base classes, word vectors, task outputs."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, NamedTuple, TypeVar, get_origin

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

if TYPE_CHECKING:
    import scipy.sparse

    from embbench.plugins import PluginInfo, Registry

TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens: runs of letters/digits, keeping inner apostrophes (``don't``)."""
    return TOKEN_RE.findall(text.lower())


class Options(BaseModel):
    """Base of every provider and task configuration: frozen (hashable, cacheable), unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    embedding_only: ClassVar[frozenset[str]] = frozenset()
    """Options that change how a fitted model embeds, not the fit itself: left out of the fit cache's key."""

    def fit_options(self) -> dict[str, Any]:
        """The options that decide what a fit learns (all but ``embedding_only``), as JSON values."""
        return self.model_dump(mode="json", exclude=set(self.embedding_only))

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, values: Any) -> Any:
        """A string given for a tuple/list option is split at commas (``methods=[3cosadd,3cosmul]``)."""
        if not isinstance(values, dict):
            return values
        return {
            key: [item.strip() for item in value.split(",") if item.strip()]
            if isinstance(value, str)
            and key in cls.model_fields
            and get_origin(cls.model_fields[key].annotation) in (tuple, list)
            else value
            for key, value in values.items()
        }


OptionsT = TypeVar("OptionsT", bound=Options)


@dataclass
class Context:
    """What the runner gives providers and tasks: where to cache, and the registry to build other providers."""

    cache_dir: Path
    registry: Registry | None = None

    def make_provider(self, spec: str | dict[str, Any]) -> Provider:
        """Build (and fit) another provider from a spec such as ``"glove:source=glove-6b-50d"``."""
        if self.registry is None:
            raise RuntimeError("this context has no registry to build providers from")
        provider = self.registry.make_provider(spec)
        provider.fit(self)
        return provider

    def provider_inputs(self, spec: str | dict[str, Any]) -> dict[str, str]:
        """The identity of another provider (a base) without fitting it: its class version and its input
        fingerprints, so what depends on it is redone when what it computes changes."""
        if self.registry is None:
            raise RuntimeError("this context has no registry to build providers from")
        provider = self.registry.make_provider(spec)
        return {"version": f"{provider.name} {type(provider).version}", **provider.inputs(self)}

    def fingerprint(self, path: Path) -> str:
        """Content sha256 of a file or folder, remembered by (path, size, mtime, inode) in the cache."""
        from embbench.hashing import fingerprint

        return fingerprint(path, self.cache_dir / "fingerprints")


class WordVectors:
    """A static vocabulary and its matrix (dense float32 or scipy sparse CSR), in frequency order when known."""

    def __init__(self, words: Sequence[str], matrix: np.ndarray | scipy.sparse.csr_matrix) -> None:
        if len(words) != matrix.shape[0]:
            raise ValueError(f"{len(words)} words but {matrix.shape[0]} vectors")
        self.words = list(words)
        self.matrix = matrix
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


class Embedded(NamedTuple):
    """Vectors of some texts and which of them the provider could embed (``covered``); a zero vector is a vector."""

    vectors: np.ndarray
    covered: np.ndarray


class Configured(Generic[OptionsT]):
    """What providers and tasks share: a name, a version, validated options, and where they were registered.

    Bump ``version`` whenever what the class computes changes: records made by an older version are redone.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    version: ClassVar[int] = 1
    Options: ClassVar[type[Options]] = Options

    def __init__(
        self, options: OptionsT | None = None, *, registered_name: str = "", plugin: PluginInfo | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        self.options: OptionsT = options if options is not None else self.Options(**kwargs)  # type: ignore[assignment]
        self.registered_name = registered_name or self.name
        self.plugin = plugin


class Provider(Configured[OptionsT], ABC):
    """Turns text into vectors. Subclasses set ``name``, ``Options`` and implement ``embed``.

    ``fit(context)`` loads or trains (the runner calls it once; tasks never do); fitted state ends in ``_``.
    """

    def inputs(self, context: Context) -> dict[str, str]:
        """Content fingerprints of what the provider is built from (vector files, model folders, corpora, a base
        provider), by what they are (``"vector file"``). Called while a run is planned, before anything runs:
        raise ``EmbbenchError`` naming the option when an input is missing. A record whose inputs differ is redone.
        """
        return {}

    def fit(self, context: Context) -> Provider:
        """Load or train whatever the provider needs; returns self."""
        return self

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array (len(texts), dim)."""

    def embed_with_coverage(self, texts: Sequence[str]) -> Embedded:
        """Vectors of ``texts`` and a mask of those the provider could embed (all of them, by default)."""
        vectors = np.asarray(self.embed(texts), dtype=np.float32)
        return Embedded(vectors, np.ones(len(texts), dtype=bool))

    def embed_words(self, words: Sequence[str]) -> Embedded:
        """Vectors of single words, for word tasks (a vocabulary looks each word up whole first)."""
        return self.embed_with_coverage(words)

    def word_vectors(self) -> WordVectors | None:
        """The static vocabulary and matrix, for providers that have one (word tasks search it)."""
        return None

    def provenance(self) -> dict[str, Any]:
        """Facts about how the provider was built (corpus sha256, training seconds, ...), stored in records."""
        return {}

    def resources(self) -> dict[str, float]:
        """What one run of this provider needs from a cluster (Ray resource names: num_cpus, num_gpus)."""
        return {"num_cpus": 1}


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
        return {**facts, "vocabulary": len(vectors), "dim": vectors.dim, "memory_mib": mebibytes(self.model_bytes())}

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


Items = dict[str, np.ndarray]
"""Per-item outputs of a task: equal-length columns. ``id`` (str) and ``covered`` (bool) always; ``scored`` (bool)
when the rows that enter the score are not just the covered ones; ``loss`` (float, higher is worse: a wrong answer,
a large rank gap, a biased word) for error analysis; and the item-level values the score comes from."""


@dataclass
class TaskOutput:
    """What a task returns: named scores, coverage, per-item outputs and any detail worth keeping.

    ``items`` holds one row per item of the dataset: ``id`` (str), ``covered`` (bool) and the item-level values
    the score comes from (a pair's cosine, an analogy's predicted word, a document's predicted class). The
    bootstrap interval resamples the rows that enter the score (``scored`` if given, else ``covered``) and
    recomputes ``Task.score_items`` on each resample.
    """

    scores: dict[str, float | None]
    n_items: int
    n_scored: int
    details: dict[str, Any] = field(default_factory=dict)
    items: Items | None = None
    seed_error: float = 0.0
    """Standard error of the main score over random starts (k-means seeds); 0 when the task is deterministic."""

    @property
    def coverage(self) -> float:
        return self.n_scored / self.n_items if self.n_items else 0.0


class Task(Configured[OptionsT], ABC):
    """Turns a provider into scores. Subclasses set ``name``, ``Options``, ``main_score`` and ``evaluate``."""

    main_score: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True

    def dataset_sha256(self) -> str | None:
        """sha256 of the data the task evaluates on (stored in every record)."""
        return None

    def embeds(self) -> str | None:
        """What the task embeds, as a key: two tasks with the same key embed the same texts (the scheduler keeps
        them apart, so one computes the embeddings and the other reuses them). Its dataset, by default."""
        return self.dataset_sha256()

    def load(self, context: Context) -> None:
        """Read and validate the task's data; raises EmbbenchError naming file:line on bad data."""

    @abstractmethod
    def evaluate(self, provider: Provider) -> TaskOutput:
        """Score a fitted provider."""

    def score_items(self, items: Items) -> float | None:
        """The main score recomputed from some of the scored items' rows (a bootstrap resample, or the items
        every provider covers); None when undefined. Without it, records carry no interval."""
        return None

    def score_resamples(self, items: Items, resamples: np.ndarray) -> np.ndarray:
        """``score_items`` of every row of a (k x n) matrix of row indices into ``items`` (NaN: undefined).

        Override with a vectorised computation where one exists (a mean, a rank correlation)."""
        values = (self.score_items({name: column[rows] for name, column in items.items()}) for rows in resamples)
        return np.array([np.nan if value is None else value for value in values], dtype=float)
