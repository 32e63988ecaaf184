"""Run a function in a fresh process and report its wall time and peak resident memory."""

from __future__ import annotations

import multiprocessing
import resource
import time
from collections.abc import Callable
from typing import Any


def _child(queue: Any, function: Callable[..., Any], args: tuple) -> None:
    start = time.perf_counter()
    value = function(*args)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((seconds, peak_kib / 1024, value))


def measure(function: Callable[..., Any], *args: Any) -> tuple[float, float, Any]:
    """(seconds, peak resident memory in MiB, return value) of ``function(*args)`` in a spawned process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, function, args))
    process.start()
    result = queue.get()
    process.join()
    return result
