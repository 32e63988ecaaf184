"""``embbench reproduce``: rerun a published board's records from scratch and compare cell by cell."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from embbench._util.hashing import stable_hash
from embbench.config import Spec
from embbench.plugins import Registry
from embbench.records import TOLERANCE
from embbench.records.environment import differences
from embbench.records.record import Record
from embbench.running.runner import RunOptions, run_grids


def reproduce_records(
    records: list[Record],
    *,
    sample: int | None = None,
    seed: int = 0,
    cache_dir: Path | None = None,
    jobs: int = 1,
    on_start: Callable[[int], None] | None = None,
    on_record: Callable[[Record], None] | None = None,
    registry: Registry | None = None,
) -> list[dict[str, Any]]:
    """Rerun the ``ok`` records (all, or ``sample`` of them) with their exact configurations in a fresh cache and
    a fresh results folder; one row per cell: both scores, the difference, the tolerance, and whether it holds."""
    chosen = [r for r in records if r.status == "ok"]
    if sample is not None and sample < len(chosen):
        chosen = sorted(random.Random(seed).sample(chosen, sample), key=lambda r: (r.provider_label, r.task_label))
    by_provider: dict[str, list[Record]] = {}
    for record in chosen:
        by_provider.setdefault(stable_hash([record.provider, record.provider_config]), []).append(record)
    if on_start:
        on_start(len(chosen))
    grids = [
        ([Spec(group[0].provider, group[0].provider_config, f"{group[0].path}: provider_config")],
         [Spec(r.task, r.task_config, f"{r.path}: task_config") for r in group])
        for group in by_provider.values()
    ]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="embbench-reproduce-") as scratch:
        options = RunOptions(results_dir=Path(scratch) / "results", cache_dir=cache_dir or Path(scratch) / "cache",
                             jobs=jobs, on_record=on_record)  # fmt: skip
        new = {r.key: r for r in run_grids(grids, options=options, registry=registry)}
    return [_compare(old, new.get(old.key)) for group in by_provider.values() for old in group]


def _compare(old: Record, new: Record | None) -> dict[str, Any]:
    tolerance = old.tolerance if old.tolerance is not None else TOLERANCE
    before, after = old.main_value, new.main_value if new is not None else None
    difference = abs(after - before) if before is not None and after is not None else None
    reproduced = difference is not None and difference <= tolerance
    changes = differences(old.environment, new.environment) if new is not None and not reproduced else []
    return {
        "provider": old.provider_label,
        "task": old.task_label,
        "published": before,
        "rerun": after if new is None or new.status == "ok" else f"{new.status}: {new.error}",
        "difference": difference,
        "tolerance": tolerance,
        "reproduced": reproduced,
        "environment_differences": "; ".join(changes),
    }
