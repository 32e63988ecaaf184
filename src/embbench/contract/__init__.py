"""The plugin contract, in one place: what a provider or task plugin subclasses and what a run gives it.

``options`` (Options, and what providers and tasks share), ``context`` (Context), ``provider`` (Provider, Embedded),
``task`` (Task, TaskOutput, Items, LabelledItems, the families), ``file_task`` (FileTask and its options),
``items`` (the kinds of item, graph nodes, a task's training data). The
built-in providers and tasks import from here, like any plugin; nothing here imports a built-in.
"""

from embbench.contract.context import Context
from embbench.contract.file_task import FileTask, FileTaskOptions, WordTaskOptions
from embbench.contract.items import NODE, TEXT, Graph, Node, TrainingData, node_keys
from embbench.contract.options import Configured, Options, OptionsT
from embbench.contract.provider import Embedded, NodeProvider, Provider
from embbench.contract.task import FAMILIES, Items, LabelledItems, PairedTest, Task, TaskOutput, family_place

__all__ = [
    "FAMILIES",
    "NODE",
    "TEXT",
    "Configured",
    "Context",
    "Embedded",
    "FileTask",
    "FileTaskOptions",
    "Graph",
    "Items",
    "LabelledItems",
    "Node",
    "NodeProvider",
    "Options",
    "OptionsT",
    "PairedTest",
    "Provider",
    "Task",
    "TaskOutput",
    "TrainingData",
    "WordTaskOptions",
    "family_place",
    "node_keys",
]
