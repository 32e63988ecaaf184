"""Categorization, clustering, classification, BLEU, WEAT/SEAT and direct bias, each against an independent
computation on the same inputs, on real providers and bundled data."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import loaded
from sklearn import metrics

from embbench import Provider, run
from embbench.errors import EmbbenchError, SkipTask
from embbench.hookspecs import hookimpl
from embbench.plugins import Registry
from embbench.tasks._texts import read_texts
from embbench.tasks.weat import _distinct_partitions, _smallest, permutation_p_value
from embbench.words import tokenize


def unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


@pytest.mark.parametrize(("name", "low", "high"), [("ap", 0.5, 0.8), ("bless", 0.55, 0.85), ("essli2008", 0.45, 0.8),
                                                  ("battig", 0.35, 0.6)])  # fmt: skip
def test_categorization_matches_sklearn_and_published_range(name, low, high, registry, context, glove) -> None:
    from sklearn.cluster import KMeans

    task = loaded(registry, context, name)
    output = task.evaluate(glove)
    words = [w for w, _ in task.rows_]
    vocabulary = glove.word_vectors()  # a word is found whole, else through its tokens ("words" in Battig)
    covered = np.array([vocabulary.lookup(w) is not None or any(vocabulary.lookup(t) is not None for t in tokenize(w))
                        for w in words])  # fmt: skip
    vectors = glove.embed_words(words).vectors
    labels = np.array([c for _, c in task.rows_])[covered]
    k = len(set(c for _, c in task.rows_))
    purities, v_measures, aris = [], [], []
    for seed in range(5):  # the task's default: the mean over seeds 0-4
        clusters = KMeans(k, n_init=10, random_state=seed).fit_predict(unit(vectors[covered]))
        purities.append(sum(max(np.sum(labels[clusters == c] == lab) for lab in set(labels)) for c in set(clusters)))
        v_measures.append(metrics.v_measure_score(labels, clusters))
        aris.append(metrics.adjusted_rand_score(labels, clusters))
    assert output.n_scored == covered.sum()
    assert output.scores["purity"] == pytest.approx(np.mean(purities) / len(labels))
    assert output.scores["purity_std"] == pytest.approx(np.std(purities) / len(labels))
    assert output.scores["v_measure"] == pytest.approx(np.mean(v_measures))
    assert output.scores["ari"] == pytest.approx(np.mean(aris))
    assert (
        low < output.scores["purity"] < high
    )  # GloVe 6B categorization purity as reported by word-embeddings-benchmarks


def test_bbc_clustering_matches_sklearn(registry, context, glove) -> None:
    from sklearn.cluster import MiniBatchKMeans

    task = loaded(registry, context, "bbc-clustering:seeds=3")
    output = task.evaluate(glove)
    labels, texts = read_texts(registry.dataset("bbc").path)
    vectors = glove.embed(texts)
    expected = [metrics.v_measure_score(labels, MiniBatchKMeans(5, batch_size=500, n_init="auto", random_state=s)
                                        .fit_predict(vectors)) for s in range(3)]  # fmt: skip
    assert output.scores["v_measure"] == pytest.approx(np.mean(expected))
    assert output.scores["v_measure_std"] == pytest.approx(np.std(expected))
    assert 0.4 < output.scores["v_measure"] < 0.9


def nested_cv_reference(vectors, labels, folds: int, inner_folds: int) -> np.ndarray:
    """Predictions of scikit-learn's plain nested CV (grid search over C in each outer training fold), on centred
    dense features, solved to the task's tolerance."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, tol=1e-6)),
                          {"logisticregression__C": [0.25, 1.0, 4.0, 16.0]},
                          cv=StratifiedKFold(inner_folds, shuffle=True, random_state=0))  # fmt: skip
    return cross_val_predict(search, vectors, labels, cv=StratifiedKFold(folds, shuffle=True, random_state=0))


def test_classification_protocol_matches_nested_cv(registry, context, glove) -> None:
    task = loaded(registry, context, "mr")
    output = task.evaluate(glove)
    labels, texts = read_texts(registry.dataset("mr").path)
    predicted = nested_cv_reference(glove.embed(texts), labels, 5, 3)
    assert output.scores["accuracy"] == pytest.approx(metrics.accuracy_score(labels, predicted), abs=1e-3)
    assert output.scores["macro_f1"] == pytest.approx(metrics.f1_score(labels, predicted, average="macro"), abs=1e-3)
    assert 0.65 < output.scores["accuracy"] < 0.8  # averaged GloVe on MR: SentEval reports about 0.7-0.78
    assert output.details["sparse"] is False and output.details["solver"] == "newton-cholesky"  # two classes


def test_several_classes_on_low_dimensional_vectors_use_newton_and_match_lbfgs(registry, context, glove) -> None:
    """BBC's five classes on GloVe's 50 dimensions: Newton's method reaches the optimum the reference's lbfgs does."""
    task = loaded(registry, context, "bbc-classification:folds=3,inner_folds=2")
    output = task.evaluate(glove)
    labels, texts = read_texts(registry.dataset("bbc").path)
    predicted = nested_cv_reference(glove.embed(texts), labels, 3, 2)
    assert output.details["solver"] == "newton-cholesky"
    assert output.scores["accuracy"] == pytest.approx(metrics.accuracy_score(labels, predicted), abs=1e-3)
    assert 0.9 < output.scores["accuracy"] < 1.0


@pytest.mark.slow
def test_sparse_one_hot_features_give_the_dense_protocols_accuracy(registry, context) -> None:
    """One-hot bags of words are fitted sparse and scaled without centring; the unpenalised intercept absorbs the
    centring, so the accuracy is that of the dense, centred reference."""
    onehot = context.make_provider("onehot:max_vocab=5000")
    task = loaded(registry, context, "bbc-classification:folds=3,inner_folds=2")
    output = task.evaluate(onehot)
    labels, texts = read_texts(registry.dataset("bbc").path)
    predicted = nested_cv_reference(onehot.embed(texts), labels, 3, 2)
    assert output.details["sparse"] is True and output.details["solver"] == "lbfgs"
    assert output.scores["accuracy"] == pytest.approx(metrics.accuracy_score(labels, predicted), abs=1e-3)
    assert 0.85 < output.scores["accuracy"] < 1.0


def test_bleu_equals_sacrebleu_on_independent_retrieval(registry, context, glove) -> None:
    import sacrebleu

    task = loaded(registry, context, "bbc-headlines")
    output = task.evaluate(glove)
    vectors = unit(glove.embed(task.sources_).astype(np.float64))
    nearest = task.train_[np.argmax(vectors[task.test_] @ vectors[task.train_].T, axis=1)]
    reference = sacrebleu.corpus_bleu([task.targets_[i] for i in nearest], [[task.targets_[i] for i in task.test_]])
    assert output.scores["bleu"] == pytest.approx(reference.score)
    assert output.details["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")
    assert 5 < output.scores["bleu"] < 30


def test_bleu_on_a_user_pairs_file(registry, context, glove, tmp_path) -> None:
    path = tmp_path / "pairs.tsv"
    royal, pets = "kings and queens of the royal family", "cats and dogs kept as household pets"
    rows = [("the king and the queen", royal), ("a cat and a dog", pets), ("the prince and princess", royal),
            ("puppies and kittens", pets)] * 5  # fmt: skip
    path.write_text("source\ttarget\n" + "".join(f"{s}\t{t}\n" for s, t in rows))
    output = loaded(registry, context, f"bleu:path={path},test_fraction=0.4").evaluate(glove)
    assert output.scores["bleu"] == pytest.approx(100.0)  # every held-out source retrieves its own kind


def weat_by_hand(vectors: dict[str, np.ndarray], x, y, a, b) -> tuple[float, float]:
    """Caliskan et al. 2017, transcribed: effect size and the exact one-sided permutation p-value."""

    def cos(u, v):
        return float(np.dot(u, v) / np.linalg.norm(u) / np.linalg.norm(v))

    def s(w):
        return np.mean([cos(vectors[w], vectors[t]) for t in a]) - np.mean([cos(vectors[w], vectors[t]) for t in b])

    def statistic(xs, ys):
        return sum(s(w) for w in xs) - sum(s(w) for w in ys)

    d = (np.mean([s(w) for w in x]) - np.mean([s(w) for w in y])) / np.std([s(w) for w in x + y], ddof=1)
    union = x + y
    observed = statistic(x, y)
    bigger = total = 0
    for xi in itertools.combinations(union, len(x)):
        yi = [w for w in union if w not in xi]
        bigger += statistic(list(xi), yi) > observed + 1e-12
        total += 1
    return float(d), bigger / total


def test_weat_matches_the_paper_formulas(registry, context, glove, tmp_path) -> None:
    tests = json.loads(registry.dataset("weat").path.read_text())
    small = tests[6]  # WEAT 7: math/arts vs male/female terms, 8 words per set: 12,870 partitions, exact
    path = tmp_path / "weat7.json"
    path.write_text(json.dumps([small]))
    output = loaded(registry, context, f"weat:path={path}").evaluate(glove)
    sets = [small[k]["words"] for k in ("first_target", "second_target", "first_attribute", "second_attribute")]
    vectors = {w: np.asarray(glove.embed([w])[0], dtype=np.float64) for s in sets for w in s}
    d, p = weat_by_hand(vectors, *sets)
    result = output.details["tests"][0]
    assert result["exact"] is True and result["partitions"] == math.comb(16, 8)
    assert result["effect_size"] == pytest.approx(d, abs=1e-5)
    assert result["p_value"] == pytest.approx(p, abs=1e-9)


def test_weat_all_ten_tests_on_glove(registry, context, glove) -> None:
    output = loaded(registry, context, "weat-caliskan").evaluate(glove)
    tests = {r["test"]: r for r in output.details["tests"]}
    assert tests[1]["effect_size"] > 1.0 and tests[1]["p_value"] < 0.001  # flowers/insects (paper: d=1.50)
    assert tests[1]["partitions"] == 100_000 and tests[1]["exact"] is False
    not_run = [r for r in tests.values() if "not_run" in r]
    for r in not_run:  # reported with the words that are missing, never silently shrunk
        assert r["missing"] and "missing" in r["not_run"]
    assert output.n_scored == 10 - len(not_run)
    assert output.scores["mean_abs_effect_size"] == pytest.approx(
        np.mean([abs(r["effect_size"]) for r in tests.values() if "effect_size" in r]))  # fmt: skip


def distinct_partitions_one_by_one(n: int, size: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """The same draws as ``_distinct_partitions``, each kept unless an earlier one was the same partition."""
    seen, chosen = set(), []
    while len(chosen) < count:
        draws = np.argsort(rng.random((min(count, 20_000), n)), axis=1)[:, :size]
        for draw in draws:
            mask = np.isin(np.arange(n), draw)
            if mask.tobytes() not in seen and len(chosen) < count:
                seen.add(mask.tobytes())
                chosen.append(mask)
    return np.array(chosen)


def test_sampled_partitions_are_distinct_real_partitions() -> None:
    masks = _distinct_partitions(12, 6, 900, np.random.default_rng(0))  # 924 partitions exist: many draws repeat
    assert len({m.tobytes() for m in masks}) == 900 and (masks.sum(axis=1) == 6).all()
    np.testing.assert_array_equal(masks, distinct_partitions_one_by_one(12, 6, 900, np.random.default_rng(0)))
    wide = _distinct_partitions(70, 35, 500, np.random.default_rng(3))  # keys longer than 8 bytes
    np.testing.assert_array_equal(wide, distinct_partitions_one_by_one(70, 35, 500, np.random.default_rng(3)))
    tied = np.array([[0.1, 0.5, 0.5, 0.9], [0.7, 0.2, 0.3, 0.1]])  # a tie at the boundary: still two members
    np.testing.assert_array_equal(_smallest(tied, 2), [[True, True, False, False], [False, True, False, True]])
    rng = np.random.default_rng(1)
    s_x, s_y = rng.normal(0.3, 1, 7), rng.normal(0, 1, 7)
    exact, n_exact, _ = permutation_p_value(s_x, s_y, 10**6, exact_limit=10**6, seed=0)
    sampled, n_sampled, is_exact = permutation_p_value(s_x, s_y, 3000, exact_limit=100, seed=0)
    assert n_exact == 3432 and n_sampled == 3000 and not is_exact
    assert sampled == pytest.approx(exact, abs=0.03)


def test_seat_for_sentence_encoders(registry, context) -> None:
    minilm = context.make_provider("bert")
    output = loaded(registry, context, "weat-caliskan:permutations=2000").evaluate(minilm)
    assert output.details["sentences"] is True and output.n_scored == 10
    assert 0 < output.scores["mean_abs_effect_size"] < 2


def test_direct_bias_matches_a_transcription(registry, context, glove) -> None:
    task = loaded(registry, context, "bolukbasi-direct-bias")
    output = task.evaluate(glove)

    def vector(word: str) -> np.ndarray:  # the same inputs the task sees: the provider's embedding of the word
        return glove.embed([word])[0].astype(np.float64)

    pairs = [(a, b) for a, b in task.pairs_ if np.any(vector(a)) and np.any(vector(b))]
    rows = []
    for a, b in pairs:
        va, vb = (vector(w) / np.linalg.norm(vector(w)) for w in (a, b))
        center = (va + vb) / 2
        rows += [va - center, vb - center]
    centred = np.array(rows) - np.mean(rows, axis=0)
    direction = np.linalg.svd(centred, full_matrices=False)[2][0]
    neutral = [w for w in task.neutral_ if np.any(vector(w))]
    expected = np.mean([abs(vector(w) @ direction) / np.linalg.norm(vector(w)) for w in neutral])
    assert output.scores["direct_bias"] == pytest.approx(expected, abs=1e-5)
    assert output.n_scored == len(neutral)


class ZeroDim(Provider):
    name = "zero-dim"

    def embed(self, texts):
        return np.zeros((len(texts), 0), dtype=np.float32)


class ZeroDimPlugin:
    @hookimpl
    def register_providers(self, register):
        register(ZeroDim)


def test_bad_inputs_give_errors_or_skips_not_crashes(registry, context, glove, tmp_path: Path, cache_dir) -> None:
    one_class = tmp_path / "one.tsv"
    one_class.write_text("label\ttext\npos\tgood\npos\tgreat\n")
    with pytest.raises(EmbbenchError, match="only one class"):
        loaded(registry, context, f"mr:path={one_class}")
    single = tmp_path / "single.tsv"
    single.write_text("word\tcategory\ncat\tanimal\ndog\tanimal\nred\tcolour\n")
    with pytest.raises(EmbbenchError, match="categories with a single word: colour"):
        loaded(registry, context, f"categorization:path={single}")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("source\ttarget\na b\tc\n")
    with pytest.raises(EmbbenchError, match="leave an empty split") as info:
        loaded(registry, context, f"bleu:path={pairs}")
    assert info.value.where == "task 'bleu' option 'test_fraction'"
    missing = tmp_path / "missing.json"
    keys = ("first_target", "second_target", "first_attribute", "second_attribute")
    missing.write_text(json.dumps([{k: {"words": ["zzqx1", "zzqx2", "zzqx3"]} for k in keys}]))
    with pytest.raises(SkipTask, match="no WEAT test could be run"):
        loaded(registry, context, f"weat:path={missing}").evaluate(glove)
    records = run(["zero-dim", "glove"], ["ap", f"weat:path={missing}"], tmp_path / "r",
                  registry=Registry.load(extra=[ZeroDimPlugin()]), cache_dir=cache_dir)  # fmt: skip
    status = {(r.provider, r.task): (r.status, r.error) for r in records}
    assert status["zero-dim", "ap"][0] == "error" and "dimension 0" in status["zero-dim", "ap"][1]
    assert status["glove", "weat"][0] == "skipped" and "missing" in status["glove", "weat"][1]
    assert status["glove", "ap"][0] == "ok"


def test_records_carry_a_bootstrap_interval(registry, cache_dir, tmp_path) -> None:
    records = run(["glove"], ["ws353", "ap", "bolukbasi-direct-bias"], tmp_path, registry=registry, cache_dir=cache_dir)
    for record in records:
        low, high = record.ci95
        assert low <= record.main_value <= high and high - low < 0.3, record.task
    again = run(["glove"], ["ws353"], tmp_path / "again", registry=registry, cache_dir=cache_dir)
    assert again[0].ci95 == next(r for r in records if r.task == "ws353").ci95  # seeded
