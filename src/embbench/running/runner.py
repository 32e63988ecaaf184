"""Fill the (provider x task) grid: plan and check everything, skip what is done, run the rest, save records."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embbench._util.files import cache_folder, check_writable_folder
from embbench.config import Spec, as_specs
from embbench.contract import Context
from embbench.errors import EmbbenchError, warn
from embbench.plugins import Registry
from embbench.records.record import Record, existing_record, save_record
from embbench.running import ExecutorName
from embbench.running.evaluation import FIT_NOTE, new_record
from embbench.running.executors import (
    Executor,
    LocalExecutor,
    ProcessExecutor,
    ProviderWork,
    RayExecutor,
    Work,
)
from embbench.running.planning import Planned, plan

DEFAULT_RESULTS = Path("results")


@dataclass
class RunOptions:
    """How a run goes: where records and caches live, what is redone, where it runs, and whom to tell."""

    results_dir: Path = DEFAULT_RESULTS
    cache_dir: Path | None = None
    rerun: bool = False
    """Run pairs that already have a finished record (a plain run redoes only stale and failed ones)."""
    raise_errors: bool = False
    embedding_cache: bool = True
    jobs: int = 1
    """Worker processes (``embbench run`` defaults to one per core); 1 runs everything in this process."""
    executor: ExecutorName | str = ExecutorName.local
    ray_address: str | None = None
    on_start: Callable[[int], None] | None = None
    """Called with the number of pairs once the run is planned."""
    on_record: Callable[[Record], None] | None = None
    """Called with each pair's record as it is kept (a finished one, or a new one)."""
    on_note: Callable[[str], None] | None = None
    """Told why a pair with an earlier record is run again (``stale: task version 2 -> 3``)."""
    on_failure: Callable[[Record, Record], None] | None = None
    """Told of a failure (first) that left a finished ``ok`` record (second) in place."""
    on_workers: Callable[[int], None] | None = None
    """Told how many worker processes run the pending pairs (0: this process; Ray's are its own)."""


def split_done(
    provider: Planned, tasks: list[Planned], results_dir: Path, rerun: bool
) -> tuple[list[Record], list[Planned], list[tuple[Planned, str]]]:
    """This provider's finished records that still hold (none if ``rerun``), the tasks it has to run, and why
    each of those with an earlier record is run again."""
    done, pending, reasons = [], [], []
    for task in tasks:
        record, reason = (
            (None, None) if rerun else existing_record(results_dir, new_record(provider, task, status="ok"))
        )
        if record is None:
            pending.append(task)
            if reason:
                reasons.append((task, reason))
        else:
            done.append(record)
    return done, pending, reasons


def report_warnings(record: Record, reported: set[str]) -> None:
    """The library warnings a new record caught, each as a WARNING line naming its pair (a fit's once per
    provider), so that none reaches the terminal raw or unexplained."""
    for text in record.details.get("warnings", []):
        fit = text.startswith(FIT_NOTE)
        line = f"{record.provider_label}: {text}" if fit else f"{record.provider_label} × {record.task_label}: {text}"
        if line not in reported:
            reported.add(line)
            warn(line)


def _folder_argument(value: object, name: str) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"{name}: expected a folder (a str or a Path), got {type(value).__name__} {value!r:.80}")
    return Path(value)


def _executor_name(options: RunOptions) -> ExecutorName:
    try:
        return ExecutorName(options.executor)
    except ValueError:
        choices = ", ".join(e.value for e in ExecutorName)
        raise EmbbenchError(f"unknown executor '{options.executor}' (choose from: {choices})", "--executor") from None


def _executor(name: ExecutorName, options: RunOptions, context: Context, pairs: int) -> Executor:
    """The executor that runs ``pairs`` pending pairs: a single pair runs here unless an executor is named."""
    settings = {"raise_errors": options.raise_errors, "embedding_cache": options.embedding_cache}
    if name is ExecutorName.ray:
        return RayExecutor(context, settings, options.ray_address)
    workers = max(min(options.jobs, pairs), 1)
    if name is ExecutorName.process or (options.jobs > 1 and pairs > 1):
        if options.on_workers:
            options.on_workers(workers)
        return ProcessExecutor(context, settings, Path(options.results_dir), workers)
    if options.on_workers:
        options.on_workers(0)
    return LocalExecutor(context, settings)


def run(
    providers: Sequence[str | Spec | dict[str, Any]],
    tasks: Sequence[str | Spec | dict[str, Any]],
    results_dir: Path | str | None = None,
    *,
    registry: Registry | None = None,
    options: RunOptions | None = None,
    **settings: Any,
) -> list[Record]:
    """Run every provider on every task, saving one record per pair (and its items) under the results folder.

    ``settings`` are ``RunOptions`` fields, for short calls (``run(p, t, "out", rerun=True)``). Everything is
    checked before anything runs: the arguments' types (a ``TypeError``), unknown names and options, missing files,
    folders that cannot be written, an unknown executor. Pairs with a
    record that still holds are kept; stale and failed ones are redone, each with its reason. A provider that
    fails to load turns its pairs into error records and the rest of the grid still runs; a failure never
    replaces a finished ``ok`` record. Records are the same whichever executor runs them.
    """
    return run_grids([(providers, tasks)], results_dir, registry=registry, options=options, **settings)


def run_grids(
    grids: Sequence[tuple[Sequence[str | Spec | dict[str, Any]], Sequence[str | Spec | dict[str, Any]]]],
    results_dir: Path | str | None = None,
    *,
    registry: Registry | None = None,
    options: RunOptions | None = None,
    **settings: Any,
) -> list[Record]:
    """``run`` of several (providers, tasks) grids at once, sharing one pool of workers: each provider runs only
    its own grid's tasks (``embbench reproduce`` reruns exactly the published pairs this way)."""
    options = options or RunOptions(**settings)
    if results_dir is not None:
        options.results_dir = results_dir
    specs = [(as_specs(providers, "providers"), as_specs(tasks, "tasks")) for providers, tasks in grids]
    results = options.results_dir = _folder_argument(options.results_dir, "results_dir")
    check_writable_folder(results, "results_dir")
    cache = cache_folder(None if options.cache_dir is None else _folder_argument(options.cache_dir, "cache_dir"),
                         "cache_dir")  # fmt: skip
    registry = registry or Registry.load()
    context = Context(cache, registry)
    executor = _executor_name(options)
    planned = [plan(registry, providers, tasks, context) for providers, tasks in specs]
    if options.on_start:
        options.on_start(sum(len(providers) * len(tasks) for providers, tasks in planned))
    records: list[Record] = []

    def keep(record: Record) -> None:
        records.append(record)
        if options.on_record:
            options.on_record(record)

    work: Work = []
    for planned_providers, planned_tasks in planned:
        for provider in planned_providers:
            done, pending, reasons = split_done(provider, planned_tasks, results, options.rerun)
            for record in done:
                keep(record.mark_reused())
            for task, reason in reasons:
                if options.on_note:
                    options.on_note(f"{provider.label} × {task.label}: {reason}")
            if pending:
                work.append(ProviderWork(provider, pending))
    pairs = sum(len(tasks) for _, tasks in work)
    reported: set[str] = set()
    for outcome in _executor(executor, options, context, pairs).run(work):
        report_warnings(outcome.record, reported)
        kept = outcome.kept if outcome.written else save_record(outcome.record, results, outcome.items)
        if kept is not None:
            kept.mark_reused()
            if options.on_failure:
                options.on_failure(outcome.record, kept)
        keep(kept or outcome.record)
    return records
