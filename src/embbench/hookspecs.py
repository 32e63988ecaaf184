"""The pluggy hooks embbench calls. Each takes a ``register`` callback; the host decides what it means."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "embbench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_providers(register: Callable[..., Any]) -> None:
    """Register embedding providers: ``register(ProviderClass, name=None, **default_options)``."""


@hookspec
def register_tasks(register: Callable[..., Any]) -> None:
    """Register task types and named tasks: ``register(TaskClass, name=..., **default_options)``."""


@hookspec
def register_datasets(register: Callable[..., Any]) -> None:
    """Register datasets: ``register(Dataset(...))``; tasks refer to them by name."""
