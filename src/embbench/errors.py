"""Errors that users see as ``ERROR: <where>: <what>`` lines."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable

log = logging.getLogger("embbench")


class EmbbenchError(Exception):
    """A problem with user input: ``where`` names the file:line, option or name; ``what`` says what is wrong."""

    def __init__(self, what: str, where: str | None = None) -> None:
        super().__init__(f"{where}: {what}" if where else what)
        self.what = what
        self.where = where


class ItemsMissing(EmbbenchError):
    """A record whose per-item outputs are not there (neither beside it nor in a bundle)."""


class SkipTask(Exception):
    """Raised by a task when a provider cannot be evaluated on it (the record becomes ``skipped``), with the
    task's item count and how many of them the provider covered where known, so the record shows its coverage."""

    def __init__(self, reason: str, n_items: int | None = None, n_scored: int | None = None) -> None:
        super().__init__(reason)
        self.n_items, self.n_scored = n_items, n_scored


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``' (did you mean 'x'?)'`` for the closest choice, or a list of the choices."""
    choices = sorted(choices)
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (choose from: {', '.join(choices)})" if choices else ""


class ConfigErrors(EmbbenchError):
    """Every problem found while checking a run's providers and tasks, reported together."""

    def __init__(self, errors: list[EmbbenchError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def warn(message: str) -> None:
    """Report a problem that does not stop the work (a skipped file, a rebuilt cache entry): ``WARNING: ...``."""
    log.warning(message)
