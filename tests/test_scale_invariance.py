"""The same vectors scaled by any factor float32 can hold give the same result on every task family (cosines,
ranks and standardised features do not change under scaling), degenerate geometry is a skipped record that says
why, and no raw library warning reaches the terminal."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_cli

from embbench import Provider, hookimpl, run
from embbench.plugins import Registry
from embbench.providers.glove import Glove, GloveOptions
from embbench.words import WordVectors

TASKS = ["mc30", "ws353", "msr", "battig", "essli2008", "bbc-clustering", "mr", "bbc-headlines", "weat-caliskan",
         "bolukbasi-direct-bias", "stsb", "mrpc", "trecqa", "bbc-retrieval"]  # fmt: skip
"""One or more tasks of every family: similarity, analogy, categorization, clustering, classification, BLEU,
WEAT and direct bias, STS, pair classification, reranking and retrieval."""


class ScaledOptions(GloveOptions):
    scale: float = 1.0


class ScaledGlove(Glove):
    """The packaged GloVe vectors times ``scale``, rounded to float32 as a vector file of them would hold."""

    name = "scaled-glove"
    Options = ScaledOptions  # a subclass of a concrete provider names its options (it has no type parameter)

    def fit(self, context) -> ScaledGlove:
        super().fit(context)
        scaled = np.asarray(self.vectors_.matrix, dtype=np.float64) * self.options.scale
        with np.errstate(over="ignore"):
            self.vectors_ = WordVectors(self.vectors_.words, scaled.astype(np.float32))
        return self


class Identical(Provider):
    """Every text the same vector."""

    name = "identical"

    def embed(self, texts):
        return np.ones((len(texts), 4))


class Plugin:
    @hookimpl
    def register_providers(self, register) -> None:
        register(ScaledGlove)
        register(Identical)


@pytest.fixture(scope="module")
def scaled_records(tmp_path_factory, cache_dir):
    """Main scores and statuses per (scale, task)."""
    registry = Registry.load(extra=[Plugin()])
    folder = tmp_path_factory.mktemp("scaled")
    scales = [1.0, 2.0**-100, 2.0**110, 1e-30, 1e30, 1e37]
    providers = [f"scaled-glove:scale={scale!r}" for scale in scales]
    records = run(providers, TASKS, folder, registry=registry, cache_dir=cache_dir)
    by_scale = {}
    for record in records:
        by_scale.setdefault(record.provider_config["scale"], {})[record.task] = record
    return by_scale


@pytest.mark.parametrize("scale", [2.0**-100, 2.0**110])
def test_scaling_by_a_power_of_two_changes_no_score(scaled_records, scale) -> None:
    """A power of two is exact in floating point: every main score is the unscaled one."""
    base = scaled_records[1.0]
    for task, record in scaled_records[scale].items():
        assert record.status == "ok" == base[task].status, (task, record.error)
        assert record.main_value == pytest.approx(base[task].main_value, abs=1e-7), task


@pytest.mark.parametrize("scale", [1e-30, 1e30, 1e37])
def test_scaling_by_any_factor_changes_no_score_beyond_its_tolerance(scaled_records, scale) -> None:
    """Any other factor rounds each value to float32 once (a relative change of 6e-8), so a score may move within
    the tolerance its record states, and no further (1e37 puts GloVe's largest values near float32's limit)."""
    base = scaled_records[1.0]
    for task, record in scaled_records[scale].items():
        assert record.status == "ok", (task, record.error)
        assert abs(record.main_value - base[task].main_value) <= base[task].tolerance, task
        assert record.provenance["rescaled_by"].startswith("2^")
    assert "rescaled_by" not in base["mc30"].provenance


def test_vectors_beyond_float32_are_an_error_that_names_the_word(tmp_path, cache_dir) -> None:
    (record,) = run(["scaled-glove:scale=1e39"], ["mc30"], tmp_path, registry=Registry.load(extra=[Plugin()]),
                    cache_dir=cache_dir)  # fmt: skip
    assert record.status == "error"
    assert record.error.startswith("provider failed: the vector of 'the' (row 1) is not finite")


@pytest.mark.parametrize(("task", "reason"), [
    ("battig", "the 5231 covered words have 1 distinct vector(s), fewer than the 56 clusters, so any clustering of"
               " them is arbitrary"),
    ("bbc-clustering", "the 2225 covered texts have 1 distinct vector(s), fewer than the 5 clusters, so any"
                       " clustering of them is arbitrary"),
])  # fmt: skip
def test_identical_vectors_are_skipped_for_clustering_with_the_reason(tmp_path, cache_dir, task, reason) -> None:
    (record,) = run(["identical"], [task], tmp_path, registry=Registry.load(extra=[Plugin()]), cache_dir=cache_dir)
    assert (record.status, record.error) == ("skipped", reason)


def test_no_raw_library_warning_reaches_the_terminal(tmp_path) -> None:
    """A run whose pairs raise numpy and scikit-learn warnings (k-means finds fewer distinct clusters than asked
    among near-duplicate vectors) prints each as one WARNING line naming the pair, and keeps it in the record."""
    from conftest import fake_distribution

    fake_distribution(tmp_path, "warning_plugin", '''
import warnings
import numpy as np
from embbench import Provider, hookimpl

class Noisy(Provider):
    name = "noisy"

    def embed(self, texts):
        warnings.warn("overflow encountered in multiply", RuntimeWarning)
        return np.random.default_rng(0).normal(size=(len(texts), 8))

@hookimpl
def register_providers(register):
    register(Noisy)
''')  # fmt: skip
    done = run_cli("run", "-p", "noisy", "-t", "mc30", "--results", str(tmp_path / "r"), "--jobs", "1",
                   env={"PYTHONPATH": str(tmp_path)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "RuntimeWarning" in done.stderr
    lines = [line for line in done.stderr.splitlines() if "RuntimeWarning" in line]
    assert lines == ["WARNING: noisy × mc30: RuntimeWarning: overflow encountered in multiply"], done.stderr
    assert "warnings.warn" not in done.stderr  # not Python's raw two-line form
