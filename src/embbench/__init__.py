"""embbench: a plugin-based embedding registry and evaluation harness.

The public surface: what a plugin subclasses and registers, and what a script calls to run and read results.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("embbench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

import importlib
from typing import Any

_PUBLIC = {
    "Context": "embbench.contract",
    "Embedded": "embbench.contract",
    "FileTask": "embbench.contract",
    "FileTaskOptions": "embbench.contract",
    "Graph": "embbench.contract",
    "Items": "embbench.contract",
    "LabelledItems": "embbench.contract",
    "Node": "embbench.contract",
    "NodeProvider": "embbench.contract",
    "Options": "embbench.contract",
    "Provider": "embbench.contract",
    "Task": "embbench.contract",
    "TaskOutput": "embbench.contract",
    "TrainingData": "embbench.contract",
    "WordTaskOptions": "embbench.contract",
    "Dataset": "embbench.datasets",
    "EmbbenchError": "embbench.errors",
    "SkipTask": "embbench.errors",
    "Register": "embbench.hookspecs",
    "hookimpl": "embbench.hookspecs",
    "Registry": "embbench.plugins",
    "read_items": "embbench.records.items",
    "Record": "embbench.records.record",
    "load_records": "embbench.records.record",
    "read_record": "embbench.records.record",
    "RunOptions": "embbench.running.runner",
    "run": "embbench.running.runner",
    "run_grids": "embbench.running.runner",
    "WordOptions": "embbench.words",
    "WordProvider": "embbench.words",
    "WordVectors": "embbench.words",
    "tokenize": "embbench.words",
}
"""The one list of public names, each with the module it lives in: imported when first used, so ``embbench --help``
and ``embbench list`` load only what they need."""

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'embbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
