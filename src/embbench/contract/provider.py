"""The provider contract: turns text into vectors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np

from embbench.contract.items import NODE, TEXT, Node, TrainingData
from embbench.contract.options import Configured, OptionsT
from embbench.errors import EmbbenchError

if TYPE_CHECKING:
    from embbench.contract.context import Context
    from embbench.words import WordVectors


class Embedded(NamedTuple):
    """Vectors of some texts and which of them the provider could embed (``covered``); a zero vector is a vector."""

    vectors: np.ndarray
    covered: np.ndarray


class Provider(Configured[OptionsT], ABC):
    """Turns text into vectors. Subclasses set ``name``, ``Options`` and implement ``embed``.

    ``fit(context)`` loads or trains (the runner calls it once; tasks never do); fitted state ends in ``_``. A
    provider of another kind of item says so in ``item_kinds`` (``NodeProvider`` for graph nodes).
    """

    item_kinds: ClassVar[frozenset[str]] = frozenset({TEXT})
    """The kinds of item the provider embeds; a task of another kind gets a skipped record saying so (a text
    provider also embeds graph nodes that have names, by their names)."""
    learns_from_task: ClassVar[bool] = False
    """Fitted on each task's own training data (``fitted_on``: a graph's training edges), never on its test data,
    rather than once for every task (``fit``)."""

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

    def embed_nodes(self, nodes: Sequence[Node]) -> Embedded:
        """Vectors of graph nodes. A text provider embeds each node's name (the same text as any task's, through
        the same embedding cache); a node without a name is not covered."""
        named = [i for i, node in enumerate(nodes) if node.name]
        if not named:
            return Embedded(np.zeros((len(nodes), 1), dtype=np.float32), np.zeros(len(nodes), dtype=bool))
        embedded = self.embed_with_coverage([nodes[i].name or "" for i in named])
        vectors = np.zeros((len(nodes), embedded.vectors.shape[1]), dtype=np.float32)
        covered = np.zeros(len(nodes), dtype=bool)
        vectors[named], covered[named] = embedded.vectors, embedded.covered
        return Embedded(vectors, covered)

    def fitted_on(self, data: TrainingData, context: Context) -> Provider:
        """A copy of this provider fitted on a task's training data (for providers that ``learns_from_task``); the
        runner asks once per distinct training data (by its sha256) and gives it to every task that shares it."""
        raise NotImplementedError(f"provider '{self.name}' learns from a task's data but defines no fitted_on")

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


class NodeProvider(Provider[OptionsT]):
    """Embeds the nodes of a graph, learned from each task's training graph (``fitted_on(data, context)``, where
    ``data.data`` is the task's graph without its test edges), then ``embed_nodes``. It embeds no text."""

    item_kinds: ClassVar[frozenset[str]] = frozenset({NODE})
    learns_from_task: ClassVar[bool] = True

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise EmbbenchError(f"provider '{self.name}' embeds graph nodes, not text")

    @abstractmethod
    def fitted_on(self, data: TrainingData, context: Context) -> Provider:
        """A copy of this provider fitted on a task's training graph."""

    @abstractmethod
    def embed_nodes(self, nodes: Sequence[Node]) -> Embedded:
        """Vectors of the nodes (of the graph it was fitted on); a node it never saw is not covered."""
