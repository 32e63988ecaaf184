"""Text clustering (MTEB style): mini-batch k-means of text embeddings over several seeds; V-measure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from embbench.contract import FileTask, FileTaskOptions, Items, LabelledItems, Provider, TaskOutput
from embbench.errors import SkipTask
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._clustering_metrics import cluster_columns, mean_over_seeds, misfit, v_measure, v_measures
from embbench.tasks._embedding import check_distinct, embed_checked
from embbench.tasks._seeds import seed_error, seed_runs
from embbench.tasks._texts import check_classes, read_texts


class ClusteringOptions(FileTaskOptions):
    seeds: int = Field(10, ge=1)
    batch_size: int = Field(500, ge=1)


class Clustering(FileTask[ClusteringOptions]):
    """k = number of labels; one MiniBatchKMeans per seed 0..seeds-1; the mean V-measure is the main score."""

    name = "clustering"
    description = "mini-batch k-means of text embeddings over seeds: V-measure mean and std"
    version = 3
    main_score = "v_measure"
    family = "clustering"

    def read(self, path: Path) -> None:
        self.labels_, self.texts_ = read_texts(path)
        check_classes(self.labels_, path, minimum=2)

    def labelled_items(self) -> LabelledItems:
        return LabelledItems("texts", list(self.texts_), [str(label) for label in self.labels_])

    def evaluate(self, provider: Provider) -> TaskOutput:
        from sklearn.cluster import MiniBatchKMeans

        vectors, covered = embed_checked(provider, self.texts_)
        labels = np.array(self.labels_, dtype=object)
        k = len(set(self.labels_))
        if covered.sum() < k:
            raise SkipTask(
                f"only {int(covered.sum())} of {len(covered)} texts are covered, fewer than {k} clusters",
                len(covered), int(covered.sum()),
            )  # fmt: skip
        points = vectors[covered]
        check_distinct(points, k, len(covered), "texts")
        clusters = seed_runs(
            lambda seed: MiniBatchKMeans(
                k, batch_size=self.options.batch_size, n_init="auto", random_state=seed
            ).fit_predict(points),
            list(range(self.options.seeds)),
        )
        scores = [v_measure(labels[covered], clusters[:, i]) for i in range(clusters.shape[1])]
        items = {"id": np.array([str(i) for i in range(len(labels))], dtype=object), "label": labels,
                 "covered": covered, "loss": misfit(labels, clusters, covered),
                 **cluster_columns(clusters, covered)}  # fmt: skip
        return TaskOutput(
            {"v_measure": float(np.mean(scores)), "v_measure_std": float(np.std(scores))},
            n_items=len(self.texts_), n_scored=int(covered.sum()), details={"v_measure_per_seed": scores, "k": k},
            items=items, seed_error=seed_error(scores),
        )  # fmt: skip

    def score_items(self, items: Items) -> float | None:
        return float(mean_over_seeds(items, "label", v_measures, None)[0]) if len(items["label"]) else 1.0

    def score_resamples(self, items: Items, resamples: np.ndarray) -> np.ndarray:
        return mean_over_seeds(items, "label", v_measures, resamples)


@hookimpl
def register_tasks(register: Register) -> None:
    register(Clustering)
