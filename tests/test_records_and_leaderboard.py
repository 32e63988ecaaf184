"""Records on disk, interrupted runs, specs, dataset downloads, and the leaderboard pivot."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import run_cli

from embbench import run
from embbench._util.files import fetch
from embbench.config import parse_spec
from embbench.datasets import Dataset
from embbench.errors import EmbbenchError
from embbench.publish.board import build_board
from embbench.publish.writers import to_json, to_markdown
from embbench.records import TOLERANCE
from embbench.records.record import Record, load_records


def record(
    provider: str, task: str, value: float | None, higher: bool = True, status: str = "ok", coverage: float = 1.0
) -> Record:
    return Record(
        key=f"{provider}{task}",
        provider=provider,
        provider_label=provider,
        provider_config={},
        task=task,
        task_label=task,
        task_config={},
        status=status,
        scores={"s": value},
        main_score="s",
        higher_is_better=higher,
        coverage=coverage,
        embbench_version="0",
    )


def test_pivot_mean_rank_respects_direction_and_gaps() -> None:
    records = [
        record("a", "t1", 0.9),
        record("b", "t1", 0.5),
        record("c", "t1", 0.5),
        record("a", "bias", 0.4, higher=False),
        record("b", "bias", 0.1, higher=False),
        record("c", "bias", None, status="error"),
    ]
    board = build_board(records)
    assert board.cell("a", "t1").score == 0.9
    # t1: a=1, b=2, c=2 (ties share the better rank); bias (lower is better) is ranked apart: b=1, a=2, c none
    assert {p: a["mean_rank"] for p, a in board.aggregates.items()} == {"a": 1.0, "b": 2.0, "c": 2.0}
    assert {p: a["bias_rank"] for p, a in board.aggregates.items()} == {"a": 2.0, "b": 1.0, "c": None}
    assert {p: a["borda"] for p, a in board.aggregates.items()} == {"a": 2, "b": 0, "c": 0}
    assert board.providers[0] == "a" and [c.family for c in board.columns] == ["other", "bias"]


def test_scores_on_too_few_items_are_marked() -> None:
    records = [record("a", "t1", 0.9, coverage=0.27), record("b", "t1", 0.5), record("a", "t2", None, status="error")]
    board = build_board(records, min_coverage=0.9)
    markdown = to_markdown(board)
    # a's 0.9 on 27% of the items is marked and cannot be the best: b's 0.5 on all of them is
    assert "| 0.900\\* | – |" in markdown and "| **0.500** | – |" in markdown
    assert "fewer than 90% of the task's items" in markdown
    cells = json.loads(to_json(board))["cells"]
    assert cells["a"]["t1"]["coverage"] == 0.27 and cells["a"]["t2"]["status"] == "error"
    assert "| **0.900** |" in to_markdown(build_board(records, min_coverage=0.25))


def test_interrupted_run_keeps_finished_records(tmp_path: Path, registry, cache_dir) -> None:
    calls = []

    def interrupt_after_two(rec: Record) -> None:
        calls.append(rec)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(
            ["glove"],
            ["mc30", "rg65", "yp130"],
            tmp_path,
            registry=registry,
            cache_dir=cache_dir,
            on_record=interrupt_after_two,
        )
    assert len(load_records(tmp_path)) == 2
    assert not list(tmp_path.glob("*.tmp"))
    records = run(["glove"], ["mc30", "rg65", "yp130"], tmp_path, registry=registry, cache_dir=cache_dir)
    assert len(records) == 3 and len(load_records(tmp_path)) == 3


def test_rerun_redoes_a_pair_whose_dataset_file_changed(tmp_path: Path, registry, cache_dir) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("word1\tword2\tscore\ncat\tdog\t9\ncar\tbanana\t1\nking\tqueen\t8\n")
    spec = f"word-similarity:path={pairs}"
    first = run(["glove"], [spec], tmp_path / "r", registry=registry, cache_dir=cache_dir)[0]
    again = run(["glove"], [spec], tmp_path / "r", registry=registry, cache_dir=cache_dir)[0]
    assert again.created == first.created and again.scores == first.scores  # unchanged file: skipped
    pairs.write_text("word1\tword2\tscore\ncat\tdog\t1\ncar\tbanana\t9\nking\tqueen\t8\n")
    edited = run(["glove"], [spec], tmp_path / "r", registry=registry, cache_dir=cache_dir)[0]
    assert edited.dataset_sha256 != first.dataset_sha256 and edited.scores["spearman"] != first.scores["spearman"]
    assert load_records(tmp_path / "r") == [edited]


def test_spec_parsing() -> None:
    spec = parse_spec("pca:base=[glove:path=/x/v.txt,format=glove],dim=20")
    assert spec.name == "pca" and spec.options == {"base": "glove:path=/x/v.txt,format=glove", "dim": "20"}
    with pytest.raises(EmbbenchError, match="option 'dim' given twice"):
        parse_spec("pca:dim=2,dim=3")


def test_download_is_checksummed(tmp_path: Path) -> None:
    source = tmp_path / "remote.tsv"
    source.write_text("word1\tword2\tscore\ncat\tdog\t9\n")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    dataset = Dataset("mine", "word-similarity", url=source.as_uri(), sha256=digest)
    local = dataset.local_path(tmp_path / "cache")
    assert local.read_bytes() == source.read_bytes() and local != source
    local.write_text("damaged")  # a cached download that no longer matches its checksum is fetched again
    assert dataset.local_path(tmp_path / "cache").read_bytes() == source.read_bytes()
    with pytest.raises(EmbbenchError, match="sha256 mismatch"):
        fetch(source.as_uri(), tmp_path / "other" / "x.tsv", "0" * 64)
    assert not (tmp_path / "other" / "x.tsv").exists()
    with pytest.raises(EmbbenchError, match="download failed"):
        fetch((tmp_path / "missing").as_uri(), tmp_path / "y.tsv", None)


def test_bundled_datasets_match_their_cards(registry) -> None:
    """Every dataset a bundled card declares is its file: the sha256 and the row count the card states."""
    import bz2

    from embbench._util.hashing import sha256_file

    datasets = [entry.obj for entry in registry.datasets.values()]
    assert len(datasets) == 38  # 13 word similarity, 2 analogy, 4 categorization, 3 bias, 2 classification, 6 STS,
    # 1 pair classification, 1 reranking, 1 corpus, 2 graphs, 2 node label files, the WordNet mammal closure
    for dataset in datasets:
        assert sha256_file(dataset.path) == dataset.sha256, dataset.name
        assert dataset.licence and dataset.citation and dataset.source and dataset.card.is_file()
        if dataset.path.suffix == ".json":
            rows = json.loads(dataset.path.read_text())
            rows = len(rows) if isinstance(rows, list | dict) and "gender" not in rows else None  # named sets, or tests
        else:
            opener = bz2.open if dataset.path.suffix == ".bz2" else open
            with opener(dataset.path, "rt", encoding="utf-8") as handle:
                text = handle.read()
            lines = [line for line in text.splitlines() if line.strip()]
            sections = dataset.kind == "analogy"  # ": section" lines head each section's questions
            rows = sum(not (sections and line.startswith(":")) for line in lines) - (dataset.path.suffix == ".tsv")
        assert rows == dataset.rows, dataset.name


def test_records_are_valid_json_with_provenance(tmp_path: Path, registry, cache_dir) -> None:
    (rec,) = run(["pca:base=glove,dim=5"], ["mc30"], tmp_path, registry=registry, cache_dir=cache_dir)
    data = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert data["provider_config"]["dim"] == 5 and data["provenance"]["base"] == "glove"
    assert rec.coverage == 1.0


@pytest.mark.parametrize(
    "suite",
    [
        *sorted((Path(__file__).parents[1] / "suites").glob("*.toml")),
    ],
    ids=lambda p: p.name,
)
def test_every_suite_file_is_valid(suite: Path, registry, context) -> None:
    from embbench.config import load_suite
    from embbench.running.runner import plan

    loaded = load_suite(suite)
    providers, tasks = plan(registry, loaded.providers, loaded.tasks, context)
    assert providers and tasks


def test_the_committed_default_board_is_current(registry, context) -> None:
    """Every pair of the default suite has a record in leaderboards/default/records that a plain rerun would keep
    (no task or provider version, dataset or input changed since), made with the versions constraints.txt pins."""
    from embbench.config import load_suite
    from embbench.running.planning import plan
    from embbench.running.runner import split_done

    board = Path(__file__).parents[1] / "leaderboards/default"
    suite = load_suite(Path(__file__).parents[1] / "suites/default.toml")
    providers, tasks = plan(registry, suite.providers, suite.tasks, context)
    stale = {}
    for provider in providers:
        _, pending, reasons = split_done(provider, tasks, board / "records", rerun=False)
        stale |= {(provider.label, t.label): "no record" for t in pending}
        stale |= {(provider.label, t.label): reason for t, reason in reasons}
    assert stale == {}
    pins = dict(line.strip().split("==") for line in (board / "constraints.txt").read_text().splitlines()
                if "==" in line)  # fmt: skip
    for path in sorted((board / "records").glob("*.json")):
        packages = json.loads(path.read_text())["environment"]["packages"]
        assert {n: v.split("+")[0] for n, v in packages.items()} == {n: pins[n] for n in packages}, path.name


def test_suite_file_errors(tmp_path: Path) -> None:
    from embbench.config import load_suite

    bad = tmp_path / "s.toml"
    bad.write_text('providers = ["glove"]\ntask = ["ws353"]\n')
    with pytest.raises(EmbbenchError, match="at the top: unknown key 'task'"):
        load_suite(bad)
    bad.write_text("providers = [{dim = 3}]\n")
    with pytest.raises(EmbbenchError) as info:
        load_suite(bad)
    assert info.value.where == f"{bad}: providers[0]"
    bad.write_text("providers = [\n")
    with pytest.raises(EmbbenchError, match="not valid TOML"):
        load_suite(bad)


def test_a_published_board_carries_its_items_in_one_checked_bundle(tmp_path, registry, cache_dir, caplog) -> None:
    """`embbench leaderboard --records` writes OUT/records: the records and one items bundle, no loose items
    files. A board rebuilt from it has the same paired tests and common items as the one built from the run; a
    bundle entry that no longer matches its record's sha256 is left out with a warning naming the record."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from embbench.records.bundle import BUNDLE

    run(["glove", "pca:base=glove,dim=10"], ["rg65", "mc30"], tmp_path / "r", registry=registry, cache_dir=cache_dir)
    done = run_cli("leaderboard", "--results", str(tmp_path / "r"), "--out", str(tmp_path / "b"), "--records")
    assert done.returncode == 0, done.stderr
    published = tmp_path / "b" / "records"
    assert (published / BUNDLE).is_file() and not list(published.glob("*.items.parquet"))
    assert len(list(published.glob("*.json"))) == 4
    fresh, rebuilt = (build_board(load_records(folder), registry=registry) for folder in (tmp_path / "r", published))
    for key, cell in fresh.cells.items():
        assert rebuilt.cells[key].p_vs_best == cell.p_vs_best and rebuilt.cells[key].common_score == cell.common_score
    assert any(cell.p_vs_best is not None for cell in rebuilt.cells.values())
    table = pq.read_table(published / BUNDLE)
    blobs = table.column("parquet").to_pylist()
    blobs[0] = blobs[0][:-8] + b"\0" * 8  # one entry damaged
    pq.write_table(pa.table({"items_file": table.column("items_file"), "parquet": pa.array(blobs, pa.binary())}),
                   published / BUNDLE)  # fmt: skip
    damaged = table.column("items_file")[0].as_py()
    board = build_board(load_records(published), registry=registry)
    assert sum(cell.items is None for cell in board.cells.values()) == 1
    assert f"{damaged} in {BUNDLE} does not match the sha256 in its record" in caplog.text


AGAINST_TASKS = ["rg65", "mc30", "msr:restrict_vocab=20000"]


@pytest.fixture(scope="module")
def published_board(tmp_path_factory, registry, cache_dir) -> Path:
    """A small published board: two providers on three tasks, with --records."""
    folder = tmp_path_factory.mktemp("published")
    run(["glove", "pca:base=glove,dim=10"], AGAINST_TASKS, folder / "r", registry=registry, cache_dir=cache_dir)
    done = run_cli("leaderboard", "--results", str(folder / "r"), "--out", str(folder / "board"), "--records")
    assert done.returncode == 0, done.stderr
    return folder / "board"


def test_against_a_published_board_runs_only_the_new_provider(tmp_path, published_board, registry, cache_dir) -> None:
    """`embbench run -p NEW --against BOARD`: the new provider on exactly the board's tasks (options included),
    nothing published rerun, one board with its row marked new and paired p-values equal to a board where all
    three providers were run together."""
    done = run_cli("run", "-p", "pca:base=glove,dim=25", "--against", str(published_board), "--results",
                   str(tmp_path / "mine"), "--leaderboard", str(tmp_path / "merged"),
                   "--cache", str(cache_dir))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    mine = load_records(tmp_path / "mine")
    assert sorted(r.task_label for r in mine) == ["mc30", "msr(restrict_vocab=20000)", "rg65"]
    assert {r.provider_label for r in mine} == {"pca(base=glove, dim=25)"}
    merged = json.loads((tmp_path / "merged" / "leaderboard.json").read_text())
    assert merged["metadata"]["pca(base=glove, dim=25)"]["new"] is True
    assert "pca(base=glove, dim=25) (new)" in (tmp_path / "merged" / "leaderboard.md").read_text()
    providers = ["glove", "pca:base=glove,dim=10", "pca:base=glove,dim=25"]
    together = build_board(run(providers, AGAINST_TASKS, tmp_path / "all", registry=registry, cache_dir=cache_dir),
                           registry=registry)  # fmt: skip
    tested = 0
    for (provider, task), cell in together.cells.items():
        published = merged["cells"][provider][task]["p_vs_best"]
        assert published == (None if cell.p_vs_best is None else pytest.approx(cell.p_vs_best, rel=1e-12))
        tested += cell.p_vs_best is not None
    assert tested >= 4


def test_against_refuses_a_board_made_by_other_task_versions(tmp_path, published_board) -> None:
    import shutil

    board = tmp_path / "board"
    shutil.copytree(published_board, board)
    path = next((board / "records").glob("glove__rg65__*.json"))
    data = json.loads(path.read_text())
    data["task_version"] = 99
    path.write_text(json.dumps(data))
    done = run_cli("run", "-p", "pca:base=glove,dim=25", "--against", str(board), "--results", str(tmp_path / "m"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"ERROR: {board}: its records were made by other task versions" in done.stderr
    assert "rg65: published by version 99 of the task, this one is" in done.stderr
    assert not (tmp_path / "m").exists()
    again = run_cli("run", "-p", "glove", "-t", "rg65", "--against", str(published_board))
    assert again.returncode == 2 and "runs the board's own tasks: give only providers (-p)" in again.stderr


def test_against_the_committed_default_board(tmp_path, registry, cache_dir) -> None:
    """One new provider against the committed default board: only its pairs run (the board's 34 tasks), the
    published records come with their items from the bundle, so the merged board tests the new provider against
    each task's best, as a board of all of them run together does, and the published scores stay as committed."""
    board = Path(__file__).parents[1] / "leaderboards" / "default"
    done = run_cli("run", "-p", "pca:base=glove,dim=5", "--against", str(board), "--results", str(tmp_path / "mine"),
                   "--leaderboard", str(tmp_path / "merged"), "--cache", str(cache_dir))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    mine = load_records(tmp_path / "mine")
    published = load_records(board / "records")
    assert {r.provider_label for r in mine} == {"pca(base=glove, dim=5)"}
    assert sorted(r.task_label for r in mine) == sorted({r.task_label for r in published})
    merged = json.loads((tmp_path / "merged" / "leaderboard.json").read_text())
    for record in published:  # the published scores as their records hold them (the board file is not the truth)
        if record.main_value is not None:
            shown = merged["cells"][record.provider_label][record.task_label]["score"]
            assert abs(shown - record.main_value) <= (record.tolerance or TOLERANCE), record.path
    new = merged["cells"]["pca(base=glove, dim=5)"]
    together = build_board(published + mine, registry=registry)  # all of them as one board, items from the bundle
    tested = [task for task, cell in new.items() if cell["p_vs_best"] is not None]
    assert len(tested) >= 20
    for task in tested:
        assert new[task]["p_vs_best"] == pytest.approx(together.cell("pca(base=glove, dim=5)", task).p_vs_best)
