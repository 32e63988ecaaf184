"""Conformance checks for plugin authors: ``check_provider`` and ``check_task`` raise AssertionError on a defect.

Use them in your plugin's tests::

    from embbench.testing import check_provider, check_task
    def test_my_provider(tmp_path): check_provider(MyProvider(), cache_dir=tmp_path)
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embbench.api import Context, Provider, Task, WordVectors
from embbench.errors import SkipTask
from embbench.plugins import Registry

SAMPLE_TEXTS = ("the cat sat on the mat", "king", "Paris is the capital of France", "")


def _context(cache_dir: Path, registry: Registry | None) -> Context:
    return Context(Path(cache_dir), registry or Registry.load())


def _check_options(obj: Provider | Task) -> None:
    kind = type(obj).__name__
    assert obj.name, f"{kind} needs a non-empty class attribute 'name'"
    config = obj.Options.model_config
    assert config.get("frozen"), f"{kind}.Options must be frozen (subclass embbench.Options)"
    assert config.get("extra") == "forbid", f"{kind}.Options must reject unknown keys (extra='forbid')"
    hash(obj.options)
    dumped = obj.options.model_dump(mode="json")
    json.dumps(dumped)
    assert obj.Options(**dumped) == obj.options, f"{kind}.Options does not round-trip through JSON"


def check_provider(
    provider: Provider, cache_dir: Path, texts: Sequence[str] = SAMPLE_TEXTS, registry: Registry | None = None
) -> Provider:
    """Fit the provider and check its options, ``embed`` output and (if any) its word vectors."""
    _check_options(provider)
    assert provider.fit(_context(cache_dir, registry)) is provider, "fit() must return self"
    embedded = provider.embed(list(texts))
    assert isinstance(embedded, np.ndarray), "embed() must return a numpy array"
    assert embedded.dtype == np.float32, f"embed() must return float32, got {embedded.dtype}"
    assert embedded.ndim == 2 and embedded.shape[0] == len(texts), (
        f"embed() shape {embedded.shape} for {len(texts)} texts"
    )
    assert embedded.shape[1] > 0, "embeddings have dimension 0"
    assert np.isfinite(embedded).all(), "embed() returned NaN or inf"
    assert np.array_equal(provider.embed(list(texts)), embedded), "embed() is not deterministic"
    assert provider.embed([]).shape[0] == 0, "embed([]) must return an empty (0, dim) array"
    vectors = provider.word_vectors()
    if vectors is not None:
        assert isinstance(vectors, WordVectors)
        assert vectors.dim == embedded.shape[1], "word vectors and embed() disagree on the dimension"
        assert len(vectors) > 0, "empty vocabulary"
        word = vectors.words[0]
        assert np.allclose(provider.embed([word])[0], vectors.dense_rows([0])[0], atol=1e-5), (
            "embed([word]) differs from the word's own vector"
        )
    json.dumps(provider.provenance(), default=str)
    return provider


def check_task(task: Task, provider: Provider, cache_dir: Path, registry: Registry | None = None) -> None:
    """Load the task and evaluate a fitted provider; check the scores and coverage it reports."""
    _check_options(task)
    assert task.main_score, "a task must declare main_score"
    assert isinstance(task.higher_is_better, bool)
    task.load(_context(cache_dir, registry))
    try:
        output = task.evaluate(provider)
    except SkipTask:
        return
    assert task.main_score in output.scores, f"main score {task.main_score!r} missing from {sorted(output.scores)}"
    for name, value in output.scores.items():
        assert value is None or (isinstance(value, float) and math.isfinite(value)), f"score {name}={value!r}"
    assert 0 <= output.n_scored <= output.n_items, "n_scored must lie in [0, n_items]"
    assert 0.0 <= output.coverage <= 1.0
    json.dumps(output.details, default=str)
