"""Plugins: entry points, isolated failures, name clashes, conformance, and the real example plugin."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import fake_distribution, run_cli

from embbench import Provider, Task, TaskOutput, run
from embbench.hookspecs import hookimpl
from embbench.plugins import Registry
from embbench.testing import check_provider, check_task

ROOT = Path(__file__).resolve().parents[1]


def test_broken_plugin_is_reported_and_others_work(tmp_path: Path) -> None:
    fake_distribution(tmp_path, "broken_plugin", "raise ImportError('needs libfoo 2.0')\n")
    fake_distribution(tmp_path, "exiting_plugin", "import sys\nsys.exit(3)\n")
    fake_distribution(
        tmp_path,
        "misspelled_plugin",
        "from embbench.hookspecs import hookimpl\n@hookimpl\ndef register_provider(register): pass\n",
    )
    fake_distribution(
        tmp_path,
        "raising_plugin",
        "from embbench.hookspecs import hookimpl\n@hookimpl\ndef register_tasks(register): raise KeyError('oops')\n",
    )
    fake_distribution(
        tmp_path,
        "clashing_plugin",
        "from embbench.hookspecs import hookimpl\nfrom embbench.providers.onehot import OneHot\n"
        "@hookimpl\ndef register_providers(register): register(OneHot, name='glove')\n",
    )
    env = {"PYTHONPATH": str(tmp_path)}
    listed = run_cli("plugins", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    plugins = {p["name"]: p for p in json.loads(listed.stdout)}
    assert plugins["broken_plugin"]["status"] == "error"
    assert plugins["broken_plugin"]["error"] == "import failed: ImportError: needs libfoo 2.0"
    assert plugins["broken_plugin"]["version"] == "1.0"
    assert plugins["exiting_plugin"]["error"] == "import failed: SystemExit: 3"
    assert "register_provider" in plugins["misspelled_plugin"]["error"]
    assert plugins["raising_plugin"]["error"] == "register_tasks raised KeyError: 'oops'"
    assert "'glove' is already registered by plugin 'glove'" in plugins["clashing_plugin"]["error"]
    assert "EMBBENCH_BLOCK_PLUGINS=clashing_plugin" in plugins["clashing_plugin"]["error"]
    assert plugins["glove"]["status"] == "ok"
    result = run_cli("run", "-p", "glove", "-t", "mc30", "--results", str(tmp_path / "r"), env=env)
    assert result.returncode == 0, result.stderr
    assert "WARNING: plugin 'raising_plugin' is left out: register_tasks raised KeyError" in result.stderr
    record = json.loads(next((tmp_path / "r").glob("*.json")).read_text())
    assert record["provider_config"]["source"] == "glove-6b-50d"  # the built-in glove, not the clashing one


def test_blocked_plugins(tmp_path: Path) -> None:
    plugins = json.loads(run_cli("plugins", "--json", env={"EMBBENCH_BLOCK_PLUGINS": "pca,onehot"}).stdout)
    assert {"pca", "onehot"}.isdisjoint(p["name"] for p in plugins)


class Exploding(Provider):
    name = "exploding"

    def embed(self, texts):
        raise RuntimeError("the GPU caught fire")

    def word_vectors(self):
        raise RuntimeError("the GPU caught fire")


class Exiting(Provider):
    """A plugin that calls sys.exit() while fitting: an error record, not the end of the run."""

    name = "exiting"

    def fit(self, context):
        raise SystemExit(2)

    def embed(self, texts):
        return np.ones((len(texts), 2))


class CountingTask(Task):
    """A tiny real task: the fraction of words that get a non-zero vector."""

    name = "nonzero"
    main_score = "fraction"

    def evaluate(self, provider):
        vectors = provider.embed(["cat", "dog", "zzzqqqxxx"])
        return TaskOutput({"fraction": float(np.mean(np.any(vectors != 0, axis=1)))}, n_items=3, n_scored=3)


class InlinePlugin:
    @hookimpl
    def register_providers(self, register):
        register(Exploding)
        register(Exiting)

    @hookimpl
    def register_tasks(self, register):
        register(CountingTask)


def test_failing_pair_becomes_error_record_and_rest_continue(tmp_path: Path, cache_dir: Path) -> None:
    registry = Registry.load(extra=[InlinePlugin()])
    records = run(["exploding", "exiting", "glove"], ["nonzero", "mc30"], tmp_path, registry=registry,
                  cache_dir=cache_dir)  # fmt: skip
    by_pair = {(r.provider, r.task): r for r in records}
    assert by_pair["exploding", "nonzero"].status == "error"
    assert by_pair["exploding", "nonzero"].error == "RuntimeError: the GPU caught fire"
    assert by_pair["exiting", "mc30"].status == "error"
    assert by_pair["exiting", "mc30"].error == "provider failed: SystemExit: 2"
    assert by_pair["glove", "nonzero"].scores == {"fraction": pytest.approx(2 / 3)}
    assert by_pair["glove", "mc30"].status == "ok"
    assert len(list(tmp_path.glob("*.json"))) == 6
    with pytest.raises(RuntimeError, match="caught fire"):
        run(["exploding"], ["nonzero"], tmp_path / "x", registry=registry, cache_dir=cache_dir, raise_errors=True)


def test_a_name_clash_keeps_the_builtin_and_names_the_plugin_that_lost() -> None:
    class Clash:
        @hookimpl
        def register_providers(self, register):
            register(Exploding, name="glove")
            register(Exploding)

    registry = Registry.load(extra=[Clash()])
    assert registry.providers["glove"].obj.__name__ == "Glove" and "exploding" in registry.providers
    (lost,) = [p for p in registry.plugins if p.error]
    assert "'glove' is already registered by plugin 'glove', which was kept" in lost.error


def test_check_provider_and_check_task_run_every_check(registry, cache_dir) -> None:
    glove = check_provider(registry.make_provider("glove"), cache_dir)
    check_task(registry.make_task("ws353"), glove, cache_dir)


def test_conformance_catches_defects(registry, cache_dir) -> None:
    class Float64(Provider):
        name = "float64"

        def embed(self, texts):
            return np.ones((len(texts), 3))

    with pytest.raises(AssertionError, match="float32"):
        check_provider(Float64(), cache_dir)


def test_parametrize_with_checks_marks_the_expected_failures(cache_dir) -> None:
    """As scikit-learn's: a check named by ``expected_failed_checks`` is a strict xfail with its reason (the check
    does fail), and every other check is a plain test."""
    from embbench.testing import parametrize_with_checks

    class Float64(Provider):
        name = "float64"

        def embed(self, texts):
            return np.ones((len(texts), 3))

    mark = parametrize_with_checks(providers=[Float64()],
                                   expected_failed_checks=lambda obj: {"check_embed": "returns float64"})  # fmt: skip
    params = {param.id: param for param in mark.args[1]}
    assert set(params) == {f"float64-{name}" for name in ("check_options", "check_inputs", "check_embed",
                                                          "check_coverage", "check_word_vectors",
                                                          "check_provenance")}  # fmt: skip
    (xfail,) = params["float64-check_embed"].marks
    assert xfail.name == "xfail" and xfail.kwargs == {"reason": "returns float64", "strict": True}
    assert all(not p.marks for name, p in params.items() if name != "float64-check_embed")
    obj, check = params["float64-check_embed"].values
    with pytest.raises(AssertionError, match="float32"):
        check(obj, cache_dir)


@pytest.mark.slow
def test_example_plugin_installs_and_runs(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT / "plugins" / "embbench-example"),
        ],
        check=True,
    )
    env = {"PYTHONPATH": str(target)}
    listed = {p["name"]: p for p in json.loads(run_cli("list", "providers", "--json", env=env).stdout)}
    assert listed["char-ngram"]["plugin"] == "example"
    plugins = {p["name"]: p for p in json.loads(run_cli("plugins", "--json", env=env).stdout)}
    assert plugins["example"]["distribution"] == "embbench-example" and plugins["example"]["version"] == "0.1.0"
    results = tmp_path / "results"
    result = run_cli(
        "run",
        "-p",
        "char-ngram",
        "-p",
        "glove",
        "-t",
        "odd-one-out-google",
        "-t",
        "rg65",
        "--results",
        str(results),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    records = {(r["provider"], r["task"]): r for r in (json.loads(p.read_text()) for p in results.glob("*.json"))}
    assert records["char-ngram", "odd-one-out-google"]["plugin_versions"] == {"embbench-example": "0.1.0"}
    assert records["glove", "odd-one-out-google"]["plugin_versions"] == {
        "embbench-example": "0.1.0",
        "embbench": "0.1.0",
    }
    # GloVe picks the odd one out about twice as often as chance (0.25)
    assert records["glove", "odd-one-out-google"]["scores"]["accuracy"] > 0.4
    assert records["glove", "odd-one-out-google"]["family"] == "odd one out"  # declared by the plugin's task card
    assert records["glove", "odd-one-out-google"]["ci95"] is not None  # from its score_column alone
    # the plugin's own tests: embbench.testing.parametrize_with_checks, one test per check
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            str(ROOT / "plugins" / "embbench-example" / "tests")], capture_output=True, text=True,
                           env={**os.environ, **env}, cwd=tmp_path)  # fmt: skip
    assert tests.returncode == 0 and "9 passed" in tests.stdout, tests.stdout + tests.stderr


def test_every_hook_is_documented_and_exercised() -> None:
    """Like datasette's test: each hookspec documents its parameters with an example, has an implementation
    (the built-ins register through the same hooks as plugins) and is described on the docs' plugin page."""
    from embbench import hookspecs
    from embbench.plugins import get_plugin_manager

    names = sorted(name for name in dir(hookspecs) if name.startswith("register_"))
    assert names == ["register_datasets", "register_providers", "register_task_cards", "register_tasks"]
    pm, _ = get_plugin_manager()
    sys.path.insert(0, str(ROOT / "plugins" / "embbench-example" / "src"))  # the repository's example plugin
    try:
        pm.register(importlib.import_module("embbench_example"), name="example")
    finally:
        sys.path.pop(0)
    page = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in names:
        doc = getattr(hookspecs, name).__doc__ or ""
        assert "Parameters:" in doc and "register:" in doc and "Example::" in doc and "@hookimpl" in doc, name
        assert getattr(pm.hook, name).get_hookimpls(), f"neither a built-in nor the example implements {name}"
        assert name in page, f"{name} is not described in docs/plugins.md"


def test_the_public_surface_for_plugin_authors() -> None:
    import embbench

    for name in ("hookimpl", "Dataset", "FileTask", "FileTaskOptions", "tokenize", "EmbbenchError", "SkipTask",
                 "Provider", "Task", "TaskOutput", "Options", "Register", "Items", "Embedded"):  # fmt: skip
        assert name in embbench.__all__ and hasattr(embbench, name), name
    assert (Path(embbench.__file__).parent / "py.typed").is_file()
    with pytest.raises(TypeError, match="abstract"):
        embbench.Provider()  # embed is abstract
    provider = Registry.load().make_provider("glove:dim=50")
    assert provider.registered_name == "glove" and provider.plugin.name == "glove"


@pytest.mark.parametrize(("stop", "code", "line"), [
    ("ctrl-c", 130, "aborted (records finished so far are kept"),
    ("sigterm", 143, "terminated (SIGTERM) (records finished so far are kept"),
])  # fmt: skip
def test_stopping_a_parallel_run_keeps_finished_records_and_leaves_no_worker(tmp_path: Path, stop, code, line) -> None:
    """Ctrl-C (SIGINT to the terminal's process group) or SIGTERM to the driver alone (``kill PID``, a service
    manager) while a worker is busy (inside a progress bar): a distinct exit code with one line, no traceback or
    leaked-semaphore warning from the driver or the workers, the finished records kept, no worker process (nor
    multiprocessing's resource tracker) left behind."""
    fake_distribution(
        tmp_path,
        "sleepy_plugin",
        """
import io
import time
import numpy as np
import tqdm
from embbench import Provider, hookimpl

class Sleepy(Provider):
    name = "sleepy"

    def embed(self, texts):
        if len(texts) > 100:  # ws353's words, not mc30's
            for _ in tqdm.tqdm(range(1), file=io.StringIO()):  # a progress bar, as sentence-transformers shows
                time.sleep(120)
        return np.ones((len(texts), 2))

@hookimpl
def register_providers(register):
    register(Sleepy)
""",
    )
    results = tmp_path / "results"
    command = [sys.executable, "-m", "embbench.cli", "run", "-p", "glove", "-p", "sleepy", "-t", "mc30", "-t", "ws353",
               "--results", str(results), "--jobs", "2"]  # fmt: skip
    process = subprocess.Popen(
        command, env={**os.environ, "PYTHONPATH": str(tmp_path)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,  # its own process group, as a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while len(list(results.glob("*.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)  # all but the sleepy ws353 pair have finished
    if stop == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code
    assert line in stderr and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1].startswith(line.split(" (")[0]) and "leaked" not in stderr, stderr
    finished = sorted(p.name.rsplit("__", 1)[0] for p in results.glob("*.json"))
    assert finished == ["glove__mc30", "glove__ws353", "sleepy__mc30"]
    assert not running_in_group(process.pid, within=10)  # the workers are gone too


def running_in_group(group: int, within: float) -> list:
    """Processes of a process group still running (not zombies) after waiting up to ``within`` seconds."""
    import psutil

    deadline = time.monotonic() + within
    while True:
        alive = []
        for proc in psutil.process_iter(["status"]):
            try:
                if os.getpgid(proc.pid) == group and proc.info["status"] != psutil.STATUS_ZOMBIE:
                    alive.append(proc)
            except (ProcessLookupError, psutil.Error):
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def test_a_scaffolded_plugin_installs_passes_its_tests_and_registers(tmp_path: Path) -> None:
    """`embbench new plugin` writes a package that pip installs (a real wheel, built by hatchling), whose own tests
    (embbench's conformance checks) pass, and that `embbench plugins` and `embbench list` then show."""
    made = run_cli("new", "plugin", "my-model", "--out", str(tmp_path / "my-model"))
    assert made.returncode == 0, made.stderr
    # its README's steps work in a fresh venv: pytest comes with the package's test extra, which the README installs
    import tomllib

    extras = tomllib.loads((tmp_path / "my-model/pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(requirement.startswith("pytest") for requirement in extras["test"])
    steps = (tmp_path / "my-model/README.md").read_text()
    assert 'pip install -e ".[test]"' in steps and steps.index(".[test]") < steps.index("\npytest")
    site = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target",
         str(site), str(tmp_path / "my-model")], capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    env = {"PYTHONPATH": str(site)}
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "my-model")],
                           capture_output=True, text=True, timeout=900, env={**os.environ, **env})  # fmt: skip
    assert tests.returncode == 0 and " passed" in tests.stdout and "failed" not in tests.stdout, tests.stdout[-3000:]
    plugins = run_cli("plugins", "--json", env=env)
    (mine,) = [p for p in json.loads(plugins.stdout) if p["name"] == "my-model"]
    assert (mine["distribution"], mine["version"], mine["status"]) == ("embbench-my-model", "0.1.0", "ok")
    providers = json.loads(run_cli("list", "providers", "--json", env=env).stdout)
    tasks = json.loads(run_cli("list", "tasks", "--json", env=env).stdout)
    assert any(p["name"] == "my-model" and p["plugin"] == "my-model" for p in providers)
    assert any(t["name"] == "my-model-synonyms" and t["family"] == "my-model" for t in tasks)
    again = run_cli("new", "plugin", "my-model", "--out", str(tmp_path / "my-model"))
    assert again.returncode == 2 and "exists and is not empty" in again.stderr
