"""embbench: a plugin-based embedding registry and evaluation harness."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("embbench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from embbench.api import Context, Options, Provider, Task, TaskOutput, WordOptions, WordProvider, WordVectors
from embbench.errors import EmbbenchError, SkipTask
from embbench.runner import run

__all__ = [
    "Context",
    "EmbbenchError",
    "Options",
    "Provider",
    "SkipTask",
    "Task",
    "TaskOutput",
    "WordOptions",
    "WordProvider",
    "WordVectors",
    "__version__",
    "run",
]
