"""Node embeddings learned from each task's training graph: one-hot nodes (the no-knowledge baseline) and the
spectral embedding of the normalised adjacency (a truncated SVD, sparse throughout)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field

from embbench.contract import Context, Embedded, Graph, Node, NodeProvider, Options, OptionsT, TrainingData
from embbench.errors import EmbbenchError
from embbench.hookspecs import Register, hookimpl

ONE_HOT_MAX_BYTES = 2**31  # a one-hot matrix of more nodes than this allows is refused, naming its size


class FittedNodes:
    """A node provider's fit on one graph: the graph's name, each node id's row, the vectors and which rows hold
    a learned vector (covered)."""

    def __init__(self, graph: str, ids: Sequence[str], vectors: np.ndarray, covered: np.ndarray) -> None:
        self.graph, self.row = graph, {node: i for i, node in enumerate(ids)}
        self.vectors, self.covered = vectors, covered

    def embed(self, nodes: Sequence[Node]) -> Embedded:
        """Rows of the fitted vectors; a node of another graph, or one the graph does not have, is not covered."""
        rows = np.array([self.row.get(n.id, -1) if n.graph == self.graph else -1 for n in nodes], dtype=np.int64)
        known = rows >= 0
        vectors = np.zeros((len(nodes), self.vectors.shape[1]), dtype=np.float32)
        vectors[known] = self.vectors[rows[known]]
        covered = np.zeros(len(nodes), dtype=bool)
        covered[known] = self.covered[rows[known]]
        return Embedded(vectors, covered)


class GraphNodeProvider(NodeProvider[OptionsT]):
    """What the node providers here share: a copy fitted on a graph holds ``fit_`` and its facts."""

    fit_: FittedNodes
    facts_: dict[str, Any]

    def fitted_on(self, data: TrainingData, context: Context) -> GraphNodeProvider[OptionsT]:
        if data.kind != "graph":
            raise EmbbenchError(f"provider '{self.registered_name}' learns from a graph, not {data.kind}")
        fitted = type(self)(self.options, registered_name=self.registered_name, plugin=self.plugin)
        fitted.fit_, fitted.facts_ = self.learn(data.data)
        return fitted

    @abstractmethod
    def learn(self, graph: Graph) -> tuple[FittedNodes, dict[str, Any]]:
        """The vectors of the graph's nodes, and facts about them for the record."""

    def embed_nodes(self, nodes: Sequence[Node]) -> Embedded:
        return self.fit_.embed(nodes)

    def provenance(self) -> dict[str, Any]:
        return dict(getattr(self, "facts_", {}))


class NodeOneHot(GraphNodeProvider[Options]):
    """Each node of the training graph its own axis: no two nodes are alike, whatever the edges say (the baseline
    that knows nothing)."""

    name = "node-onehot"
    description = "one-hot vectors of a graph's nodes: the no-knowledge baseline"

    def learn(self, graph: Graph) -> tuple[FittedNodes, dict[str, Any]]:
        size = len(graph.ids)
        if size * size * 4 > ONE_HOT_MAX_BYTES:
            raise EmbbenchError(f"one-hot vectors of {size:,} nodes take {size * size * 4 / 2**30:.1f} GiB")
        vectors = np.eye(size, dtype=np.float32)
        return FittedNodes(graph.name, graph.ids, vectors, np.ones(size, dtype=bool)), {"dim": size}


class SpectralOptions(Options):
    dim: int = Field(16, ge=1)
    seed: int = 0


class Spectral(GraphNodeProvider[SpectralOptions]):
    """The leading singular vectors of the symmetric normalised adjacency D^-1/2 A D^-1/2 (edges both ways,
    weighted), scaled by the square roots of their singular values: a truncated SVD of the sparse matrix (ARPACK,
    its start vector drawn from ``seed``), each vector's sign fixed so its largest entry is positive. A node
    without edges has nothing to learn from and is not covered."""

    name = "spectral"
    description = "truncated SVD of a graph's normalised adjacency (sparse)"

    def learn(self, graph: Graph) -> tuple[FittedNodes, dict[str, Any]]:
        import scipy.sparse
        import scipy.sparse.linalg

        adjacency = graph.adjacency()
        degrees = np.asarray(adjacency.sum(axis=1)).ravel()
        scale = scipy.sparse.diags(np.where(degrees > 0, 1 / np.sqrt(np.maximum(degrees, 1e-300)), 0.0))
        normalised = (scale @ adjacency @ scale).tocsr()
        size = len(graph.ids)
        dim = min(self.options.dim, size - 1)
        start = np.random.default_rng(self.options.seed).uniform(-1, 1, size)
        left, values, _ = scipy.sparse.linalg.svds(normalised, k=dim, v0=start, random_state=self.options.seed)
        order = np.argsort(-values)
        vectors = left[:, order] * np.sqrt(values[order])
        signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(dim)])
        vectors = (vectors * np.where(signs == 0, 1, signs)).astype(np.float32)
        facts = {"dim": dim, "seed": self.options.seed, "singular_values": [round(float(v), 6) for v in values[order]]}
        return FittedNodes(graph.name, graph.ids, vectors, degrees > 0), facts


@hookimpl
def register_providers(register: Register) -> None:
    register(NodeOneHot)
    register(Spectral)
