"""Clustering metrics over labels and clusters, vectorised over bootstrap resamples: purity, V-measure and each item's
misfit."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from embbench.stats.bootstrap import multiplicities


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


def cluster_columns(clusters: np.ndarray, covered: np.ndarray) -> dict[str, np.ndarray]:
    """One item column per seed, ``cluster_<i>`` (-1 where the item is not covered)."""
    columns = {}
    for i in range(clusters.shape[1]):
        column = np.full(len(covered), -1, dtype=np.int64)
        column[covered] = clusters[:, i]
        columns[f"cluster_{i}"] = column
    return columns


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


def seed_columns(items: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The per-seed cluster columns of a clustering task's items."""
    return [items[name] for name in sorted((n for n in items if n.startswith("cluster_")), key=lambda n: int(n[8:]))]


def mean_over_seeds(
    items: dict[str, np.ndarray], labels: str, measure: Callable[[np.ndarray], np.ndarray], resamples: np.ndarray | None
) -> np.ndarray:
    """A clustering measure of tables (``purities``, ``v_measures``) averaged over the per-seed cluster columns, for
    each row of ``resamples`` (or all items once)."""
    counts = None if resamples is None else multiplicities(resamples, len(items[labels]))
    return np.mean([measure(contingency_tables(items[labels], column, counts)) for column in seed_columns(items)],
                   axis=0)  # fmt: skip
