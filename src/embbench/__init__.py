"""embbench: a plugin-based embedding registry and evaluation harness.

The public surface: what a plugin subclasses and registers, and what a script calls to run and read results.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("embbench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "Context": "embbench.api",
    "Embedded": "embbench.api",
    "Items": "embbench.api",
    "LabelledItems": "embbench.api",
    "Options": "embbench.api",
    "Provider": "embbench.api",
    "Task": "embbench.api",
    "TaskOutput": "embbench.api",
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
    "FileTask": "embbench.tasks.base",
    "FileTaskOptions": "embbench.tasks.base",
    "WordTaskOptions": "embbench.tasks.base",
    "WordOptions": "embbench.words",
    "WordProvider": "embbench.words",
    "WordVectors": "embbench.words",
    "tokenize": "embbench.words",
}
"""Each public name and the module it lives in: imported when first used, so ``embbench --help`` and ``embbench list``
load only what they need."""

if TYPE_CHECKING:
    from embbench.api import Context, Embedded, Items, LabelledItems, Options, Provider, Task, TaskOutput
    from embbench.datasets import Dataset
    from embbench.errors import EmbbenchError, SkipTask
    from embbench.hookspecs import Register, hookimpl
    from embbench.plugins import Registry
    from embbench.records.items import read_items
    from embbench.records.record import Record, load_records, read_record
    from embbench.running.runner import RunOptions, run, run_grids
    from embbench.tasks.base import FileTask, FileTaskOptions, WordTaskOptions
    from embbench.words import WordOptions, WordProvider, WordVectors, tokenize


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'embbench' has no attribute {name!r}")


__all__ = [
    "Context",
    "Dataset",
    "EmbbenchError",
    "Embedded",
    "FileTask",
    "FileTaskOptions",
    "Items",
    "LabelledItems",
    "Options",
    "Provider",
    "Record",
    "Register",
    "Registry",
    "RunOptions",
    "SkipTask",
    "Task",
    "TaskOutput",
    "WordOptions",
    "WordProvider",
    "WordTaskOptions",
    "WordVectors",
    "__version__",
    "hookimpl",
    "load_records",
    "read_items",
    "read_record",
    "run",
    "run_grids",
    "tokenize",
]
