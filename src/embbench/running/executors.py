"""Where the grid runs: in this process, in local worker processes (``--jobs N``), or as Ray tasks.

In this process, a provider is fitted once and its tasks share it. In worker processes and on Ray, fitting a
provider is a job of its own, and so is each (provider, task) pair once its provider is fitted (a worker reloads
the provider from the cache, unless it holds it from its previous job): fits run side by side, and a grid with
one provider still uses every worker. Which pairs are done is decided by the driver before anything is sent out.
Workers rebuild the registry from installed plugins and share the machine's cores between them (BLAS, OpenMP and
torch threads). Local workers save their records themselves as each finishes (same machine, so an interrupted
run keeps them); Ray tasks are generators that stream each record back to the driver, which saves it into its
own results folder, so a multi-node cluster needs no shared file system.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from embbench.config import Spec
from embbench.contract import Context, Provider, Task
from embbench.errors import EmbbenchError
from embbench.plugins import Registry
from embbench.records.record import Record, save_record
from embbench.running.evaluation import (
    NO_FIT,
    Evaluated,
    FitDone,
    caught_warnings,
    error_record,
    fit_once,
    provider_records,
    with_shared_embeddings,
)
from embbench.running.planning import Planned, plan
from embbench.words import WordProvider


class ProviderWork(NamedTuple):
    """A provider with the tasks it still has to run."""

    provider: Planned[Provider]
    tasks: list[Planned[Task]]


Work = list[ProviderWork]


class TaskRef(NamedTuple):
    """A task as a worker rebuilds it: its spec, and the driver's label for it."""

    spec: Spec
    label: str


class PairJob(NamedTuple):
    """What a worker needs to run a provider's pairs: the arguments of ``provider_job``, in its order (Ray passes
    the last, the fit's outcome, once the fit job has finished)."""

    provider: Spec
    label: str
    tasks: list[TaskRef]
    cache_dir: str
    settings: dict[str, Any]
    task_dirs: tuple[str, ...]
    fit: FitDone


class PairNext(NamedTuple):
    """A pair job whose provider is fitted: what it embeds (its key), the job, and the pair it runs."""

    key: tuple[str, str | None]
    job: PairJob
    provider: Planned[Provider]
    task: Planned[Task]


class ReadyPair(NamedTuple):
    """A pair job ready to run, and its data size when it is one of the longest."""

    long_bytes: int
    pair: PairNext


class FitNext(NamedTuple):
    """A provider's fit job."""

    work: ProviderWork


class Executor(Protocol):
    """Runs the pending work and yields every pair's outcome as it finishes."""

    def run(self, work: Work) -> Iterator[Evaluated]: ...


_FITTED: dict[str, Provider] = {}  # this worker process's provider from its previous job, by identity


def provider_job(
    provider: Spec, label: str, tasks: list[TaskRef], cache_dir: str, settings: dict[str, Any],
    task_dirs: tuple[str, ...] = (), fit: FitDone = NO_FIT,
) -> Iterator[tuple[dict[str, Any], Any]]:  # fmt: skip
    """Load one fitted provider in this process and yield each task's (record as plain data, items) as it
    finishes; ``fit`` (its fit in another job of this run) is counted in the records' fit time and warnings."""
    registry = Registry.load(task_dirs=task_dirs)
    context = Context(Path(cache_dir), registry)
    (planned,), planned_tasks = plan(registry, [provider], [spec for spec, _ in tasks], context)
    planned.label = label
    for task, (_, task_label) in zip(planned_tasks, tasks, strict=True):
        task.label = task_label  # the driver's labels, which tell apart configurations this worker does not see
    for outcome in provider_records(planned, planned_tasks, context, fit=fit, fitted=_FITTED,
                                    **settings):  # fmt: skip
        yield outcome.record.model_dump(mode="json"), outcome.items


def fit_job(provider: Spec, cache_dir: str, task_dirs: tuple[str, ...] = (), embedding_cache: bool = True) -> FitDone:
    """Fit one provider into the cache: its seconds and warnings (a provider that fails here fails again in the
    job of each of its pairs, which records the error per pair)."""
    registry = Registry.load(task_dirs=task_dirs)
    context = Context(Path(cache_dir), registry)
    context = with_shared_embeddings(context) if embedding_cache else context
    with caught_warnings() as caught:
        try:
            (planned,), _ = plan(registry, [provider], [], context)
            start = time.perf_counter()
            fit_once(planned, context, _FITTED)  # kept for this worker's next job, often one of the provider's pairs
        except (Exception, SystemExit):
            return NO_FIT
    return FitDone(time.perf_counter() - start, tuple(caught))


def pair_jobs(work: ProviderWork, context: Context, settings: dict[str, Any], fit: FitDone) -> list[PairJob]:
    """One job per (provider, task) pair, so a grid with a single provider still uses every worker."""
    task_dirs = context.registry.task_dirs if context.registry else ()
    return [PairJob(work.provider.spec, work.provider.label, [TaskRef(t.spec, t.label)], str(context.cache_dir),
                    settings, task_dirs, fit) for t in work.tasks]  # fmt: skip


def start_worker(workers: int) -> None:
    """Set up a worker process: Ctrl-C is the driver's to handle (it stops the workers; an idle worker would
    otherwise print a traceback), and its share of the cores."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    share_cores(workers)
    _thread_lock_for_progress_bars()


def _thread_lock_for_progress_bars() -> None:
    """tqdm (the progress bars of sentence-transformers and others) guards its output with a multiprocessing lock:
    a named semaphore, which a worker stopped by the driver cannot release, and multiprocessing's resource tracker
    then reports as leaked on the user's terminal. A worker's bars are never shown, so a thread lock serves."""
    try:
        import tqdm
    except ImportError:
        return
    tqdm.tqdm.set_lock(threading.RLock())


def share_cores(workers: int) -> None:
    """Give this worker process its share of the cores for BLAS, OpenMP and torch, so that ``workers`` processes
    side by side do not oversubscribe the machine."""
    from threadpoolctl import threadpool_limits

    threads = max(1, (os.cpu_count() or 1) // workers)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[variable] = str(threads)  # read by libraries loaded later in this process (torch, numba)
    threadpool_limits(limits=threads)  # and applied to those already loaded


class LocalExecutor:
    """Every provider in this process, one after another."""

    def __init__(self, context: Context, settings: dict[str, Any]) -> None:
        self.context, self.settings = context, settings

    def run(self, work: Work) -> Iterator[Evaluated]:
        for provider, tasks in work:
            yield from provider_records(provider, tasks, self.context, **self.settings)


def _saving_job(results_dir: str, job: PairJob) -> list[Evaluated]:
    """A worker process's job: save each record as it finishes (an interrupted run keeps it)."""
    saved = []
    for data, items in provider_job(*job):
        record = Record.model_validate(data)
        kept = save_record(record, Path(results_dir), items)
        saved.append(Evaluated(record, written=True, kept=kept))
    return saved


LONG_DATA_BYTES = 1 << 20  # about 10,000 sentences: minutes of a transformer on a CPU core


def long_job_bytes(provider: Planned[Provider], task: Planned[Task]) -> int:
    """The size of the task's data when the pair is one of a run's longest jobs, else 0: a provider that runs a
    model over every text (not a static vocabulary, such as a transformer) on a large file of sentences or
    documents."""
    if isinstance(provider.obj, WordProvider):
        return 0
    size = task.obj.data_bytes()
    return size if size >= LONG_DATA_BYTES else 0


def in_start_order(work: Work) -> Work:
    """The providers that run a model over texts first (their fits load a model, and their longest pairs should
    start early rather than trail the run), and each provider's tasks longest first (largest data file first)."""
    return [ProviderWork(item.provider, sorted(item.tasks, key=lambda task: -long_job_bytes(item.provider, task)))
            for item in sorted(work, key=lambda item: isinstance(item.provider.obj, WordProvider))]  # fmt: skip


class JobQueue:
    """The order in which the process executor hands out jobs: the longest pairs first, largest data first (those
    that run a model over every text of a large file, so that they start as soon as their provider is fitted and
    do not trail the run), then fits (they unlock pairs; model providers, whose fits load a model, before trained
    ones), then the other pairs, in order. Two pairs of one provider that embed the same texts (``Task.embeds``)
    are not run at once when another job is waiting: one would compute the texts, the other would wait for them."""

    def __init__(self, work: Work) -> None:
        self.unfitted = in_start_order(work)
        self.ready: list[ReadyPair] = []
        self.suspects: list[FitNext | PairNext] = []
        """Jobs that were running when a worker died: each runs again alone, so a death names its job."""

    def __bool__(self) -> bool:
        return bool(self.unfitted or self.ready or self.suspects)

    def add_pairs(self, work: ProviderWork, jobs: list[PairJob]) -> None:
        """The pair jobs of a provider that has just been fitted."""
        self.ready += [
            ReadyPair(long_job_bytes(work.provider, task),
                      PairNext((work.provider.label, task.obj.embeds()), job, work.provider, task))
            for task, job in zip(work.tasks, jobs, strict=True)
        ]  # fmt: skip

    def next(self, busy: set[tuple[str, str | None]]) -> FitNext | PairNext:
        """The next job to hand out, given the keys of the pairs running now (the driver asks while a suspect
        waits only when nothing else runs)."""
        if self.suspects:
            return self.suspects.pop(0)
        free = [i for i, ready in enumerate(self.ready) if ready.pair.key not in busy]
        long = sorted((i for i in free if self.ready[i].long_bytes), key=lambda i: -self.ready[i].long_bytes)
        if long or not self.unfitted:
            return self.ready.pop((long or free or [0])[0]).pair
        return FitNext(self.unfitted.pop(0))


class ProcessExecutor:
    """Worker processes (spawned: torch and BLAS threads do not survive fork), ``jobs`` at a time: every provider's
    fit is a job, and each of its pairs is a job as soon as it is fitted; the driver hands out one job per free
    worker in the order of a ``JobQueue``.

    A worker that dies (killed, or a plugin calling ``os._exit``) breaks the pool: the pool is rebuilt and the rest
    of the grid runs. The jobs that were running then run again one at a time, so the one that dies alone is
    known, and its pairs become error records that say how the worker died."""

    def __init__(self, context: Context, settings: dict[str, Any], results_dir: Path, jobs: int) -> None:
        self.context, self.settings, self.results_dir, self.jobs = context, settings, results_dir, jobs

    def run(self, work: Work) -> Iterator[Evaluated]:
        spawn = multiprocessing.get_context("spawn")
        queue = JobQueue(work)
        while queue:
            lost: list[FitNext | PairNext] = []
            workers: dict[int, multiprocessing.process.BaseProcess] = {}
            with concurrent.futures.ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=spawn, initializer=start_worker, initargs=(self.jobs,)
            ) as pool:
                try:
                    yield from self._drive(pool, queue, lost, workers)
                except BaseException:
                    # Ctrl-C, or the caller stopped early: the workers are stopped now, through the pool's private
                    # process table (Python before 3.14 has no public terminate_workers). A record is saved only
                    # when its pair has finished, so nothing half-done is kept.
                    for process in list(pool._processes.values()):
                        process.terminate()
                    raise
            if len(lost) > 1:
                queue.suspects += lost
            elif lost:  # it ran alone: its death is its own (the pool has reaped every worker by now)
                yield from died_records(lost[0], how_died(workers.values()))

    def _drive(
        self, pool: concurrent.futures.ProcessPoolExecutor, queue: JobQueue, lost: list[FitNext | PairNext],
        workers: dict[int, multiprocessing.process.BaseProcess],
    ) -> Iterator[Evaluated]:  # fmt: skip
        """Hand out jobs until every one has finished, yielding each pair's records as they come back; when a
        worker dies, the jobs that were running go into ``lost`` and this pool's work ends."""
        running: dict[concurrent.futures.Future, FitNext | PairNext] = {}
        cache, task_dirs = str(self.context.cache_dir), self.context.registry.task_dirs if self.context.registry else ()
        embedding_cache = self.settings.get("embedding_cache", True)
        alone = False  # a suspect is running, and nothing beside it
        while queue or running:
            while len(running) < self.jobs and queue and not alone and not (queue.suspects and running):
                alone = bool(queue.suspects)
                chosen = queue.next({job.key for job in running.values() if isinstance(job, PairNext)})
                if isinstance(chosen, FitNext):
                    future = pool.submit(fit_job, chosen.work.provider.spec, cache, task_dirs, embedding_cache)
                else:
                    future = pool.submit(_saving_job, str(self.results_dir), chosen.job)
                running[future] = chosen
                workers.update(pool._processes)  # their exit codes say how a worker died
            done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            if any(isinstance(future.exception(), BrokenProcessPool) for future in done):
                concurrent.futures.wait(running)  # the pool fails every job it held at once
                done = set(running)
            for future in done:
                job = running.pop(future)
                if isinstance(future.exception(), BrokenProcessPool):
                    lost.append(job)
                elif isinstance(job, PairNext):
                    yield from future.result()
                else:
                    queue.add_pairs(job.work, pair_jobs(job.work, self.context, self.settings, future.result()))
            if lost:
                return
            alone = alone and bool(running)


def how_died(workers: Iterable[multiprocessing.process.BaseProcess]) -> str:
    """How a pool's worker died, from the exit codes of its processes (the pool itself stops the others with
    SIGTERM)."""
    codes = [p.exitcode for p in workers if p.exitcode not in (None, 0)]
    code = next((c for c in codes if c != -signal.SIGTERM), codes[0] if codes else None)
    if code is None:
        return "worker process died"
    if code < 0:
        return f"worker process died: signal {-code} ({signal.Signals(-code).name})"
    return f"worker process died: exit code {code}"


def died_records(job: FitNext | PairNext, how: str) -> Iterator[Evaluated]:
    """Error records for the pairs of a job whose worker died: the pair, or every pair of a provider's fit."""
    if isinstance(job, PairNext):
        yield error_record(job.provider, job.task, how)
        return
    for task in job.work.tasks:
        yield error_record(job.work.provider, task, f"provider failed: {how} while fitting it")


class RayExecutor:
    """A Ray task per provider fit and per pair, with the resources the provider asks for, on the cluster at
    ``address``; submitted in start order (Ray runs ready tasks roughly in the order they came)."""

    def __init__(self, context: Context, settings: dict[str, Any], address: str | None) -> None:
        self.context, self.settings, self.address = context, settings, address

    def run(self, work: Work) -> Iterator[Evaluated]:
        try:
            import ray
        except ImportError:
            raise EmbbenchError("needs Ray installed (pip install embbench[ray])", "--executor ray") from None
        if not ray.is_initialized():
            ray.init(address=self.address, ignore_reinit_error=True, log_to_driver=False)
        fit, pair = ray.remote(fit_job), ray.remote(provider_job)  # pair: a generator, streamed back record by record
        streams, pairs = [], {}
        task_dirs = self.context.registry.task_dirs if self.context.registry else ()
        for item in in_start_order(work):
            need = item.provider.obj.resources()
            fitted = fit.options(**need).remote(
                item.provider.spec, str(self.context.cache_dir), task_dirs, self.settings.get("embedding_cache", True)
            )
            # each pair job waits for its provider's fit: Ray passes it the fit's outcome once that has finished
            for task, job in zip(item.tasks, pair_jobs(item, self.context, self.settings, NO_FIT), strict=True):
                streams.append(pair.options(**need).remote(*job[:-1], fitted))
                pairs[streams[-1]] = (item.provider, task)
        while streams:
            (ready,), streams = ray.wait(streams, num_returns=1)
            try:
                data, items = ray.get(next(ready))
            except StopIteration:
                continue
            except ray.exceptions.RayError as exc:  # its worker died (or Ray lost it): this pair fails, the rest run
                provider, task = pairs[ready]
                how = f"worker process died: {str(exc).strip().splitlines()[0]}"
                yield error_record(provider, task, how)
                continue
            streams.append(ready)
            yield Evaluated(Record.model_validate(data), items)
