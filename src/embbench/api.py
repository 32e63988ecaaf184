"""The plugin contract: options, the context a run gives, the Provider and Task base classes, task outputs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, NamedTuple, TypeVar, get_origin

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

if TYPE_CHECKING:
    from embbench.plugins import PluginInfo, Registry
    from embbench.words import WordVectors


class Options(BaseModel):
    """Base of every provider and task configuration: frozen (hashable, cacheable), unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
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
    share_embeddings: Callable[[str | dict[str, Any], Provider], Provider] | None = None
    """Set by the runner when the embedding cache is on: puts a fitted provider behind it (see ``make_provider``)."""

    def make_provider(self, spec: str | dict[str, Any], *, shared_embeddings: bool = False) -> Provider:
        """Build (and fit) another provider from a spec such as ``"glove:source=glove-6b-50d"``. With
        ``shared_embeddings``, its text embeddings come from (and go to) the run's embedding cache, where that
        provider run on its own keeps them: a transform of a sentence encoder reuses what the encoder embedded."""
        if self.registry is None:
            raise RuntimeError("this context has no registry to build providers from")
        provider = self.registry.make_provider(spec)
        provider.fit(self)
        if shared_embeddings and self.share_embeddings is not None:
            return self.share_embeddings(spec, provider)
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
        from embbench._util.hashing import fingerprint

        return fingerprint(path, self.cache_dir / "fingerprints")


class LabelledItems(NamedTuple):
    """Texts a task embeds, one label each; ``kind`` says how it embeds them: ``texts`` or ``words``."""

    kind: Literal["texts", "words"]
    texts: list[str]
    labels: list[str]


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

    def vector_bytes(self, count: int) -> int | None:
        """Bytes that ``count`` of its text embeddings take as the provider stores them (int8 or binary codes);
        None when they are the float32 vectors ``embed`` returns. A search task reports it as its index's size."""
        return None

    def resources(self) -> dict[str, float]:
        """What one run of this provider needs from a cluster (Ray resource names: num_cpus, num_gpus)."""
        return {"num_cpus": 1}


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


FAMILIES = (
    "word similarity",
    "analogy",
    "categorization",
    "clustering",
    "classification",
    "generation",
    "semantic textual similarity",
    "pair classification",
    "reranking",
    "retrieval",
)
"""The quality families of the built-in tasks, in the order boards show them. A task may declare one of these or
its own (a board shows it after these); ``bias`` is the family of tasks ranked apart, shown last."""


def family_place(family: str) -> tuple[int, str]:
    """Where a family goes on boards and in lists: the known families in their order, then any other (a plugin's)
    by name, and bias last."""
    if family == "bias":
        return len(FAMILIES) + 1, family
    return (FAMILIES.index(family), "") if family in FAMILIES else (len(FAMILIES), family)


PairedTest = Literal["bootstrap", "mcnemar", "williams", "paired-t"]
"""How a board tests a provider against a task's best on the items both scored: ``bootstrap`` (the paired
bootstrap of ``score_resamples``), ``mcnemar`` (the exact McNemar test on the boolean ``score_column``),
``williams`` (Williams' t on the correlations of ``score_column`` with the ``gold`` column) or ``paired-t`` (the
paired t-test on the per-item ``score_column``, as IR evaluations test per-query scores)."""


class Task(Configured[OptionsT], ABC):
    """Turns a provider into scores. Subclasses set ``name``, ``Options``, ``main_score`` and ``evaluate``, and
    declare what publishing needs: ``family``, ``paired_test`` and, for a score computed from one item column,
    ``score_column``."""

    main_score: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True
    family: ClassVar[str] = "other"
    """The board's column group (``word similarity``, ``retrieval``, ...); tasks of the ``bias`` family are ranked
    apart from the quality tasks. A task card may name another."""
    paired_test: ClassVar[PairedTest] = "bootstrap"
    score_column: ClassVar[str | None] = None
    """The item column the main score comes from; unless ``score_items`` is overridden, the score is its mean."""
    card: Path | None = None
    """The task card this named task was declared by (None for a task type used directly)."""

    def dataset_sha256(self) -> str | None:
        """sha256 of the data the task evaluates on (stored in every record)."""
        return None

    def embeds(self) -> str | None:
        """What the task embeds, as a key: two tasks with the same key embed the same texts (the scheduler keeps
        them apart, so one computes the embeddings and the other reuses them). Its dataset, by default."""
        return self.dataset_sha256()

    def load(self, context: Context) -> None:
        """Read and validate the task's data; raises EmbbenchError naming file:line on bad data."""

    def data_bytes(self) -> int:
        """The size of the data the loaded task reads (0 when unknown): the scheduler starts large ones first."""
        return 0

    def labelled_items(self) -> LabelledItems | None:
        """What the loaded task embeds with a label per item (documents and their topic, words and their category),
        for a board's maps of a provider's embeddings; None for a task without labels."""
        return None

    @abstractmethod
    def evaluate(self, provider: Provider) -> TaskOutput:
        """Score a fitted provider."""

    def score_items(self, items: Items) -> float | None:
        """The main score recomputed from some of the scored items' rows (a bootstrap resample, or the items
        every provider covers); None when undefined. The mean of ``score_column`` by default; a task with neither
        gives records without an interval."""
        if self.score_column is None:
            return None
        values = np.asarray(items[self.score_column])
        return float(values.mean()) if len(values) else None

    def scores_items(self) -> bool:
        """Whether the task can recompute its main score from items (``score_items`` or ``score_column``)."""
        return self.score_column is not None or type(self).score_items is not Task.score_items

    def score_resamples(self, items: Items, resamples: np.ndarray) -> np.ndarray:
        """``score_items`` of every row of a (k x n) matrix of row indices into ``items`` (NaN: undefined).

        Vectorised for the mean of ``score_column``; override with a vectorised computation where one exists (a
        rank correlation, count-weighted sums)."""
        if self.score_column is not None and type(self).score_items is Task.score_items:
            return np.asarray(items[self.score_column], dtype=float)[resamples].mean(axis=1)
        values = (self.score_items({name: column[rows] for name, column in items.items()}) for rows in resamples)
        return np.array([np.nan if value is None else value for value in values], dtype=float)
