"""Helpers shared by task families: reading labelled TSV files, embedding words, clustering metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from embbench.api import Provider
from embbench.datasets import iter_data_lines
from embbench.errors import EmbbenchError


def read_labelled(path: Path, *layouts: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Rows of a TSV file whose header is one of ``layouts`` (column names), checked field by field.

    Fields may be double-quoted (with ``""`` for a quote inside), as in the bundled BBC News file.
    """
    import csv

    rows: list[tuple[str, ...]] = []
    lines = iter_data_lines(path)
    header = next(lines, None)
    if header is None:
        raise EmbbenchError("the file is empty", str(path))
    number, text = header
    columns = next((layout for layout in layouts if tuple(text.split("\t")) == layout), None)
    if columns is None:
        expected = " or ".join("<TAB>".join(layout) for layout in layouts)
        raise EmbbenchError(f"expected a header {expected}, found {text[:80]!r}", f"{path}:{number}")
    for number, text in lines:
        fields = next(csv.reader([text], delimiter="\t"))
        if len(fields) != len(columns):
            raise EmbbenchError(
                f"expected {len(columns)} tab-separated fields, found {len(fields)}", f"{path}:{number}"
            )
        if not all(f.strip() for f in fields):
            raise EmbbenchError("empty field", f"{path}:{number}")
        rows.append(tuple(f.strip() for f in fields))
    if not rows:
        raise EmbbenchError("no rows after the header", str(path))
    return rows


def embed_checked(provider: Provider, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of ``texts`` and a mask of those the provider covers (a non-zero vector)."""
    vectors = provider.embed(texts)
    if vectors.ndim != 2 or vectors.shape[1] == 0:
        raise EmbbenchError(f"provider returned embeddings of shape {vectors.shape}; dimension 0 cannot be evaluated")
    return vectors, np.any(vectors != 0, axis=1)


def single_threaded() -> Any:
    """A context in which BLAS and OpenMP use one thread, so k-means gives bitwise the same result everywhere."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def purity(labels: np.ndarray, clusters: np.ndarray) -> float:
    """Fraction of items whose cluster's majority label is their own label."""
    from sklearn import metrics

    table = metrics.cluster.contingency_matrix(labels, clusters)
    return float(table.max(axis=0).sum() / table.sum())


def clustering_scores(labels: np.ndarray, clusters: np.ndarray) -> dict[str, float]:
    from sklearn import metrics

    return {
        "purity": purity(labels, clusters),
        "v_measure": float(metrics.v_measure_score(labels, clusters)),
        "ari": float(metrics.adjusted_rand_score(labels, clusters)),
    }
