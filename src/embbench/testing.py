"""Conformance checks for plugin authors, as named checks (like scikit-learn's ``parametrize_with_checks``).

Run them all in one call::

    from embbench.testing import check_provider, check_task
    def test_my_provider(tmp_path): check_provider(MyProvider(), cache_dir=tmp_path)

or one pytest test per check, so a failure names the check::

    from embbench.testing import parametrize_with_checks
    @parametrize_with_checks(providers=[MyProvider()], tasks=[(MyTask(), MyProvider())])
    def test_conformance(obj, check, tmp_path): check(obj, tmp_path)
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embbench.contract import TEXT, Context, Graph, Node, Provider, Task, TaskOutput
from embbench.errors import SkipTask
from embbench.plugins import Registry
from embbench.records.items import scored_rows, take
from embbench.words import WordVectors

SAMPLE_TEXTS = ("the cat sat on the mat", "king", "Paris is the capital of France", "")
Check = Callable[[Any, Path], None]


def _context(cache_dir: Path) -> Context:
    return Context(Path(cache_dir), Registry.load())


def _fitted(provider: Provider, cache_dir: Path) -> Provider:
    """The provider, fitted once (later checks reuse it)."""
    if not getattr(provider, "_conformance_fitted", False):
        assert provider.fit(_context(cache_dir)) is provider, "fit() must return self"
        provider._conformance_fitted = True  # type: ignore[attr-defined]
    return provider


def check_options(obj: Provider | Task, cache_dir: Path) -> None:
    """Options are frozen, reject unknown keys, hash, and round-trip through JSON; the class has a name."""
    kind = type(obj).__name__
    assert obj.name, f"{kind} needs a non-empty class attribute 'name'"
    assert isinstance(type(obj).version, int) and type(obj).version >= 1, f"{kind}.version must be an int >= 1"
    config = obj.Options.model_config
    assert config.get("frozen"), f"{kind}.Options must be frozen (subclass embbench.Options)"
    assert config.get("extra") == "forbid", f"{kind}.Options must reject unknown keys (extra='forbid')"
    hash(obj.options)
    dumped = obj.options.model_dump(mode="json")
    json.dumps(dumped)
    assert obj.Options(**dumped) == obj.options, f"{kind}.Options does not round-trip through JSON"


def check_inputs(provider: Provider, cache_dir: Path) -> None:
    """``inputs()`` gives JSON-able string fingerprints and is the same when asked twice."""
    inputs = provider.inputs(_context(cache_dir))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in inputs.items()), f"inputs() gave {inputs!r}"
    assert provider.inputs(_context(cache_dir)) == inputs, "inputs() is not stable"


def check_embed(provider: Provider, cache_dir: Path) -> None:
    """``embed`` returns finite float32 (n, dim > 0), deterministically, and (0, dim) for no texts."""
    provider = _fitted(provider, cache_dir)
    embedded = provider.embed(list(SAMPLE_TEXTS))
    assert isinstance(embedded, np.ndarray), "embed() must return a numpy array"
    assert embedded.dtype == np.float32, f"embed() must return float32, got {embedded.dtype}"
    assert embedded.ndim == 2 and embedded.shape[0] == len(SAMPLE_TEXTS), f"embed() shape {embedded.shape}"
    assert embedded.shape[1] > 0, "embeddings have dimension 0"
    assert np.isfinite(embedded).all(), "embed() returned NaN or inf"
    assert np.array_equal(provider.embed(list(SAMPLE_TEXTS)), embedded), "embed() is not deterministic"
    assert provider.embed([]).shape[0] == 0, "embed([]) must return an empty (0, dim) array"


def check_coverage(provider: Provider, cache_dir: Path) -> None:
    """``embed_with_coverage`` and ``embed_words`` agree with ``embed`` and give a boolean mask per text."""
    provider = _fitted(provider, cache_dir)
    for method in (provider.embed_with_coverage, provider.embed_words):
        vectors, covered = method(list(SAMPLE_TEXTS))
        assert vectors.shape[0] == len(SAMPLE_TEXTS) and covered.shape == (len(SAMPLE_TEXTS),), method.__name__
        assert covered.dtype == bool, f"{method.__name__}() coverage must be a boolean mask"
    assert np.array_equal(provider.embed_with_coverage(list(SAMPLE_TEXTS)).vectors, provider.embed(list(SAMPLE_TEXTS)))


def check_word_vectors(provider: Provider, cache_dir: Path) -> None:
    """A vocabulary, if any, matches ``embed``'s dimension, and a vocabulary word embeds as its own vector."""
    provider = _fitted(provider, cache_dir)
    vectors = provider.word_vectors()
    if vectors is None:
        return
    assert isinstance(vectors, WordVectors)
    assert vectors.dim == provider.embed(["king"]).shape[1], "word vectors and embed() disagree on the dimension"
    assert len(vectors) > 0, "empty vocabulary"
    for row in (0, len(vectors) - 1):
        word = vectors.words[row]
        embedded, covered = provider.embed_words([word])
        assert covered[0], f"embed_words() does not cover the vocabulary word {word!r}"
        assert np.allclose(embedded[0], vectors.dense_rows([vectors.lookup(word)])[0], atol=1e-5), (
            f"embed_words([{word!r}]) differs from the word's own vector"
        )


def check_provenance(provider: Provider, cache_dir: Path) -> None:
    """Provenance serialises to JSON."""
    json.dumps(_fitted(provider, cache_dir).provenance(), default=str)


def sample_graph() -> Graph:
    """A small graph for the node checks: two rings of six nodes joined by one edge, and a node without edges."""
    ids = tuple(f"n{i}" for i in range(13))
    edges = [(i, (i + 1) % 6) for i in range(6)] + [(6 + i, 6 + (i + 1) % 6) for i in range(6)] + [(0, 6)]
    sources, targets = (np.array(side, dtype=np.int64) for side in zip(*edges, strict=True))
    return Graph("conformance-sample", ids, sources, targets, np.ones(len(edges)))


def check_embed_nodes(provider: Provider, cache_dir: Path) -> None:
    """A node provider fitted on a graph (``fitted_on``) is a new provider; ``embed_nodes`` returns finite float32
    (n, dim > 0) and a boolean mask, deterministically; a node of another graph is not covered."""
    data = sample_graph().training_data("all edges")
    fitted = provider.fitted_on(data, _context(cache_dir))
    assert isinstance(fitted, Provider), "fitted_on() must return a provider"
    nodes = sample_graph().nodes()
    vectors, covered = fitted.embed_nodes(nodes)
    assert isinstance(vectors, np.ndarray) and vectors.dtype == np.float32, "embed_nodes() vectors must be float32"
    assert vectors.ndim == 2 and vectors.shape[0] == len(nodes) and vectors.shape[1] > 0, f"shape {vectors.shape}"
    assert covered.dtype == bool and covered.shape == (len(nodes),), "embed_nodes() coverage must be a boolean mask"
    assert np.isfinite(vectors).all(), "embed_nodes() returned NaN or inf"
    assert np.array_equal(fitted.embed_nodes(nodes).vectors, vectors), "embed_nodes() is not deterministic"
    again = provider.fitted_on(data, _context(cache_dir)).embed_nodes(nodes).vectors
    assert np.array_equal(again, vectors), "fitted_on() is not deterministic"
    elsewhere = fitted.embed_nodes([Node("another-graph", node.id) for node in nodes])
    assert not elsewhere.covered.any(), "a node of another graph must not be covered"
    json.dumps(fitted.provenance(), default=str)


PROVIDER_CHECKS: tuple[Check, ...] = (check_options, check_inputs, check_embed, check_coverage, check_word_vectors,
                                      check_provenance)  # fmt: skip
NODE_PROVIDER_CHECKS: tuple[Check, ...] = (check_options, check_inputs, check_embed_nodes)


def _evaluated(pair: tuple[Task, Provider], cache_dir: Path) -> TaskOutput | None:
    task, provider = pair
    if not hasattr(task, "_conformance_output"):
        task.load(_context(cache_dir))
        try:
            if provider.learns_from_task:  # fitted on the task's own training data, as a run fits it
                data = task.training_data()
                assert data is not None, (
                    "a task evaluated by a provider that learns from its data needs training_data()"
                )
                provider = provider.fitted_on(data, _context(cache_dir))
            task._conformance_output = task.evaluate(_fitted(provider, cache_dir))  # type: ignore[attr-defined]
        except SkipTask:
            task._conformance_output = None  # type: ignore[attr-defined]
    return task._conformance_output  # type: ignore[attr-defined]


def check_task_options(pair: tuple[Task, Provider], cache_dir: Path) -> None:
    """The task's options behave, and it declares its main score and direction."""
    task = pair[0]
    check_options(task, cache_dir)
    assert task.main_score, "a task must declare main_score"
    assert isinstance(task.higher_is_better, bool)


def check_scores(pair: tuple[Task, Provider], cache_dir: Path) -> None:
    """Scores are finite floats or None, the main score is among them, and coverage lies in [0, 1]."""
    output = _evaluated(pair, cache_dir)
    if output is None:
        return
    assert pair[0].main_score in output.scores, f"main score {pair[0].main_score!r} missing"
    for name, value in output.scores.items():
        assert value is None or (isinstance(value, float) and math.isfinite(value)), f"score {name}={value!r}"
    assert 0 <= output.n_scored <= output.n_items, "n_scored must lie in [0, n_items]"
    json.dumps(output.details, default=str)


def check_items(pair: tuple[Task, Provider], cache_dir: Path) -> None:
    """Per-item outputs: equal-length columns, unique ids, a boolean ``covered``, and ``score_items`` over the
    scored items gives the main score back."""
    task, output = pair[0], _evaluated(pair, cache_dir)
    if output is None or output.items is None:
        return
    items = output.items
    lengths = {name: len(column) for name, column in items.items()}
    assert len(set(lengths.values())) == 1, f"item columns differ in length: {lengths}"
    assert "id" in items and "covered" in items, "items need 'id' and 'covered' columns"
    assert len(set(items["id"])) == len(items["id"]), "item ids must be unique"
    assert np.asarray(items["covered"]).dtype == bool, "'covered' must be boolean"
    main = output.scores[task.main_score]
    again = task.score_items(take(items, scored_rows(items)))
    if main is not None and again is not None:
        assert math.isclose(again, main, rel_tol=1e-6, abs_tol=1e-9), f"score_items gives {again}, main score {main}"


TASK_CHECKS: tuple[Check, ...] = (check_task_options, check_scores, check_items)


def provider_checks(provider: Provider) -> Iterator[tuple[Provider, Check]]:
    """Every named provider check of the provider's kind (text, or graph nodes), paired with the provider."""
    checks = PROVIDER_CHECKS if TEXT in provider.item_kinds else NODE_PROVIDER_CHECKS
    return ((provider, check) for check in checks)


def task_checks(task: Task, provider: Provider) -> Iterator[tuple[tuple[Task, Provider], Check]]:
    """Every named task check, paired with (task, the provider it evaluates)."""
    return (((task, provider), check) for check in TASK_CHECKS)


def _id(value: Any) -> str:
    if callable(value):
        return value.__name__
    if isinstance(value, tuple):
        return f"{value[0].registered_name}[{value[1].registered_name}]"
    return value.registered_name


def parametrize_with_checks(
    providers: Sequence[Provider] = (), tasks: Sequence[tuple[Task, Provider]] = (), *,
    expected_failed_checks: Callable[[Provider | Task], dict[str, str]] | None = None,
) -> Any:  # fmt: skip
    """A ``pytest.mark.parametrize("obj, check", ...)`` with one test per (object, check), named by both.

    ``expected_failed_checks``, as scikit-learn's: given a provider or task, the names of the checks it is known to
    fail, each with the reason; those tests are marked ``xfail`` with it (strictly: a check that passes fails, so
    the list stays true)."""
    import pytest

    cases = [case for p in providers for case in provider_checks(p)]
    cases += [case for task, provider in tasks for case in task_checks(task, provider)]

    def marked(obj: Any, check: Check) -> Any:
        subject = obj[0] if isinstance(obj, tuple) else obj
        reason = (expected_failed_checks(subject) if expected_failed_checks else {}).get(check.__name__)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        return pytest.param(obj, check, marks=marks, id=f"{_id(obj)}-{_id(check)}")

    return pytest.mark.parametrize(("obj", "check"), [marked(o, c) for o, c in cases])


def check_provider(provider: Provider, cache_dir: Path) -> Provider:
    """Run every provider check (fitting the provider); returns the fitted provider."""
    for obj, check in provider_checks(provider):
        check(obj, cache_dir)
    return provider


def check_task(task: Task, provider: Provider, cache_dir: Path) -> None:
    """Run every task check: load the task, evaluate the provider, check scores and items."""
    for obj, check in task_checks(task, provider):
        check(obj, cache_dir)
