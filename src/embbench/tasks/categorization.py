"""Word categorization: k-means of word vectors with k = the number of categories; purity, V-measure, ARI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field

from embbench.api import Provider, TaskOutput
from embbench.errors import EmbbenchError, SkipTask
from embbench.hookspecs import hookimpl
from embbench.tasks.base import FileTask, FileTaskOptions
from embbench.tasks.common import clustering_scores, embed_checked, purity, read_labelled, single_threaded

CATEGORIZATION_SETS = ("ap", "bless", "battig", "essli2008")


class CategorizationOptions(FileTaskOptions):
    seed: int = 0
    n_init: int = Field(10, ge=1)


class Categorization(FileTask):
    """Cluster the covered words into k = #categories with k-means (fixed seed, ``n_init`` starts chosen by
    inertia, never by the labels) and compare clusters with the categories.
    """

    name = "categorization"
    description = "k-means word clustering vs categories: purity, V-measure, ARI"
    Options: ClassVar = CategorizationOptions
    main_score = "purity"

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

    def evaluate(self, provider: Provider) -> TaskOutput:
        from sklearn.cluster import KMeans

        words = [w for w, _ in self.rows_]
        vectors, covered = embed_checked(provider, words)
        labels = np.array([c for _, c in self.rows_])[covered]
        k = len(set(c for _, c in self.rows_))
        if covered.sum() < k:
            raise SkipTask(f"only {int(covered.sum())} of {len(words)} words are covered, fewer than {k} categories")
        points = vectors[covered]
        points = points / np.linalg.norm(points, axis=1, keepdims=True)
        with single_threaded():  # the same clusters whatever thread count the executor gives this process
            clusters = KMeans(k, n_init=self.options.n_init, random_state=self.options.seed).fit_predict(points)
        return TaskOutput(
            clustering_scores(labels, clusters), n_items=len(words), n_scored=int(covered.sum()),
            details={"k": k, "seed": self.options.seed},
            resample=lambda rows: purity(labels[rows], clusters[rows]), n_resample=len(labels),
        )  # fmt: skip


@hookimpl
def register_tasks(register: Callable[..., None]) -> None:
    register(Categorization)
    for name in CATEGORIZATION_SETS:
        register(Categorization, name=name, dataset=name)
