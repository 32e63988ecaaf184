"""Text clustering (MTEB style): mini-batch k-means of text embeddings over several seeds; V-measure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field

from embbench.api import Provider, TaskOutput
from embbench.errors import SkipTask
from embbench.hookspecs import hookimpl
from embbench.tasks.base import FileTask, FileTaskOptions
from embbench.tasks.common import embed_checked, single_threaded
from embbench.tasks.text_tasks import check_classes, read_texts


class ClusteringOptions(FileTaskOptions):
    seeds: int = Field(10, ge=1)
    batch_size: int = Field(500, ge=1)


class Clustering(FileTask):
    """k = number of labels; one MiniBatchKMeans per seed 0..seeds-1; the mean V-measure is the main score."""

    name = "clustering"
    description = "mini-batch k-means of text embeddings over seeds: V-measure mean and std"
    Options: ClassVar = ClusteringOptions
    main_score = "v_measure"

    def read(self, path: Path) -> None:
        self.labels_, self.texts_ = read_texts(path)
        check_classes(self.labels_, path, minimum=2)

    def evaluate(self, provider: Provider) -> TaskOutput:
        from sklearn import metrics
        from sklearn.cluster import MiniBatchKMeans

        vectors, covered = embed_checked(provider, self.texts_)
        labels = np.array(self.labels_)[covered]
        k = len(set(self.labels_))
        if covered.sum() < k:
            raise SkipTask(f"only {int(covered.sum())} texts are covered, fewer than {k} clusters")
        with single_threaded():  # the same clusters whatever thread count the executor gives this process
            runs = [
                MiniBatchKMeans(k, batch_size=self.options.batch_size, n_init="auto", random_state=seed).fit_predict(
                    vectors[covered]
                )
                for seed in range(self.options.seeds)
            ]
        scores = [metrics.v_measure_score(labels, clusters) for clusters in runs]
        first = runs[0]
        return TaskOutput(
            {"v_measure": float(np.mean(scores)), "v_measure_std": float(np.std(scores))},
            n_items=len(self.texts_), n_scored=int(covered.sum()), details={"v_measure_per_seed": scores, "k": k},
            resample=lambda rows: float(metrics.v_measure_score(labels[rows], first[rows])), n_resample=len(labels),
        )  # fmt: skip


@hookimpl
def register_tasks(register: Callable[..., None]) -> None:
    register(Clustering)
    register(Clustering, name="bbc-clustering", dataset="bbc")
