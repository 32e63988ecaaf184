"""Running providers in parallel: local worker processes (``--jobs N``) or Ray tasks (``--executor ray``).

The unit of work is one provider with the tasks it still has to run, so a provider is fitted once and its
tasks share it. Workers rebuild the registry from installed plugins. Local workers write their records
themselves as each finishes (same machine); Ray tasks are generators that stream each record back to the
driver, which writes it into its own results folder, so a multi-node cluster needs no shared file system.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from embbench.api import Context
from embbench.config import Spec
from embbench.errors import EmbbenchError
from embbench.results import Record

Job = tuple[Spec, list[Spec], str, dict[str, Any]]  # provider, its pending tasks, cache folder, run options


def provider_job(provider: Spec, tasks: list[Spec], cache_dir: str, options: dict[str, Any]) -> Iterator[dict]:
    """Fit one provider in this process and yield each task's record, as plain data, as it finishes."""
    from embbench.plugins import Registry
    from embbench.runner import plan, provider_records

    registry = Registry.load()
    context = Context(Path(cache_dir), registry)
    (planned,), planned_tasks = plan(registry, [provider], tasks, context)
    for record in provider_records(planned, planned_tasks, context, **options):
        yield record.model_dump(mode="json")


def writing_job(results_dir: str, *job: Any) -> list[Record]:
    """A local worker's job: write each record as it finishes (an interrupted run keeps it), return them all."""
    from embbench.results import write_record

    records = []
    for data in provider_job(*job):
        records.append(Record.model_validate(data))
        write_record(records[-1], Path(results_dir))
    return records


def run_distributed(
    work: list[tuple[Any, list[Any]]],
    results_dir: Path,
    cache_dir: Path,
    options: dict[str, Any],
    *,
    jobs: int,
    executor: str,
    ray_address: str | None,
) -> Iterator[tuple[Record, bool]]:
    """Yield (record, already written) for every pending pair of ``work`` (planned provider, pending tasks)."""
    arguments: list[Job] = [(p.spec, [t.spec for t in tasks], str(cache_dir), options) for p, tasks in work]
    if executor == "ray":
        resources = [provider.obj.resources() for provider, _ in work]
        yield from ((record, False) for record in _ray(arguments, resources, ray_address))
        return
    if executor != "local":
        raise EmbbenchError(f"unknown executor '{executor}' (choose from: local, ray)", "--executor")
    context = multiprocessing.get_context("spawn")  # no fork: torch and BLAS threads do not survive it
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(writing_job, str(results_dir), *job) for job in arguments]
        for future in concurrent.futures.as_completed(futures):
            yield from ((record, True) for record in future.result())


def _ray(arguments: list[Job], resources: list[dict[str, Any]], address: str | None) -> Iterator[Record]:
    try:
        import ray
    except ImportError:
        raise EmbbenchError("needs Ray installed (pip install embbench[ray])", "--executor ray") from None
    if not ray.is_initialized():
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    remote = ray.remote(provider_job)  # a generator: Ray streams each yielded record back as it is made
    streams = [remote.options(**needs).remote(*job) for needs, job in zip(resources, arguments, strict=True)]
    while streams:
        (ready,), streams = ray.wait(streams, num_returns=1)
        try:
            ref = next(ready)
        except StopIteration:
            continue
        streams.append(ready)
        yield Record.model_validate(ray.get(ref))
