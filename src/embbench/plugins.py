"""Plugin loading (entry points, isolated failures) and the registry of providers, tasks and datasets."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy
from pydantic import ValidationError

from embbench import hookspecs
from embbench.cards import TaskCard, read_cards
from embbench.config import Spec, as_spec
from embbench.contract import Provider, Task
from embbench.datasets import Dataset
from embbench.errors import ConfigErrors, EmbbenchError, did_you_mean

ENTRY_POINT_GROUP = "embbench"
BLOCK_ENV = "EMBBENCH_BLOCK_PLUGINS"


@dataclass(frozen=True)
class PluginInfo:
    """An entry point that embbench tried to load; ``error`` is set when it failed."""

    name: str
    distribution: str
    version: str
    error: str | None = None


@dataclass(frozen=True)
class Entry:
    """One registered provider, task or dataset, with the plugin that registered it."""

    name: str
    obj: Any
    defaults: dict[str, Any]
    plugin: PluginInfo
    card: TaskCard | None = None
    """The task card that declared this named task or dataset."""


def _plugin_info(ep: metadata.EntryPoint, error: str | None = None) -> PluginInfo:
    name, version = _distribution(ep.dist)
    return PluginInfo(ep.name, name, version, error)


_DISTRIBUTIONS: dict[str, tuple[str, str]] = {}


def _distribution(dist: metadata.Distribution | None) -> tuple[str, str]:
    """A distribution's name and version, its metadata parsed once per process (for each of its entry points,
    ``dist.name`` would parse the whole file again, a long README included)."""
    if dist is None:
        return "?", "?"
    key = str(getattr(dist, "_path", id(dist)))
    if key not in _DISTRIBUTIONS:
        meta = dist.metadata
        _DISTRIBUTIONS[key] = (meta["Name"], meta["Version"])
    return _DISTRIBUTIONS[key]


def load_plugins(pm: pluggy.PluginManager, *, blocked: Iterable[str] = ()) -> list[PluginInfo]:
    """Register every ``embbench`` entry point; one that fails to import (an exception, or SystemExit) or whose
    hooks are misspelled is reported, and the rest still load."""
    blocked = set(blocked) | {n for n in os.environ.get(BLOCK_ENV, "").split(",") if n}
    infos = []
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in blocked or pm.has_plugin(ep.name):
            continue
        try:
            module = ep.load()
        except (Exception, SystemExit) as exc:
            infos.append(_plugin_info(ep, f"import failed: {type(exc).__name__}: {exc}"))
            continue
        pm.register(module, name=ep.name)
        try:
            pm.check_pending()  # a misspelled hook name is an error, not a silently ignored function
        except pluggy.PluginValidationError as exc:
            pm.unregister(module)
            infos.append(_plugin_info(ep, f"PluginValidationError: {exc}"))
            continue
        infos.append(_plugin_info(ep))
    return infos


def get_plugin_manager(*, blocked: Iterable[str] = ()) -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """A fresh plugin manager with all installed plugins (no module-global state)."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm, load_plugins(pm, blocked=blocked)


def _builtin(plugin: PluginInfo) -> bool:
    return plugin.distribution == "embbench"


@dataclass
class Registry:
    """Providers, tasks and datasets by name, filled by calling every plugin's register hooks.

    A plugin can break only itself: a hook that raises (or exits) registers nothing and its plugin is reported
    with the error; a name registered twice keeps the built-in (or the first), and the plugin that lost is
    reported with how to block it.
    """

    providers: dict[str, Entry] = field(default_factory=dict)
    tasks: dict[str, Entry] = field(default_factory=dict)
    datasets: dict[str, Entry] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    task_dirs: tuple[str, ...] = ()
    """Folders of task cards given by the user (``--tasks-dir``), which worker processes load too."""

    @classmethod
    def from_plugin_manager(
        cls, pm: pluggy.PluginManager, plugins: list[PluginInfo] | None = None, task_dirs: Iterable[str | Path] = ()
    ) -> Registry:
        """The registry of every plugin's hooks, then of the task cards of their folders and of ``task_dirs``
        (whose problems are raised together, naming each card's file and key)."""
        registry = cls(plugins=list(plugins or []), task_dirs=tuple(str(d) for d in task_dirs))
        known = {p.name: p for p in registry.plugins}
        problems: dict[str, list[str]] = {}
        registry._call_hook(pm.hook.register_datasets, registry.datasets, known, problems)
        registry._call_hook(pm.hook.register_providers, registry.providers, known, problems)
        registry._call_hook(pm.hook.register_tasks, registry.tasks, known, problems)
        folders: list[tuple[Path, PluginInfo]] = []
        for impl in reversed(pm.hook.register_task_cards.get_hookimpls()):
            origin = known.get(impl.plugin_name) or PluginInfo(impl.plugin_name, impl.plugin_name, "")
            staged_folders: list[Any] = []
            try:
                impl.function(register=staged_folders.append)
            except (Exception, SystemExit) as exc:
                problems.setdefault(origin.name, []).append(f"register_task_cards raised {type(exc).__name__}: {exc}")
                continue
            folders += [(Path(folder), origin) for folder in staged_folders]
        folders.sort(key=lambda pair: not _builtin(pair[1]))  # a built-in card keeps its name
        for folder, origin in folders:
            for problem in registry._add_cards(folder, origin):
                problems.setdefault(origin.name, []).append(str(problem))
        user = PluginInfo("--tasks-dir", "user task cards", "")
        errors = [problem for folder in registry.task_dirs for problem in registry._add_cards(Path(folder), user)]
        if errors:
            raise ConfigErrors(errors)
        registry.plugins = [
            replace(p, error="; ".join(filter(None, [p.error, *problems.get(p.name, [])])) or None)
            for p in registry.plugins
        ]
        return registry

    def _call_hook(self, hook: Any, table: dict[str, Entry], known: dict[str, PluginInfo],
                   problems: dict[str, list[str]]) -> None:  # fmt: skip
        """Every plugin's implementation of one register hook, into ``table``: a hook that raises registers
        nothing, and a name registered twice keeps the built-in (or the first); both become the plugin's problems."""
        for impl in reversed(hook.get_hookimpls()):
            origin = known.get(impl.plugin_name) or PluginInfo(impl.plugin_name, impl.plugin_name, "")
            staged: list[Entry] = []
            try:
                impl.function(register=self._registrar(staged, origin))
            except (Exception, SystemExit) as exc:
                problems.setdefault(origin.name, []).append(f"{hook.name} raised {type(exc).__name__}: {exc}")
                continue
            for entry in staged:
                lost = self._add(table, entry)
                if lost is not None:
                    problems.setdefault(lost.plugin.name, []).append(
                        f"'{entry.name}' is already registered by plugin '{table[entry.name].plugin.name}', which"
                        f" was kept; block this plugin with {BLOCK_ENV}={lost.plugin.name}"
                    )

    def _add_cards(self, folder: Path, origin: PluginInfo) -> list[EmbbenchError]:
        """Register the datasets and named tasks of a folder's cards; the problems, each naming its card."""
        cards, problems = read_cards(folder)
        for card in cards:
            try:
                self._add_card(card, origin)
            except EmbbenchError as exc:
                problems.append(exc)
        return problems

    def _add_card(self, card: TaskCard, origin: PluginInfo) -> None:
        """A card's dataset (one already declared with the same sha256 is the same dataset) and its named task,
        checked against its type: the type exists, the options are the type's, the main score is the type's."""
        task_entry = None
        if card.type is not None:
            if card.name in self.tasks:
                raise EmbbenchError(f"task '{card.name}' is already registered by plugin"
                                    f" '{self.tasks[card.name].plugin.name}'", card.where("type"))  # fmt: skip
            types = {name: e for name, e in self.tasks.items() if e.card is None and name == e.obj.name}
            if card.type not in types:
                raise EmbbenchError(f"unknown task type '{card.type}'{did_you_mean(card.type, types)}",
                                    card.where("type"))  # fmt: skip
            fields = types[card.type].obj.Options.model_fields
            for key in card.options:
                if key not in fields:
                    close = did_you_mean(key, fields)
                    raise EmbbenchError(f"unknown option '{key}' for task type '{card.type}'{close}",
                                        card.where(f"options.{key}"))  # fmt: skip
            task_entry = Entry(card.name, types[card.type].obj, card.task_options(), origin, card)
        dataset = card.dataset
        if dataset is not None:
            known = self.datasets.get(dataset.name)
            if known is not None and known.obj.sha256 != dataset.sha256:
                other = known.obj.card or f"plugin {known.plugin.name}"
                raise EmbbenchError(f"dataset '{dataset.name}' is declared with another sha256 by {other}",
                                    card.where("data.sha256"))  # fmt: skip
            if known is None:
                self.datasets[dataset.name] = Entry(dataset.name, dataset, {}, origin, card)
        if task_entry is not None:
            task = self._build_entry(task_entry, "task", Spec(card.name, {}, card.where("options")))
            if card.main_score is not None and card.main_score != task.main_score:
                raise EmbbenchError(f"'{card.main_score}' is not the main score of type '{card.type}' with these"
                                    f" options ('{task.main_score}')", card.where("main_score"))  # fmt: skip
            self.tasks[card.name] = task_entry

    @classmethod
    def load(
        cls, *, blocked: Iterable[str] = (), extra: Iterable[object] = (), task_dirs: Iterable[str | Path] = ()
    ) -> Registry:
        """Load installed plugins (plus ``extra`` plugin objects, e.g. inline test plugins) into a registry, with the
        task cards of ``task_dirs``."""
        pm, infos = get_plugin_manager(blocked=blocked)
        for plugin in extra:
            pm.register(plugin)
            infos.append(PluginInfo(pm.get_name(plugin) or repr(plugin), type(plugin).__name__, ""))
        return cls.from_plugin_manager(pm, infos, task_dirs)

    @staticmethod
    def _registrar(staged: list[Entry], origin: PluginInfo) -> Callable[..., None]:
        def register(obj: Any, name: str | None = None, **defaults: Any) -> None:
            key = name or getattr(obj, "name", "")
            if not key:
                raise EmbbenchError(f"{obj!r} has no name", f"plugin {origin.name}")
            staged.append(Entry(key, obj, defaults, origin))

        return register

    @staticmethod
    def _add(table: dict[str, Entry], entry: Entry) -> Entry | None:
        """Add an entry; on a name clash keep the built-in (else the first) and return the entry that lost."""
        existing = table.get(entry.name)
        if existing is None:
            table[entry.name] = entry
            return None
        if _builtin(entry.plugin) and not _builtin(existing.plugin):
            table[entry.name] = entry
            return existing
        return entry

    def _entry(self, table: dict[str, Entry], kind: str, name: str, where: str) -> Entry:
        if name not in table:
            raise EmbbenchError(f"unknown {kind} '{name}'{did_you_mean(name, table)}", where)
        return table[name]

    def dataset(self, name: str, where: str = "") -> Dataset:
        return self._entry(self.datasets, "dataset", name, where or f"dataset '{name}'").obj

    def _build(self, table: dict[str, Entry], kind: str, spec: Spec) -> Any:
        return self._build_entry(self._entry(table, kind, spec.name, spec.where or f"{kind} '{spec.name}'"), kind, spec)

    def _build_entry(self, entry: Entry, kind: str, spec: Spec) -> Any:
        """An instance of the entry's class with its default options and the spec's, checked; a task declared by a
        card carries the card (and its family, when the card names one)."""
        where = spec.where or f"{kind} '{spec.name}'"
        cls = entry.obj
        fields = cls.Options.model_fields
        for key in spec.options:
            if key not in fields:
                raise EmbbenchError(
                    f"unknown option '{key}' for {kind} '{spec.name}'{did_you_mean(key, fields)}", where
                )
        try:
            options = cls.Options(**{**entry.defaults, **spec.options})
        except ValidationError as exc:
            problems = "; ".join(f"option '{'.'.join(map(str, e['loc']))}': {e['msg']}" for e in exc.errors())
            raise EmbbenchError(problems, where) from None
        if kind == "task":
            return cls(options, registered_name=spec.name, plugin=entry.plugin, card=entry.card)
        return cls(options, registered_name=spec.name, plugin=entry.plugin)

    def make_provider(self, spec: Spec | str | dict[str, Any]) -> Provider:
        """Build a provider from a spec (a ``Spec``, or a string or table converted by ``as_spec``), validating its
        options (unknown ones get a 'did you mean')."""
        return self._build(self.providers, "provider", as_spec(spec, repr(spec)))

    def make_task(self, spec: Spec | str | dict[str, Any]) -> Task:
        """Build a task from a spec (as ``make_provider`` takes it); named tasks bring their default options (e.g.
        a dataset)."""
        return self._build(self.tasks, "task", as_spec(spec, repr(spec)))
