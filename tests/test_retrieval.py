"""Retrieval: exact blocked search equal to brute force (ties ordered as trec_eval), every measure equal to
pytrec_eval on the same runs (BBC News with GloVe, a BEIR folder with ties and graded judgements), the paired
t-test equal to scipy's, located errors for bad BEIR folders, and a skipped record when nothing is relevant."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import loaded
from scipy import stats

from embbench import EmbbenchError, SkipTask
from embbench.stats.significance import paired_t
from embbench.tasks._ranking import trec_order
from embbench.tasks._search import top_k
from embbench.tasks.retrieval import CUTOFFS

TREC_NAMES = (("ndcg", "ndcg_cut"), ("map", "map_cut"), ("recall", "recall"), ("precision", "P"))
MEASURES = {f"{name}_at_{k}": f"{trec}.{k}" for k in CUTOFFS for name, trec in TREC_NAMES}


def test_blocked_search_equals_brute_force_with_ties() -> None:
    rng = np.random.default_rng(0)
    corpus = rng.integers(-2, 3, size=(300, 4)).astype(np.float32)  # small integers: many equal scores
    queries = rng.integers(-2, 3, size=(17, 4)).astype(np.float32)
    ids = np.array([f"doc{rng.integers(0, 10**6)}-{i}" for i in range(300)])
    _, id_rank = np.unique(ids, return_inverse=True)
    found, scores = top_k(queries, corpus, 25, id_rank, block_elements=17 * 40)  # blocks of 40 documents
    for q in range(17):
        expected = trec_order(corpus @ queries[q], ids)[:25]
        assert list(found[q]) == list(expected)
        np.testing.assert_array_equal(scores[q], (corpus @ queries[q])[expected])
    few, _ = top_k(queries, corpus[:5], 25, id_rank[:5])
    assert few.shape == (17, 5)


def pytrec_measures(qrels: dict, run: dict) -> dict:
    import pytrec_eval

    wanted = {"recip_rank", *(f"{trec.split('.')[0]}.{','.join(map(str, CUTOFFS))}" for trec in MEASURES.values())}
    return pytrec_eval.RelevanceEvaluator(qrels, wanted).evaluate(run)


def assert_equal_to_pytrec(task, output, provider) -> None:
    """Run the task's own top 100 through pytrec_eval and compare every per-query measure and mean."""
    judged = list(output.items["id"])
    queries = provider.embed([task.queries_[task.query_ids_.index(q)] for q in judged])
    docs = provider.embed(task.docs_)
    unit_docs = docs / np.maximum(np.linalg.norm(docs, axis=1, keepdims=True), 1e-30)
    unit_queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    _, id_rank = np.unique(np.array(task.doc_ids_), return_inverse=True)
    found, scores = top_k(unit_queries.astype(np.float32), unit_docs.astype(np.float32), 100, id_rank)
    run = {q: {task.doc_ids_[d]: float(s) for d, s in zip(found[i], scores[i], strict=True) if d >= 0}
           for i, q in enumerate(judged)}  # fmt: skip
    qrels = {q: task.qrels_[q] for q in judged}
    reference = pytrec_measures(qrels, run)
    for name, trec in MEASURES.items():
        expected = np.mean([reference[q][trec.replace(".", "_")] for q in judged])
        assert output.scores[name] == pytest.approx(expected, abs=1e-6), name
    np.testing.assert_allclose(output.items["ndcg_at_10"], [reference[q]["ndcg_cut_10"] for q in judged], atol=1e-6)
    recip = np.array([reference[q]["recip_rank"] for q in judged])
    np.testing.assert_allclose(output.items["mrr_at_10"], np.where(recip >= 0.1, recip, 0.0), atol=1e-6)


def test_bbc_retrieval_equals_pytrec_eval(registry, context, glove) -> None:
    task = loaded(registry, context, "bbc-retrieval")
    output = task.evaluate(glove)
    assert output.n_items == 2225 and output.details["documents"] == 2225
    assert_equal_to_pytrec(task, output, glove)
    assert output.scores["ndcg_at_10"] == pytest.approx(output.items["ndcg_at_10"].mean())
    assert len(output.items["top_10"][0].split()) == 10


def beir_folder(folder: Path, qrels: str | None = None) -> Path:
    """A small BEIR folder of real sentences: two documents are identical (equal scores), relevance is graded."""
    docs = [("d1", "Markets", "Stocks fell sharply on Monday."), ("d2", "", "The central bank raised interest rates."),
            ("d3", "Sport", "The team won the cup final."), ("d4", "Sport", "The team won the cup final."),
            ("d5", "", "A new vaccine was approved by regulators."),
            ("d6", "Weather", "Heavy rain flooded the town.")]  # fmt: skip
    queries = [("q1", "interest rates and stock markets"), ("q2", "football cup winners"), ("q3", "floods after rain"),
               ("q4", "a question nobody judged")]  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n"
                                                 for i, t, x in docs), encoding="utf-8")  # fmt: skip
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": i, "text": x}) + "\n" for i, x in queries),
                                          encoding="utf-8")  # fmt: skip
    (folder / "qrels").mkdir(exist_ok=True)
    default = "query-id\tcorpus-id\tscore\nq1\td2\t2\nq1\td1\t1\nq2\td3\t1\nq2\td4\t2\nq3\td6\t1\nq3\td5\t0\n"
    (folder / "qrels" / "test.tsv").write_text(qrels or default, encoding="utf-8")
    return folder


def test_a_beir_folder_with_ties_and_graded_judgements_equals_pytrec_eval(registry, context, glove, tmp_path) -> None:
    folder = beir_folder(tmp_path / "beir")
    task = loaded(registry, context, f"retrieval:path={folder}")
    assert task.docs_[0] == "Markets Stocks fell sharply on Monday." and task.docs_[1].startswith("The central")
    output = task.evaluate(glove)
    assert output.n_items == 3 and output.details["queries_without_relevant_documents"] == 0
    assert_equal_to_pytrec(task, output, glove)
    # d3 and d4 are the same text: equal scores, ordered by decreasing id as trec_eval orders them
    assert output.items["top_10"][1].split()[:2] == ["d4", "d3"]


def test_ignore_identical_ids_never_retrieves_the_query_itself(registry, context, glove, tmp_path) -> None:
    folder = beir_folder(tmp_path / "beir", "query-id\tcorpus-id\tscore\nd1\td2\t1\n")
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "d1", "text": "Stocks fell sharply on Monday."}) + "\n")
    kept = loaded(registry, context, f"retrieval:path={folder}").evaluate(glove)
    ignored = loaded(registry, context, f"retrieval:path={folder},ignore_identical_ids=true").evaluate(glove)
    assert kept.items["top_10"][0].split()[0] == "d1" and "d1" not in ignored.items["top_10"][0].split()
    assert ignored.scores["mrr_at_10"] > kept.scores["mrr_at_10"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no-qrels", r"beir: no relevance judgements: qrels/test.tsv is missing"),
        ("unknown-doc", r"test.tsv:3: corpus-id 'd9' is not in corpus.jsonl"),
        ("bad-score", r"test.tsv:2: score 'high' is not a number"),
        ("bad-json", r"corpus.jsonl:1: not valid JSON"),
    ],
)
def test_bad_beir_folders_are_located_errors(change, message, registry, context, tmp_path) -> None:
    qrels = {"unknown-doc": "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td9\t1\n",
             "bad-score": "query-id\tcorpus-id\tscore\nq1\td1\thigh\n"}.get(change)  # fmt: skip
    folder = beir_folder(tmp_path / "beir", qrels)
    if change == "no-qrels":
        (folder / "qrels" / "test.tsv").unlink()
    if change == "bad-json":
        (folder / "corpus.jsonl").write_text('{"_id": "d1", "text": \n', encoding="utf-8")
    with pytest.raises(EmbbenchError, match=message):
        loaded(registry, context, f"retrieval:path={folder}")


def test_queries_without_relevant_documents_are_a_skipped_record(registry, context, glove, tmp_path) -> None:
    folder = beir_folder(tmp_path / "beir", "query-id\tcorpus-id\tscore\nq1\td1\t0\nq2\td3\t0\n")
    with pytest.raises(SkipTask, match="none of the 2 judged queries has a relevant document"):
        loaded(registry, context, f"retrieval:path={folder}").evaluate(glove)


def test_paired_t_equals_scipy() -> None:
    rng = np.random.default_rng(2)
    best, other = rng.random(200), rng.random(200) * 0.9
    assert paired_t(best, other, True) == pytest.approx(stats.ttest_rel(best, other, alternative="greater").pvalue)
    assert paired_t(other, best, False) == pytest.approx(stats.ttest_rel(other, best, alternative="less").pvalue)
    assert paired_t(best, best - 0.1, True) == 0.0 and paired_t(best, best, True) == 1.0
