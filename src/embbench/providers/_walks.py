"""Random walks over a graph, compiled (numba): the sentences that DeepWalk and node2vec give word2vec.

node2vec's second-order walk (Grover & Leskovec 2016) is drawn by rejection, as KnightKing does: a neighbour of the
current node is drawn uniformly and kept with probability weight / largest weight (1/p back to the previous node,
1 to a neighbour of it, 1/q further away). That is the exact biased distribution, with no alias table per edge, so
memory stays that of the graph (its CSR arrays, neighbours sorted for the adjacency test) and of the walks."""

from __future__ import annotations

import numba
import numpy as np

JIT = {"cache": True, "nogil": True}


@numba.njit(**JIT)
def _adjacent(indptr: np.ndarray, indices: np.ndarray, a: int, b: int) -> bool:
    """Whether ``b`` is a neighbour of ``a`` (binary search of ``a``'s sorted neighbours)."""
    low, high = indptr[a], indptr[a + 1]
    while low < high:
        middle = (low + high) // 2
        if indices[middle] < b:
            low = middle + 1
        else:
            high = middle
    return low < indptr[a + 1] and indices[low] == b


@numba.njit(**JIT)
def random_walks(indptr: np.ndarray, indices: np.ndarray, walks_per_node: int, length: int, p: float, q: float,
                 seed: int) -> np.ndarray:  # fmt: skip
    """``walks_per_node`` walks of ``length`` nodes from every node of a CSR graph (``indptr``/``indices``, each
    row's neighbours sorted), node2vec's with return parameter ``p`` and in-out parameter ``q`` (p = q = 1: the
    uniform walks of DeepWalk, drawn without rejection); a walk that reaches a node without neighbours ends there
    (the rest of its row is -1). Walk ``r * nodes + v`` is round ``r``'s walk from node ``v``; every draw comes from
    one generator seeded by ``seed``, so the walks are the same on every machine."""
    np.random.seed(seed)
    nodes = len(indptr) - 1
    uniform = p == 1.0 and q == 1.0
    back, away = 1.0 / p, 1.0 / q
    ceiling = max(back, 1.0, away)
    walks = np.full((walks_per_node * nodes, length), -1, dtype=np.int64)
    for round_ in range(walks_per_node):
        for start in range(nodes):
            row = round_ * nodes + start
            walks[row, 0] = start
            previous, node = -1, start
            for step in range(1, length):
                degree = indptr[node + 1] - indptr[node]
                if degree == 0:
                    break
                while True:
                    candidate = indices[indptr[node] + np.random.randint(degree)]
                    if uniform or previous < 0:
                        break
                    if candidate == previous:
                        weight = back
                    elif _adjacent(indptr, indices, previous, candidate):
                        weight = 1.0
                    else:
                        weight = away
                    if np.random.random() * ceiling < weight:
                        break
                previous, node = node, candidate
                walks[row, step] = node
    return walks
