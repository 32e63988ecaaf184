"""Running a grid: planning, evaluating a pair, executors, the embedding cache, reproducing, timings."""

from enum import StrEnum


class ExecutorName(StrEnum):
    """The executors ``--executor`` chooses from."""

    local = "local"
    process = "process"
    ray = "ray"
