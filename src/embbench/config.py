"""Parsing of ``name:key=value,...`` specs and suite files into (name, options) pairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from embbench._util.files import read_toml, validation_problems
from embbench.errors import ConfigErrors, EmbbenchError


@dataclass(frozen=True)
class Spec:
    """A requested provider or task: its registered name, the options given, and where they came from."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)
    where: str = ""


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside brackets, so ``base=[glove:path=x,binary=true]`` (a spec) and
    ``base=pca(base=glove, dim=25)`` (a label) stay whole."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        if char == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_spec(text: str, where: str = "") -> Spec:
    """Parse ``name[:key=value,...]``; a value in square brackets may hold commas (a nested spec)."""
    where = where or repr(text)
    name, _, rest = text.strip().partition(":")
    if not name:
        raise EmbbenchError("empty name", where)
    options: dict[str, Any] = {}
    for item in _split_top_level(rest, ",") if rest else []:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise EmbbenchError(f"expected key=value, got {item!r}", where)
        if key in options:
            raise EmbbenchError(f"option {key!r} given twice", where)
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            value = value[1:-1]
        options[key] = value
    return Spec(name, _given(options, where), where)


def configuration_key(text: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """What a provider or task configuration is, whichever way it is written: a spec (``pca:base=glove,dim=25``,
    a base in brackets) or a label (``pca(base=glove, dim=25)``), with any spacing and option order. Two
    spellings of the same configuration have the same key; a ``base`` is compared by its own key."""
    text = text.strip()
    if text.endswith(")") and "(" in text and ":" not in text.partition("(")[0]:
        name, _, rest = text[:-1].partition("(")
    else:
        name, _, rest = text.partition(":")
    options = []
    for item in _split_top_level(rest, ",") if rest.strip() else []:
        key, _, value = (part.strip() for part in item.partition("="))
        if value.startswith("[") and value.endswith("]"):
            value = value[1:-1]
        options.append((key, configuration_key(value) if key == "base" else value))
    return name.strip(), tuple(sorted(options, key=lambda pair: pair[0]))


def _given(options: dict[str, Any], where: str) -> dict[str, Any]:
    """The options, each with a value: ``path=`` with nothing after it is an error, never the default."""
    for key, value in options.items():
        if isinstance(value, str) and not value.strip():
            raise EmbbenchError(f"option {key!r} has an empty value (leave the option out for its default)", where)
    return options


def as_specs(value: object, name: str) -> list[Spec]:
    """A Python caller's list of specs, each as a ``Spec``: strings (``"glove:path=v.txt"``), ``Spec`` objects or
    tables (``{"name": "glove", "path": "v.txt"}``, as in a suite file). Anything else is a ``TypeError`` that says
    what was expected; a spec that does not parse is a located error (all of them at once)."""
    one = isinstance(value, str | Spec | dict)
    if one or not isinstance(value, list | tuple):
        hint = " (put a single spec in a list)" if one else ""
        raise TypeError(f"{name}: expected a list of specs, got {type(value).__name__} {value!r:.80}{hint}")
    for i, item in enumerate(value):
        if not isinstance(item, str | Spec | dict):
            raise TypeError(f"{name}[{i}]: expected a spec (a string such as 'glove', a Spec, or a table with a"
                            f" 'name'), got {type(item).__name__} {item!r:.80}")  # fmt: skip
    specs, errors = [], []
    for item in value:
        try:
            specs.append(as_spec(item, repr(item)))
        except EmbbenchError as exc:
            errors.append(exc)
    if errors:
        raise ConfigErrors(errors)
    return specs


def as_spec(value: Any, where: str) -> Spec:
    """The one conversion of a spec as it comes in (a command line's ``-p``, a Python caller's list, a suite file's
    entry, a ``base`` option): a ``"name:k=v"`` string, a table with ``name`` and options, or a ``Spec``."""
    if isinstance(value, Spec):
        return value
    if isinstance(value, str):
        return parse_spec(value, where)
    if isinstance(value, dict):
        options = dict(value)
        name = options.pop("name", None)
        if not isinstance(name, str) or not name:
            raise EmbbenchError("a table needs a 'name' key naming the provider or task", where)
        return Spec(name, _given(options, where), where)
    raise EmbbenchError(f"expected a string or a table, got {type(value).__name__}", where)


@dataclass
class Suite:
    """The providers and tasks of a run, as read from a suite file."""

    providers: list[Spec]
    tasks: list[Spec]
    path: Path | None = None


class SuiteFile(BaseModel):
    """A suite file: ``providers`` and ``tasks`` lists of spec strings or tables, and a ``description``."""

    model_config = ConfigDict(extra="forbid")
    description: str = ""
    providers: list[str | dict[str, Any]] = []
    tasks: list[str | dict[str, Any]] = []


def load_suite(path: Path) -> Suite:
    """Read a TOML suite file with ``providers = [...]`` and ``tasks = [...]`` lists."""
    try:
        suite_file = SuiteFile.model_validate(read_toml(path))
    except ValidationError as exc:
        raise EmbbenchError(validation_problems(exc), str(path)) from None
    providers = [as_spec(v, f"{path}: providers[{i}]") for i, v in enumerate(suite_file.providers)]
    tasks = [as_spec(v, f"{path}: tasks[{i}]") for i, v in enumerate(suite_file.tasks)]
    return Suite(providers, tasks, path)
