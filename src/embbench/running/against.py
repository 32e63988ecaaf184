"""Running new providers against a published board: exactly its tasks (the same configurations, checked to be the
same versions and data here), and one board of the published records and the new ones together."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from embbench.config import Spec
from embbench.contract import Context
from embbench.errors import EmbbenchError
from embbench.plugins import Registry
from embbench.records.record import Record, load_records
from embbench.running.planning import plan


class Published(NamedTuple):
    """A published board's records and the task specs that reproduce its columns."""

    records: list[Record]
    tasks: list[Spec]


def published_folder(board: Path) -> Path:
    """Where a board's records are: ``BOARD/records`` (as ``embbench leaderboard --records`` writes them), else
    the folder itself."""
    return board / "records" if (board / "records").is_dir() else board


def published_tasks(board: Path, registry: Registry, context: Context) -> Published:
    """The board's task columns as specs (their options as published), refused with every difference named when
    this installation would compute one of them otherwise: another task version, other data, a missing plugin."""
    records = [r for r in load_records(published_folder(board)) if r.origin == "embbench"]
    if not records:
        raise EmbbenchError("holds no embbench records to run against", str(board))
    first = {}
    for record in records:
        first.setdefault(record.task_label, record)
    specs, problems = [], []
    for label, record in sorted(first.items()):
        try:
            defaults = registry.make_task(Spec(record.task, {})).options.model_dump(mode="json")
        except EmbbenchError as exc:
            problems.append(f"{label}: {exc.what}")
            continue
        specs.append(Spec(record.task, {k: v for k, v in record.task_config.items() if defaults.get(k) != v}))
    if not problems:
        _, tasks = plan(registry, [], specs, context)
        for task, spec in zip(tasks, specs, strict=True):
            problems += _differences(first.get(task.label), task.obj, spec)
    if problems:
        raise EmbbenchError("its records were made by other task versions or data than this installation has: "
                            + "; ".join(problems), str(board))  # fmt: skip
    return Published(records, specs)


def _differences(record: Record | None, task, spec: Spec) -> list[str]:
    if record is None:
        return [f"{spec.name}: its configuration gets another label here"]
    label, problems = record.task_label, []
    version = type(task).version
    if record.task_version != version:
        problems.append(f"{label}: published by version {record.task_version} of the task, this one is {version}")
    here = task.dataset_sha256()
    if record.dataset_sha256 and here and here != record.dataset_sha256:
        problems.append(f"{label}: published on data with sha256 {record.dataset_sha256[:12]}…, here {here[:12]}…")
    return problems


def check_new(published: list[Record], new: list[Record]) -> None:
    """New providers must not be on the board already (their rows would collide)."""
    there = {r.provider_label for r in published}
    clash = sorted({r.provider_label for r in new} & there)
    if clash:
        raise EmbbenchError(f"already on the published board: {', '.join(clash)}", "-p")
