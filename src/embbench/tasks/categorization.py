"""Word categorization: k-means of word vectors with k = the number of categories; purity, V-measure, ARI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from embbench.contract import FileTask, FileTaskOptions, Items, LabelledItems, Provider, TaskOutput
from embbench.errors import EmbbenchError, SkipTask
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._clustering_metrics import cluster_columns, clustering_scores, mean_over_seeds, misfit, purities
from embbench.tasks._embedding import check_distinct, embed_words_checked, sparse_when_sparse
from embbench.tasks._readers import read_labelled, unique_ids
from embbench.tasks._seeds import seed_error, seed_runs


class CategorizationOptions(FileTaskOptions):
    seed: int = 0
    seeds: int = Field(5, ge=1)
    n_init: int = Field(10, ge=1)


class Categorization(FileTask[CategorizationOptions]):
    """Cluster the covered words into k = #categories with k-means (``n_init`` starts chosen by inertia, never by
    the labels) once per seed ``seed .. seed+seeds-1``, and compare clusters with the categories. Mostly-zero
    vectors (one-hot) are clustered as a sparse matrix, ten times faster.

    The scores are means over the seeds (as MTEB reports clustering), ``purity_std`` their spread; the interval
    and the reproduction tolerance include the spread, since a k-means start is where machines differ.
    """

    name = "categorization"
    description = "k-means word clustering vs categories over several seeds: purity, V-measure, ARI"
    version = 3
    main_score = "purity"
    family = "categorization"

    def read(self, path: Path) -> None:
        self.rows_ = read_labelled(path, ("word", "category"))
        sizes: dict[str, int] = {}
        for _, category in self.rows_:
            sizes[category] = sizes.get(category, 0) + 1
        if len(sizes) < 2:
            raise EmbbenchError("a categorization dataset needs at least two categories", str(path))
        single = sorted(c for c, n in sizes.items() if n < 2)
        if single:
            raise EmbbenchError(f"categories with a single word: {', '.join(single[:5])}", str(path))

    def labelled_items(self) -> LabelledItems:
        return LabelledItems("words", [w for w, _ in self.rows_], [c for _, c in self.rows_])

    def evaluate(self, provider: Provider) -> TaskOutput:
        from sklearn.cluster import KMeans

        words = [w for w, _ in self.rows_]
        categories = np.array([c for _, c in self.rows_], dtype=object)
        vectors, covered = embed_words_checked(provider, words)
        k = len(set(categories))
        if covered.sum() < k:
            raise SkipTask(
                f"only {int(covered.sum())} of {len(words)} words are covered, fewer than {k} categories",
                len(words), int(covered.sum()),
            )  # fmt: skip
        points = vectors[covered]
        norms = np.linalg.norm(points, axis=1, keepdims=True)
        points = points / np.where(norms > 0, norms, 1)
        check_distinct(points, k, len(words), "words")  # after normalising: vectors along one direction are one
        points = sparse_when_sparse(points)
        seeds = list(range(self.options.seed, self.options.seed + self.options.seeds))
        clusters = seed_runs(lambda s: KMeans(k, n_init=self.options.n_init, random_state=s).fit_predict(points), seeds)
        runs = [clustering_scores(categories[covered], clusters[:, i]) for i in range(len(seeds))]
        scores: dict[str, float | None] = {name: float(np.mean([r[name] for r in runs])) for name in runs[0]}
        scores["purity_std"] = float(np.std([r["purity"] for r in runs]))
        items = {"id": unique_ids(words), "category": categories, "covered": covered,
                 "loss": misfit(categories, clusters, covered), **cluster_columns(clusters, covered)}  # fmt: skip
        return TaskOutput(
            scores, n_items=len(words), n_scored=int(covered.sum()), items=items,
            details={"k": k, "seeds": seeds, "purity_per_seed": [r["purity"] for r in runs]},
            seed_error=seed_error([r["purity"] for r in runs]),
        )  # fmt: skip

    def score_items(self, items: Items) -> float | None:
        return float(mean_over_seeds(items, "category", purities, None)[0])

    def score_resamples(self, items: Items, resamples: np.ndarray) -> np.ndarray:
        return mean_over_seeds(items, "category", purities, resamples)


@hookimpl
def register_tasks(register: Register) -> None:
    register(Categorization)
