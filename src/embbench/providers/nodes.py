"""Node embeddings learned from each task's training graph: one-hot nodes (the no-knowledge baseline) and the
spectral embedding of the normalised adjacency (a truncated SVD, sparse throughout)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from embbench.contract import Graph, Options
from embbench.errors import EmbbenchError
from embbench.hookspecs import Register, hookimpl
from embbench.providers._nodes import FittedNodes, GraphNodeProvider

ONE_HOT_MAX_BYTES = 2**31  # a one-hot matrix of more nodes than this allows is refused, naming its size


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
