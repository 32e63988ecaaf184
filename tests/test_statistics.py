"""The statistics under every score: bootstrap intervals (vectorised and one at a time), row-wise rank
correlations, and the clustering metrics, each checked against scipy or scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics

from embbench.stats.bootstrap import bootstrap_ci, resampled_spearman, resamples, vectorised_ci
from embbench.tasks._clustering_metrics import purity, v_measure


@pytest.mark.parametrize("seed", range(3))
def test_resampled_spearman_equals_scipy_on_each_resample_with_ties(seed) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, 40).astype(float)  # many ties
    y = np.where(rng.random(40) < 0.3, 1.0, rng.normal(size=40))  # ties on the other side too
    rows = rng.integers(0, 40, (25, 40))
    expected = [stats.spearmanr(x[r], y[r]).statistic for r in rows]
    np.testing.assert_allclose(resampled_spearman(x, y, rows), expected, rtol=1e-12)
    assert np.isnan(resampled_spearman(np.ones(5), y[:5], rows[:1, :5] % 5))[0]  # a constant side: undefined
    assert np.isnan(resampled_spearman(x, y, np.zeros((1, 40), dtype=np.int64)))[0]  # one item drawn 40 times


def test_resampled_spearman_of_many_items_and_changed_inputs_equals_scipy() -> None:
    rng = np.random.default_rng(7)
    x = np.round(rng.random(20_000) * 10, 1)  # ratings: about a hundred groups of ties
    y = x + rng.normal(size=x.size)
    rows = rng.integers(0, x.size, (5, x.size))
    expected = [stats.spearmanr(x[r], y[r]).statistic for r in rows]
    np.testing.assert_allclose(resampled_spearman(x, y, rows), expected, rtol=1e-10)
    x[:100] = 11.0  # the same array changed in place: its sort is made again
    expected = [stats.spearmanr(x[r], y[r]).statistic for r in rows[:2]]
    np.testing.assert_allclose(resampled_spearman(x, y, rows[:2]), expected, rtol=1e-10)


def test_resamples_in_chunks_are_one_stream(monkeypatch) -> None:
    import embbench.stats.bootstrap

    whole = np.concatenate(list(resamples(7, rounds=10, seed=3)))
    monkeypatch.setattr(embbench.stats.bootstrap, "CHUNK_ELEMENTS", 14)  # two resamples per chunk
    chunked = list(resamples(7, rounds=10, seed=3))
    assert len(chunked) == 5
    np.testing.assert_array_equal(np.concatenate(chunked), whole)
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(whole, [rng.integers(0, 7, 7) for _ in range(10)])  # one draw per round


def test_vectorised_interval_equals_one_resample_at_a_time(registry, context, glove) -> None:
    task = registry.make_task("men")
    task.load(context)
    items = task.evaluate(glove).items
    covered = {k: v[items["covered"]] for k, v in items.items()}
    gold, cosine = covered["gold"], covered["cosine"]
    one_at_a_time = bootstrap_ci(lambda rows: stats.spearmanr(gold[rows], cosine[rows]).statistic, len(gold))
    vectorised = vectorised_ci(lambda chunk: task.score_resamples(covered, chunk), len(gold))
    assert vectorised == pytest.approx(one_at_a_time, abs=1e-12)


def test_a_large_similarity_interval_is_vectorised() -> None:
    rng = np.random.default_rng(0)
    gold = rng.normal(size=200_000)
    predicted = gold + rng.normal(size=gold.size)
    low, high = vectorised_ci(lambda chunk: resampled_spearman(gold, predicted, chunk), gold.size, rounds=50)
    assert low < stats.spearmanr(gold, predicted).statistic < high


@pytest.mark.parametrize("seed", range(5))
def test_v_measure_and_purity_equal_scikit_learn(seed) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.choice(["a", "b", "c", "d"], size=200)
    clusters = np.where(rng.random(200) < 0.6, np.searchsorted(["a", "b", "c", "d"], labels), rng.integers(0, 6, 200))
    assert v_measure(labels, clusters) == pytest.approx(metrics.v_measure_score(labels, clusters), abs=1e-12)
    table = metrics.cluster.contingency_matrix(labels, clusters)
    assert purity(labels, clusters) == table.max(axis=0).sum() / table.sum()
    assert v_measure(labels, np.zeros(200)) == metrics.v_measure_score(labels, np.zeros(200))
    assert v_measure(np.zeros(200), clusters) == metrics.v_measure_score(np.zeros(200), clusters)


@pytest.mark.parametrize(
    "spec", ["essli2008:seeds=3", "bbc-clustering:seeds=2", "weat-caliskan:permutations=100", "bbc-headlines"]
)
def test_vectorised_scores_equal_one_at_a_time(spec, registry, context, glove) -> None:
    from embbench.contract import Task

    task = registry.make_task(spec)
    task.load(context)
    items = task.evaluate(glove).items
    covered = {k: v[items["covered"]] for k, v in items.items()}
    chunk = next(resamples(len(covered["id"]), rounds=40, seed=5))
    vectorised = task.score_resamples(covered, chunk)
    one_at_a_time = Task.score_resamples(task, covered, chunk)  # the generic loop over score_items
    np.testing.assert_allclose(vectorised, one_at_a_time, rtol=1e-12)


def test_vectorised_weat_handles_empty_and_flat_resampled_sets(registry) -> None:
    """Resamples that leave a test's X or Y empty, or all its drawn values equal, drop that test (NaN if none)."""
    from embbench.contract import Task

    task = registry.make_task("weat-caliskan")
    items = {"id": np.arange(7).astype(str), "test": np.array([1, 1, 1, 2, 2, 2, 2]),
             "set": np.array(["X", "Y", "Y", "X", "X", "Y", "Y"], dtype=object),
             "association": np.array([0.3, 0.1, 0.1, 0.2, 0.2, 0.2, -0.4])}  # fmt: skip
    chunk = np.random.default_rng(0).integers(0, 7, (500, 7))
    vectorised = task.score_resamples(items, chunk)
    one_at_a_time = Task.score_resamples(task, items, chunk)
    np.testing.assert_allclose(vectorised, one_at_a_time, rtol=1e-12)
    assert np.isnan(vectorised).any() and np.isfinite(vectorised).any()
