"""What the node providers share: a fit on one graph (each node's vector, and whether it learned one), and the
provider that makes a fitted copy of itself for each task's training graph."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from embbench.contract import Context, Embedded, Graph, Node, NodeProvider, OptionsT, TrainingData
from embbench.errors import EmbbenchError


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
