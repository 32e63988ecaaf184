"""The public surface: Provider and Task base classes, word vectors, task outputs."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_origin

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

if TYPE_CHECKING:
    import scipy.sparse

    from embbench.plugins import Registry

TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens: runs of letters/digits, keeping inner apostrophes (``don't``)."""
    return TOKEN_RE.findall(text.lower())


class Options(BaseModel):
    """Base of every provider and task configuration: frozen (hashable, cacheable), unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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


class Provider:
    """Turns text into vectors. Subclasses set ``name``, ``Options`` and implement ``embed``.

    ``fit(context)`` loads or trains (the runner calls it once; tasks never do); fitted state ends in ``_``.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Options: ClassVar[type[Options]] = Options
    registered_name: str = ""

    def __init__(self, options: Options | None = None, **kwargs: Any) -> None:
        self.options = options if options is not None else self.Options(**kwargs)
        self.registered_name = self.name

    def fit(self, context: Context) -> Provider:
        """Load or train whatever the provider needs; returns self."""
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array (len(texts), dim)."""
        raise NotImplementedError

    def word_vectors(self) -> WordVectors | None:
        """The static vocabulary and matrix, for providers that have one (word tasks search it)."""
        return None

    def provenance(self) -> dict[str, Any]:
        """Facts about how the provider was built (corpus sha256, training seconds, ...), stored in records."""
        return {}

    def resources(self) -> dict[str, float]:
        """What one run of this provider needs from a cluster (Ray resource names: num_cpus, num_gpus)."""
        return {"num_cpus": 1}


class WordOptions(Options):
    """Options shared by word-level providers."""

    pooling: Literal["mean", "sum", "max"] = "mean"


class WordProvider(Provider):
    """A provider with a static vocabulary; sentences are embedded by pooling their tokens' vectors."""

    Options: ClassVar[type[Options]] = WordOptions
    vectors_: WordVectors
    provenance_: dict[str, Any]

    def provenance(self) -> dict[str, Any]:
        """What ``fit`` recorded in ``provenance_`` (corpus or file sha256, fit time, ...)."""
        return getattr(self, "provenance_", {})

    def word_vectors(self) -> WordVectors:
        return self.vectors_

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.vectors_
        out = np.zeros((len(texts), vectors.dim), dtype=np.float32)
        pooling = getattr(self.options, "pooling", "mean")
        for i, text in enumerate(texts):
            tokens = tokenize(text) or ([text] if text else [])
            rows = [r for r in (vectors.lookup(t) for t in tokens) if r is not None]
            blocks = [vectors.dense_rows(rows)] if rows else []
            if vectors.oov is not None and len(rows) < len(tokens):
                blocks.append(vectors.oov([t for t in tokens if vectors.lookup(t) is None]))
            if not blocks:
                continue  # no known token: a zero vector, which tasks count as not covered
            block = np.concatenate(blocks)
            out[i] = block.max(axis=0) if pooling == "max" else block.sum(axis=0)
            if pooling == "mean":
                out[i] /= len(block)
        return out


@dataclass
class TaskOutput:
    """What a task returns: named scores, coverage and any detail worth keeping."""

    scores: dict[str, float | None]
    n_items: int
    n_scored: int
    details: dict[str, Any] = field(default_factory=dict)
    resample: Callable[[np.ndarray], float | None] | None = None
    """The main score recomputed on a resample (indices into the scored items), for a bootstrap CI."""
    n_resample: int = 0
    """How many items ``resample`` indexes (the scored items, or the task's own units such as tests)."""

    @property
    def coverage(self) -> float:
        return self.n_scored / self.n_items if self.n_items else 0.0


class Task:
    """Turns a provider into scores. Subclasses set ``name``, ``Options``, ``main_score`` and ``evaluate``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Options: ClassVar[type[Options]] = Options
    main_score: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True
    registered_name: str = ""

    def __init__(self, options: Options | None = None, **kwargs: Any) -> None:
        self.options = options if options is not None else self.Options(**kwargs)
        self.registered_name = self.name

    def dataset_sha256(self) -> str | None:
        """sha256 of the data the task evaluates on (stored in every record)."""
        return None

    def load(self, context: Context) -> None:
        """Read and validate the task's data; raises EmbbenchError naming file:line on bad data."""

    def evaluate(self, provider: Provider) -> TaskOutput:
        raise NotImplementedError
