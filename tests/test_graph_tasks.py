"""The graph family on real graphs (the larval Drosophila mushroom-body connectome with its cell types, Zachary's
karate club): node classification equals scikit-learn's protocol on the same vectors, the spectral provider is the
truncated SVD numpy computes, node providers learn from the task's graph and say so, and bad graph files are
located errors."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from embbench import run
from embbench.contract import Context
from embbench.tasks._graphs import read_edges

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def drosophila(registry, cache_dir):
    task = registry.make_task("drosophila-cell-types")
    task.load(Context(cache_dir, registry))
    return task


def test_node_classification_equals_scikit_learns_protocol_on_the_same_vectors(drosophila, registry, cache_dir):
    """The task's predictions are those of scikit-learn's own stratified k-fold with LogisticRegressionCV chosen
    inside each training fold, on the spectral provider's vectors; accuracy, macro- and micro-F1 are sklearn's."""
    from sklearn import metrics
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    provider = registry.make_provider("spectral").fitted_on(drosophila.training_data(), Context(cache_dir, registry))
    output = drosophila.evaluate(provider)
    vectors = provider.embed_nodes(drosophila.graph_.nodes()).vectors
    labels = np.array(drosophila.labels_, dtype=object)
    predicted = np.empty_like(labels)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(vectors, labels):
        model = make_pipeline(StandardScaler(), LogisticRegressionCV(
            Cs=[0.25, 1.0, 4.0, 16.0], cv=StratifiedKFold(3, shuffle=True, random_state=0), scoring="accuracy",
            tol=1e-6, max_iter=5000, solver="newton-cholesky"))  # fmt: skip
        with warnings.catch_warnings():  # scikit-learn 1.9 announces attribute changes of LogisticRegressionCV
            warnings.simplefilter("ignore", FutureWarning)
            predicted[test] = model.fit(vectors[train], labels[train]).predict(vectors[test])
    np.testing.assert_array_equal(output.items["predicted"], predicted)
    assert output.scores["accuracy"] == metrics.accuracy_score(labels, predicted)
    assert output.scores["macro_f1"] == metrics.f1_score(labels, predicted, average="macro")
    assert output.scores["micro_f1"] == metrics.f1_score(labels, predicted, average="micro")
    assert output.n_items == 209 and output.scores["accuracy"] > 0.7  # four cell types, the largest 48% of them


def test_spectral_is_the_truncated_svd_of_the_normalised_adjacency(drosophila, registry, cache_dir) -> None:
    """Its singular values are numpy's largest, and its vectors span the same subspace (the projections agree)."""
    fitted = registry.make_provider("spectral:dim=8").fitted_on(
        drosophila.training_data(), Context(cache_dir, registry)
    )
    adjacency = drosophila.graph_.adjacency().toarray()
    degrees = adjacency.sum(axis=1)
    scale = np.where(degrees > 0, 1 / np.sqrt(np.maximum(degrees, 1e-300)), 0)
    left, values, _ = np.linalg.svd(adjacency * scale[:, None] * scale[None, :])
    np.testing.assert_allclose(fitted.provenance()["singular_values"], values[:8], rtol=1e-6)
    ours = fitted.embed_nodes(drosophila.graph_.nodes()).vectors.astype(np.float64)
    basis = np.linalg.qr(ours)[0]
    np.testing.assert_allclose(basis @ basis.T, left[:, :8] @ left[:, :8].T, atol=1e-5)


def test_node_providers_learn_from_the_tasks_graph_and_a_text_provider_is_skipped(tmp_path, registry, cache_dir):
    records = run(["spectral:dim=4", "node-onehot", "glove"], ["karate-factions"], tmp_path, registry=registry,
                  cache_dir=cache_dir)  # fmt: skip
    by = {r.provider_label: r for r in records}
    task = registry.make_task("karate-factions")
    task.load(Context(cache_dir, registry))
    expected = task.training_data().provenance()
    for label in ("spectral(dim=4)", "node-onehot"):
        assert by[label].status == "ok" and by[label].provenance["trained_on"] == expected
        assert expected["nodes"] == 34 and expected["edges"] == 78
    assert by["spectral(dim=4)"].main_value > 0.9 > 0.6 > by["node-onehot"].main_value  # one-hot knows nothing
    assert by["glove"].status == "skipped"
    assert by["glove"].error == "provider 'glove' embeds text; task 'karate-factions' embeds graph nodes without names"


LABELS = "node\tlabel\na\tx\nb\tx\nc\ty\nd\ty\n"


@pytest.mark.parametrize(("labels", "edges", "message"), [
    (LABELS + "a\ty\n", "source\ttarget\na\tb\n", "labels.tsv:6: node 'a' is labelled twice (first on line 2)"),
    (LABELS, "source\ttarget\na\tb\nb\te\n", "edges.tsv:3: target node 'e' is not a node of the graph"),
    (LABELS, "source\ttarget\tweight\na\tb\t-1\n", "edges.tsv:2: weight '-1' is not a positive number"),
    (LABELS, "source\ttarget\na\n", "edges.tsv:2: expected 2 tab-separated fields, found 1"),
    (LABELS, "from\tto\na\tb\n", "edges.tsv:1: expected a header starting source<TAB>target"),
])  # fmt: skip
def test_bad_graph_files_are_located_errors(tmp_path: Path, labels, edges, message) -> None:
    (tmp_path / "labels.tsv").write_text(labels)
    (tmp_path / "edges.tsv").write_text(edges)
    task = f"node-classification:path={tmp_path / 'labels.tsv'},graph_path={tmp_path / 'edges.tsv'},folds=2"
    result = run_cli("run", "-p", "spectral", "-t", task, "--results", str(tmp_path / "r"))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert message in result.stderr, result.stderr


def test_the_graph_options_say_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "labels.tsv").write_text(LABELS)
    neither = run_cli("run", "-p", "spectral", "-t", f"node-classification:path={tmp_path / 'labels.tsv'}")
    assert neither.returncode == 2 and "give the graph's edges: graph=DATASET or graph_path=FILE" in neither.stderr
    labels, nowhere = tmp_path / "labels.tsv", tmp_path / "nope.tsv"
    missing = run_cli("run", "-p", "spectral", "-t", f"node-classification:path={labels},graph_path={nowhere},folds=2")
    assert missing.returncode == 2 and f"option 'graph_path': graph file not found: {nowhere}" in missing.stderr


def test_the_bundled_graphs_read_as_their_cards_say(drosophila) -> None:
    graph = read_edges(ROOT / "tasks/graphs/drosophila-left.tsv", "drosophila-left-graph", drosophila.ids_)
    assert len(graph.ids) == 209 and len(graph.sources) == 7425 and graph.weights.min() >= 1
    assert sorted(set(drosophila.labels_)) == ["I", "K", "O", "P"]


def test_deepwalks_walks_follow_edges_and_repeat_with_the_seed(drosophila) -> None:
    """Every step of every compiled walk goes along an edge (either way), each node starts walks_per_node walks, a
    walk from a node without edges is that node alone, and a seed gives the same walks again."""
    from embbench.providers._walks import random_walks

    adjacency = drosophila.graph_.adjacency()
    indptr, indices = adjacency.indptr.astype(np.int64), adjacency.indices.astype(np.int64)
    walks = random_walks(indptr, indices, 3, 12, 1.0, 1.0, 7)
    assert walks.shape == (3 * 209, 12) and list(walks[:209, 0]) == list(range(209))
    dense = adjacency.toarray() > 0
    steps = [(a, b) for walk in walks for a, b in itertools.pairwise(walk) if b >= 0]
    assert steps and all(dense[a, b] for a, b in steps)
    np.testing.assert_array_equal(random_walks(indptr, indices, 3, 12, 1.0, 1.0, 7), walks)
    assert not np.array_equal(random_walks(indptr, indices, 3, 12, 1.0, 1.0, 8), walks)
    lonely = random_walks(np.array([0, 1, 2, 2]), np.array([1, 0]), 1, 4, 1.0, 1.0, 0)  # node 2 has no edge
    assert list(lonely[2]) == [2, -1, -1, -1]


def test_deepwalk_learns_the_cell_types_a_one_hot_baseline_cannot(tmp_path, registry, cache_dir) -> None:
    records = run(["deepwalk", "node-onehot"], ["drosophila-cell-types"], tmp_path, registry=registry,
                  cache_dir=cache_dir)  # fmt: skip
    by = {r.provider_label: r for r in records}
    assert by["deepwalk"].main_value > 0.75 > 0.55 > by["node-onehot"].main_value
    assert by["deepwalk"].provenance["walks"] == 10 * 209 and by["deepwalk"].provenance["seed"] == 0
    again = run(["deepwalk"], ["drosophila-cell-types"], tmp_path / "again", registry=registry, cache_dir=cache_dir)
    assert again[0].main_value == by["deepwalk"].main_value  # seeded walks and a single-threaded skip-gram


def test_node2vec_steps_follow_the_biased_second_order_distribution(registry, cache_dir) -> None:
    """On the karate club with p = 0.25, q = 4: after 1 -> 0, the next node is drawn in proportion to 1/p (back to
    1), 1 (a neighbour of 1) or 1/q (further away), as node2vec defines it; the drawn frequencies of 4,000-odd
    steps are within 0.03 of those probabilities."""
    from embbench.providers._walks import random_walks

    task = registry.make_task("karate-factions")
    task.load(Context(cache_dir, registry))
    adjacency = task.graph_.adjacency()
    adjacency.sort_indices()
    row = {node: i for i, node in enumerate(task.graph_.ids)}
    t, v = row["1"], row["0"]
    walks = random_walks(adjacency.indptr.astype(np.int64), adjacency.indices.astype(np.int64), 40_000, 3, 0.25,
                         4.0, 0)  # fmt: skip
    steps = walks[(walks[:, 0] == t) & (walks[:, 1] == v), 2]
    dense = adjacency.toarray() > 0
    neighbours = np.flatnonzero(dense[v])
    weights = np.array([4.0 if x == t else 1.0 if dense[t, x] else 0.25 for x in neighbours])
    expected = weights / weights.sum()
    drawn = np.array([(steps == x).mean() for x in neighbours])
    assert len(steps) > 4000 and np.abs(drawn - expected).max() < 0.03, (drawn, expected)
    assert {1.0, 4.0, 0.25} <= set(weights)  # all three cases occur after 1 -> 0
