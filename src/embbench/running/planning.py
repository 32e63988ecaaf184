"""Planning a run: build and check every provider and task before anything runs, label every configuration, and
find the pairs whose records still hold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from embbench._util.hashing import stable_hash
from embbench.config import Spec, as_spec
from embbench.contract import Context, Provider, Task
from embbench.errors import ConfigErrors, EmbbenchError
from embbench.plugins import Registry
from embbench.records.record import provider_identity

BuiltT = TypeVar("BuiltT", Provider, Task)


@dataclass
class Planned(Generic[BuiltT]):
    """A built provider or task with its spec, its label in outputs, and (providers) its input fingerprints."""

    spec: Spec
    obj: BuiltT
    label: str = ""
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> dict[str, Any]:
        return self.obj.options.model_dump(mode="json")

    @property
    def identity(self) -> str:
        """Hash of everything that determines the provider's vectors: name, version, options and inputs."""
        return provider_identity(self.spec.name, type(self.obj).version, self.config, self.inputs)


def _shown(key: str, value: Any, depth: int) -> str:
    """An option as a label shows it: a path by its last ``depth`` parts, a base provider by its own label."""
    if key == "base" and value is not None:  # checked while the run was planned (its base is built to fingerprint)
        return f"{key}={_label(as_spec(value, 'base'), depth)}"
    if key != "path":
        return f"{key}={value}"
    parts = Path(str(value)).parts
    return f"{key}={Path(*parts[-depth:]) if parts else value}"


def _label(spec: Spec, depth: int) -> str:
    if not spec.options:
        return spec.name
    return f"{spec.name}({', '.join(_shown(k, v, depth) for k, v in sorted(spec.options.items()))})"


def assign_labels(planned: list[Planned]) -> None:
    """Give every distinct configuration a distinct label: ``name(key=value, ...)`` with paths shortened to the
    shortest suffix that tells them apart, and a short hash of the configuration when even that does not."""
    configs = [stable_hash([p.spec.name, p.config], 6) for p in planned]
    depth = [1] * len(planned)
    for _ in range(64):
        labels = [_label(p.spec, d) for p, d in zip(planned, depth, strict=True)]
        clashing = [i for i, label in enumerate(labels)
                    if any(labels[j] == label and configs[j] != configs[i] for j in range(len(labels)))]  # fmt: skip
        if not clashing:
            break
        longer = [i for i in clashing if _label(planned[i].spec, depth[i] + 1) != labels[i]]
        if not longer:
            for i in clashing:
                labels[i] += f" #{configs[i]}"
            break
        for i in longer:
            depth[i] += 1
    for item, label in zip(planned, labels, strict=True):
        item.label = label


def plan_provider(spec: Spec, registry: Registry, context: Context) -> Planned[Provider]:
    """A provider built from its spec (options checked) with the fingerprints of its inputs."""
    provider = registry.make_provider(spec)
    return Planned(spec, provider, inputs=provider.inputs(context))


def plan_task(spec: Spec, registry: Registry, context: Context) -> Planned[Task]:
    """A task built from its spec (options checked) with its dataset loaded."""
    task = registry.make_task(spec)
    task.load(context)
    return Planned(spec, task)


def plan(
    registry: Registry, providers: Sequence[Spec], tasks: Sequence[Spec], context: Context
) -> tuple[list[Planned[Provider]], list[Planned[Task]]]:
    """Build every provider and task, fingerprint every provider input and load every dataset; raise all
    problems at once. Two specs with the same configuration are one entry."""
    errors: list[EmbbenchError] = []
    planned_providers = _distinct([_collect(plan_provider, spec, registry, context, errors) for spec in providers])
    planned_tasks = _distinct([_collect(plan_task, spec, registry, context, errors) for spec in tasks])
    if errors:
        raise ConfigErrors(errors)
    assign_labels(planned_providers)
    assign_labels(planned_tasks)
    return planned_providers, planned_tasks


def _collect(build: Callable[[Spec, Registry, Context], Planned], spec: Spec, registry: Registry, context: Context,
             errors: list[EmbbenchError]) -> Planned | None:  # fmt: skip
    """``build(spec)``, or None with its error kept, so that every problem is reported at once."""
    try:
        return build(spec, registry, context)
    except EmbbenchError as exc:
        errors.append(exc)
        return None


def _distinct(planned: list[Planned | None]) -> list[Planned]:
    """The planned entries in order, the first of each configuration only."""
    seen: set[str] = set()
    out = []
    for item in planned:
        if item is not None and (config := stable_hash([item.spec.name, item.config])) not in seen:
            seen.add(config)
            out.append(item)
    return out
