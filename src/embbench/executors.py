"""Running providers in parallel: local worker processes (``--jobs N``) or Ray tasks (``--executor ray``).

The unit of work is one provider with all its tasks, so a provider is fitted once and its tasks share it.
Workers rebuild the registry from installed plugins, run, write their records, and send them back.
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


def provider_job(
    provider: Spec, tasks: list[Spec], results_dir: str, cache_dir: str, options: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run one provider on every task in this process; returns the records as plain data."""
    from embbench.plugins import Registry
    from embbench.runner import plan, run_provider

    registry = Registry.load()
    context = Context(Path(cache_dir), registry)
    (planned,), planned_tasks = plan(registry, [provider], tasks, context)
    records: list[Record] = []
    run_provider(planned, planned_tasks, context, Path(results_dir),
                 lambda record, write: _keep(records, record, write, Path(results_dir)), **options)  # fmt: skip
    return [r.model_dump(mode="json") for r in records]


def _keep(records: list[Record], record: Record, write: bool, results_dir: Path) -> None:
    from embbench.results import write_record

    if write:
        write_record(record, results_dir)
    records.append(record)


def run_distributed(
    providers: list[Any],
    tasks: list[Spec],
    results_dir: Path,
    cache_dir: Path,
    options: dict[str, Any],
    *,
    jobs: int,
    executor: str,
    ray_address: str | None,
) -> Iterator[Record]:
    """Yield records as each provider's job finishes, from a local process pool or Ray."""
    arguments = [(p.spec, tasks, str(results_dir), str(cache_dir), options) for p in providers]
    if executor == "ray":
        yield from _ray(providers, arguments, ray_address)
        return
    if executor != "local":
        raise EmbbenchError(f"unknown executor '{executor}' (choose from: local, ray)", "--executor")
    context = multiprocessing.get_context("spawn")  # no fork: torch and BLAS threads do not survive it
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(provider_job, *args) for args in arguments]
        for future in concurrent.futures.as_completed(futures):
            yield from (Record.model_validate(r) for r in future.result())


def _ray(providers: list[Any], arguments: list[tuple], address: str | None) -> Iterator[Record]:
    try:
        import ray
    except ImportError:
        raise EmbbenchError("needs Ray installed (pip install embbench[ray])", "--executor ray") from None
    if not ray.is_initialized():
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    remote = ray.remote(provider_job)
    pending = [remote.options(**p.obj.resources()).remote(*args) for p, args in zip(providers, arguments, strict=True)]
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        yield from (Record.model_validate(r) for r in ray.get(done[0]))
