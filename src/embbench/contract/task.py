"""The task contract: turns a provider into scores, with per-item outputs, and what publishing needs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

import numpy as np

from embbench.contract.items import TEXT, TrainingData
from embbench.contract.options import Configured, OptionsT

if TYPE_CHECKING:
    from embbench.cards import TaskCard
    from embbench.contract.context import Context
    from embbench.contract.provider import Provider


class LabelledItems(NamedTuple):
    """Texts a task embeds, one label each; ``kind`` says how it embeds them: ``texts`` or ``words``."""

    kind: Literal["texts", "words"]
    texts: list[str]
    labels: list[str]


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
    "node classification",
    "link prediction",
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

    item_kind: ClassVar[str] = TEXT
    """The kind of item the task embeds (``text``, ``node``); a provider that embeds no such item gets a skipped
    record saying so."""
    main_score: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True
    family: str = "other"
    """The board's column group (``word similarity``, ``retrieval``, ...); tasks of the ``bias`` family are ranked
    apart from the quality tasks. Declared by the class; a named task's card may name another for its instances."""
    paired_test: ClassVar[PairedTest] = "bootstrap"
    score_column: ClassVar[str | None] = None
    """The item column the main score comes from; unless ``score_items`` is overridden, the score is its mean."""

    def __init__(self, options: OptionsT | None = None, *, card: TaskCard | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.card: Path | None = card.path if card is not None else None
        """The task card this named task was declared by (None for a task type used directly)."""
        if card is not None and card.family:
            self.family = card.family

    def dataset_sha256(self) -> str | None:
        """sha256 of the data the task evaluates on (stored in every record)."""
        return None

    def embeds(self) -> str | None:
        """What the task embeds, as a key: two tasks with the same key embed the same texts (the scheduler keeps
        them apart, so one computes the embeddings and the other reuses them). Its dataset, by default."""
        return self.dataset_sha256()

    def training_data(self) -> TrainingData | None:
        """What a provider that learns from the task's own data is fitted on (its training graph, never its test
        edges); None when the task has none."""
        return None

    def items_have_names(self) -> bool:
        """Whether the loaded task's items (graph nodes) have names, which a text provider can embed instead."""
        return self.item_kind == TEXT

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
