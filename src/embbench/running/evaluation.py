"""Evaluating the grid: one pair into a record with its per-item outputs, and one provider fitted once to yield the
records of its tasks."""

from __future__ import annotations

import contextlib
import math
import time
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np

from embbench.config import Spec
from embbench.contract import NODE, TEXT, Context, Items, Provider, Task, TaskOutput
from embbench.contract.items import KIND_NAMES
from embbench.errors import EmbbenchError, SkipTask
from embbench.records import TOLERANCE
from embbench.records.environment import environment
from embbench.records.items import scored_rows, take
from embbench.records.record import SCHEMA_VERSION, Record, record_key
from embbench.running.embedding_cache import CachingProvider
from embbench.running.planning import Planned
from embbench.stats.bootstrap import vectorised_ci

Z95 = 1.959964


@dataclass
class Evaluated:
    """One pair's record and the per-item outputs that go beside it."""

    record: Record
    items: Items | None = None
    written: bool = False
    """Already saved into the results folder (by a local worker process)."""
    kept: Record | None = None
    """The finished ``ok`` record kept in place of this failure."""


def _plugin_versions(provider: Provider, task: Task) -> dict[str, str]:
    return {obj.plugin.distribution: obj.plugin.version for obj in (provider, task) if obj.plugin is not None}


def new_record(provider: Planned, task: Planned, **fields: Any) -> Record:
    """A record of this pair, with its identity (versions, inputs, dataset) filled in."""
    from embbench import __version__

    return Record(
        key=record_key(provider.spec.name, provider.config, task.spec.name, task.config),
        schema_version=SCHEMA_VERSION,
        provider=provider.spec.name,
        provider_label=provider.label,
        provider_config=provider.config,
        provider_version=type(provider.obj).version,
        provider_inputs=provider.inputs,
        task=task.spec.name,
        task_label=task.label,
        task_type=type(task.obj).name,
        task_config=task.config,
        task_version=type(task.obj).version,
        family=task.obj.family,
        main_score=task.obj.main_score,
        higher_is_better=task.obj.higher_is_better,
        dataset_sha256=task.obj.dataset_sha256(),
        embbench_version=__version__,
        plugin_versions=_plugin_versions(provider.obj, task.obj),
        **fields,
    )


def error_record(provider: Planned, task: Planned, error: str, **fields: Any) -> Evaluated:
    """An error record of this pair, with the environment it failed in."""
    return Evaluated(new_record(provider, task, status="error", error=error, environment=environment(), **fields))


def error_text(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, EmbbenchError) else f"{type(exc).__name__}: {exc}"


def interval(task: Task, output: TaskOutput) -> list[float] | None:
    """Bootstrap 95% interval of the main score over the scored items, recomputed by ``task.score_items``, each
    side widened (in quadrature) by the spread over random starts when the task has one."""
    if output.items is None or not task.scores_items():
        return None
    scored = take(output.items, scored_rows(output.items))
    ci = vectorised_ci(lambda chunk: task.score_resamples(scored, chunk), len(scored["id"]))
    main = output.scores.get(task.main_score)
    if ci is None or not output.seed_error or main is None:
        return ci
    extra = (Z95 * output.seed_error) ** 2
    return [main - float(np.sqrt((main - ci[0]) ** 2 + extra)), main + float(np.sqrt((ci[1] - main) ** 2 + extra))]


def tolerance(output: TaskOutput) -> float:
    """How far a rerun elsewhere may differ and still reproduce: float-level drift, or three standard errors of
    the difference of two means over random starts."""
    return max(TOLERANCE, 3 * float(np.sqrt(2)) * output.seed_error)


class FitDone(NamedTuple):
    """A provider's fit in another job of this run: its seconds, and the library warnings it raised."""

    seconds: float = 0.0
    warnings: tuple[str, ...] = ()

    def notes(self) -> list[str]:
        """Its warnings as a record's ``details["warnings"]`` hold them."""
        return [f"{FIT_NOTE}{text}" for text in self.warnings]


FIT_NOTE = "while fitting the provider: "
NO_FIT = FitDone()
"""No fit elsewhere: the provider is fitted (or loaded) in the job that runs its pairs."""


@contextlib.contextmanager
def caught_warnings() -> Iterator[list[str]]:
    """Collect the warnings libraries raise inside (numpy's overflow, scikit-learn's ConvergenceWarning), each
    distinct one once as ``Category: message``, into the list yielded (filled when the block ends), instead of
    letting them reach the terminal raw: records keep them, and the runner reports them naming the pair."""
    texts: list[str] = []
    with warnings.catch_warnings(record=True) as raw:
        warnings.simplefilter("always", RuntimeWarning)
        warnings.simplefilter("always", UserWarning)
        yield texts
    texts += dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in raw)


def unfit(provider: Provider, task: Task) -> str | None:
    """Why the provider cannot embed the task's items (a skipped record's reason), or None when it can: it embeds
    their kind, or they are graph nodes with names and it embeds text."""
    kind = task.item_kind
    if kind in provider.item_kinds or (kind == NODE and TEXT in provider.item_kinds and task.items_have_names()):
        return None
    embeds = " and ".join(KIND_NAMES.get(k, k) for k in sorted(provider.item_kinds))
    unnamed = " without names" if kind == NODE and TEXT in provider.item_kinds else ""
    return (
        f"provider '{provider.registered_name}' embeds {embeds}; task '{task.registered_name}' embeds"
        f" {KIND_NAMES.get(kind, kind)}{unnamed}"
    )


class TaskFits:
    """A provider that learns from each task's own data (``Provider.learns_from_task``), fitted once per distinct
    training data (by its sha256) for the tasks of this job, each fit behind an embedding cache folder of its own
    under the provider's."""

    def __init__(self, provider: Planned, context: Context, embedding_cache: bool) -> None:
        self.provider, self.context = provider, context
        self.folder = context.cache_dir / "embeddings" / provider.identity if embedding_cache else None
        self.fits: dict[str, tuple[CachingProvider, dict[str, Any]]] = {}

    def for_task(self, task: Task) -> tuple[CachingProvider, dict[str, Any], float]:
        """The provider fitted on the task's training data (behind its cache), what that was, and the seconds
        this fit took (0 when another task of the job already fitted it)."""
        data = task.training_data()
        if data is None:
            raise SkipTask(f"provider '{self.provider.obj.registered_name}' learns from a task's training data, and"
                           f" task '{task.registered_name}' has none")  # fmt: skip
        if data.sha256 in self.fits:
            return (*self.fits[data.sha256], 0.0)
        start = time.perf_counter()
        fitted = self.provider.obj.fitted_on(data, self.context)
        folder = self.folder / f"trained-{data.sha256[:32]}" if self.folder is not None else None
        self.fits[data.sha256] = (CachingProvider(fitted, folder), data.provenance())
        return (*self.fits[data.sha256], time.perf_counter() - start)


def evaluate_pair(provider: Planned, task: Planned, embeddings: CachingProvider, fits: TaskFits,
                  fit: FitDone = NO_FIT, raise_errors: bool = False) -> Evaluated:  # fmt: skip
    """Run one task on one fitted provider (see ``_evaluated``); the warnings raised by the provider's fit and by
    the pair go into the record's ``details["warnings"]``."""
    with caught_warnings() as caught:
        evaluated = _evaluated(provider, task, embeddings, fits, fit.seconds, raise_errors)
    notes = [*fit.notes(), *caught]
    if notes:
        evaluated.record.details["warnings"] = notes
    return evaluated


def _evaluated(provider: Planned, task: Planned, embeddings: CachingProvider, fits: TaskFits, fit_seconds: float,
               raise_errors: bool) -> Evaluated:  # fmt: skip
    """Run one task on one fitted provider (through ``embeddings``, which caches and times its embeddings; for a
    provider that learns from the task's data, through its fit on that data from ``fits``); an exception becomes
    an error record unless ``raise_errors``, and a provider that cannot embed the task's items a skipped record.
    Every record carries its phase timings: the provider's fit in this run, embedding, scoring (the task's own
    work) and the interval."""
    start = time.perf_counter()
    reason, fit_error, trained_on = unfit(provider.obj, task.obj), None, None
    if reason is None and provider.obj.learns_from_task:
        try:
            embeddings, trained_on, seconds = fits.for_task(task.obj)
            fit_seconds += seconds
        except SkipTask as exc:
            reason = str(exc)
        except (Exception, SystemExit) as exc:
            if raise_errors:
                raise
            fit_error = f"provider failed: {error_text(exc)} (while fitting it on the task's training data)"
    embedded_before = embeddings.seconds
    texts_before, texts_seconds_before = embeddings.texts_embedded, embeddings.texts_seconds

    def embedded() -> dict[str, float]:
        """The texts the provider embedded for this pair (not from the cache) and their seconds."""
        texts = embeddings.texts_embedded - texts_before
        seconds = round(embeddings.texts_seconds - texts_seconds_before, 3)
        return {"texts": texts, "seconds": seconds} if texts else {}

    def timings(interval_seconds: float = 0.0) -> dict[str, float]:
        total = time.perf_counter() - start
        embed = embeddings.seconds - embedded_before
        phases = {"fit": fit_seconds, "embed": embed, "score": total - embed - interval_seconds,
                  "interval": interval_seconds}  # fmt: skip
        return {name: round(value, 3) for name, value in phases.items()}

    def skipped(reason: str, n_items: int | None = None, n_scored: int | None = None) -> Evaluated:
        seconds = round(time.perf_counter() - start, 3)
        coverage = n_scored / n_items if n_items and n_scored is not None else None
        return Evaluated(new_record(provider, task, status="skipped", error=reason, timings=timings(),
                                    embedded=embedded(), n_items=n_items, n_scored=n_scored, coverage=coverage,
                                    seconds=seconds, environment=environment()))  # fmt: skip

    def failed(error: str, details: dict[str, Any] | None = None) -> Evaluated:
        return error_record(provider, task, error, seconds=round(time.perf_counter() - start, 3),
                            details=details or {}, timings=timings())  # fmt: skip

    if reason is not None:
        return skipped(reason)
    if fit_error is not None:
        return failed(fit_error)
    try:
        output = task.obj.evaluate(embeddings)  # type: ignore[arg-type]  # the cache stands in for the provider
    except SkipTask as exc:
        return skipped(str(exc), exc.n_items, exc.n_scored)
    except (Exception, SystemExit) as exc:  # a plugin calling sys.exit() fails only its own pairs
        if raise_errors:
            raise
        return failed(error_text(exc), {"traceback": traceback.format_exc(limit=-8)})
    main = task.obj.main_score
    value = output.scores.get(main) if main else None
    if main and value is None:  # an ok record always has its number
        return skipped(f"the task gave no value for its main score '{main}'", output.n_items, output.n_scored)
    if main and not (isinstance(value, int | float) and math.isfinite(value)):
        return failed(f"the task's main score '{main}' is {value!r}, not a finite number")
    interval_start = time.perf_counter()
    ci95 = interval(task.obj, output)
    phases = timings(time.perf_counter() - interval_start)
    return Evaluated(
        new_record(
            provider, task, status="ok", ci95=ci95, scores=output.scores, tolerance=tolerance(output),
            coverage=output.coverage, n_items=output.n_items, n_scored=output.n_scored,
            seconds=round(time.perf_counter() - start, 3), timings=phases, embedded=embedded(),
            provenance={**embeddings.provenance(), **({"trained_on": trained_on} if trained_on else {})},
            details=output.details, environment=environment(),
        ),
        output.items,
    )  # fmt: skip


def with_shared_embeddings(context: Context) -> Context:
    """``context`` whose ``make_provider(spec, shared_embeddings=True)`` puts the fitted provider behind the
    embedding cache folder of its own identity, the folder its own records use."""

    def share(spec: Spec, provider: Provider) -> Provider:
        planned = Planned(spec, provider, inputs=provider.inputs(context))
        return CachingProvider(provider, context.cache_dir / "embeddings" / planned.identity)  # type: ignore[return-value]

    return replace(context, share_embeddings=share)


def fit_once(provider: Planned, context: Context, fitted: dict[str, Provider] | None = None) -> None:
    """Fit the provider, unless ``fitted`` (a worker's provider from its previous job, by identity) holds it: then
    that one is used as it is, since loading it again can cost more than a pair. A newly fitted provider takes
    the place of the one held, so a worker keeps one fitted provider (a model, a vocabulary) in memory at most."""
    held = fitted if fitted is not None else {}
    if provider.identity in held:
        provider.obj = held[provider.identity]
        return
    held.clear()
    provider.obj.fit(context)
    held[provider.identity] = provider.obj


def provider_records(
    provider: Planned, tasks: list[Planned], context: Context, *, raise_errors: bool = False,
    embedding_cache: bool = True, fit: FitDone = NO_FIT, fitted: dict[str, Provider] | None = None,
) -> Iterator[Evaluated]:  # fmt: skip
    """Fit the provider once and yield one record per task, as each finishes (error records if the fit fails).
    ``fit``: the fit this run already made elsewhere (in a fit job), whose time and warnings its records carry.
    ``fitted``: see ``fit_once``."""
    start, failure = time.perf_counter() - fit.seconds, None
    with caught_warnings() as caught:
        try:
            fit_once(provider, with_shared_embeddings(context) if embedding_cache else context, fitted)
        except (Exception, SystemExit) as exc:  # a plugin calling sys.exit() fails only its own pairs
            if raise_errors:
                raise
            failure = f"provider failed: {error_text(exc)}"
    fit = FitDone(time.perf_counter() - start, (*fit.warnings, *caught))
    if failure is not None:
        seconds, notes = round(fit.seconds, 3), fit.notes()
        for task in tasks:
            yield error_record(provider, task, failure, seconds=seconds, timings={"fit": seconds},
                               details={"warnings": notes} if notes else {})  # fmt: skip
        return
    folder = context.cache_dir / "embeddings" / provider.identity if embedding_cache else None
    embeddings, fits = CachingProvider(provider.obj, folder), TaskFits(provider, context, embedding_cache)
    for task in tasks:
        yield evaluate_pair(provider, task, embeddings, fits, fit, raise_errors)
