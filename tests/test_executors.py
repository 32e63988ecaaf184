"""Parallel execution: worker processes and a real local Ray cluster give the same records as the local loop."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from embbench import Context, run
from embbench.config import parse_spec
from embbench.hookspecs import hookimpl
from embbench.plugins import Registry

PROVIDERS = ["glove", "pca:base=glove,dim=10", "onehot:max_vocab=3000"]
TASKS = ["ws353", "ap", "mc30"]


def comparable(records) -> dict:
    return {(r.provider_label, r.task_label): (r.status, r.scores, r.coverage, r.ci95) for r in records}


@pytest.fixture(scope="module")
def local_records(tmp_path_factory, registry, cache_dir):
    return run(PROVIDERS, TASKS, tmp_path_factory.mktemp("local"), registry=registry, cache_dir=cache_dir)


@pytest.mark.slow
def test_worker_processes_match_local(local_records, tmp_path: Path, cache_dir) -> None:
    records = run(PROVIDERS, TASKS, tmp_path, cache_dir=cache_dir, jobs=2)
    assert comparable(records) == comparable(local_records)
    assert len(list(tmp_path.glob("*.json"))) == 9


@pytest.mark.slow
def test_one_provider_spreads_its_tasks_over_workers(local_records, tmp_path: Path, cache_dir) -> None:
    records = run(["glove"], TASKS, tmp_path, cache_dir=cache_dir, executor="process", jobs=3)
    expected = {key: value for key, value in comparable(local_records).items() if key[0] == "glove"}
    assert comparable(records) == expected
    assert len({r.environment["cpu"] for r in records}) == 1 and len(records) == 3


@pytest.mark.slow
def test_ray_local_cluster_matches_local(local_records, tmp_path: Path, cache_dir) -> None:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
    try:
        assert ray.cluster_resources()["CPU"] == 2
        first = run(PROVIDERS, TASKS[:2], tmp_path, cache_dir=cache_dir, executor="ray")
        written = {path: path.stat().st_mtime_ns for path in tmp_path.glob("*.json")}
        records = run(PROVIDERS, TASKS, tmp_path, cache_dir=cache_dir, executor="ray")
    finally:
        ray.shutdown()
    assert comparable(records) == comparable(local_records)
    # the driver wrote every record streamed back to it, and the second run sent out only the pairs not yet done
    assert len(list(tmp_path.glob("*.json"))) == 9
    assert len(first) == len(written) == 6
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in written.items())


def test_bert_asks_for_a_gpu_on_cuda(registry) -> None:
    assert registry.make_provider("bert:device=cuda").resources() == {"num_cpus": 1, "num_gpus": 1}
    assert registry.make_provider("bert:device=cpu").resources() == {"num_cpus": 1}
    assert registry.make_provider("glove").resources() == {"num_cpus": 1}


class CountingGlove:
    """A plugin whose provider counts the embedding requests that reach it (GloVe underneath)."""

    calls: ClassVar[list[int]] = []

    @hookimpl
    def register_providers(self, register):
        from embbench.providers.glove import Glove

        class Counting(Glove):
            name = "counting-glove"

            def embed_with_coverage(inner, texts):
                CountingGlove.calls.append(len(texts))
                return super().embed_with_coverage(texts)

        register(Counting)


def test_embeddings_are_computed_once_across_tasks_and_runs(tmp_path: Path, cache_dir) -> None:
    """The three BBC tasks embed the same 2,225 article bodies: the provider is asked once for each distinct text
    (the file repeats some articles), in one request, and a new run with the same cache asks for none."""
    registry = Registry.load(extra=[CountingGlove()])
    tasks = ["bbc-clustering:seeds=1", "bbc-classification:folds=2,inner_folds=2", "bbc-headlines"]  # 2,225 texts
    bodies = registry.make_task("bbc-clustering")
    bodies.load(Context(cache_dir, registry))
    distinct = len(set(bodies.texts_))
    assert distinct < 2225
    first = run(["counting-glove"], tasks, tmp_path / "a", registry=registry, cache_dir=cache_dir)
    assert [n for n in CountingGlove.calls if n >= 64] == [distinct]
    run(["counting-glove"], tasks, tmp_path / "b", registry=registry, cache_dir=cache_dir)  # a new run, same cache
    assert [n for n in CountingGlove.calls if n >= 64] == [distinct]
    uncached = run(["counting-glove"], tasks, tmp_path / "c", registry=registry, cache_dir=cache_dir,
                   embedding_cache=False)  # fmt: skip
    assert [n for n in CountingGlove.calls if n >= 64] == [distinct] + [2225] * 3  # each task embeds for itself
    assert comparable(first) == comparable(uncached)


def test_a_worker_keeps_its_last_provider_for_the_next_job(monkeypatch, cache_dir) -> None:
    """A worker process fits (loads) a provider once for consecutive jobs of it, a fit job's included; a job of
    another provider takes its place; the records are those of a fresh load."""
    from embbench.providers.glove import Glove
    from embbench.running import executors

    loads: list[str] = []
    fit = Glove.fit
    monkeypatch.setattr(Glove, "fit", lambda self, context: loads.append(self.options.source) or fit(self, context))
    monkeypatch.setattr(executors, "_FITTED", {})

    def job(provider: str, task: str) -> dict:
        provider_spec, task_spec = parse_spec(provider), parse_spec(task)
        ((data, _),) = executors.provider_job(provider_spec, provider, [executors.TaskRef(task_spec, task)],
                                              str(cache_dir), {})  # fmt: skip
        return data

    executors.fit_job(parse_spec("glove"), str(cache_dir))
    first = [job("glove", task) for task in ("mc30", "rg65", "mc30")]
    assert len(loads) == 1 and first[0]["status"] == "ok" and first[0]["scores"] == first[2]["scores"]
    job("onehot:max_vocab=3000", "mc30")
    assert [type(p).__name__ for p in executors._FITTED.values()] == ["OneHot"]  # one held at a time
    assert job("glove", "mc30")["scores"] == first[0]["scores"] and len(loads) == 2


def test_tasks_say_which_texts_they_embed(registry, context) -> None:
    """The scheduler keeps pairs that embed the same texts apart: the three BBC tasks embed the same article bodies
    (the titles are only the headline task's targets), MR other texts."""
    keys = {}
    for name in ("bbc-clustering", "bbc-classification", "bbc-headlines", "mr"):
        task = registry.make_task(name)
        task.load(context)
        keys[name] = task.embeds()
    assert keys["bbc-clustering"] == keys["bbc-classification"] == keys["bbc-headlines"] is not None
    assert keys["mr"] not in (keys["bbc-clustering"], None)


def test_the_longest_pairs_go_first_then_fits_then_the_rest(registry, context) -> None:
    """A model provider's document pairs start as soon as it is fitted, before other providers' fits, so they do
    not trail the run; its pairs that embed the same texts do not run at once while other work waits."""
    from embbench.running.executors import FitNext, JobQueue, PairNext, ProviderWork
    from embbench.running.planning import Planned

    def planned(spec: str, make) -> Planned:
        return Planned(spec, make(spec), label=spec)

    tasks = [planned(name, registry.make_task) for name in ("mc30", "bbc-clustering", "bbc-classification", "mr")]
    for task in tasks:
        task.obj.load(context)
    work = [ProviderWork(planned(name, registry.make_provider), tasks) for name in ("word2vec", "glove", "bert")]
    queue = JobQueue(work)
    fits = [queue.next(set()) for _ in range(2)]
    assert all(isinstance(fit, FitNext) for fit in fits)
    assert [fit.work.provider.spec for fit in fits] == ["bert", "word2vec"]
    assert [t.spec for t in fits[0].work.tasks] == ["bbc-clustering", "bbc-classification", "mr", "mc30"]  # long first
    assert [t.spec for t in fits[1].work.tasks] == ["mc30", "bbc-clustering", "bbc-classification", "mr"]  # all short
    queue.add_pairs(ProviderWork(work[2].provider, tasks), [f"bert {t.label}" for t in tasks])
    first = queue.next(set())  # long pairs
    assert isinstance(first, PairNext) and (first.key, first.job) == (
        ("bert", tasks[1].obj.embeds()),
        "bert bbc-clustering",
    )
    # before the last fit, the largest first; then not the texts being embedded
    assert queue.next({("bert", tasks[1].obj.embeds())}).job == "bert mr"
    assert queue.next({("bert", tasks[1].obj.embeds())}).work.provider.spec == "glove"  # the long pair waits
    assert [queue.next(set()).job for _ in range(2)] == ["bert bbc-classification", "bert mc30"]
    assert not queue
