"""The command line as a user runs it: discovery, runs, reruns, errors, leaderboards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from embbench.records import TOLERANCE
from embbench.records.record import load_records


@pytest.mark.parametrize("kind", ["providers", "tasks", "datasets"])
def test_list_json(kind: str) -> None:
    result = run_cli("list", kind, "--json")
    assert result.returncode == 0, result.stderr
    names = {row["name"] for row in json.loads(result.stdout)}
    expected = {
        "providers": {"onehot", "pca", "glove"},
        "tasks": {"ws353", "semeval17", "google", "msr", "word-similarity", "analogy"},
        "datasets": {"ws353", "google", "sotu", "weat"},
    }[kind]
    assert expected <= names


def test_list_tables_and_plugins() -> None:
    result = run_cli("list", "tasks")
    assert result.returncode == 0 and "simverb3500" in result.stdout
    plugins = json.loads(run_cli("plugins", "--json").stdout)
    assert {"onehot", "pca", "glove", "similarity", "analogy", "cards"} <= {p["name"] for p in plugins}
    assert all(p["status"] == "ok" and p["version"] for p in plugins)


def test_help_shows_every_default_and_joins_wrapped_lines() -> None:
    """Bracketed defaults in option help are text, not markup, and a docstring's wrapped lines read as one."""
    env = {"COLUMNS": "400"}
    run_help = run_cli("run", "--help", env=env).stdout
    for shown in ("[default: all cores]", "[default: start a local one]", "[default: results]",
                  "is redone, and the reason is printed"):  # fmt: skip
        assert shown in run_help, shown
    top = run_cli("--help", env=env).stdout
    assert "within its tolerance, with the environment differences" in top


def test_list_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from embbench.cli import main; main(['list','providers','--json']); "
        "print(sorted(m for m in ('torch','gensim','sklearn','sentence_transformers') if m in sys.modules))"
    )
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().endswith("[]"), result.stdout[-300:]


def test_run_rerun_and_leaderboard(tmp_path: Path, cache_dir: Path) -> None:
    results = tmp_path / "results"
    args = ["run", "-p", "glove", "-p", "pca:base=glove,dim=25", "-t", "ws353", "-t", "rg65", "--results", str(results)]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    cores = os.cpu_count() or 1  # by default, the pending pairs run on one worker process per core
    assert (f"{min(cores, 4)} worker processes" if cores > 1 else "this process") in first.stderr
    records = [json.loads(p.read_text()) for p in sorted(results.glob("*.json"))]
    assert len(records) == 4
    for record in records:
        for key in (
            "provider",
            "provider_config",
            "task",
            "task_config",
            "status",
            "scores",
            "main_score",
            "coverage",
            "seconds",
            "dataset_sha256",
            "embbench_version",
            "plugin_versions",
            "created",
        ):
            assert key in record, key
        assert record["status"] == "ok"
    glove_ws = next(r for r in records if r["provider"] == "glove" and r["task"] == "ws353")
    assert glove_ws["main_score"] == "spearman" and 0.45 < glove_ws["scores"]["spearman"] < 0.6
    assert glove_ws["coverage"] == 1.0 and glove_ws["plugin_versions"] == {"embbench": glove_ws["embbench_version"]}
    assert len(glove_ws["dataset_sha256"]) == 64

    mtimes = {p: p.stat().st_mtime_ns for p in results.glob("*.json")}
    second = run_cli(*args)
    assert second.returncode == 0
    assert {p: p.stat().st_mtime_ns for p in results.glob("*.json")} == mtimes  # skipped, not rewritten
    third = run_cli(*args, "--rerun", "--jobs", "1")
    assert third.returncode == 0 and "this process" in third.stderr
    assert all(p.stat().st_mtime_ns != mtimes[p] for p in results.glob("*.json"))
    again = {(r["provider"], r["task"]): (r["scores"], r["ci95"]) for r in map(json.loads, map(Path.read_text,
             sorted(results.glob("*.json"))))}  # fmt: skip
    assert again == {(r["provider"], r["task"]): (r["scores"], r["ci95"]) for r in records}  # same as the workers'

    board = tmp_path / "board"
    made = run_cli("leaderboard", "--results", str(results), "--out", str(board), "--format", "md,csv,json,html,latex")
    assert made.returncode == 0, made.stderr
    table = json.loads((board / "leaderboard.json").read_text())
    assert table["providers"] == ["glove", "pca(base=glove, dim=25)"]
    assert table["aggregates"]["glove"]["mean_rank"] == 1.0
    html = (board / "leaderboard.html").read_text()
    assert html.startswith("<!doctype html>") and "ws353" in html and "http" not in html.split("</style>")[0]
    assert "<script src" not in html and "<link" not in html  # self-contained: nothing loaded from anywhere
    assert "\\begin{tabular}" in (board / "leaderboard.tex").read_text()
    assert "| glove |" in (board / "leaderboard.md").read_text()


def test_suite_file(tmp_path: Path) -> None:
    suite = tmp_path / "suite.toml"
    suite.write_text(
        'providers = ["glove", {name = "glove", source = "glove-6b-50d", pooling = "max"}]\n'
        'tasks = ["mc30", {name = "word-similarity", dataset = "rg65", protocol = "gensim"}]\n'
    )
    result = run_cli("run", "--suite", str(suite), "--results", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "r").glob("*.json"))) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "glvoe", "-t", "ws353"], "ERROR: -p glvoe: unknown provider 'glvoe' (did you mean 'glove'?)"),
        (["-p", "glove", "-t", "ws335"], "ERROR: -t ws335: unknown task 'ws335' (did you mean 'ws353'?)"),
        (["-p", "pca:dimm=3", "-t", "ws353"], "unknown option 'dimm' for provider 'pca' (did you mean 'dim'?)"),
        (
            ["-p", "pca:dim=-3", "-t", "ws353"],
            "ERROR: -p pca:dim=-3: option 'dim': Input should be greater than or equal to 1",
        ),
        (["-p", "glove", "-t", "ws353:dataset=nope"], "unknown dataset 'nope'"),
        (
            ["-p", "glove", "-t", "analogy:path=/no/such/file.txt"],
            "task 'analogy' option 'path': dataset file not found: /no/such/file.txt",
        ),
        (["-p", "glove:bad", "-t", "ws353"], "expected key=value, got 'bad'"),
        (["-p", "glove"], "give at least one provider (-p) and one task (-t)"),
        (["-p", "glove", "-t", "ws353", "--jobs", "two"], "ERROR: Invalid value for '--jobs'"),
        (["-p", "glove", "-t", "ws353", "--min-coverage", "2"], "ERROR: Invalid value for '--min-coverage'"),
        (["--nope"], "ERROR: No such option: --nope"),
    ],
)
def test_bad_input_is_one_clear_error_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli("run", *args, "--results", str(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_all_config_errors_reported_together(tmp_path: Path) -> None:
    result = run_cli("run", "-p", "glvoe", "-p", "pca:dimm=3", "-t", "ws335", "--results", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("ERROR:") == 3


def test_malformed_dataset_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("word1\tword2\tscore\ncat\tdog\t7\ncat\tdog\n")
    result = run_cli("run", "-p", "glove", "-t", f"word-similarity:path={bad}", "--results", str(tmp_path / "r"))
    assert result.returncode == 2
    assert f"ERROR: {bad}:3: expected word1<TAB>word2<TAB>score, found 2 field(s)" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_vector_file_becomes_error_record_and_others_run(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("cat 1 2 3\ndog 1 2\n")
    results = tmp_path / "r"
    result = run_cli("run", "-p", f"glove:path={bad}", "-p", "glove", "-t", "mc30", "--results", str(results))
    assert result.returncode == 1
    assert f"{bad}:2: expected a word and 3 numbers, found 2 numbers (ragged row)" in result.stderr
    assert "Traceback" not in result.stderr
    statuses = sorted(json.loads(p.read_text())["status"] for p in results.glob("*.json"))
    assert statuses == ["error", "ok"]


def within_tolerance(board: Path, records: list) -> None:
    """Every cell of the board at ``board`` has the score of its record, within the record's stated tolerance
    (two cold runs differ in the last float digits: MiniLM's sums depend on which texts share a batch)."""
    cells = json.loads(board.read_text())["cells"]
    for record in records:
        if record.main_value is None:
            continue
        shown = cells[record.provider_label][record.task_label]["score"]
        assert abs(shown - record.main_value) <= (record.tolerance or TOLERANCE), record.path


def test_default_suite_into_own_results_folder_leaves_the_default_board_alone(tmp_path: Path) -> None:
    """`embbench run --results DIR` on the built-in suite keeps its records and board out of leaderboards/default
    (the board goes where --leaderboard says); every committed record still holds, so nothing is recomputed."""
    import shutil

    board = Path(__file__).parents[1] / "leaderboards/default"
    shutil.copytree(board / "records", tmp_path / "mine")
    kept = run_cli("run", "--results", "mine", cwd=tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert "510 pairs: 486 ok, 24 skipped, 0 error" in kept.stderr and "redo" not in kept.stderr, kept.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
    asked = run_cli("run", "--results", "mine", "--leaderboard", "board", cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    within_tolerance(tmp_path / "board/leaderboard.json", load_records(board / "records"))


def test_a_bare_run_writes_under_results_and_ends_with_the_headline(tmp_path: Path) -> None:
    """README command 1 (`embbench run`) never touches the committed board: its records go to results/default and
    its board to results/default/board (both ignored by git), each file named on stderr, and the run ends with
    the board's headline: the first places and each family's best."""
    import shutil

    committed = Path(__file__).parents[1] / "leaderboards/default"
    shutil.copytree(committed / "records", tmp_path / "results/default")  # every record holds: nothing reruns
    (tmp_path / "home").mkdir()
    done = run_cli("run", cwd=tmp_path, env={"HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "results"]
    for suffix in ("md", "csv", "json", "html"):
        assert f"wrote {Path('results/default/board') / f'leaderboard.{suffix}'}" in done.stderr
    within_tolerance(tmp_path / "results/default/board/leaderboard.json", load_records(committed / "records"))
    lines = done.stderr.splitlines()
    assert lines[lines.index(next(line for line in lines if line.startswith("mean rank: ")))].startswith(
        "mean rank: quantize(base=bert, bits=8) 2.07, bert 2.40, ")  # fmt: skip
    assert "word similarity (higher is better): quantize(base=bert, bits=8) 0.637, bert 0.636, " in done.stderr
    assert "bias (lower is better): onehot(max_vocab=5000) " in done.stderr
    ignored = subprocess.run(["git", "check-ignore", "-q", "results/default/board/leaderboard.json"],
                             cwd=Path(__file__).parents[1])  # fmt: skip
    assert ignored.returncode == 0


@pytest.mark.parametrize(("argv", "line"), [
    (["run", "-p", "glove"], "aborted (records finished so far are kept; a rerun does the rest)"),
    (["leaderboard", "--results", "r"], "aborted"),
])  # fmt: skip
def test_ctrl_c_says_what_was_kept_only_for_a_run(argv, line, monkeypatch, capsys) -> None:
    from embbench import cli

    def interrupted(**_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "app", interrupted)
    assert cli.main(argv) == 130
    assert capsys.readouterr().err.strip() == line


def test_show_names_what_is_wrong_with_a_file_that_is_not_a_record(tmp_path: Path) -> None:
    record = tmp_path / "r.json"
    record.write_text('{"key": "x"}')
    result = run_cli("show", str(record))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"ERROR: {record}: not an embbench result record: at provider: Field required" in result.stderr
    record.write_text("key: x")
    assert "not an embbench result record: at the top: Invalid JSON" in run_cli("show", str(record)).stderr


def test_list_tasks_loads_no_heavy_library() -> None:
    """Start-up stays light (the benchmark times it): listing every plugin and task card imports none of the
    libraries only a run needs, so a module-level import of one shows here."""
    code = "\n".join([
        "import contextlib, io, json, sys", "from embbench.cli import main",
        "with contextlib.redirect_stdout(io.StringIO()):", "    main(['list', 'tasks'])",
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))",
    ])  # fmt: skip
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    heavy = {"numba", "torch", "sklearn", "scipy", "pandas", "pyarrow", "faiss", "mteb", "sentence_transformers"}
    assert heavy.isdisjoint(json.loads(loaded.stdout.strip().splitlines()[-1]))


def test_list_tasks_groups_named_tasks_by_family_and_types_apart_in_100_columns() -> None:
    from embbench.contract import FAMILIES

    shown = run_cli("list", "tasks")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert max(map(len, lines)) <= 100
    named, types = shown.stdout.split("task types: each takes your own file")
    listed = json.loads(run_cli("list", "tasks", "--json").stdout)
    first_cells = [line.split("│")[1] for line in named.splitlines() if line.startswith("│ ")]
    headings = [cell.strip() for cell in first_cells if cell.strip() and not cell.startswith("   ")]
    assert headings == [*FAMILIES, "bias"]  # each family once, in board order
    for row in listed:
        first = next((line.split("│")[1].strip() for line in (named if row["card"] else types).splitlines()
                      if line.startswith("│ ") and line.split("│")[1].strip() == row["name"]), None)  # fmt: skip
        assert first == row["name"], row["name"]  # a named task in the first table, a type in the second
    grouped = [cell.strip() for cell in first_cells if cell.startswith("   ") and cell.strip()]
    assert grouped[: grouped.index("yp130") + 1] == sorted(
        r["name"] for r in listed if r["card"] and r["family"] == "word similarity"
    )


def test_a_run_without_a_terminal_prints_a_progress_line_every_few_seconds(tmp_path: Path) -> None:
    """Piped (CI, nohup), a run says every few seconds how many pairs are done, the time elapsed and the pair last
    finished, and ends with the board's headline."""
    import re

    done = run_cli("run", "-p", "glove", "-p", "pca:base=glove,dim=10", "-t", "mc30", "-t", "rg65", "--jobs", "1",
                   "--results", str(tmp_path / "r"), env={"EMBBENCH_PROGRESS_SECONDS": "0.05"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    progress = [
        line for line in lines if re.fullmatch(r"\d/4 pairs done \(\d+ s elapsed\)(; last finished: .+)?", line)
    ]
    assert progress, done.stderr
    pairs = {f"{p} × {t}" for p in ("glove", "pca(base=glove, dim=10)") for t in ("mc30", "rg65")}
    assert all(line.partition("; last finished: ")[2] in pairs for line in progress if "last" in line), progress
    assert lines.index(progress[-1]) < lines.index(next(line for line in lines if line.startswith("4 pairs: 4 ok")))
    assert "word similarity (higher is better): " in done.stderr and "mean rank: " in done.stderr


def test_run_leaderboard_and_the_leaderboard_command_make_one_board(tmp_path: Path) -> None:
    """`run --leaderboard` and `embbench leaderboard` on the same results folder give the same board: MTEB result
    files in the folder are on both."""
    import shutil

    shutil.copytree(Path(__file__).parent / "data" / "mteb-results", tmp_path / "results" / "mteb")
    ran = run_cli("run", "-p", "glove", "-t", "sts16", "--results", str(tmp_path / "results"), "--leaderboard",
                  str(tmp_path / "after-run"))  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    made = run_cli("leaderboard", "--results", str(tmp_path / "results"), "--out", str(tmp_path / "asked"),
                   "--format", "json")  # fmt: skip
    assert made.returncode == 0, made.stderr
    boards = [json.loads((tmp_path / folder / "leaderboard.json").read_text()) for folder in ("after-run", "asked")]
    assert boards[0] == boards[1]
    assert len(boards[0]["providers"]) >= 2 and "glove" in boards[0]["providers"]  # glove and MTEB's model
