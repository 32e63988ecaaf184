"""Semantic textual similarity on the real SemEval, STS Benchmark and SICK files: MTEB's published numbers for the
packaged all-MiniLM-L6-v2, sentence-transformers' own encode plus scipy on the same file, word providers' coverage,
located errors, degenerate files skipped, and Williams' t on the board."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import loaded, loaded_file, run_cli
from scipy import stats

from embbench import EmbbenchError, run
from embbench.publish.board import build_board
from embbench.records.record import load_records

ROOT = Path(__file__).parents[1]

# MTEB's published cosine Spearman for all-MiniLM-L6-v2 (the file names its source). The two smallest sets run
# here; the benchmark (benchmarks/run.py --only sts) checks every set beside sentence-transformers.
PUBLISHED = json.loads((ROOT / "tests" / "data" / "mteb-all-MiniLM-L6-v2-sts.json").read_text())["cosine_spearman"]
MTEB_COSINE_SPEARMAN = {name: PUBLISHED[name] for name in ("sts16", "stsb")}


@pytest.fixture(scope="module")
def minilm(context):
    return context.make_provider("bert")


@pytest.fixture(scope="module")
def minilm_outputs(registry, context, minilm) -> dict:
    return {name: loaded(registry, context, name).evaluate(minilm) for name in MTEB_COSINE_SPEARMAN}


@pytest.mark.parametrize("name", sorted(MTEB_COSINE_SPEARMAN))
def test_bert_reproduces_mteb_published_cosine_spearman(name, minilm_outputs) -> None:
    output = minilm_outputs[name]
    assert output.n_scored == output.n_items == {"sts16": 1186, "stsb": 1379}[name]
    assert output.scores["cosine_spearman"] == pytest.approx(MTEB_COSINE_SPEARMAN[name], abs=1e-3)


def test_sts_equals_sentence_transformers_encode_and_scipy(registry, minilm_outputs) -> None:
    """The same file through sentence-transformers' own encode, scikit-learn's paired distances and scipy."""
    from sentence_transformers import SentenceTransformer
    from sklearn.metrics.pairwise import paired_manhattan_distances

    from embbench.providers.bert import packaged_minilm
    from embbench.tasks._readers import read_columns

    output = minilm_outputs["sts16"]
    columns, _ = read_columns(registry.dataset("sts16").path, ("sentence1", "sentence2", "score"))
    gold = np.array(columns["score"], dtype=float)
    model = SentenceTransformer(str(packaged_minilm()), device="cpu")
    first, second = (model.encode(columns[c], convert_to_numpy=True) for c in ("sentence1", "sentence2"))
    cosine = np.sum(first * second, axis=1) / (np.linalg.norm(first, axis=1) * np.linalg.norm(second, axis=1))
    assert output.scores["cosine_spearman"] == pytest.approx(stats.spearmanr(gold, cosine).statistic, abs=1e-6)
    assert output.scores["cosine_pearson"] == pytest.approx(stats.pearsonr(gold, cosine).statistic, abs=1e-6)
    manhattan = -paired_manhattan_distances(first, second)
    assert output.scores["manhattan_spearman"] == pytest.approx(stats.spearmanr(gold, manhattan).statistic, abs=1e-5)
    dot = np.sum(first * second, axis=1)
    assert output.scores["dot_pearson"] == pytest.approx(stats.pearsonr(gold, dot).statistic, abs=1e-6)
    np.testing.assert_allclose(output.items["cosine"], cosine, atol=1e-5)
    assert len(set(output.items["subset"])) == 5  # the SemEval 2016 source files, kept as an item column
    task = registry.make_task("sts16")
    assert task.score_items(output.items) == pytest.approx(output.scores["cosine_spearman"], abs=1e-12)


def test_word_providers_pool_tokens_and_cover_pairs_whose_sides_both_embed(registry, context, glove, tmp_path) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_text("sentence1\tsentence2\tscore\nA man plays a guitar.\tA man is playing the guitar.\t4.8\n"
                    "A dog runs.\tThe stock market fell.\t0.2\nqzxwv vbnmq\tA woman slices onions.\t1.0\n"
                    "A woman cuts an onion.\tA woman slices onions.\t4.2\nThe cat sleeps.\tA kitten naps.\t3.9\n",
                    encoding="utf-8")  # fmt: skip
    output = loaded(registry, context, f"sts:path={path}").evaluate(glove)
    assert (output.n_items, output.n_scored) == (5, 4) and list(output.items["covered"]) == [1, 1, 0, 1, 1]
    mean = glove.embed(["A man plays a guitar.", "A man is playing the guitar."])
    expected = float(mean[0] @ mean[1] / np.linalg.norm(mean[0]) / np.linalg.norm(mean[1]))
    assert output.items["cosine"][0] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sentence1\tsentence2\tscore\na\tb\t3\nc\td\tfive\n", ":3: score 'five' is not a number"),
        ("sentence1\tsentence2\nA\tB\n", ":1: expected a header starting sentence1<TAB>sentence2<TAB>score"),
        ("sentence1\tsentence2\tscore\na\tb\n", ":2: expected 3 tab-separated fields, found 2"),
        ("sentence1\tsentence2\tscore\na\t\t1\n", ":2: empty sentence2"),
    ],
)
def test_bad_sts_files_are_located_errors(text, message, registry, context, tmp_path) -> None:
    with pytest.raises(EmbbenchError, match=message):
        loaded_file(registry, context, "sts", text, tmp_path)


def test_equal_gold_scores_are_a_skipped_record_that_says_why(tmp_path, cache_dir) -> None:
    path = tmp_path / "flat.tsv"
    path.write_text("sentence1\tsentence2\tscore\n" + "".join(f"sentence {i}\tanother {i}\t3\n" for i in range(6)),
                    encoding="utf-8")  # fmt: skip
    result = run_cli("run", "-p", "glove", "-t", f"sts:path={path}", "--results", str(tmp_path / "results"))
    assert result.returncode == 0, result.stderr
    (record,) = load_records(tmp_path / "results")
    assert record.status == "skipped" and "the same human score (3)" in record.error and record.coverage == 1.0


def test_the_board_tests_sts_with_williams_t(registry, cache_dir, tmp_path) -> None:
    records = run(["glove", "pca:base=glove,dim=10"], ["sts16"], tmp_path, registry=registry, cache_dir=cache_dir)
    assert {r.family for r in records} == {"semantic textual similarity"} and all(r.ci95 for r in records)
    board = build_board(load_records(tmp_path), registry=registry)
    (column,) = board.columns
    assert column.family == "semantic textual similarity" and column.test == "Williams' t on Spearman ρ"
    other = next(c for (p, _), c in board.cells.items() if not c.best)
    assert other.p_vs_best is not None and 0 <= other.p_vs_best <= 1
