"""Reading the graph tasks' graphs: edges from ``source<TAB>target[<TAB>weight]`` files, every line checked, errors
located by file:line."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embbench.contract import Graph
from embbench.errors import EmbbenchError
from embbench.tasks._readers import numbers, read_columns


def read_edges(path: Path, name: str, ids: tuple[str, ...]) -> Graph:
    """The edges of a ``source<TAB>target[<TAB>weight]`` file between the given nodes; an edge naming another node,
    or a weight that is not a positive number, is an error naming its line."""
    columns, lines = read_columns(path, ("source", "target"))
    row = {node: i for i, node in enumerate(ids)}
    ends = []
    for side in ("source", "target"):
        unknown = next((i for i, node in enumerate(columns[side]) if node not in row), None)
        if unknown is not None:
            raise EmbbenchError(f"{side} node '{columns[side][unknown]}' is not a node of the graph (the nodes are"
                                f" those of the task's node file)", f"{path}:{lines[unknown]}")  # fmt: skip
        ends.append(np.array([row[node] for node in columns[side]], dtype=np.int64))
    weights = numbers(path, "weight", columns["weight"], lines) if "weight" in columns else np.ones(len(lines))
    bad = np.flatnonzero(~(weights > 0))
    if len(bad):
        raise EmbbenchError(f"weight {columns['weight'][bad[0]]!r} is not a positive number", f"{path}:{lines[bad[0]]}")
    return Graph(name, ids, ends[0], ends[1], weights.astype(np.float64))
