"""Fill the (provider x task) grid: validate everything first, then run each pair into a result record."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embbench.api import Context, Provider, Task
from embbench.bootstrap import bootstrap_ci
from embbench.config import Spec, parse_spec
from embbench.datasets import default_cache_dir
from embbench.embedding_cache import CachingProvider
from embbench.errors import EmbbenchError, SkipTask
from embbench.plugins import Registry
from embbench.results import Record, existing_record, record_key, write_record

DEFAULT_RESULTS = Path("results")


class ConfigErrors(EmbbenchError):
    """Every problem found while checking a run's providers and tasks, reported together."""

    def __init__(self, errors: list[EmbbenchError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def label(spec: Spec) -> str:
    """``name`` or ``name(key=value, ...)`` from the options the user gave (paths shortened to file names)."""
    if not spec.options:
        return spec.name
    shown = [f"{k}={Path(str(v)).name if k == 'path' else v}" for k, v in sorted(spec.options.items())]
    return f"{spec.name}({', '.join(shown)})"


@dataclass
class Planned:
    """A built provider or task with its spec."""

    spec: Spec
    obj: Any

    @property
    def config(self) -> dict[str, Any]:
        return self.obj.options.model_dump(mode="json")


def _as_spec(value: str | Spec) -> Spec:
    return value if isinstance(value, Spec) else parse_spec(value)


def plan(
    registry: Registry, providers: Sequence[str | Spec], tasks: Sequence[str | Spec], context: Context
) -> tuple[list[Planned], list[Planned]]:
    """Build every provider and task and load every dataset; raise all problems at once."""
    errors: list[EmbbenchError] = []
    built: tuple[list[Planned], list[Planned]] = ([], [])
    for specs, make, out in ((providers, registry.make_provider, built[0]), (tasks, registry.make_task, built[1])):
        for value in specs:
            try:
                spec = _as_spec(value)
                obj = make(spec)
                if isinstance(obj, Task):
                    obj.load(context)
                out.append(Planned(spec, obj))
            except EmbbenchError as exc:
                errors.append(exc)
    if errors:
        raise ConfigErrors(errors)
    return built


def _versions(provider: Provider, task: Task) -> dict[str, str]:
    versions = {}
    for obj in (provider, task):
        plugin = getattr(obj, "plugin", None)
        if plugin is not None:
            versions[plugin.distribution] = plugin.version
    return versions


def _new_record(provider: Planned, task: Planned, **fields: Any) -> Record:
    from embbench import __version__

    return Record(
        key=record_key(provider.spec.name, provider.config, task.spec.name, task.config),
        provider=provider.spec.name,
        provider_label=label(provider.spec),
        provider_config=provider.config,
        task=task.spec.name,
        task_label=label(task.spec),
        task_config=task.config,
        main_score=task.obj.main_score,
        higher_is_better=task.obj.higher_is_better,
        dataset_sha256=task.obj.dataset_sha256(),
        embbench_version=__version__,
        plugin_versions=_versions(provider.obj, task.obj),
        **fields,
    )


def _error_text(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, EmbbenchError) else f"{type(exc).__name__}: {exc}"


def evaluate_pair(
    provider: Planned, task: Planned, raise_errors: bool = False, embeddings: CachingProvider | None = None
) -> Record:
    """Run one task on one fitted provider (through its embedding cache if given); an exception becomes an
    error record unless ``raise_errors``."""
    start = time.perf_counter()
    try:
        output = task.obj.evaluate(embeddings or provider.obj)
    except SkipTask as exc:
        return _new_record(provider, task, status="skipped", error=str(exc), seconds=time.perf_counter() - start)
    except Exception as exc:
        if raise_errors:
            raise
        return _new_record(
            provider, task, status="error", error=_error_text(exc), seconds=round(time.perf_counter() - start, 3),
            details={"traceback": traceback.format_exc(limit=-8)},
        )  # fmt: skip
    ci95 = bootstrap_ci(output.resample, output.n_resample) if output.resample else None
    return _new_record(
        provider,
        task,
        status="ok",
        ci95=ci95,
        scores=output.scores,
        coverage=output.coverage,
        n_items=output.n_items,
        n_scored=output.n_scored,
        seconds=round(time.perf_counter() - start, 3),
        provenance=provider.obj.provenance(),
        details=output.details,
    )


def split_done(
    provider: Planned, tasks: list[Planned], results_dir: Path, rerun: bool
) -> tuple[list[Record], list[Planned]]:
    """The finished records of this provider's pairs (none if ``rerun``) and the tasks it still has to run."""
    done, pending = [], []
    for task in tasks:
        record = None if rerun else existing_record(results_dir, _new_record(provider, task, status="ok"))
        if record is None:
            pending.append(task)
        else:
            done.append(record)
    return done, pending


def provider_records(
    provider: Planned,
    tasks: list[Planned],
    context: Context,
    *,
    raise_errors: bool = False,
    embedding_cache: bool = True,
) -> Iterator[Record]:
    """Fit the provider once and yield one record per task, as each finishes (error records if the fit fails)."""
    start = time.perf_counter()
    try:
        provider.obj.fit(context)
    except Exception as exc:
        if raise_errors:
            raise
        seconds = round(time.perf_counter() - start, 3)
        for task in tasks:
            yield _new_record(provider, task, status="error", error=f"provider failed: {_error_text(exc)}",
                              seconds=seconds)  # fmt: skip
        return
    cached = CachingProvider(provider.obj, context.cache_dir / "embeddings") if embedding_cache else None
    for task in tasks:
        yield evaluate_pair(provider, task, raise_errors, cached)


def run(
    providers: Sequence[str | Spec],
    tasks: Sequence[str | Spec],
    results_dir: Path | str = DEFAULT_RESULTS,
    *,
    rerun: bool = False,
    raise_errors: bool = False,
    registry: Registry | None = None,
    cache_dir: Path | None = None,
    on_record: Callable[[Record], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    embedding_cache: bool = True,
    jobs: int = 1,
    executor: str = "local",
    ray_address: str | None = None,
) -> list[Record]:
    """Run every provider on every task, writing one record per pair under ``results_dir``.

    Pairs with a finished record are skipped (and returned) unless ``rerun``. A provider that fails to load
    turns its pairs into error records; the rest of the grid still runs. Embeddings of the same texts are
    computed once per provider and shared by tasks and later runs (``embedding_cache``).

    ``jobs > 1`` runs providers in that many worker processes; ``executor="ray"`` runs each provider (with
    its tasks, which share its fitted state) as a Ray task on the cluster at ``ray_address`` (or a local one),
    with the provider's resource request, streaming each record back to be written here as it finishes.
    Which pairs are done is decided here, before anything is sent out. Records are the same whichever
    executor runs them.
    """
    registry = registry or Registry.load()
    context = Context(cache_dir or default_cache_dir(), registry)
    results_dir = Path(results_dir)
    planned_providers, planned_tasks = plan(registry, providers, tasks, context)
    if on_start:
        on_start(len(planned_providers) * len(planned_tasks))
    records: list[Record] = []

    def keep(record: Record, write: bool = True) -> None:
        if write:
            write_record(record, results_dir)
        records.append(record)
        if on_record:
            on_record(record)

    work = []
    for provider in planned_providers:
        done, pending = split_done(provider, planned_tasks, results_dir, rerun)
        for record in done:
            keep(record, write=False)
        if pending:
            work.append((provider, pending))
    options = {"raise_errors": raise_errors, "embedding_cache": embedding_cache}
    if jobs <= 1 and executor == "local":
        for provider, pending in work:
            for record in provider_records(provider, pending, context, **options):
                keep(record)
        return records
    from embbench.executors import run_distributed

    for record, written in run_distributed(work, results_dir, context.cache_dir, options, jobs=jobs,
                                           executor=executor, ray_address=ray_address):  # fmt: skip
        keep(record, write=not written)
    return records
