"""What a task embeds besides text: the kinds of item, graph nodes, and the training data a task lets a provider learn
from (its training graph, a ``Graph``), so that a provider fitted on it never sees the task's test data."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse

TEXT = "text"
NODE = "node"
KIND_NAMES = {TEXT: "text", NODE: "graph nodes"}
"""Each kind of item as a reason names it."""


@dataclass(frozen=True)
class Node:
    """A node of a named graph: its id there, and its name where it has one (a WordNet synset's lemma, an entity),
    which a text provider embeds in its place."""

    graph: str
    id: str
    name: str | None = None


def node_keys(nodes: Sequence[Node]) -> list[str]:
    """Each node as the embedding cache keys it: its graph and its id (the name is not the node)."""
    return [f"{node.graph}\0{node.id}" for node in nodes]


@dataclass(frozen=True)
class TrainingData:
    """What a task lets a provider learn from, and its identity: ``kind`` (``graph``), a ``name`` saying what it
    is (``nations: train split``), the ``sha256`` of the data exactly as the provider gets it, ``facts`` for the
    record (nodes, edges used) and the ``data`` itself (a graph's nodes and training edges)."""

    kind: str
    name: str
    sha256: str
    facts: dict[str, Any] = field(default_factory=dict)
    data: Any = field(default=None, compare=False, repr=False)

    def provenance(self) -> dict[str, Any]:
        """What a record says its provider was fitted on."""
        return {"kind": self.kind, "name": self.name, "sha256": self.sha256, **self.facts}


@dataclass(frozen=True)
class Graph:
    """A named graph: its node ids (row ``i`` of every node matrix is ``ids[i]``) and its edges as rows into them,
    each with a weight (1 where the file gives none)."""

    name: str
    ids: tuple[str, ...]
    sources: np.ndarray
    targets: np.ndarray
    weights: np.ndarray

    def nodes(self) -> list[Node]:
        return [Node(self.name, node) for node in self.ids]

    def adjacency(self) -> scipy.sparse.csr_matrix:
        """The symmetric (undirected) weighted adjacency as a sparse CSR matrix: a directed edge counts both ways."""
        import scipy.sparse

        size = len(self.ids)
        rows = np.concatenate([self.sources, self.targets])
        columns = np.concatenate([self.targets, self.sources])
        weights = np.concatenate([self.weights, self.weights])
        return scipy.sparse.csr_matrix((weights, (rows, columns)), shape=(size, size))

    def training_data(self, split: str) -> TrainingData:
        """The graph as a node provider is fitted on it; its sha256 covers exactly the nodes and edges given."""
        digest = hashlib.sha256()
        digest.update("\n".join(self.ids).encode())
        for array in (self.sources, self.targets, self.weights):
            digest.update(np.ascontiguousarray(array).tobytes())
        facts = {"graph": self.name, "split": split, "nodes": len(self.ids), "edges": len(self.sources)}
        return TrainingData("graph", f"{self.name}: {split}", digest.hexdigest(), facts, data=self)
