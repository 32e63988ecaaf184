"""embbench: a plugin-based embedding registry and evaluation harness."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("embbench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from embbench.api import (
    Context,
    Embedded,
    Items,
    Options,
    Provider,
    Task,
    TaskOutput,
    WordOptions,
    WordProvider,
    WordVectors,
    tokenize,
)
from embbench.datasets import Dataset
from embbench.errors import EmbbenchError, SkipTask
from embbench.hookspecs import Register, hookimpl
from embbench.runner import RunOptions, run
from embbench.tasks.base import FileTask, FileTaskOptions, WordTaskOptions

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
    "Register",
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
    "run",
    "tokenize",
]
