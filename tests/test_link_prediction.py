"""Link prediction on the WordNet mammal closure and the Drosophila connectome: ranks equal PyKEEN's (realistic,
filtered) and OGB's evaluator on the same scores, providers learn from the training edges only, the non-edges of
the ROC-AUC are the same for every provider, text providers take part through the synsets' lemmas, and bad or
degenerate files are located errors or skipped records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from embbench import run
from embbench.contract import Context
from embbench.tasks._embedding import unit_rows


@pytest.fixture(scope="module")
def mammals(registry, cache_dir):
    task = registry.make_task("mammal-links")
    task.load(Context(cache_dir, registry))
    return task


@pytest.fixture(scope="module")
def evaluated(mammals, registry, cache_dir):
    """The task's output for spectral vectors, the vectors, and each side's (queries, answers, scores, allowed)."""
    provider = registry.make_provider("spectral").fitted_on(mammals.training_data(), Context(cache_dir, registry))
    output = mammals.evaluate(provider)
    unit = unit_rows(provider.embed_nodes(mammals.nodes()).vectors)
    test = mammals.pairs_[mammals.splits_ == "test"]
    size = len(mammals.ids_)
    known = np.zeros((size, size), dtype=bool)
    known[mammals.pairs_[:, 0], mammals.pairs_[:, 1]] = True
    sides = []
    for query, answer, filtered in ((test[:, 0], test[:, 1], known), (test[:, 1], test[:, 0], known.T)):
        scores = unit[query] @ unit.T
        allowed = ~filtered[query]
        allowed[np.arange(len(query)), answer] = True
        allowed[np.arange(len(query)), query] = False
        sides.append((query, answer, scores, allowed))
    return output, sides


def test_ranks_and_metrics_equal_pykeens_realistic_filtered_ranks(evaluated) -> None:
    """PyKEEN's rank-based evaluation of the same scores (filtered entries NaN, as its evaluator filters them):
    its realistic ranks are the items' ranks, and its MRR and Hits@k over both sides are the task's."""
    import torch
    from pykeen.evaluation.ranks import Ranks
    from pykeen.metrics.ranking import HitsAtK, InverseHarmonicMeanRank

    output, sides = evaluated
    pykeen_ranks = []
    for (query, answer, scores, allowed), column in zip(sides, ("rank_tail", "rank_head"), strict=True):
        filtered = np.where(allowed, scores, np.nan)
        true = scores[np.arange(len(query)), answer][:, None]
        ranks = Ranks.from_scores(torch.as_tensor(true), torch.as_tensor(filtered)).realistic.numpy()
        np.testing.assert_allclose(output.items[column], ranks, rtol=0, atol=1e-9)
        pykeen_ranks.append(ranks)
    both = np.concatenate(pykeen_ranks)  # PyKEEN's metrics are float32: equal to its precision
    assert output.scores["mrr"] == pytest.approx(InverseHarmonicMeanRank()(both), rel=1e-6)
    for k in (1, 3, 10):
        assert output.scores[f"hits_at_{k}"] == pytest.approx(HitsAtK(k)(both), rel=1e-6)


def test_ranks_equal_ogbs_evaluator(evaluated) -> None:
    """OGB's Evaluator (ogbl-citation2: the true endpoint's score against each query's negatives, here every
    allowed node, padded with -inf) gives each side's reciprocal ranks and hits."""
    import torch
    from ogb.linkproppred import Evaluator

    output, sides = evaluated
    evaluator = Evaluator("ogbl-citation2")
    for (query, answer, scores, allowed), column in zip(sides, ("rank_tail", "rank_head"), strict=True):
        rows = np.arange(len(query))
        negatives = np.where(allowed, scores, -np.inf)
        negatives[rows, answer] = -np.inf
        result = evaluator.eval({"y_pred_pos": torch.as_tensor(scores[rows, answer]),
                                 "y_pred_neg": torch.as_tensor(negatives)})  # fmt: skip
        np.testing.assert_allclose(result["mrr_list"].numpy(), 1 / output.items[column], rtol=1e-6)  # OGB: float32
        np.testing.assert_array_equal(result["hits@10_list"].numpy(), output.items[column] <= 10)


def test_providers_learn_from_training_edges_only_and_share_the_non_edges(mammals, tmp_path, registry, cache_dir):
    data = mammals.training_data()
    train = {(data.data.sources[i], data.data.targets[i]) for i in range(len(data.data.sources))}
    test = {tuple(pair) for pair in mammals.pairs_[mammals.splits_ == "test"]}
    assert not train & test and len(test) == round(0.1 * 6542) and len(train) + len(test) == 6542
    records = run(["spectral", "node-onehot", "glove"], ["mammal-links"], tmp_path, registry=registry,
                  cache_dir=cache_dir)  # fmt: skip
    by = {r.provider_label: r for r in records}
    for label in ("spectral", "node-onehot"):
        assert by[label].provenance["trained_on"]["edges"] == len(train)
    assert by["glove"].status == "ok" and 0.8 < by["glove"].coverage < 1  # lemmas GloVe knows ("sea lion": pooled)
    assert by["node-onehot"].scores["roc_auc"] == 0.5  # every cosine between distinct nodes is 0
    assert by["spectral"].main_value > by["node-onehot"].main_value
    negatives = mammals._negatives(np.zeros((1182, 1182), dtype=bool), 5)
    np.testing.assert_array_equal(negatives, mammals._negatives(np.zeros((1182, 1182), dtype=bool), 5))


@pytest.mark.parametrize(("text", "options", "message"), [
    ("source\ttarget\tsplit\na\tb\ttrain\nb\tc\ttraining\n", "", "edges.tsv:3: split 'training' is not one of"),
    ("source\ttarget\na\ta\n", ",test_fraction=0.5", "edges.tsv:2: edge from node 'a' to itself"),
    ("source\ttarget\na\tb\n", "", "option 'test_fraction': the file has no split column"),
])  # fmt: skip
def test_bad_edge_files_are_located_errors(tmp_path: Path, text, options, message) -> None:
    (tmp_path / "edges.tsv").write_text(text)
    result = run_cli("run", "-p", "spectral", "-t", f"link-prediction:path={tmp_path / 'edges.tsv'}{options}",
                     "--results", str(tmp_path / "r"))  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr and message in result.stderr, result.stderr


def test_a_graph_without_held_out_edges_is_a_skipped_record(tmp_path: Path, registry, cache_dir) -> None:
    (tmp_path / "edges.tsv").write_text("source\ttarget\tsplit\na\tb\ttrain\nb\tc\ttrain\nc\td\tvalid\n")
    (record,) = run(["spectral:dim=2"], [f"link-prediction:path={tmp_path / 'edges.tsv'}"], tmp_path / "r",
                    registry=registry, cache_dir=cache_dir)  # fmt: skip
    assert record.status == "skipped" and record.error == "the graph has no held-out (test) edges to predict"
