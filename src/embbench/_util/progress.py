"""Progress of a long command on stderr: a live bar on a terminal, a plain line every few seconds elsewhere (CI,
``nohup``, a pipe), as pip and tox do, so a run is never silent for minutes."""

from __future__ import annotations

import os
import sys
import threading
import time
from types import TracebackType
from typing import Any

EVERY_SECONDS = 5.0
"""How often the plain line is printed; ``EMBBENCH_PROGRESS_SECONDS`` sets another interval."""


def elapsed(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


class Progress:
    """Counts finished steps of ``what`` (``pairs``, ``cells``) and shows them: ``total`` once known, ``advance``
    with the label of the step just finished. A context manager: the display starts and stops with it."""

    def __init__(self, what: str, console: Any, every: float | None = None) -> None:
        self.what, self.console = what, console
        self.total: int | None = None
        self.done, self.last = 0, ""
        self.start = time.perf_counter()
        self.every = every if every is not None else float(os.environ.get("EMBBENCH_PROGRESS_SECONDS", EVERY_SECONDS))
        self._bar: Any = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            # transient: the bar disappears when the work ends (the summary line says what was done)
            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=self.console, transient=True)  # fmt: skip
            self._bar.__enter__()
            self._task = self._bar.add_task("planning", total=None)
        else:
            self._ticker = threading.Thread(target=self._tick, name="embbench-progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, error, trace)
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()

    def set_total(self, total: int) -> None:
        self.total = total
        if self._bar is not None:
            self._bar.update(self._task, total=total, description=self.what)

    def advance(self, label: str) -> None:
        self.done += 1
        self.last = label
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=label)

    def print(self, text: str) -> None:
        """A line above the bar (on a terminal), or among the progress lines."""
        self.console.print(text, markup=False, highlight=False)

    def line(self) -> str:
        """The plain progress line: steps done of the total, time elapsed, the step last finished."""
        took = elapsed(time.perf_counter() - self.start)
        if self.total is None:
            return f"planning: checking every provider and task, loading datasets ({took} elapsed)"
        last = f"; last finished: {self.last}" if self.last else ""
        return f"{self.done}/{self.total} {self.what} done ({took} elapsed){last}"

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            print(self.line(), file=sys.stderr, flush=True)
