"""Where the grid runs: in this process, in local worker processes (``--jobs N``), or as Ray tasks.

In this process, a provider is fitted once and its tasks share it. In worker processes and on Ray, each (provider,
task) pair is its own job, so a grid with one provider still uses every worker: the driver fits each provider
first (into the cache), and each worker reloads it from there. Which pairs are done is decided by the driver
before anything is sent out. Workers rebuild the
registry from installed plugins. Local workers save their records themselves as each finishes (same machine,
so an interrupted run keeps them); Ray tasks are generators that stream each record back to the driver, which
saves it into its own results folder, so a multi-node cluster needs no shared file system.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from embbench.api import Context
from embbench.config import Spec
from embbench.errors import EmbbenchError
from embbench.evaluation import Evaluated, Planned, plan, provider_records
from embbench.plugins import Registry
from embbench.results import Record, save_record

Work = list[tuple[Planned, list[Planned]]]  # each provider with the tasks it still has to run
Job = tuple[Spec, str, list[tuple[Spec, str]], str, dict[str, Any]]  # provider, label, tasks, cache, settings


class ExecutorName(StrEnum):
    """The executors ``--executor`` chooses from."""

    local = "local"
    process = "process"
    ray = "ray"


class Executor(Protocol):
    """Runs the pending work and yields every pair's outcome as it finishes."""

    def run(self, work: Work) -> Iterator[Evaluated]: ...


def provider_job(
    provider: Spec, label: str, tasks: list[tuple[Spec, str]], cache_dir: str, settings: dict[str, Any]
) -> Iterator[tuple[dict[str, Any], Any]]:
    """Fit one provider in this process and yield each task's (record as plain data, items) as it finishes."""
    registry = Registry.load()
    context = Context(Path(cache_dir), registry)
    (planned,), planned_tasks = plan(registry, [provider], [spec for spec, _ in tasks], context)
    planned.label = label
    for task, (_, task_label) in zip(planned_tasks, tasks, strict=True):
        task.label = task_label  # the driver's labels, which tell apart configurations this worker does not see
    for outcome in provider_records(planned, planned_tasks, context, **settings):
        yield outcome.record.model_dump(mode="json"), outcome.items


def _jobs(work: Work, cache_dir: Path, settings: dict[str, Any]) -> list[Job]:
    """One job per (provider, task) pair, so a grid with a single provider still uses every worker."""
    return [(p.spec, p.label, [(t.spec, t.label)], str(cache_dir), settings) for p, tasks in work for t in tasks]


def _fit_first(work: Work, context: Context) -> None:
    """Fit each provider once here, so that workers find it in the cache instead of each fitting it again (a
    provider that fails here fails again in every worker, which reports it per pair)."""
    for provider, _ in work:
        try:
            provider.obj.fit(context)
        except Exception:  # each worker meets the same failure and records it for its pair
            continue


class LocalExecutor:
    """Every provider in this process, one after another."""

    def __init__(self, context: Context, settings: dict[str, Any]) -> None:
        self.context, self.settings = context, settings

    def run(self, work: Work) -> Iterator[Evaluated]:
        for provider, tasks in work:
            yield from provider_records(provider, tasks, self.context, **self.settings)


def _saving_job(results_dir: str, *job: Any) -> list[Evaluated]:
    """A worker process's job: save each record as it finishes (an interrupted run keeps it)."""
    saved = []
    for data, items in provider_job(*job):
        record = Record.model_validate(data)
        kept = save_record(record, Path(results_dir), items)
        saved.append(Evaluated(record, written=True, kept=kept))
    return saved


class ProcessExecutor:
    """``jobs`` providers at once, each in a worker process (spawned: torch and BLAS threads do not survive fork)."""

    def __init__(self, context: Context, settings: dict[str, Any], results_dir: Path, jobs: int) -> None:
        self.context, self.settings, self.results_dir, self.jobs = context, settings, results_dir, jobs

    def run(self, work: Work) -> Iterator[Evaluated]:
        _fit_first(work, self.context)
        spawn = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=self.jobs, mp_context=spawn) as pool:
            futures = [pool.submit(_saving_job, str(self.results_dir), *job)
                       for job in _jobs(work, self.context.cache_dir, self.settings)]  # fmt: skip
            for future in concurrent.futures.as_completed(futures):
                yield from future.result()


class RayExecutor:
    """One Ray task per provider, with the resources the provider asks for, on the cluster at ``address``."""

    def __init__(self, context: Context, settings: dict[str, Any], address: str | None) -> None:
        self.context, self.settings, self.address = context, settings, address

    def run(self, work: Work) -> Iterator[Evaluated]:
        try:
            import ray
        except ImportError:
            raise EmbbenchError("needs Ray installed (pip install embbench[ray])", "--executor ray") from None
        if not ray.is_initialized():
            ray.init(address=self.address, ignore_reinit_error=True, log_to_driver=False)
        _fit_first(work, self.context)
        remote = ray.remote(provider_job)  # a generator: Ray streams each yielded record back as it is made
        needs = [provider.obj.resources() for provider, tasks in work for _ in tasks]
        jobs = _jobs(work, self.context.cache_dir, self.settings)
        streams = [remote.options(**need).remote(*job) for need, job in zip(needs, jobs, strict=True)]
        while streams:
            (ready,), streams = ray.wait(streams, num_returns=1)
            try:
                ref = next(ready)
            except StopIteration:
                continue
            streams.append(ready)
            data, items = ray.get(ref)
            yield Evaluated(Record.model_validate(data), items)
