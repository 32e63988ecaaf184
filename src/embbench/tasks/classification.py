"""Downstream classification (SentEval protocol): logistic regression on frozen embeddings, nested CV."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from embbench.contract import FileTask, FileTaskOptions, LabelledItems, Provider, TaskOutput
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._embedding import embed_checked, sparse_when_sparse
from embbench.tasks._seeds import single_threaded
from embbench.tasks._texts import check_classes, read_texts

if TYPE_CHECKING:
    import scipy.sparse


class ClassificationOptions(FileTaskOptions):
    folds: int = Field(5, ge=2)
    inner_folds: int = Field(3, ge=2)
    c_values: tuple[float, ...] = (0.25, 1.0, 4.0, 16.0)
    standardize: bool = True
    seed: int = 0
    tol: float = Field(1e-6, gt=0)
    """the solver's stopping tolerance: tight enough that the predictions are those of the exact optimum (at sklearn's
    1e-4, about 1 in 1,000 MR predictions depends on where the solver stopped, hence on the scaling)."""
    max_iter: int = Field(5000, ge=1)


NEWTON_MAX_FEATURES = 4096  # a Newton step factors a (features x features) Hessian: cheap up to a few thousand
NEWTON_MAX_MULTINOMIAL = 256  # features x classes; measured on BBC (5 classes): 50 dimensions 2-7x faster than
# lbfgs, 100 dimensions anywhere from 0.7x to 1.3x (the multinomial Hessian costs classes^2 products per step)


def solver_for(features: np.ndarray | scipy.sparse.csr_matrix, labels: np.ndarray) -> str:
    """Newton's method with a Cholesky solve for dense features of moderate dimension (two classes) or of low
    dimension (several classes): a few steps reach the optimum where lbfgs takes hundreds of iterations on
    ill-conditioned embeddings (same optimum, up to the tolerance); lbfgs otherwise (sparse bags of words too)."""
    import scipy.sparse

    if scipy.sparse.issparse(features):
        return "lbfgs"
    classes, dim = len(np.unique(labels)), features.shape[1]
    small = dim <= NEWTON_MAX_FEATURES if classes == 2 else dim * classes <= NEWTON_MAX_MULTINOMIAL
    return "newton-cholesky" if small else "lbfgs"


class Classification(FileTask[ClassificationOptions]):
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

    def _fit(
        self, features: np.ndarray | scipy.sparse.csr_matrix, labels: np.ndarray, solver: str
    ) -> tuple[Any, float]:
        """Fit on one training fold, choosing C by an inner stratified CV of that fold only."""
        import scipy.sparse
        from sklearn.linear_model import LogisticRegressionCV
        from sklearn.model_selection import StratifiedKFold
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        inner = StratifiedKFold(self.options.inner_folds, shuffle=True, random_state=self.options.seed)
        options = self.options
        model = LogisticRegressionCV(Cs=list(options.c_values), cv=inner, scoring="accuracy", tol=options.tol,
                                     max_iter=options.max_iter, solver=solver)  # fmt: skip
        scaler = StandardScaler(with_mean=not scipy.sparse.issparse(features))
        pipeline = make_pipeline(scaler, model) if options.standardize else model
        with warnings.catch_warnings():  # scikit-learn 1.9 announces attribute changes of LogisticRegressionCV
            warnings.simplefilter("ignore", FutureWarning)
            pipeline.fit(features, labels)
        return pipeline, float(np.atleast_1d(model.C_)[0])

    def labelled_items(self) -> LabelledItems:
        return LabelledItems("texts", list(self.texts_), [str(label) for label in self.labels_])

    def evaluate(self, provider: Provider) -> TaskOutput:
        import scipy.sparse
        from sklearn import metrics
        from sklearn.model_selection import StratifiedKFold

        vectors, covered = embed_checked(provider, self.texts_)
        features = sparse_when_sparse(vectors)
        labels = np.array(self.labels_, dtype=object)
        predicted = np.empty_like(labels)
        folds = np.zeros(len(labels), dtype=np.int64)
        chosen = []
        outer = StratifiedKFold(self.options.folds, shuffle=True, random_state=self.options.seed)
        solver = solver_for(features, labels)
        with single_threaded():
            for fold, (train, test) in enumerate(outer.split(vectors, labels)):
                model, c = self._fit(features[train], labels[train], solver)
                predicted[test] = model.predict(features[test])
                folds[test] = fold
                chosen.append(c)
        hits = predicted == labels
        scores = {
            "accuracy": float(hits.mean()),
            "macro_f1": float(metrics.f1_score(labels, predicted, average="macro")),
        }
        return TaskOutput(
            scores, n_items=len(labels), n_scored=int(covered.sum()),
            details={"chosen_c": chosen, "seed": self.options.seed, "folds": self.options.folds,
                     "sparse": scipy.sparse.issparse(features), "solver": solver},
            items={"id": np.array([str(i) for i in range(len(labels))], dtype=object), "label": labels,
                   "predicted": predicted, "fold": folds, "correct": hits.astype(bool), "covered": covered,
                   "scored": np.ones(len(labels), dtype=bool),
                   "loss": (~hits).astype(float)},
        )  # fmt: skip


@hookimpl
def register_tasks(register: Register) -> None:
    register(Classification)
