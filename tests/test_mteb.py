"""MTEB both ways, offline: embbench providers as MTEB models on MTEB tasks built from the bundled files (MTEB's
scores equal embbench's own), `embbench mteb`, MTEB result files on embbench boards (real files from MTEB's
results repository and files MTEB's own code writes), and embbench records exported as MTEB TaskResult files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mteb
import pytest
from conftest import loaded, run_cli
from mteb.results.task_result import TaskResult

from embbench import EmbbenchError, run
from embbench.config import parse_spec
from embbench.integrations.mteb import embbench_model, mteb_task
from embbench.integrations.mteb_results import export_mteb, mteb_records
from embbench.publish.board import build_board
from embbench.records.record import load_records
from embbench.running.planning import plan

MTEB_FILES = Path(__file__).parent / "data" / "mteb-results"
STS_MEASURES = ("cosine_spearman", "cosine_pearson", "euclidean_spearman", "euclidean_pearson",
                "manhattan_spearman", "manhattan_pearson")  # fmt: skip


def evaluate(model, task, cache_dir: Path):
    return mteb.evaluate(model, tasks=[task], cache=mteb.ResultCache(cache_dir), show_progress_bar=False)


def test_minilm_through_the_adapter_on_mtebs_sts_equals_embbench(registry, context, tmp_path) -> None:
    """The packaged all-MiniLM-L6-v2 (`bert`) as an MTEB model on an MTEB STS task over the same sts16 file: MTEB's
    six correlations equal embbench's sts task to 1e-6 (a cross-check of both implementations)."""
    model = embbench_model("bert", cache_dir=context.cache_dir, registry=registry)
    assert isinstance(model, mteb.EncoderProtocol)
    (planned,), _ = plan(registry, [parse_spec("bert")], [], context)
    meta = model.mteb_model_meta
    assert (meta.name, meta.revision, meta.embed_dim) == ("embbench/bert", planned.identity, 384)
    ours = loaded(registry, context, "sts16").evaluate(model.provider)
    (result,) = evaluate(
        model, mteb_task("sts16", registry=registry, cache_dir=context.cache_dir), tmp_path
    ).task_results
    assert result.task_name == "STS16"
    theirs = result.scores["test"][0]
    for name in STS_MEASURES:
        assert ours.scores[name] == pytest.approx(theirs[name], abs=1e-6), name
    assert theirs["main_score"] == pytest.approx(0.78989, abs=1e-3)  # MTEB's published number for this model


def test_glove_through_the_adapter_on_mtebs_retrieval_equals_embbench(registry, context, glove, tmp_path) -> None:
    """GloVe on an MTEB retrieval task over the BBC headlines and articles: MTEB rounds its retrieval scores to 5
    decimals, and every one is embbench's score rounded so (MRR@10, unrounded, to 1e-6)."""
    model = embbench_model("glove", cache_dir=context.cache_dir, registry=registry)
    task = mteb_task("bbc-retrieval", registry=registry, cache_dir=context.cache_dir)
    (result,) = evaluate(model, task, tmp_path).task_results
    theirs = result.scores["test"][0]
    ours = loaded(registry, context, "bbc-retrieval").evaluate(glove).scores
    shared = sorted(set(ours) & set(theirs))
    assert len(shared) >= 20 and "ndcg_at_10" in shared
    for name in shared:
        if name == "mrr_at_10":
            assert ours[name] == pytest.approx(theirs[name], abs=1e-6)
        else:
            assert round(ours[name], 5) == pytest.approx(theirs[name], abs=1e-12), name


def test_mteb_command_then_a_board_with_embbench_records(tmp_path, registry, cache_dir) -> None:
    """`embbench mteb` writes MTEB's result files; a board of them beside embbench's own records puts the MTEB row
    beside glove's with the same score, marked from MTEB, with no paired test and the reason."""
    done = run_cli("mteb", "-p", "glove", "-t", "sts16", "--output", str(tmp_path / "mteb"), "--cache", str(cache_dir))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "embbench/glove" in done.stdout and "STS16" in done.stdout
    run(["glove"], ["sts16"], tmp_path / "ours", registry=registry, cache_dir=cache_dir)
    board = run_cli("leaderboard", "--results", str(tmp_path / "ours"), "--results", str(tmp_path / "mteb"),
                    "--out", str(tmp_path / "board"))  # fmt: skip
    assert board.returncode == 0, board.stderr[-3000:]
    cells = json.loads((tmp_path / "board" / "leaderboard.json").read_text())["cells"]
    mine, theirs = cells["glove"]["sts16"], cells["embbench/glove (from MTEB)"]["sts16"]
    assert mine["score"] == pytest.approx(theirs["score"], abs=1e-6)
    assert theirs["origin"] == "mteb" and theirs["p_vs_best"] is None and theirs["top_tier"] is False
    untested = theirs if not theirs["best"] else mine
    assert untested["test"].endswith("no per-item outputs, so no paired test or tier")


def test_real_mteb_result_files_on_a_board(tmp_path, registry) -> None:
    """Files from MTEB's public results repository (MTEB 1.12 and 1.0 formats) and one written by MTEB's own code
    here: STSBenchmark maps to stsb, STS16 to sts16, intervals only where MTEB stored a standard error."""
    folder = tmp_path / "results"
    shutil.copytree(MTEB_FILES, folder)
    task = mteb_task("sick-r", registry=registry)
    written = TaskResult.from_task_results(task, {"test": {"default": {"cosine_spearman": 0.75, "main_score": 0.75}}},
                                           evaluation_time=2.0)  # fmt: skip
    (folder / "org__model" / "rev1").mkdir(parents=True)
    written.to_disk(folder / "org__model" / "rev1" / "SICK-R.json")
    records = {(r.provider_label, r.task): r for r in mteb_records(folder, registry)}
    minilm = "sentence-transformers/all-MiniLM-L6-v2@8b3219a9 (from MTEB)"
    stsb = records[(minilm, "stsb")]
    assert stsb.scores["cosine_spearman"] == 0.8203247283076371 and stsb.main_score == "cosine_spearman"
    assert stsb.family == "semantic textual similarity" and stsb.origin == "mteb" and stsb.ci95 is None
    assert records[(minilm, "sts16")].main_value == 0.7898945343973262
    unversioned = "sentence-transformers/all-MiniLM-L6-v2@no_revision_available (from MTEB)"
    old = records[(unversioned, "NorwegianParliamentClassification")]
    assert old.main_value == 0.548 and old.family == "classification"
    assert old.ci95 == pytest.approx([0.548 - 1.96 * 0.024218909049656952, 0.548 + 1.96 * 0.024218909049656952])
    assert records[("org/model (from MTEB)", "sick-r")].main_value == 0.75
    board = build_board(list(records.values()), registry=registry)
    assert {c.task for c in board.columns} == {"stsb", "sts16", "sick-r", "NorwegianParliamentClassification"}


def test_a_broken_mteb_file_is_a_located_error(tmp_path, registry) -> None:
    (tmp_path / "m" / "r").mkdir(parents=True)
    bad = tmp_path / "m" / "r" / "STS16.json"
    bad.write_text(json.dumps({"task_name": "STS16", "scores": {"test": [{"hf_subset": "default"}]}}))
    with pytest.raises(EmbbenchError) as info:
        mteb_records(tmp_path, registry)
    assert info.value.where == str(bad) and "not an MTEB result MTEB can read" in info.value.what


def test_export_writes_task_results_mtebs_loader_reads(tmp_path, registry, cache_dir) -> None:
    records = run(["glove"], ["sts16", "ws353"], tmp_path / "r", registry=registry, cache_dir=cache_dir)
    done = run_cli("export", "--format", "mteb", str(tmp_path / "r"), str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr[-3000:]
    (folder,) = (tmp_path / "out").iterdir()
    (revision,) = folder.iterdir()
    assert folder.name == "embbench__glove" and revision.name == records[0].provider_identity
    for record in records:
        name = {"sts16": "STS16", "ws353": "embbench-ws353"}[record.task]
        result = TaskResult.from_disk(revision / f"{name}.json")
        assert result.task_name == name and result.get_score() == pytest.approx(record.main_value, abs=1e-6)
        assert result.scores["test"][0][record.main_score] == pytest.approx(record.main_value, abs=1e-6)
    back = {r.task: r for r in mteb_records(tmp_path / "out", registry)}
    assert back["sts16"].main_value == pytest.approx(records[0].main_value, abs=1e-6)
    assert export_mteb(load_records(tmp_path / "r"), tmp_path / "again") and (revision / "model_meta.json").is_file()
