"""The pluggy hooks embbench calls. Each gets a ``register`` callback; a plugin calls it once per thing it adds.

A plugin is a module (named by an entry point in the ``embbench`` group) that defines any of these functions,
decorated with ``embbench.hookimpl``. A plugin whose hook raises is reported by ``embbench plugins`` and left out.
"""

from __future__ import annotations

from typing import Any, Protocol

import pluggy

PROJECT = "embbench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class Register(Protocol):
    """The ``register`` callback given to every hook."""

    def __call__(self, obj: Any, /, name: str | None = None, **default_options: Any) -> None:
        """Register ``obj`` under ``name`` (default: its ``name`` attribute), with default options for specs."""


@hookspec
def register_providers(register: Register) -> None:
    """Register embedding providers.

    Parameters:
        register: ``register(ProviderClass, name=None, **default_options)``. ``name`` defaults to the class's
            ``name``; registering one class under several names with different default options makes presets.

    Example::

        @hookimpl
        def register_providers(register):
            register(CharNgram)                            # "char-ngram"
            register(CharNgram, name="char-ngram-64", dim=64)
    """


@hookspec
def register_tasks(register: Register) -> None:
    """Register task types and named tasks.

    Parameters:
        register: ``register(TaskClass, name=None, **default_options)``. A task type is registered by its class
            name; a named task is the type with default options, usually ``dataset=NAME``.

    Example::

        @hookimpl
        def register_tasks(register):
            register(OddOneOut)                            # "odd-one-out", takes path=FILE
            register(OddOneOut, name="odd-one-out-en", path="/data/odd.tsv")
    """


@hookspec
def register_task_cards(register: Register) -> None:
    """Register folders of task cards: named tasks declared as data (see ``embbench.cards``).

    Parameters:
        register: ``register(folder)``, a folder holding ``*.toml`` cards (recursively) beside their data files.
            Each card with a ``type`` becomes a named task, each ``[data]`` table a dataset.

    Example::

        @hookimpl
        def register_task_cards(register):
            register(Path(__file__).parent / "tasks")
    """


@hookspec
def register_datasets(register: Register) -> None:
    """Register datasets that tasks can name with ``dataset=NAME``.

    Parameters:
        register: ``register(Dataset(...))``, a local ``path`` or a ``url`` with its ``sha256`` (downloaded
            once into the cache and verified).

    Example::

        @hookimpl
        def register_datasets(register):
            register(Dataset(name="my-pairs", kind="similarity", url="https://example.org/pairs.tsv",
                             sha256="9f86d08..."))
    """
