"""embbench: a plugin-based embedding registry and evaluation harness.

The public surface: what a plugin subclasses and registers, and what a script calls to run and read results.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("embbench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from embbench.api import Context, Embedded, Items, Options, Provider, Task, TaskOutput
from embbench.datasets import Dataset
from embbench.errors import EmbbenchError, SkipTask
from embbench.hookspecs import Register, hookimpl
from embbench.plugins import Registry
from embbench.records.items import read_items
from embbench.records.record import Record, load_records, read_record
from embbench.run.runner import RunOptions, run, run_grids
from embbench.tasks.base import FileTask, FileTaskOptions, WordTaskOptions
from embbench.words import WordOptions, WordProvider, WordVectors, tokenize

__all__ = [
    "Context",
    "Dataset",
    "EmbbenchError",
    "Embedded",
    "FileTask",
    "FileTaskOptions",
    "Items",
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
