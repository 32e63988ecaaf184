"""Analogy: gensim's evaluate_word_analogies reproduced exactly; 3CosAdd / 3CosMul against direct computation."""

from __future__ import annotations

import numpy as np
import pytest

from embbench.errors import EmbbenchError
from embbench.tasks.analogy import Analogy, read_questions
from embbench.words import WordVectors


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["google", "msr"])
def test_gensim_protocol_equals_gensim(dataset, registry, context, glove, glove_kv) -> None:
    restrict = 30_000
    score, sections = glove_kv.evaluate_word_analogies(str(registry.dataset(dataset).path), restrict_vocab=restrict)
    task = registry.make_task(f"{dataset}:protocol=gensim,restrict_vocab={restrict}")
    task.load(context)
    output = task.evaluate(glove)
    assert output.scores["3cosadd"] == score
    for section in sections[:-1]:
        total = len(section["correct"]) + len(section["incorrect"])
        expected = len(section["correct"]) / total if total else None
        assert output.scores[f"3cosadd/{section['section']}"] == expected, section["section"]


def brute_force(vectors: WordVectors, questions, method: str, epsilon: float = 1e-3) -> float:
    """Direct float64 transcription of 3CosAdd / 3CosMul (Levy & Goldberg 2014) over the whole vocabulary."""
    unit = np.asarray(vectors.matrix, dtype=np.float64)
    unit = unit / np.linalg.norm(unit, axis=1, keepdims=True)
    hits = []
    for a, b, c, d in questions:
        ia, ib, ic, idx = (vectors.lookup(w) for w in (a, b, c, d))
        ca, cb, cc = unit @ unit[ia], unit @ unit[ib], unit @ unit[ic]
        if method == "3cosadd":
            scores = cb - ca + cc
        else:
            scores = ((cb + 1) / 2) * ((cc + 1) / 2) / ((ca + 1) / 2 + epsilon)
        scores[[ia, ib, ic]] = -np.inf
        hits.append(vectors.words[int(np.argmax(scores))] == vectors.words[idx])
    return float(np.mean(hits))


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_methods_match_direct_computation(method, registry, context, glove, tmp_path) -> None:
    questions = read_questions(registry.dataset("google").path)[::97]
    path = tmp_path / "sample.txt"
    path.write_text(": sample\n" + "".join(" ".join(q.words) + "\n" for q in questions))
    task = registry.make_task(f"analogy:path={path},methods={method}")
    task.load(context)
    output = task.evaluate(glove)
    expected = brute_force(glove.word_vectors(), [[w.lower() for w in q.words] for q in questions], method)
    assert output.scores[method] == pytest.approx(expected, abs=1 / len(questions))  # at most one near-tie apart
    assert output.scores[method] > 0.3


def test_restrict_vocab_limits_search_and_coverage(registry, context, glove) -> None:
    full = registry.make_task("msr:methods=3cosadd")
    small = registry.make_task("msr:methods=3cosadd,restrict_vocab=10000")
    for task in (full, small):
        task.load(context)
    out_full, out_small = full.evaluate(glove), small.evaluate(glove)
    assert out_small.n_scored < out_full.n_scored
    assert out_full.n_items == out_small.n_items == 8000


def test_sections_and_provider_without_vocabulary(registry, context) -> None:
    task = registry.make_task("google")
    task.load(context)
    assert len({q.section for q in task.questions_}) == 14
    assert len(task.questions_) == 19544
    from embbench.errors import SkipTask

    class Encoder:
        name = "encoder"

        def word_vectors(self):
            return None

    with pytest.raises(SkipTask, match="no word vocabulary"):
        task.evaluate(Encoder())


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("a b c d\n", 1, "question before the first ': section' line"),
        (": s\na b c d\na b c\n", 3, "expected 4 words (a b c d), found 3"),
        (":\na b c d\n", 1, "section line without a name"),
    ],
)
def test_malformed_analogy_file(tmp_path, text, line, what) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(EmbbenchError) as info:
        read_questions(path)
    assert info.value.where == f"{path}:{line}"
    assert what in info.value.what


def test_main_score_follows_methods() -> None:
    assert Analogy(dataset="google", methods=("3cosmul",)).main_score == "3cosmul"
    assert Analogy(dataset="google").main_score == "3cosadd"


def test_compiled_search_equals_numpy_argmax_with_ties_exclusions_and_blocks(monkeypatch) -> None:
    """The compiled search gives numpy's answers to the bit: float32 scores in numpy's order, excluded rows
    skipped, exact ties to the lower row, the running best carried across blocks of the vocabulary."""
    import embbench.tasks.analogy as analogy
    from embbench.tasks._wordsearch import cosines

    rng = np.random.default_rng(0)
    matrix = np.repeat(rng.integers(-2, 3, (1500, 8)), 2, axis=0).astype(np.float32)  # words 2k, 2k + 1 are twins
    vectors = WordVectors([f"w{i}" for i in range(len(matrix))], matrix)
    rows = rng.integers(0, len(matrix), (300, 3))
    exclude = np.concatenate([rows, rows ^ 1], axis=1)  # the twins of question words are excluded too
    exclude[:50, 3:] = -1
    monkeypatch.setattr(analogy, "BLOCK_ELEMENTS", 700 * 40)  # several blocks per pass
    found = analogy.add_and_mul_answers(vectors, len(matrix), rows, exclude)

    distinct, where = np.unique(rows, return_inverse=True)
    a, b, c = where.reshape(rows.shape).T
    words = vectors.dense_rows(distinct)
    block = max(256, analogy.BLOCK_ELEMENTS // len(distinct))
    cos = np.concatenate([cosines(words, matrix[s : s + block], vectors.norms[s : s + block])
                          for s in range(0, len(matrix), block)], axis=1)  # fmt: skip
    added = cos[b] - cos[a]
    added += cos[c]
    multiplied = (cos[b] + 1) * (cos[c] + 1)
    multiplied /= cos[a] + np.float32(1.002)
    for method, scores in (("3cosadd", added), ("3cosmul", multiplied)):
        for i, excluded in enumerate(exclude):
            scores[i, excluded[excluded >= 0]] = -np.inf
        np.testing.assert_array_equal(found[method], scores.argmax(axis=1))
    assert (added.max(axis=1)[:, None] == added).sum(axis=1).max() > 1  # exact ties were there to break


def test_binary_vectors_give_the_same_answers_whatever_order_their_dimensions_are_summed_in() -> None:
    """Between +-1 vectors the dot products are exact integers, so the answers (ties included) do not depend on
    the order BLAS sums in (another machine, another library): permuting the dimensions changes nothing."""
    import embbench.tasks.analogy as analogy

    rng = np.random.default_rng(1)
    matrix = np.where(rng.random((4000, 50)) < 0.5, -1, 1).astype(np.float32)
    rows = rng.integers(0, len(matrix), (2000, 3))
    found = [analogy.add_and_mul_answers(WordVectors([f"w{i}" for i in range(len(matrix))], m), len(matrix), rows,
                                         rows) for m in (matrix, np.ascontiguousarray(matrix[:, ::-1]))]  # fmt: skip
    for method in ("3cosadd", "3cosmul"):
        np.testing.assert_array_equal(found[0][method], found[1][method])


def test_questions_sharing_few_words_give_the_same_3cosadd_answers_by_either_product() -> None:
    """3CosAdd alone over questions that share few words takes one product per question (b - a + c); its answers
    are those of the three similarity blocks, but for near-ties (float rounding of a different sum)."""
    import embbench.tasks.analogy as analogy

    rng = np.random.default_rng(2)
    matrix = rng.normal(size=(5000, 30)).astype(np.float32)
    vectors = WordVectors([f"w{i}" for i in range(len(matrix))], matrix)
    rows = rng.integers(0, len(matrix), (300, 3))  # about 900 distinct words for 300 questions
    direct = analogy.add_and_mul_answers(vectors, len(matrix), rows, rows, add_only=True)["3cosadd"]
    blocks = analogy.add_and_mul_answers(vectors, len(matrix), rows, rows)["3cosadd"]
    assert (direct == blocks).mean() > 0.99
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    scores = (unit[rows[:, 1]] - unit[rows[:, 0]] + unit[rows[:, 2]]) @ unit.T
    scores[np.arange(len(rows))[:, None], rows] = -np.inf
    assert (direct == scores.argmax(axis=1)).mean() > 0.99
