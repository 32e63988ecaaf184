"""Random walks over a graph, compiled (numba): the sentences that DeepWalk gives word2vec."""

from __future__ import annotations

import numba
import numpy as np

JIT = {"cache": True, "nogil": True}


@numba.njit(**JIT)
def uniform_walks(indptr: np.ndarray, indices: np.ndarray, walks_per_node: int, length: int, seed: int) -> np.ndarray:
    """``walks_per_node`` walks of ``length`` nodes from every node of a CSR graph (rows ``indptr``/``indices``),
    each step to a neighbour drawn uniformly; a walk that reaches a node without neighbours ends there (the rest
    of its row is -1). Walk ``r * nodes + v`` is round ``r``'s walk from node ``v``; the draws come from one
    generator seeded by ``seed``, so the walks are the same on every machine."""
    np.random.seed(seed)
    nodes = len(indptr) - 1
    walks = np.full((walks_per_node * nodes, length), -1, dtype=np.int64)
    for round_ in range(walks_per_node):
        for start in range(nodes):
            row = round_ * nodes + start
            node = start
            walks[row, 0] = node
            for step in range(1, length):
                degree = indptr[node + 1] - indptr[node]
                if degree == 0:
                    break
                node = indices[indptr[node] + np.random.randint(degree)]
                walks[row, step] = node
    return walks
