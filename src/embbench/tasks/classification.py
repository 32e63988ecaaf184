"""Downstream classification (SentEval protocol): logistic regression on frozen embeddings, nested CV."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embbench.contract import FileTask, LabelledItems, Provider, TaskOutput
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._embedding import embed_checked
from embbench.tasks._probe import ProbeOptions, probe, probe_output
from embbench.tasks._texts import check_classes, read_texts


class Classification(FileTask[ProbeOptions]):
    """Stratified k-fold; in each training fold, C is chosen by an inner stratified CV on that fold only, along
    the regularisation path (each C warm-starts from the previous one; the refit from the folds' mean).

    Sparse features (one-hot bags of words) stay sparse and are scaled without centring: the intercept is not
    penalised, so centring only moves it, and the optimum's predictions are the same as with centred dense
    features, at a fraction of the cost. BLAS runs single-threaded: these fits are matrix-vector products, which
    extra threads slow down. Texts a provider cannot embed stay in (with whatever vector it gave, zeros for a word
    provider), so every provider is scored on the same items; coverage reports how many were embedded.
    """

    name = "classification"
    description = "logistic regression on frozen embeddings, stratified k-fold, C chosen inside each fold"
    main_score = "accuracy"
    family = "classification"
    paired_test = "mcnemar"
    score_column = "correct"
    version = 6

    def read(self, path: Path) -> None:
        self.labels_, self.texts_ = read_texts(path)
        check_classes(self.labels_, path, minimum=self.options.folds)

    def labelled_items(self) -> LabelledItems:
        return LabelledItems("texts", list(self.texts_), [str(label) for label in self.labels_])

    def evaluate(self, provider: Provider) -> TaskOutput:
        vectors, covered = embed_checked(provider, self.texts_)
        labels = np.array(self.labels_, dtype=object)
        ids = np.array([str(i) for i in range(len(labels))], dtype=object)
        return probe_output(ids, labels, probe(vectors, labels, self.options), covered, self.options)


@hookimpl
def register_tasks(register: Register) -> None:
    register(Classification)
