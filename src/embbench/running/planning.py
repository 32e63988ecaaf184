"""Planning a run: build and check every provider and task before anything runs, label every configuration, and
find the pairs whose records still hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from embbench._util.hashing import stable_hash
from embbench.api import Context, Provider, Task
from embbench.config import Spec, spec_from_value
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
        return f"{key}={_label(spec_from_value(value, 'base'), depth)}"
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


def _as_spec(value: str | Spec | dict[str, Any]) -> Spec:
    return value if isinstance(value, Spec) else spec_from_value(value, repr(value))


def _build(value: str | Spec | dict[str, Any], registry: Registry, context: Context, kind: str) -> Planned:
    spec = _as_spec(value)
    if kind == "provider":
        provider = registry.make_provider(spec)
        return Planned(spec, provider, inputs=provider.inputs(context))
    task = registry.make_task(spec)
    task.load(context)
    return Planned(spec, task)


def plan(
    registry: Registry,
    providers: Sequence[str | Spec | dict[str, Any]],
    tasks: Sequence[str | Spec | dict[str, Any]],
    context: Context,
) -> tuple[list[Planned], list[Planned]]:
    """Build every provider and task, fingerprint every provider input and load every dataset; raise all
    problems at once. Two specs with the same configuration are one entry."""
    errors: list[EmbbenchError] = []
    built: tuple[list[Planned], list[Planned]] = ([], [])
    for specs, kind, out in ((providers, "provider", built[0]), (tasks, "task", built[1])):
        seen: set[str] = set()
        for value in specs:
            try:
                planned = _build(value, registry, context, kind)
            except EmbbenchError as exc:
                errors.append(exc)
                continue
            config = stable_hash([planned.spec.name, planned.config])
            if config not in seen:
                seen.add(config)
                out.append(planned)
        assign_labels(out)
    if errors:
        raise ConfigErrors(errors)
    return built
