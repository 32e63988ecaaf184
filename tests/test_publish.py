"""Publishing: the paired tests checked against scipy/statsmodels or a transcription, the board's families,
ranks, tiers and common items on real records, the writers, and ``embbench compare``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli
from scipy import stats

from embbench import run
from embbench.errors import EmbbenchError
from embbench.publish.board import build_board
from embbench.publish.writers import to_markdown, write_leaderboard
from embbench.records.items import read_items
from embbench.records.record import load_records
from embbench.stats.significance import (
    holm,
    mcnemar_exact,
    paired_bootstrap,
    resampled,
    spearman_williams,
    williams_test,
)

PROVIDERS = ["glove", "pca:base=glove,dim=10"]
TASKS = ["mc30", "rg65", "msr:restrict_vocab=20000", "essli2008:seeds=2", "bolukbasi-direct-bias"]


def williams_transcribed(r12: float, r13: float, r23: float, n: int) -> float:
    """The Williams test as WMT's metrics task computes it (Graham & Baldwin 2014), transcribed independently."""
    k = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    denominator = math.sqrt(2 * k * (n - 1) / (n - 3) + (((r12 + r13) ** 2) / 4) * ((1 - r23) ** 3))
    numerator = (r12 - r13) * math.sqrt((n - 1) * (1 + r23))
    return 1 - stats.t.cdf(numerator / denominator, df=n - 3)


@pytest.mark.parametrize(
    ("r12", "r13", "r23", "n"), [(0.6, 0.5, 0.4, 100), (0.45, 0.47, 0.9, 353), (0.3, 0.1, 0.05, 30)]
)
def test_williams_equals_a_transcription(r12, r13, r23, n) -> None:
    assert williams_test(r12, r13, r23, n)[1] == pytest.approx(williams_transcribed(r12, r13, r23, n), rel=1e-10)


def test_williams_is_calibrated_under_the_null_and_has_power() -> None:
    rng = np.random.default_rng(0)
    rejections, power = 0, 0
    for _ in range(300):
        gold = rng.normal(size=150)
        a, b = gold + rng.normal(size=150) * 1.5, gold + rng.normal(size=150) * 1.5  # equally good models
        rejections += spearman_williams(gold, a, b) < 0.05
        worse = gold + rng.normal(size=150) * 4
        power += spearman_williams(gold, a, worse) < 0.05
    assert 0.02 <= rejections / 300 <= 0.09 and power / 300 > 0.8


def test_exact_mcnemar_equals_statsmodels_and_scipy() -> None:
    from statsmodels.stats.contingency_tables import mcnemar

    rng = np.random.default_rng(1)
    for _ in range(20):
        best = rng.random(200) < 0.7
        other = np.where(rng.random(200) < 0.8, best, ~best) & (rng.random(200) < 0.9)
        b, c = int(np.sum(best & ~other)), int(np.sum(~best & other))
        one_sided = mcnemar_exact(best, other)
        assert one_sided == pytest.approx(stats.binomtest(b, b + c, 0.5, alternative="greater").pvalue)
        two_sided = mcnemar([[0, b], [c, 0]], exact=True).pvalue
        assert min(1.0, 2 * min(one_sided, mcnemar_exact(other, best))) == pytest.approx(two_sided)


def test_holm_equals_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03, 0.2, 0.005, 0.5]
    assert holm(p) == pytest.approx(list(multipletests(p, method="holm")[1]))
    assert math.isnan(holm([0.01, math.nan])[1]) and holm([0.01, math.nan])[0] == 0.01


def test_paired_bootstrap_sides() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=300)
    mean, shifted = (
        resampled(lambda chunk: x[chunk].mean(1), 300),
        resampled(lambda chunk: (x[chunk] + 0.3).mean(1), 300),
    )
    assert paired_bootstrap(mean, mean, True) == 1.0 and paired_bootstrap(shifted, mean, True) < 0.01
    assert paired_bootstrap(mean, shifted, False) < 0.01 and paired_bootstrap(shifted, mean, False) == 1.0


@pytest.fixture(scope="module")
def results(tmp_path_factory, registry, cache_dir) -> Path:
    folder = tmp_path_factory.mktemp("board") / "results"
    run(PROVIDERS, TASKS, folder, registry=registry, cache_dir=cache_dir)
    return folder


def cell_items(records, provider: str, task: str):
    record = next(r for r in records if r.provider_label == provider and r.task_label == task)
    items = read_items(record)
    return record, items[items["covered"]].set_index("id")


def test_board_families_tiers_and_common_items(results, registry) -> None:
    records = load_records(results)
    board = build_board(records, registry=registry)
    families = {c.task: c.family for c in board.columns}
    assert families == {"mc30": "word similarity", "rg65": "word similarity", "msr(restrict_vocab=20000)": "analogy",
                        "essli2008(seeds=2)": "categorization", "bolukbasi-direct-bias": "bias"}  # fmt: skip
    assert [c.task for c in board.columns][-1] == "bolukbasi-direct-bias"  # bias columns come last
    # similarity: Williams' test on Spearman over the pairs both cover, against the task's best
    _, glove = cell_items(records, "glove", "rg65")
    _, pca = cell_items(records, "pca(base=glove, dim=10)", "rg65")
    common = glove.index.intersection(pca.index)
    best, other = (glove, pca) if board.cell("glove", "rg65").best else (pca, glove)
    other_label = "pca(base=glove, dim=10)" if best is glove else "glove"
    expected = spearman_williams(best.loc[common, "gold"].to_numpy(), best.loc[common, "cosine"].to_numpy(),
                                 other.loc[common, "cosine"].to_numpy())  # fmt: skip
    assert board.cell(other_label, "rg65").p_vs_best == pytest.approx(expected)
    assert board.cell(other_label, "rg65").top_tier == (expected >= 0.05)
    # analogy: exact McNemar on per-question correctness
    _, g = cell_items(records, "glove", "msr(restrict_vocab=20000)")
    _, p = cell_items(records, "pca(base=glove, dim=10)", "msr(restrict_vocab=20000)")
    both = g.index.intersection(p.index)
    mcnemar = mcnemar_exact(g.loc[both, "correct_3cosadd"].to_numpy(), p.loc[both, "correct_3cosadd"].to_numpy())
    assert board.cell("glove", "msr(restrict_vocab=20000)").best
    assert board.cell("pca(base=glove, dim=10)", "msr(restrict_vocab=20000)").p_vs_best == pytest.approx(mcnemar)
    # the common-items view scores each provider on the pairs every provider covers
    assert board.cell("glove", "rg65").common_score == pytest.approx(
        stats.spearmanr(glove.loc[common, "gold"], glove.loc[common, "cosine"]).statistic
    )
    # bias stays out of the quality rank: the mean rank is over the four quality tasks only
    for provider in board.providers:
        ranks = []
        for column in (c for c in board.columns if c.family != "bias"):
            values = [board.cell(p, column.task).score for p in board.providers]
            mine = board.cell(provider, column.task).score
            ranks.append(1 + sum(v > mine for v in values))
        aggregate = board.aggregates[provider]
        assert aggregate["mean_rank"] == pytest.approx(np.mean(ranks))
        low, high = aggregate["rank_interval"]
        assert 1 <= low <= high <= 2
    assert board.aggregates["glove"]["bias_rank"] in (1.0, 2.0)
    assert sum(a["borda"] for a in board.aggregates.values()) == 4  # one point per quality task


def test_the_best_is_chosen_among_well_covered_scores(results, registry) -> None:
    records = load_records(results)
    best = build_board(records, registry=registry).cell("glove", "rg65").best
    top, runner_up = ("glove", "pca(base=glove, dim=10)") if best else ("pca(base=glove, dim=10)", "glove")

    def covering(fraction: float, who: set[str]) -> list:
        """The records, as if ``who`` had scored ``fraction`` of rg65's pairs."""
        return [r.model_copy(update={"coverage": fraction}) if r.task_label == "rg65" and r.provider_label in who
                else r for r in records]  # fmt: skip

    board = build_board(covering(0.5, {top}), registry=registry)
    assert board.cell(runner_up, "rg65").best and not board.cell(top, "rg65").best
    assert board.cell(top, "rg65").p_vs_best is not None  # tested against the best on the pairs both scored
    lines = to_markdown(board).splitlines()
    column = [c.strip() for c in lines[0].split("|")].index("rg65 (spearman ↑)")
    row = next(line for line in lines if line.startswith(f"| {top} |")).split("|")
    assert row[column].strip() == f"{board.cell(top, 'rg65').score:.3f}" + ("†" if board.cell(top, "rg65").top_tier
                                                                           else "") + "\\*"  # fmt: skip
    # when no score covers enough, the best is chosen among all of them
    assert build_board(covering(0.5, {top, runner_up}), registry=registry).cell(top, "rg65").best


def test_provider_metadata_has_throughput_and_model_memory(tmp_path, registry) -> None:
    """Texts per second come from the texts each provider embedded for the board's records (none from the
    embedding cache); memory is the fitted model's matrix."""
    lines = registry.dataset("mr").path.read_text(encoding="utf-8").splitlines()
    small = tmp_path / "mr120.tsv"
    small.write_text("\n".join(lines[:61] + lines[-60:]) + "\n", encoding="utf-8")  # header, 60 pos, 60 neg
    specs, task = ["glove", "pca:base=glove,dim=10"], f"classification:path={small},folds=3,inner_folds=2"
    records = run(specs, [task], tmp_path / "r", registry=registry, cache_dir=tmp_path / "cache")
    assert all(r.embedded["texts"] == 120 and r.embedded["seconds"] > 0 for r in records)
    metadata = build_board(records, registry=registry).metadata
    for record in records:
        assert metadata[record.provider_label]["texts_per_second"] == round(120 / record.embedded["seconds"], 1)
    assert metadata["glove"]["memory_mib"] == round(400_000 * 50 * 4 / 2**20, 1)
    assert metadata["pca(base=glove, dim=10)"]["memory_mib"] == round(400_000 * 10 * 4 / 2**20, 1)
    # a rerun takes the texts from the embedding cache: nothing embedded, no throughput claimed
    again = run(specs, [task], tmp_path / "r2", registry=registry, cache_dir=tmp_path / "cache")
    assert all(r.embedded == {} for r in again)
    assert all("texts_per_second" not in m for m in build_board(again, registry=registry).metadata.values())


def test_markdown_shows_metric_direction_and_intervals(results, registry) -> None:
    board = build_board(load_records(results), registry=registry)
    text = to_markdown(board, ci=True)
    assert "rg65 (spearman ↑)" in text and "bolukbasi-direct-bias (direct\\_bias ↓)" in text
    ci = board.cell("glove", "rg65").record.ci95
    assert f"\\[{ci[0]:.3f}, {ci[1]:.3f}\\]" in text  # brackets escaped for Markdown
    assert "[" not in to_markdown(board).split("\n")[2].split("|")[6]


def test_leaderboard_cli_merges_folders_and_refuses_no_format(results, tmp_path, registry, cache_dir) -> None:
    other = tmp_path / "other"
    run(["glove:dim=50,pooling=max"], ["mc30"], other, registry=registry, cache_dir=cache_dir)
    out = tmp_path / "board"
    made = run_cli("leaderboard", "--results", str(results), "--results", str(other), "--out", str(out),
                   "--format", "md,json,csv,latex")  # fmt: skip
    assert made.returncode == 0, made.stderr
    data = json.loads((out / "leaderboard.json").read_text())
    assert "glove(dim=50, pooling=max)" in data["providers"] and len(data["providers"]) == 3
    empty = run_cli("leaderboard", "--results", str(results), "--out", str(out), "--format", "")
    assert empty.returncode == 2 and "ERROR: --format: no format given" in empty.stderr


def test_compare_two_providers_flags_a_regression(results) -> None:
    base, new = "glove", "pca(base=glove, dim=10)"
    result = run_cli("compare", str(results), "--providers", base, new, "--json")
    assert result.returncode == 0, result.stderr
    rows = {r["task"]: r for r in json.loads(result.stdout)}
    analogy = rows["msr(restrict_vocab=20000)"]
    assert analogy["regression"] and analogy["delta"] < 0 and analogy["test"] == "exact McNemar"
    assert analogy["ci95"][1] < 0
    bias = rows["bolukbasi-direct-bias"]
    assert bias["higher_is_better"] is False and bias["test"] == "paired bootstrap"
    failing = run_cli("compare", str(results), "--providers", base, new, "--fail-on-regression")
    assert failing.returncode == 1 and "**REGRESSION**" in failing.stdout
    same = run_cli("compare", str(results), str(results), "--fail-on-regression", "--json")
    assert same.returncode == 0 and all(r["delta"] == 0 and not r["regression"] for r in json.loads(same.stdout))


@pytest.mark.parametrize("spelling", ["pca(base=glove,dim=10)", "pca:base=glove,dim=10", " pca( dim=10 , base=glove )",
                                      "pca:dim=10,base=[glove]"])  # fmt: skip
def test_compare_takes_any_spelling_of_a_provider_and_names_both(results, spelling) -> None:
    """`--providers` takes a label however it is spaced or ordered, or the -p spelling of the same configuration;
    the table names the base and the new provider on every row."""
    result = run_cli("compare", str(results), "--providers", "glove", spelling)
    assert result.returncode == 0, result.stderr
    header, _, *rows = result.stdout.strip().splitlines()
    assert header.startswith("| base provider | new provider | task |")
    assert rows and all(row.startswith("| glove | pca(base=glove, dim=10) | ") for row in rows), rows
    other = run_cli("compare", str(results), "--providers", "glove", "pca:base=glove,dim=11")
    assert other.returncode == 2 and "no records of provider 'pca:base=glove,dim=11'" in other.stderr


def test_compare_needs_two_sides(results) -> None:
    result = run_cli("compare", str(results))
    assert result.returncode == 2 and "ERROR: compare: give two results folders" in result.stderr
    with pytest.raises(EmbbenchError, match="no records of provider 'nope'"):
        from embbench.publish.compare import compare

        compare(load_records(results), [], ("glove", "nope"))


def test_write_leaderboard_is_atomic_and_complete(results, tmp_path) -> None:
    paths = write_leaderboard(load_records(results), tmp_path, ["md", "csv", "json", "html", "latex"])
    assert sorted(p.name for p in paths) == sorted(f"leaderboard.{s}" for s in ("md", "csv", "json", "html", "tex"))
    assert not list(tmp_path.glob(".*tmp"))


def test_bold_marks_what_the_legend_says_on_the_default_board(registry) -> None:
    """Bold is the task's best among the well-covered scores; a bold score marked * (too few items) appears only in
    a column where no score is well covered, and the legend says so."""
    from embbench.publish.board import well_covered
    from embbench.publish.writers import LOW_MARK, cell_entry, footnote

    board = build_board(load_records(Path(__file__).parents[1] / "leaderboards/default/records"), registry=registry)
    assert "(among all scores, each marked *, where none covers that many)" in footnote(board)
    low_bold = 0
    for column in board.columns:
        cells = [c for p in board.providers if (c := board.cell(p, column.task)) and c.score is not None]
        bold = [c for c in cells if cell_entry(board, c).bold]
        assert len(bold) == (1 if cells else 0), column.task
        if bold and LOW_MARK in cell_entry(board, bold[0]).text:
            low_bold += 1
            assert not any(well_covered(c, board.min_coverage) for c in cells), column.task
    assert low_bold >= 1  # google and msr: no provider covers 90% of their questions
