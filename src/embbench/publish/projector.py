"""Faithful maps of a provider's embeddings for the items of labelled tasks (documents by topic, words by category).

A map (of at most 10,000 items, a seeded sample beyond) is PCA (scikit-learn's randomized SVD, seeded), and UMAP
where ``umap-learn`` is installed. It says how faithful it is: trustworthiness and continuity (scikit-learn's
trustworthiness, the second with the two spaces swapped) and the share of each item's 10 nearest neighbours that
it keeps, on a seeded sample; and how stable it is: the mean Procrustes disparity between the maps of seeds 0, 1
and 2 (0: the same picture). Two providers' embeddings of the same items are compared by the share of each
item's 10 nearest neighbours they have in common.

The embeddings come from the embedding cache of the run that made the records (keyed by the provider's identity
and each text), so nothing is rerun to draw a map; where they are not there, the page says so.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from embbench.contract import LabelledItems
from embbench.records.record import Record
from embbench.running.embedding_cache import ShardStore, text_keys

if TYPE_CHECKING:
    from embbench.plugins import Registry
    from embbench.publish.board import Board

K = 10
MAP_POINTS = 10_000
SAMPLE = 2000  # items the faithfulness measures are computed on (their cost is quadratic)
SEEDS = (0, 1, 2)
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")  # fmt: skip


class Map(NamedTuple):
    method: str
    parameters: dict[str, Any]
    points: np.ndarray
    faithfulness: dict[str, float]
    stability: float


def cached_embeddings(cache_dir: Path, record: Record, items: LabelledItems) -> np.ndarray | None:
    """The record's provider's embeddings of ``items`` as its run cached them (rows of uncovered items are NaN);
    None when the cache does not hold them all."""
    folder = cache_dir / "embeddings" / record.provider_identity
    if not folder.is_dir():
        return None
    store = ShardStore(folder)
    positions = store.find(text_keys(items.kind, items.texts))
    if (positions < 0).any():
        return None
    gathered = store.gather(positions)
    if gathered is None:
        return None
    vectors = np.asarray(gathered.vectors, dtype=np.float64)
    vectors[~gathered.covered] = np.nan
    return vectors


def _neighbours(points: np.ndarray) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    return NearestNeighbors(n_neighbors=K + 1).fit(points).kneighbors(return_distance=False)[:, 1:]


def neighbour_overlap(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per item, the share of its 10 nearest neighbours (by Euclidean distance) that both spaces have in common."""
    a, b = _neighbours(first), _neighbours(second)
    return np.array([len(set(x) & set(y)) / K for x, y in zip(a, b, strict=True)])


def _faithfulness(vectors: np.ndarray, points: np.ndarray) -> dict[str, float]:
    from sklearn.manifold import trustworthiness

    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(len(vectors), size=min(SAMPLE, len(vectors)), replace=False))
    high, low = vectors[sample], points[sample]
    return {"trustworthiness": float(trustworthiness(high, low, n_neighbors=K)),
            "continuity": float(trustworthiness(low, high, n_neighbors=K)),
            "knn_preserved": float(neighbour_overlap(high, low).mean())}  # fmt: skip


def _project(method: str, vectors: np.ndarray, seed: int) -> np.ndarray:
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, svd_solver="randomized", random_state=seed).fit_transform(vectors)
    import umap

    return umap.UMAP(n_components=2, n_neighbors=15, min_dist=0.1, random_state=seed, n_jobs=1).fit_transform(vectors)


def maps(vectors: np.ndarray) -> list[Map]:
    """The maps of these (covered) vectors: PCA, and UMAP where it is installed."""
    from scipy.spatial import procrustes

    methods = ["pca"]
    try:
        import umap  # noqa: F401

        methods.append("umap")
    except ImportError:
        pass
    out = []
    for method in methods:
        drawn = [_project(method, vectors, seed) for seed in SEEDS]
        stability = float(np.mean([procrustes(drawn[0], other)[2] for other in drawn[1:]]))
        parameters = ({"svd_solver": "randomized", "random_state": SEEDS[0]} if method == "pca"
                      else {"n_neighbors": 15, "min_dist": 0.1, "random_state": SEEDS[0]})  # fmt: skip
        out.append(Map(method, parameters, drawn[0], _faithfulness(vectors, drawn[0]), stability))
    return out


def svg(points: np.ndarray, labels: list[str], title: str) -> str:
    """The map as inline SVG: one small circle per item, coloured by its label, with a legend."""
    kinds = sorted(set(labels))
    colour = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(kinds)}
    low, high = points.min(axis=0), points.max(axis=0)
    scaled = (points - low) / np.where(high > low, high - low, 1) * 380 + 10
    circles = "".join(f'<circle cx="{x:.1f}" cy="{400 - y:.1f}" r="2" fill="{colour[label]}"/>'
                      for (x, y), label in zip(scaled, labels, strict=True))  # fmt: skip
    legend = "".join(f'<text x="410" y="{20 + 16 * i}" fill="{colour[label]}">{html.escape(label)}</text>'
                     for i, label in enumerate(kinds[: len(PALETTE)]))  # fmt: skip
    return (f'<svg class="map" viewBox="0 0 560 400" width="560" height="400" role="img" '
            f'aria-label="{html.escape(title)}">{circles}{legend}</svg>')  # fmt: skip


def provider_maps(cache_dir: Path, records: list[Record], tasks: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per provider, its maps on each labelled task (``tasks``: task label to the loaded task), with how much of
    each item's neighbourhood it shares with every other provider whose embeddings of the items are cached;
    a provider whose embeddings are not cached gets a note saying so."""
    out: dict[str, list[dict[str, Any]]] = {}
    by_task: dict[str, dict[str, np.ndarray]] = {}
    for record in records:
        task = tasks.get(record.task_label)
        if task is None or record.status != "ok" or record.origin != "embbench":
            continue
        items = task.labelled_items()
        vectors = cached_embeddings(cache_dir, record, items)
        entry: dict[str, Any] = {"task": record.task_label, "items": len(items.texts)}
        out.setdefault(record.provider_label, []).append(entry)
        if vectors is None:
            entry["note"] = ("its embeddings are not in this machine's embedding cache (a run keeps those of 64 texts"
                             " or more)")  # fmt: skip
            continue
        keep = np.flatnonzero(np.isfinite(vectors).all(axis=1))
        if len(keep) > MAP_POINTS:
            keep = np.sort(np.random.default_rng(0).choice(keep, size=MAP_POINTS, replace=False))
        entry["keep"], entry["labels"] = keep, [items.labels[i] for i in keep]
        entry["maps"] = maps(vectors[keep])
        by_task.setdefault(record.task_label, {})[record.provider_label] = vectors
    for provider, entries in out.items():
        for entry in entries:
            mine = by_task.get(entry["task"], {}).get(provider)
            if mine is None:
                continue
            others = by_task[entry["task"]].items()
            entry["shared_neighbours"] = {other: _shared(mine, theirs) for other, theirs in others if other != provider}
    return out


def _shared(first: np.ndarray, second: np.ndarray) -> float:
    """The mean share of 10 nearest neighbours two providers' embeddings give the items both cover (a seeded sample
    of at most 2,000)."""
    both = np.flatnonzero(np.isfinite(first).all(axis=1) & np.isfinite(second).all(axis=1))
    both = np.sort(np.random.default_rng(0).choice(both, size=min(SAMPLE, len(both)), replace=False))
    return float(neighbour_overlap(first[both], second[both]).mean())


def board_maps(board: Board, records: list[Record], registry: Registry, cache: Path) -> dict[str, Any]:
    """The maps of each provider's embeddings on the board's labelled tasks, from the embedding cache (nothing is
    rerun): each labelled task is loaded to know its items."""
    from embbench.contract import Context, Task

    context = Context(cache, registry)
    labelled = {}
    for column in board.columns:
        if column.scorer is not None and type(column.scorer).labelled_items is not Task.labelled_items:
            column.scorer.load(context)
            labelled[column.task] = column.scorer
    return provider_maps(context.cache_dir, records, labelled)
