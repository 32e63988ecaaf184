"""Shared fixtures: real GloVe 6B 50d vectors, the real registry, and an isolated cache per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embbench.contract import Context
from embbench.plugins import Registry


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache")
    os.environ["EMBBENCH_CACHE"] = str(path)  # the CLI tests' subprocesses share it; nothing touches ~/.cache
    os.environ["HF_HUB_OFFLINE"] = "1"
    return path


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load()


@pytest.fixture(scope="session")
def context(cache_dir: Path, registry: Registry) -> Context:
    return Context(cache_dir, registry)


@pytest.fixture(scope="session")
def glove(context: Context):
    """The genuine GloVe 6B 50d (400,000 words), fitted once."""
    return context.make_provider("glove")


@pytest.fixture(scope="session")
def glove_kv(glove):
    """gensim KeyedVectors holding exactly the same vectors."""
    from gensim.models import KeyedVectors

    vectors = glove.word_vectors()
    kv = KeyedVectors(vectors.dim)
    kv.add_vectors(vectors.words, np.asarray(vectors.matrix))
    return kv


def loaded(registry: Registry, context: Context, spec: str):
    """A task built from ``spec`` with its data loaded, as a run plans it."""
    task = registry.make_task(spec)
    task.load(context)
    return task


def loaded_file(registry: Registry, context: Context, task_type: str, text: str, folder: Path, **options: str):
    """A task of ``task_type`` over a file in ``folder`` holding ``text``."""
    path = folder / f"{task_type}.tsv"
    path.write_text(text, encoding="utf-8")
    extra = "".join(f",{key}={value}" for key, value in options.items())
    return loaded(registry, context, f"{task_type}:path={path}{extra}")


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real ``embbench`` command (as a user would) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "embbench.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=1800,
    )


def fake_distribution(folder: Path, name: str, module_source: str, hook_source: str = "") -> None:
    """An installed-looking distribution on a PYTHONPATH folder, registering ``name`` as an embbench plugin."""
    (folder / f"{name}.py").write_text(module_source)
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[embbench]\n{name} = {name}\n")
