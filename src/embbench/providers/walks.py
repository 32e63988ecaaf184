"""DeepWalk (Perozzi et al. 2014) and node2vec (Grover & Leskovec 2016): random walks over each task's training
graph, compiled, as the sentences of skip-gram word2vec (gensim's, seeded); a node's vector is its word's."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
from pydantic import Field

from embbench.contract import Graph, Options
from embbench.errors import EmbbenchError
from embbench.hookspecs import Register, hookimpl
from embbench.providers._gensim import gensim_hashfxn
from embbench.providers._nodes import FittedNodes, GraphNodeProvider


class WalkOptions(Options):
    """The walks (``walks_per_node``, ``walk_length``) and the skip-gram trained on them (``dim``, ``window``,
    ``negative``, ``epochs``, ``alpha``), all drawn from ``seed``; ``workers`` > 1 trains faster but not
    reproducibly (gensim's threads)."""

    dim: int = Field(64, ge=1)
    walks_per_node: int = Field(10, ge=1)
    walk_length: int = Field(40, ge=2)
    window: int = Field(5, ge=1)
    negative: int = Field(5, ge=1)
    epochs: int = Field(1, ge=1)
    alpha: float = Field(0.025, gt=0)
    seed: int = 0
    workers: int = Field(1, ge=1)


WalkOptionsT = TypeVar("WalkOptionsT", bound=WalkOptions)


class Node2VecOptions(WalkOptions):
    """node2vec's return parameter ``p`` (1/p: the weight of going back) and in-out parameter ``q`` (1/q: the weight
    of moving away from the previous node)."""

    p: float = Field(1.0, gt=0)
    q: float = Field(1.0, gt=0)


class WalkTrained(GraphNodeProvider[WalkOptionsT]):
    """Walks over the graph's edges both ways (unweighted); a node without edges is in no walk but its own and is
    not covered."""

    def bias(self) -> tuple[float, float]:
        """The walks' (p, q): (1, 1) draws uniform walks."""
        return 1.0, 1.0

    def learn(self, graph: Graph) -> tuple[FittedNodes, dict[str, Any]]:
        from gensim.models import Word2Vec

        from embbench.providers._walks import random_walks

        options = self.options
        adjacency = graph.adjacency()
        adjacency.sort_indices()
        walks = random_walks(adjacency.indptr.astype(np.int64), adjacency.indices.astype(np.int64),
                             options.walks_per_node, options.walk_length, *self.bias(), options.seed)  # fmt: skip
        ids = np.array(graph.ids, dtype=object)
        sentences = [list(ids[walk[walk >= 0]]) for walk in walks]
        model = Word2Vec(sentences=sentences, vector_size=options.dim, window=options.window, min_count=1, sg=1,
                         negative=options.negative, sample=0, alpha=options.alpha, epochs=options.epochs,
                         seed=options.seed, workers=options.workers, hashfxn=gensim_hashfxn)  # fmt: skip
        vectors = model.wv[list(graph.ids)].astype(np.float32)
        if not np.isfinite(vectors).all():
            raise EmbbenchError("training produced NaN or inf (try a smaller alpha)", f"provider '{self.name}'")
        degrees = np.diff(adjacency.indptr)
        facts = {"dim": options.dim, "seed": options.seed, "walks": len(walks),
                 "steps": int((walks >= 0).sum() - len(walks))}  # fmt: skip
        return FittedNodes(graph.name, graph.ids, vectors, degrees > 0), facts


class DeepWalk(WalkTrained[WalkOptions]):
    """DeepWalk: uniform random walks."""

    name = "deepwalk"
    description = "DeepWalk: uniform random walks (compiled) as skip-gram word2vec sentences (graph nodes)"


class Node2Vec(WalkTrained[Node2VecOptions]):
    """node2vec: second-order walks biased by ``p`` and ``q``, drawn exactly by rejection."""

    name = "node2vec"
    description = "node2vec: second-order random walks (p, q; compiled) as skip-gram word2vec sentences (graph nodes)"

    def bias(self) -> tuple[float, float]:
        return self.options.p, self.options.q


@hookimpl
def register_providers(register: Register) -> None:
    register(DeepWalk)
    register(Node2Vec)
