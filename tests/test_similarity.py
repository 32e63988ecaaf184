"""Word similarity: gensim's evaluate_word_pairs reproduced exactly; the embbench protocol; bad dataset files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from embbench import Provider
from embbench.errors import EmbbenchError
from embbench.tasks.similarity import read_pairs

SIMILARITY_SETS = sorted(p.stem for p in (Path(__file__).parents[1] / "tasks" / "word-similarity").glob("*.toml"))


def three_column_copy(registry, name: str, tmp_path: Path) -> Path:
    """gensim reads exactly word1<TAB>word2<TAB>score; simverb3500's extra column would make it skip every row."""
    pairs = read_pairs(registry.dataset(name).path)
    path = tmp_path / f"{name}.tsv"
    path.write_text("".join(f"{a}\t{b}\t{s!r}\n" for a, b, s in pairs), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", SIMILARITY_SETS)
def test_gensim_protocol_equals_gensim(name, registry, context, glove, glove_kv, tmp_path) -> None:
    pearson, spearman, oov = glove_kv.evaluate_word_pairs(str(three_column_copy(registry, name, tmp_path)))
    task = registry.make_task(f"{name}:protocol=gensim")
    task.load(context)
    output = task.evaluate(glove)
    assert output.scores["spearman"] == pytest.approx(spearman.statistic, abs=1e-12)
    assert output.scores["pearson"] == pytest.approx(pearson.statistic, abs=1e-6)
    assert 100 * (1 - output.coverage) == pytest.approx(oov)


def test_gensim_restrict_vocab(registry, context, glove, glove_kv, tmp_path) -> None:
    _, spearman, oov = glove_kv.evaluate_word_pairs(
        str(three_column_copy(registry, "men", tmp_path)), restrict_vocab=5000
    )
    task = registry.make_task("men:protocol=gensim,restrict_vocab=5000")
    task.load(context)
    output = task.evaluate(glove)
    assert oov > 10
    assert output.scores["spearman"] == pytest.approx(spearman.statistic, abs=1e-12)
    assert 100 * (1 - output.coverage) == pytest.approx(oov)


def test_embbench_protocol_is_an_independent_computation(registry, context, glove) -> None:
    task = registry.make_task("simlex999")
    task.load(context)
    output = task.evaluate(glove)
    vectors = glove.word_vectors()
    gold, model = [], []
    for a, b, score in read_pairs(registry.dataset("simlex999").path):
        if a in vectors.index and b in vectors.index:
            va, vb = (np.asarray(vectors.matrix[vectors.index[w]], dtype=np.float64) for w in (a, b))
            gold.append(score)
            model.append(va @ vb / np.linalg.norm(va) / np.linalg.norm(vb))
    assert output.n_scored == len(gold) and output.n_items == 999
    assert output.scores["spearman"] == pytest.approx(stats.spearmanr(gold, model).statistic, abs=1e-6)
    # GloVe 6B 50d on SimLex-999 is reported around 0.26 (e.g. Hill et al. 2015 report 0.41 for 300d)
    assert 0.2 < output.scores["spearman"] < 0.35


def test_sentence_encoder_path_uses_embed(registry, context, glove) -> None:
    """A provider without a vocabulary is scored through embed(); for GloVe both routes agree."""

    class NoVocabulary(Provider):
        name = "novocab"

        def embed(self, texts):
            return glove.embed(texts)

    task = registry.make_task("ws353")
    task.load(context)
    assert task.evaluate(NoVocabulary()).scores == pytest.approx(task.evaluate(glove).scores)


def test_user_dataset_path(registry, context, glove, tmp_path) -> None:
    path = tmp_path / "mine.tsv"
    path.write_text("word1\tword2\tscore\ncat\tdog\t9\ncat\tcar\t2\nking\tqueen\t8\nking\tzzzqqq\t5\n")
    task = registry.make_task(f"word-similarity:path={path}")
    task.load(context)
    output = task.evaluate(glove)
    assert (output.n_items, output.n_scored) == (4, 3)
    assert output.scores["spearman"] == pytest.approx(1.0)  # cos: cat-dog > king-queen > cat-car
    named = registry.make_task(f"ws353:path={path}")  # a named task pointed at the user's file
    named.load(context)
    assert named.evaluate(glove).n_items == 4


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("a\tb\t1\nc\td\n", 2, "expected word1<TAB>word2<TAB>score, found 2 field(s)"),
        ("a\tb\t1\nc\td\tmuch\n", 2, "score 'much' is not a number"),
        ("a\tb\t1\nc\td\tnan\n", 2, "not finite"),
        ("a\tb\t1\n\t d\t3\n", 2, "empty word"),
    ],
)
def test_malformed_dataset(tmp_path, text, line, what) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(text)
    with pytest.raises(EmbbenchError) as info:
        read_pairs(path)
    assert info.value.where == f"{path}:{line}"
    assert what in info.value.what


def test_empty_dataset(tmp_path) -> None:
    path = tmp_path / "empty.tsv"
    path.write_text("word1\tword2\tscore\n")
    with pytest.raises(EmbbenchError, match="no word pairs"):
        read_pairs(path)
