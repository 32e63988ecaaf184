"""Helpers shared by task families: reading labelled TSV files, embedding words, clustering metrics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embbench._util.files import iter_data_lines
from embbench._util.scaling import in_safe_range
from embbench.api import Embedded, Provider
from embbench.errors import EmbbenchError, SkipTask
from embbench.stats.bootstrap import multiplicities

if TYPE_CHECKING:
    import scipy.sparse


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


def read_columns(path: Path, required: tuple[str, ...]) -> tuple[dict[str, list[str]], list[int]]:
    """The columns of a TSV file whose header starts with ``required`` (further columns are kept too), and each
    row's line number; checked row by row: every row has the header's fields, and the required ones are not
    empty. Fields may be double-quoted (with ``""`` for a quote inside)."""
    import csv

    lines = iter_data_lines(path)
    header = next(lines, None)
    if header is None:
        raise EmbbenchError("the file is empty", str(path))
    number, text = header
    names = [name.strip() for name in text.split("\t")]
    if tuple(names[: len(required)]) != required:
        expected = "<TAB>".join(required)
        raise EmbbenchError(f"expected a header starting {expected}, found {text[:80]!r}", f"{path}:{number}")
    columns: dict[str, list[str]] = {name: [] for name in names}
    line_numbers = []
    for number, text in lines:
        fields = next(csv.reader([text], delimiter="\t"))
        if len(fields) != len(names):
            raise EmbbenchError(f"expected {len(names)} tab-separated fields, found {len(fields)}", f"{path}:{number}")
        empty = next((name for name, value in zip(required, fields, strict=False) if not value.strip()), None)
        if empty:
            raise EmbbenchError(f"empty {empty}", f"{path}:{number}")
        for name, value in zip(names, fields, strict=True):
            columns[name].append(value.strip())
        line_numbers.append(number)
    if not line_numbers:
        raise EmbbenchError("no rows after the header", str(path))
    return columns, line_numbers


def numbers(path: Path, column: str, values: list[str], lines: list[int]) -> np.ndarray:
    """A column of finite numbers; one that is not is an error naming its file and line."""
    out = np.empty(len(values))
    for i, value in enumerate(values):
        try:
            out[i] = float(value)
        except ValueError:
            raise EmbbenchError(f"{column} {value!r} is not a number", f"{path}:{lines[i]}") from None
        if not np.isfinite(out[i]):
            raise EmbbenchError(f"{column} {value!r} is not finite", f"{path}:{lines[i]}")
    return out


def embed_distinct(provider: Provider, texts: list[str]) -> tuple[Embedded, np.ndarray]:
    """Each distinct text embedded once (SICK's 19,854 sentences are 6,077 texts), and each text's row in it."""
    distinct = list(dict.fromkeys(texts))
    row = {text: i for i, text in enumerate(distinct)}
    return embed_checked(provider, distinct), np.array([row[text] for text in texts], dtype=np.int64)


def pair_measures(provider: Provider, first: list[str], second: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """MTEB's four measures of each sentence pair (cosine, dot product, Euclidean and Manhattan distance; NaN
    where a side has no embedding) and which pairs both sides cover; every distinct sentence is embedded once.

    They are computed in float64 and rounded to float32, the precision of the embeddings: pairs that are equally
    similar get equal values and rank as ties (as in MTEB's float32 computation, and unlike float64, whose last
    bits tell them apart), and between +-1 vectors (binary codes) every measure is exact."""
    embedded, rows = embed_distinct(provider, first + second)
    left, right = rows[: len(first)], rows[len(first) :]
    covered = embedded.covered[left] & embedded.covered[right]
    a = np.asarray(embedded.vectors[left[covered]], dtype=np.float64)
    b = np.asarray(embedded.vectors[right[covered]], dtype=np.float64)
    dot = np.einsum("ij,ij->i", a, b)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    difference = a - b
    measures = {
        "cosine": np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0),  # 0 beside a zero vector
        "dot": dot,
        "euclidean": np.sqrt(np.einsum("ij,ij->i", difference, difference)),
        "manhattan": np.abs(difference).sum(axis=1),
    }
    out = {name: np.full(len(first), np.nan) for name in measures}
    for name, column in measures.items():
        out[name][covered] = column.astype(np.float32)
    return out, covered


def unique_ids(ids: list[str]) -> np.ndarray:
    """Item ids as given, with ``#2``, ``#3``... after repeats, so every row of a dataset has its own id."""
    seen: dict[str, int] = {}
    out = []
    for item in ids:
        seen[item] = seen.get(item, 0) + 1
        out.append(item if seen[item] == 1 else f"{item}#{seen[item]}")
    return np.array(out, dtype=object)


def _checked(embedded: Embedded, texts: list[str]) -> Embedded:
    """The embeddings with their shapes and values checked, in float32's safe range (``in_safe_range``: one power
    of two for the whole call, so every score that does not depend on a common factor is unchanged)."""
    vectors, covered = np.asarray(embedded.vectors, dtype=np.float32), np.asarray(embedded.covered, dtype=bool)
    count = len(texts)
    if vectors.ndim != 2 or vectors.shape[0] != count or vectors.shape[1] == 0 or covered.shape != (count,):
        raise EmbbenchError(
            f"provider returned embeddings of shape {vectors.shape} and coverage of shape {covered.shape} for"
            f" {count} texts; expected ({count}, dim) and ({count},), and dimension 0 cannot be evaluated"
        )
    finite = np.isfinite(vectors).all(axis=1)
    if not finite[covered].all():
        row = int(np.flatnonzero(covered & ~finite)[0])
        raise EmbbenchError(f"the provider's embedding of text {row + 1} of {count} ({texts[row][:60]!r}) is not"
                            " finite (a value is NaN or beyond float32's range)")  # fmt: skip
    return Embedded(in_safe_range(vectors)[0], covered)


def embed_checked(provider: Provider, texts: list[str]) -> Embedded:
    """Embeddings of ``texts`` and the mask of those the provider could embed, checked (see ``_checked``)."""
    return _checked(provider.embed_with_coverage(texts), texts)


def embed_words_checked(provider: Provider, words: list[str]) -> Embedded:
    """Embeddings of single words (looked up whole first) and their coverage, checked (see ``_checked``)."""
    return _checked(provider.embed_words(words), words)


def check_distinct(points: np.ndarray, k: int, n_items: int, what: str) -> None:
    """Clustering ``points`` into ``k`` clusters needs at least ``k`` distinct points; with fewer (every vector
    the same, say) any clustering is arbitrary, so the pair is skipped and says why."""
    distinct = len(np.unique(points, axis=0)) if len(points) else 0
    if distinct < k:
        raise SkipTask(f"the {len(points)} covered {what} have {distinct} distinct vector(s), fewer than the {k}"
                       " clusters, so any clustering of them is arbitrary", n_items, len(points))  # fmt: skip


SPARSE_BELOW = 0.1
"""Vectors with fewer nonzeros than this share (one-hot words, bags of words) are fitted as a sparse matrix."""


def sparse_when_sparse(vectors: np.ndarray) -> np.ndarray | scipy.sparse.csr_matrix:
    """``vectors`` as CSR when most of its values are zero (scikit-learn then works on the nonzeros only), else as
    they are."""
    import scipy.sparse

    if vectors.size and np.count_nonzero(vectors) < SPARSE_BELOW * vectors.size:
        return scipy.sparse.csr_matrix(vectors)
    return vectors


def single_threaded() -> Any:
    """A context in which BLAS and OpenMP use one thread, so k-means gives bitwise the same result everywhere."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def contingency_tables(labels: np.ndarray, clusters: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
    """(resamples x classes x clusters) counts of items, weighting the items by each column of ``counts`` (the
    ``multiplicities`` of a chunk of resamples; every item once when None). Labels and clusters may be any values."""
    import scipy.sparse

    _, label_codes = np.unique(labels, return_inverse=True)
    _, cluster_codes = np.unique(clusters, return_inverse=True)
    n_labels, n_clusters = int(label_codes.max(initial=-1)) + 1, int(cluster_codes.max(initial=-1)) + 1
    cells = label_codes * n_clusters + cluster_codes
    if counts is None:
        return np.bincount(cells, minlength=n_labels * n_clusters).reshape(1, n_labels, n_clusters).astype(np.float64)
    membership = scipy.sparse.csr_matrix(
        (np.ones(len(cells)), (cells, np.arange(len(cells)))), shape=(n_labels * n_clusters, len(cells))
    )
    return (membership @ counts).T.reshape(counts.shape[1], n_labels, n_clusters)


def purities(tables: np.ndarray) -> np.ndarray:
    """Purity of each contingency table: the share of items in their cluster's majority class."""
    return tables.max(axis=1).sum(axis=1) / tables.sum(axis=(1, 2))


def _entropies(counts: np.ndarray) -> np.ndarray:
    """Entropy of each row of counts (natural log)."""
    p = counts / counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)


def _conditional_entropies(tables: np.ndarray, axis: int) -> np.ndarray:
    """Conditional entropy of each table given the margin summed over ``axis`` (1: H(class | cluster))."""
    total = tables.sum(axis=(1, 2))[:, None, None]
    given = tables.sum(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(tables > 0, tables / total * np.log(tables / given), 0.0)
    return -terms.sum(axis=(1, 2))


def v_measures(tables: np.ndarray) -> np.ndarray:
    """V-measure (Rosenberg & Hirschberg 2007, as scikit-learn's ``v_measure_score``) of each contingency table."""
    h_class, h_cluster = _entropies(tables.sum(axis=2)), _entropies(tables.sum(axis=1))
    conditional_class, conditional_cluster = _conditional_entropies(tables, 1), _conditional_entropies(tables, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        homogeneity = np.where(h_class > 0, 1.0 - conditional_class / h_class, 1.0)
        completeness = np.where(h_cluster > 0, 1.0 - conditional_cluster / h_cluster, 1.0)
        total = homogeneity + completeness
        return np.where(total > 0, 2.0 * homogeneity * completeness / total, 0.0)


def purity(labels: np.ndarray, clusters: np.ndarray) -> float:
    """Fraction of items whose cluster's majority label is their own label."""
    return float(purities(contingency_tables(labels, clusters))[0])


def v_measure(labels: np.ndarray, clusters: np.ndarray) -> float:
    """V-measure of one clustering (1.0 for no items, as scikit-learn)."""
    return float(v_measures(contingency_tables(labels, clusters))[0]) if len(labels) else 1.0


def clustering_scores(labels: np.ndarray, clusters: np.ndarray) -> dict[str, float]:
    from sklearn import metrics

    return {
        "purity": purity(labels, clusters),
        "v_measure": v_measure(labels, clusters),
        "ari": float(metrics.adjusted_rand_score(labels, clusters)),
    }


def seed_runs(run: Any, seeds: list[int]) -> np.ndarray:
    """(items x seeds) cluster assignments of ``run(seed)``, single-threaded so every machine gets the same."""
    with single_threaded():
        return np.stack([run(seed) for seed in seeds], axis=1)


def cluster_columns(clusters: np.ndarray, covered: np.ndarray) -> dict[str, np.ndarray]:
    """One item column per seed, ``cluster_<i>`` (-1 where the item is not covered)."""
    columns = {}
    for i in range(clusters.shape[1]):
        column = np.full(len(covered), -1, dtype=np.int64)
        column[covered] = clusters[:, i]
        columns[f"cluster_{i}"] = column
    return columns


def seed_columns(items: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The per-seed cluster columns of a clustering task's items."""
    return [items[name] for name in sorted((n for n in items if n.startswith("cluster_")), key=lambda n: int(n[8:]))]


def misfit(labels: np.ndarray, clusters: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Per item, the fraction of seeds in which its cluster's majority label is not its own (NaN if not covered)."""
    out = np.full(len(labels), np.nan)
    if not covered.any():
        return out
    wrong = np.zeros(int(covered.sum()))
    for column in clusters.T:
        names, codes = np.unique(column, return_inverse=True)
        majority = {}
        for code in range(len(names)):
            values, counts = np.unique(labels[covered][codes == code], return_counts=True)
            majority[code] = values[np.argmax(counts)]
        wrong += np.array([majority[c] != label for c, label in zip(codes, labels[covered], strict=True)])
    out[covered] = wrong / clusters.shape[1]
    return out


def mean_over_seeds(
    items: dict[str, np.ndarray], labels: str, measure: Callable[[np.ndarray], np.ndarray], resamples: np.ndarray | None
) -> np.ndarray:
    """A clustering measure of tables (``purities``, ``v_measures``) averaged over the per-seed cluster columns, for
    each row of ``resamples`` (or all items once)."""
    counts = None if resamples is None else multiplicities(resamples, len(items[labels]))
    return np.mean([measure(contingency_tables(items[labels], column, counts)) for column in seed_columns(items)],
                   axis=0)  # fmt: skip


def seed_error(values: list[float]) -> float:
    """Standard error of the mean over random starts (0 for a single start)."""
    return float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
