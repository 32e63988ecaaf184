"""Pair classification on MRPC and reranking on TREC QA: equal to scikit-learn's average precision and
sentence-transformers' threshold search, and to pytrec_eval on the same runs (ties and graded relevance included);
bad files are located errors, degenerate ones skipped records."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import loaded, loaded_file
from sklearn.metrics import average_precision_score

from embbench import EmbbenchError, SkipTask
from embbench.tasks._ranking import average_precision, ndcg, reciprocal_rank, trec_order
from embbench.tasks.pair_classification import SIMILARITIES, average_precisions


@pytest.fixture(scope="module")
def mrpc(registry, context, glove):
    task = loaded(registry, context, "mrpc")
    return task, task.evaluate(glove)


def test_pair_classification_equals_sklearn_and_mteb(mrpc) -> None:
    """Average precision is scikit-learn's; the thresholds are found as MTEB's own evaluator finds them."""
    from mteb.abstasks.pair_classification import AbsTaskPairClassification

    def mteb_accuracy(values, labels, higher):
        return AbsTaskPairClassification._find_best_acc_and_threshold(None, list(values), labels, higher)

    def mteb_f1(values, labels, higher):
        return AbsTaskPairClassification._find_best_f1_and_threshold(None, list(values), labels, higher)

    _, output = mrpc
    items, scores = output.items, output.scores
    covered = items["covered"]
    assert output.n_items == 1725 and covered.mean() > 0.99
    labels = items["label"][covered]
    for name, higher in SIMILARITIES.items():
        values = items[name][covered]
        assert scores[f"{name}_ap"] == pytest.approx(average_precision_score(labels, values if higher else -values),
                                                     abs=1e-12)  # fmt: skip
        accuracy, threshold = mteb_accuracy(values, labels, higher)
        assert scores[f"{name}_accuracy"] == pytest.approx(accuracy, abs=1e-12)
        assert scores[f"{name}_accuracy_threshold"] == pytest.approx(threshold, abs=1e-9)
        f1, precision, recall, f1_threshold = mteb_f1(values, labels, higher)
        assert [scores[f"{name}_{m}"] for m in ("f1", "precision", "recall", "f1_threshold")] == pytest.approx(
            [f1, precision, recall, f1_threshold])  # fmt: skip
    assert scores["max_ap"] == max(scores[f"{n}_ap"] for n in SIMILARITIES)


def test_pair_classification_resamples_equal_sklearn_on_the_resampled_rows(mrpc) -> None:
    """The vectorised max_ap of bootstrap resamples (count-weighted, ties grouped as scikit-learn groups them) is
    scikit-learn's on the drawn rows."""
    task, output = mrpc
    items = {name: column[output.items["covered"]] for name, column in output.items.items()}
    rng = np.random.default_rng(0)
    resamples = rng.integers(0, len(items["label"]), size=(5, len(items["label"])))
    ours = task.score_resamples(items, resamples)
    for value, rows in zip(ours, resamples, strict=True):
        reference = max(average_precision_score(items["label"][rows], items[n][rows] * (1 if up else -1))
                        for n, up in SIMILARITIES.items())  # fmt: skip
        assert value == pytest.approx(reference, abs=1e-12)
    assert task.score_items(items) == pytest.approx(output.scores["max_ap"], abs=1e-12)


def test_average_precision_with_ties_and_weights_equals_sklearn() -> None:
    labels = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    scores = np.array([0.9, 0.9, 0.5, 0.5, 0.5, 0.2, 0.1, 0.1])
    weights = np.array([[1, 0, 2, 1, 1, 3, 0, 1]], dtype=float).T
    assert average_precisions(labels, scores)[0] == pytest.approx(average_precision_score(labels, scores))
    rows = np.repeat(np.arange(8), weights[:, 0].astype(int))
    assert average_precisions(labels, scores, weights)[0] == pytest.approx(
        average_precision_score(labels[rows], scores[rows]))  # fmt: skip


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("label\tsentence1\tsentence2\n1\ta\tb\n2\tc\td\n", ":3: label '2' is not 0 or 1"),
        ("sentence1\tsentence2\tlabel\na\tb\t1\n", ":1: expected a header starting label<TAB>sentence1<TAB>sentence2"),
    ],
)
def test_bad_pair_files_are_located_errors(text, error, registry, context, tmp_path) -> None:
    with pytest.raises(EmbbenchError, match=error):
        loaded_file(registry, context, "pair-classification", text, tmp_path)


def test_thresholds_with_ties_are_found_as_mteb_finds_them() -> None:
    from mteb.abstasks.pair_classification import AbsTaskPairClassification as Reference

    from embbench.tasks.pair_classification import best_accuracy, best_f1

    rng = np.random.default_rng(1)
    for _ in range(50):
        n = int(rng.integers(2, 30))
        labels, scores = rng.integers(0, 2, n), rng.integers(0, 5, n) / 4.0
        for higher in (True, False):
            assert best_accuracy(labels, scores, higher) == pytest.approx(
                Reference._find_best_acc_and_threshold(None, list(scores), labels, higher))  # fmt: skip
            assert best_f1(labels, scores, higher) == pytest.approx(
                Reference._find_best_f1_and_threshold(None, list(scores), labels, higher))  # fmt: skip


def test_one_class_pairs_are_skipped_saying_why(registry, context, glove, tmp_path) -> None:
    text = "label\tsentence1\tsentence2\n1\tA cat sat.\tA cat sits.\n1\tDogs bark.\tA dog barks.\n"
    with pytest.raises(SkipTask, match="all of one class"):
        loaded_file(registry, context, "pair-classification", text, tmp_path).evaluate(glove)


def pytrec(qrels: dict, run: dict) -> dict:
    import pytrec_eval

    return pytrec_eval.RelevanceEvaluator(qrels, {"map", "ndcg_cut.10", "recip_rank"}).evaluate(run)


def test_reranking_equals_pytrec_eval_on_trecqa(registry, context, glove) -> None:
    """The same run (each candidate's cosine, ids as the task orders ties) through pytrec_eval."""
    task = loaded(registry, context, "trecqa")
    output = task.evaluate(glove)
    assert output.n_items == 68 and output.details == {"queries_without_both_labels": 27}
    embedded = glove.embed_with_coverage(task.queries_ + task.candidates_)
    unit = embedded.vectors / np.linalg.norm(embedded.vectors, axis=1, keepdims=True)
    queries, candidates = unit[: len(task.queries_)], unit[len(task.queries_) :]
    qrels: dict = {}
    run: dict = {}
    for row, q in enumerate(task.query_of_):
        qrels.setdefault(str(q), {})[str(row)] = int(task.labels_[row])
        run.setdefault(str(q), {})[str(row)] = float(candidates[row] @ queries[q])
    reference = pytrec(qrels, run)
    items = output.items
    for q in np.flatnonzero(items["covered"]):
        expected = reference[str(q)]
        assert items["ap"][q] == pytest.approx(expected["map"], abs=1e-6)
        assert items["ndcg"][q] == pytest.approx(expected["ndcg_cut_10"], abs=1e-6)
        rank = 1 / expected["recip_rank"]
        assert items["rr"][q] == pytest.approx(expected["recip_rank"] if rank <= 10 else 0.0, abs=1e-6)
    mean_ap = np.mean([reference[str(q)]["map"] for q in np.flatnonzero(items["covered"])])
    assert output.scores["map"] == pytest.approx(mean_ap, abs=1e-6)


def test_ranking_measures_order_ties_and_grade_relevance_as_pytrec_eval() -> None:
    rng = np.random.default_rng(3)
    for trial in range(40):
        n = int(rng.integers(2, 25))
        scores = rng.integers(0, 4, n) / 4.0  # many ties
        relevance = rng.integers(0, 3, n)
        if not (relevance > 0).any():
            relevance[0] = 2
        ids = np.array([f"d{rng.integers(0, 10**6)}-{i}" for i in range(n)])
        ranked = relevance[trec_order(scores, ids)]
        expected = pytrec({"q": {d: int(r) for d, r in zip(ids, relevance, strict=True)}},
                          {"q": {d: float(s) for d, s in zip(ids, scores, strict=True)}})["q"]  # fmt: skip
        assert average_precision(ranked, int((relevance > 0).sum())) == pytest.approx(expected["map"], abs=1e-9), trial
        assert ndcg(ranked, relevance, 10) == pytest.approx(expected["ndcg_cut_10"], abs=1e-9), trial
        assert reciprocal_rank(ranked) == pytest.approx(expected["recip_rank"], abs=1e-9), trial


def test_bad_reranking_labels_are_located_errors(registry, context, tmp_path) -> None:
    text = "query\tlabel\tcandidate\nWho?\t1\tHe did.\nWho?\tyes\tShe did.\n"
    with pytest.raises(EmbbenchError, match=r"reranking.tsv:3: label 'yes' is not a number"):
        loaded_file(registry, context, "reranking", text, tmp_path)
