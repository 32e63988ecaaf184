"""Downstream classification (SentEval protocol): logistic regression on frozen embeddings, nested CV."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from embbench.api import Items, Provider, TaskOutput
from embbench.hookspecs import hookimpl
from embbench.tasks.base import FileTask, FileTaskOptions
from embbench.tasks.common import embed_checked
from embbench.tasks.text_tasks import check_classes, read_texts


class ClassificationOptions(FileTaskOptions):
    folds: int = Field(5, ge=2)
    inner_folds: int = Field(3, ge=2)
    c_values: tuple[float, ...] = (0.25, 1.0, 4.0, 16.0)
    standardize: bool = True
    seed: int = 0


class Classification(FileTask[ClassificationOptions]):
    """Stratified k-fold; in each training fold, C is chosen by an inner stratified CV on that fold only.

    Texts a provider cannot embed stay in (with whatever vector it gave, zeros for a word provider), so every
    provider is scored on the same items; coverage reports how many were embedded.
    """

    name = "classification"
    description = "logistic regression on frozen embeddings, stratified k-fold, C chosen inside each fold"
    Options: ClassVar = ClassificationOptions
    main_score = "accuracy"
    version = 2  # 2: explicit coverage; per-item outputs

    def read(self, path: Path) -> None:
        self.labels_, self.texts_ = read_texts(path)
        check_classes(self.labels_, path, minimum=self.options.folds)

    def _fit(self, features: np.ndarray, labels: np.ndarray) -> tuple[Any, float]:
        """Fit on one training fold, choosing C by an inner stratified CV of that fold only."""
        from sklearn.linear_model import LogisticRegressionCV
        from sklearn.model_selection import StratifiedKFold
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        inner = StratifiedKFold(self.options.inner_folds, shuffle=True, random_state=self.options.seed)
        model = LogisticRegressionCV(Cs=list(self.options.c_values), cv=inner, scoring="accuracy", max_iter=2000)
        pipeline = make_pipeline(StandardScaler(), model) if self.options.standardize else model
        with warnings.catch_warnings():  # scikit-learn 1.9 announces attribute changes of LogisticRegressionCV
            warnings.simplefilter("ignore", FutureWarning)
            pipeline.fit(features, labels)
        return pipeline, float(np.atleast_1d(model.C_)[0])

    def evaluate(self, provider: Provider) -> TaskOutput:
        from sklearn import metrics
        from sklearn.model_selection import StratifiedKFold

        vectors, covered = embed_checked(provider, self.texts_)
        labels = np.array(self.labels_, dtype=object)
        predicted = np.empty_like(labels)
        folds = np.zeros(len(labels), dtype=np.int64)
        chosen = []
        outer = StratifiedKFold(self.options.folds, shuffle=True, random_state=self.options.seed)
        for fold, (train, test) in enumerate(outer.split(vectors, labels)):
            model, c = self._fit(vectors[train], labels[train])
            predicted[test] = model.predict(vectors[test])
            folds[test] = fold
            chosen.append(c)
        hits = predicted == labels
        scores = {
            "accuracy": float(hits.mean()),
            "macro_f1": float(metrics.f1_score(labels, predicted, average="macro")),
        }
        return TaskOutput(
            scores, n_items=len(labels), n_scored=int(covered.sum()),
            details={"chosen_c": chosen, "seed": self.options.seed, "folds": self.options.folds},
            items={"id": np.array([str(i) for i in range(len(labels))], dtype=object), "label": labels,
                   "predicted": predicted, "fold": folds, "correct": hits.astype(bool), "covered": covered,
                   "scored": np.ones(len(labels), dtype=bool),
                   "loss": (~hits).astype(float)},
        )  # fmt: skip

    def score_items(self, items: Items) -> float | None:
        return float(items["correct"].mean()) if len(items["correct"]) else None

    def score_resamples(self, items: Items, resamples: np.ndarray) -> np.ndarray:
        return np.asarray(items["correct"], dtype=float)[resamples].mean(axis=1)


@hookimpl
def register_tasks(register: Callable[..., None]) -> None:
    register(Classification)
    register(Classification, name="mr", dataset="mr")
    register(Classification, name="bbc-classification", dataset="bbc")
