"""The linear probe of the classification tasks (SentEval's protocol): logistic regression on frozen embeddings,
stratified k-fold, C chosen by an inner CV inside each training fold. Texts and graph nodes are probed alike."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from pydantic import Field

from embbench.contract import FileTaskOptions, TaskOutput
from embbench.tasks._embedding import sparse_when_sparse
from embbench.tasks._seeds import single_threaded

if TYPE_CHECKING:
    import scipy.sparse


class ProbeOptions(FileTaskOptions):
    """The probe's folds, regularisation path, scaling and solver settings."""

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


class Probed(NamedTuple):
    """Each item's predicted label and test fold, the C chosen in each fold, the solver, and whether the features
    were sparse."""

    predicted: np.ndarray
    folds: np.ndarray
    chosen: list[float]
    solver: str
    sparse: bool


def probe(vectors: np.ndarray, labels: np.ndarray, options: ProbeOptions) -> Probed:
    """Every item's label predicted by a model fitted on the other folds (BLAS single-threaded: these fits are
    matrix-vector products, which extra threads slow down)."""
    import scipy.sparse
    from sklearn.model_selection import StratifiedKFold

    features = sparse_when_sparse(vectors)
    predicted = np.empty_like(labels)
    folds = np.zeros(len(labels), dtype=np.int64)
    chosen = []
    outer = StratifiedKFold(options.folds, shuffle=True, random_state=options.seed)
    solver = solver_for(features, labels)
    with single_threaded():
        for fold, (train, test) in enumerate(outer.split(vectors, labels)):
            model, c = fit_fold(features[train], labels[train], solver, options)
            predicted[test] = model.predict(features[test])
            folds[test] = fold
            chosen.append(c)
    return Probed(predicted, folds, chosen, solver, scipy.sparse.issparse(features))


def fit_fold(
    features: np.ndarray | scipy.sparse.csr_matrix, labels: np.ndarray, solver: str, options: ProbeOptions
) -> tuple[Any, float]:
    """Fit on one training fold, choosing C by an inner stratified CV of that fold only."""
    import scipy.sparse
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    inner = StratifiedKFold(options.inner_folds, shuffle=True, random_state=options.seed)
    model = LogisticRegressionCV(Cs=list(options.c_values), cv=inner, scoring="accuracy", tol=options.tol,
                                 max_iter=options.max_iter, solver=solver)  # fmt: skip
    scaler = StandardScaler(with_mean=not scipy.sparse.issparse(features))
    pipeline = make_pipeline(scaler, model) if options.standardize else model
    with warnings.catch_warnings():  # scikit-learn 1.9 announces attribute changes of LogisticRegressionCV
        warnings.simplefilter("ignore", FutureWarning)
        pipeline.fit(features, labels)
    return pipeline, float(np.atleast_1d(model.C_)[0])


def probe_output(ids: np.ndarray, labels: np.ndarray, probed: Probed, covered: np.ndarray,
                 options: ProbeOptions) -> TaskOutput:  # fmt: skip
    """The probe's scores (accuracy, macro-F1) and per-item outputs. Items a provider cannot embed stay in (with
    whatever vector it gave), so every provider is scored on the same items; coverage says how many it embedded."""
    from sklearn import metrics

    hits = probed.predicted == labels
    scores = {
        "accuracy": float(hits.mean()),
        "macro_f1": float(metrics.f1_score(labels, probed.predicted, average="macro")),
    }
    return TaskOutput(
        scores, n_items=len(labels), n_scored=int(covered.sum()),
        details={"chosen_c": probed.chosen, "seed": options.seed, "folds": options.folds, "sparse": probed.sparse,
                 "solver": probed.solver},
        items={"id": ids, "label": labels, "predicted": probed.predicted, "fold": probed.folds,
               "correct": hits.astype(bool), "covered": covered, "scored": np.ones(len(labels), dtype=bool),
               "loss": (~hits).astype(float)},
    )  # fmt: skip
