"""Faults met at run time: worker processes that die, folders that cannot be written, full disks, plugin tasks
that give no finite number, and a Python caller's wrongly typed arguments."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import fake_distribution, run_cli

import embbench
from embbench import Provider, Task, TaskOutput
from embbench.errors import EmbbenchError
from embbench.hookspecs import hookimpl
from embbench.plugins import Registry
from embbench.records.record import load_records

DOOMED = """
import os
import signal
import numpy as np
from embbench import Options, Provider, hookimpl

class DoomedOptions(Options):
    death: str = "embed"

class Doomed(Provider[DoomedOptions]):
    name = "doomed"

    def fit(self, context):
        if self.options.death == "fit":
            os._exit(3)  # a plugin that ends its process, never returning

    def embed(self, texts):
        if len(texts) > 100:  # ws353's words, not mc30's
            os.kill(os.getpid(), signal.SIGKILL)
        return np.ones((len(texts), 2)) + np.arange(len(texts))[:, None]

@hookimpl
def register_providers(register):
    register(Doomed)
"""


@pytest.mark.parametrize(("spec", "errors"), [
    ("doomed", {"doomed__ws353": "worker process died: signal 9 (SIGKILL)"}),
    ("doomed:death=fit", {"doomed__mc30": "provider failed: worker process died: exit code 3 while fitting it",
                          "doomed__ws353": "provider failed: worker process died: exit code 3 while fitting it"}),
])  # fmt: skip
def test_a_dead_worker_fails_only_its_own_pairs_and_the_grid_runs_on(tmp_path: Path, spec, errors) -> None:
    """A worker killed by a signal while embedding, or ended by a plugin's ``os._exit`` while fitting: the pool
    is rebuilt, every other pair runs and is recorded ok, and the pairs of the job that died alone are error
    records that say how (never the driver's ``unexpected BrokenProcessPool``)."""
    fake_distribution(tmp_path, "doomed_plugin", DOOMED)
    results = tmp_path / "results"
    done = run_cli("run", "-p", "glove", "-p", spec, "-t", "mc30", "-t", "ws353", "--results", str(results),
                   "--jobs", "2", env={"PYTHONPATH": str(tmp_path)})  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "ERROR: unexpected" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    records = {f"{r.provider}__{r.task}": r for r in load_records(results)}
    assert set(records) == {"glove__mc30", "glove__ws353", "doomed__mc30", "doomed__ws353"}
    for name, record in records.items():
        if name in errors:
            assert (record.status, record.error) == ("error", errors[name])
        else:
            assert record.status == "ok", (name, record.error)
    for error in errors.values():
        assert error in done.stderr


@contextlib.contextmanager
def mounted_tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A real tmpfs at ``folder`` (``ro``: read-only, which stops root too; ``size=``: a small disk that fills)."""
    folder.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if mount.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mount.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize(("option", "where"), [
    ("--results", "--results"), ("--leaderboard", "--leaderboard"), ("--cache", "--cache"),
    ("EMBBENCH_CACHE", "EMBBENCH_CACHE"),
])  # fmt: skip
def test_a_read_only_folder_is_refused_before_any_work(tmp_path: Path, option, where) -> None:
    with mounted_tmpfs(tmp_path / "ro", "ro,size=1m") as read_only:
        target = read_only / "sub"
        args, env = ["run", "-p", "glove", "-t", "mc30", "--results", str(tmp_path / "results")], {}
        if option == "EMBBENCH_CACHE":
            env["EMBBENCH_CACHE"] = str(target)
        else:
            args += [option, str(target)]
        done = run_cli(*args, env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == f"ERROR: {where}: {read_only} is not writable (to create {target})", done.stderr
    assert not (tmp_path / "results").exists()  # nothing ran


def test_embbench_cache_naming_a_file_is_refused_like_the_option(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    done = run_cli("run", "-p", "glove", "-t", "mc30", "--results", str(tmp_path / "r"),
                   env={"EMBBENCH_CACHE": str(tmp_path / "file")})  # fmt: skip
    assert (done.returncode, done.stderr.strip()) == (
        2,
        f"ERROR: EMBBENCH_CACHE: {tmp_path / 'file'} is a file, not a folder",
    )


def test_a_full_disk_stops_the_run_with_one_located_line_and_keeps_what_was_written(tmp_path: Path) -> None:
    """Records go to a 96 KiB tmpfs that fills after a few pairs: the run stops at the write that failed, with one
    line naming that file, and every record already written is whole and readable."""
    with mounted_tmpfs(tmp_path / "small", "size=96k") as small:
        results = small / "results"
        done = run_cli("run", "-p", "glove", "-p", "onehot", "-t", "mc30", "-t", "rg65", "-t", "ws353",
                       "-t", "simlex999", "-t", "men", "--results", str(results), "--jobs", "1")  # fmt: skip
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert lines[-1].startswith(f"ERROR: {results}/") and lines[-1].endswith(
            ": cannot write: No space left on device"
        ), done.stderr
        assert "unexpected" not in done.stderr and "Traceback" not in done.stderr
        kept = load_records(results)
        assert kept and all(r.status == "ok" for r in kept)
        assert not list(results.glob(".*.tmp"))  # no half-written file is left


class NotANumber(Task):
    name = "not-a-number"
    family = "other"
    main_score = "score"

    def evaluate(self, provider: Provider) -> TaskOutput:
        provider.embed(["a", "b"])
        return TaskOutput(scores={"score": self.value, "other": 1.0}, n_items=2, n_scored=2)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_main_score_that_is_not_finite_is_never_an_ok_record(tmp_path: Path, value) -> None:
    class Plugin:
        @hookimpl
        def register_tasks(self, register) -> None:
            register(type("Task", (NotANumber,), {"value": value}))

    (record,) = embbench.run(["onehot"], ["not-a-number"], tmp_path, registry=Registry.load(extra=[Plugin()]))
    assert record.status == "error"
    assert record.error == f"the task's main score 'score' is {value!r}, not a finite number"
    assert json.loads(record.model_dump_json())["status"] == "error"


@pytest.mark.parametrize(("providers", "tasks", "results", "message"), [
    (5, ["mc30"], "r", "providers: expected a list of specs, got int 5"),
    ("glove", ["mc30"], "r", "providers: expected a list of specs, got str 'glove' (put a single spec in a list)"),
    (["glove"], "mc30", "r", "tasks: expected a list of specs, got str 'mc30' (put a single spec in a list)"),
    ([{"name": "glove"}, 3.5], ["mc30"], "r", "providers[1]: expected a spec"),
    (["glove"], ["mc30"], 7, "results_dir: expected a folder (a str or a Path), got int 7"),
])  # fmt: skip
def test_python_api_arguments_of_the_wrong_type_are_type_errors(tmp_path, providers, tasks, results, message) -> None:
    with pytest.raises(TypeError) as raised:
        embbench.run(providers, tasks, results if not isinstance(results, str) else tmp_path / results)
    assert str(raised.value).startswith(message)


def test_python_api_checks_folders_before_any_work(tmp_path: Path, monkeypatch) -> None:
    """The same up-front checks as the command: a results folder under a file, or an EMBBENCH_CACHE that is a
    file, fail before any provider is built (a provider that would be built first counts its builds)."""
    (tmp_path / "file").write_text("x")
    with pytest.raises(EmbbenchError, match=r"^results_dir: .*file is a file, not a folder$"):
        embbench.run(["glove"], ["mc30"], tmp_path / "file" / "results")
    monkeypatch.setenv("EMBBENCH_CACHE", str(tmp_path / "file"))
    with pytest.raises(EmbbenchError, match=r"^EMBBENCH_CACHE: .*file is a file, not a folder$"):
        embbench.run(["glove"], ["mc30"], tmp_path / "results")
    assert not (tmp_path / "results").exists()


def test_a_table_spec_runs_like_its_string(tmp_path: Path) -> None:
    (by_table,) = embbench.run([{"name": "glove", "dim": 50}], ["mc30"], tmp_path / "a")
    (by_string,) = embbench.run(["glove:dim=50"], ["mc30"], tmp_path / "b")
    assert by_table.main_value == by_string.main_value and by_table.key == by_string.key


@pytest.mark.parametrize("spec", ["glove:path=", "glove:path= ", "pca:base=[],dim=5"])
def test_an_empty_option_value_is_a_located_error(tmp_path: Path, spec) -> None:
    done = run_cli("run", "-p", spec, "-t", "mc30", "--results", str(tmp_path))
    assert done.returncode == 2
    key = spec.split(":")[1].split("=")[0]
    assert f"-p {spec}: option '{key}' has an empty value" in done.stderr, done.stderr


def test_compare_refuses_two_records_of_one_cell_like_the_leaderboard(tmp_path: Path) -> None:
    base = tmp_path / "base"
    embbench.run(["glove"], ["mc30"], base)
    (record,) = base.glob("*.json")
    copy = base / "copy"
    copy.mkdir()
    (copy / record.name).write_bytes(record.read_bytes())
    for command in (["compare", str(base), str(base)],
                    ["leaderboard", "--results", str(base), "--out", str(tmp_path / "board")]):  # fmt: skip
        done = run_cli(*command)
        assert done.returncode == 2, done.stderr
        assert "two records of glove × mc30" in done.stderr and str(copy / record.name) in done.stderr, done.stderr


def test_a_hand_edited_main_score_is_flagged_against_its_own_items(tmp_path: Path) -> None:
    """The board recomputes each main score from the record's items: a score edited by hand is shown as recorded,
    with a warning naming the record and the value its items give, and the flag in the board's JSON."""
    results = tmp_path / "results"
    embbench.run(["glove", "pca:base=glove,dim=10"], ["mc30"], results)
    path = next(p for p in results.glob("glove__mc30__*.json"))
    data = json.loads(path.read_text())
    true_value = data["scores"]["spearman"]
    data["scores"]["spearman"] = 0.99
    path.write_text(json.dumps(data))
    done = run_cli("leaderboard", "--results", str(results), "--out", str(tmp_path / "board"), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert f"WARNING: {path}: its spearman is 0.99, but its per-item outputs give {true_value:.6g}" in done.stderr
    board = json.loads((tmp_path / "board" / "leaderboard.json").read_text())
    assert board["cells"]["glove"]["mc30"]["items_give"] == pytest.approx(true_value, abs=1e-6)
    assert board["cells"]["pca(base=glove, dim=10)"]["mc30"]["items_give"] is None


def test_a_dead_ray_worker_fails_only_its_own_pair(tmp_path: Path) -> None:
    """On a real local Ray cluster too: the pair whose worker was killed is an error record saying so, and every
    other pair is recorded ok."""
    fake_distribution(tmp_path, "doomed_plugin", DOOMED)
    results = tmp_path / "results"
    done = run_cli("run", "-p", "glove", "-p", "doomed", "-t", "mc30", "-t", "ws353", "--results", str(results),
                   "--executor", "ray", env={"PYTHONPATH": str(tmp_path)})  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "ERROR: unexpected" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    records = {f"{r.provider}__{r.task}": r for r in load_records(results)}
    assert {name: r.status for name, r in records.items()} == {
        "glove__mc30": "ok", "glove__ws353": "ok", "doomed__mc30": "ok", "doomed__ws353": "error"}  # fmt: skip
    assert records["doomed__ws353"].error.startswith("worker process died: ")
