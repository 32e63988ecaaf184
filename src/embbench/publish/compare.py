"""``embbench compare``: per task, how NEW differs from BASE on the items both scored, with a paired interval, a
paired p-value and a regression flag (Holm-corrected over the tasks compared)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from embbench.config import configuration_key
from embbench.contract import Items
from embbench.errors import EmbbenchError
from embbench.plugins import Registry
from embbench.publish.board import ALPHA, aligned_items, check_unique_cells, paired_p, scored_items, scoring_task
from embbench.publish.writers import markdown_escape
from embbench.records.record import Record
from embbench.stats.bootstrap import percentile_interval, resamples
from embbench.stats.significance import holm


def pair_records(
    base: list[Record], new: list[Record], providers: tuple[str, str] | None = None
) -> list[tuple[Record, Record]]:
    """(base, new) record pairs of the same task: the same provider label in two folders, the two named
    ``providers`` (BASE, NEW) in one folder, or the only provider of each folder."""
    if providers is not None:
        wanted = [configuration_key(name) for name in providers]  # any spelling: spec or label, any spacing
        pools = [{r.task_label: r for r in base if configuration_key(r.provider_label) == key} for key in wanted]
        for name, pool in zip(providers, pools, strict=True):
            if not pool:
                known = sorted({r.provider_label for r in base})
                raise EmbbenchError(f"no records of provider '{name}' (found: {', '.join(known)})", "--providers")
        return [(pools[0][t], pools[1][t]) for t in sorted(set(pools[0]) & set(pools[1]))]
    new_cells = {(r.provider_label, r.task_label): r for r in new}
    pairs = [
        (r, new_cells[r.provider_label, r.task_label]) for r in base if (r.provider_label, r.task_label) in new_cells
    ]
    if not pairs and len({r.provider_label for r in base}) == 1 and len({r.provider_label for r in new}) == 1:
        by_task = {r.task_label: r for r in new}
        pairs = [(r, by_task[r.task_label]) for r in base if r.task_label in by_task]
    if not pairs:
        raise EmbbenchError("BASE and NEW share no (provider, task) cell; name two providers with --providers A B")
    return sorted(pairs, key=lambda pair: (pair[0].provider_label, pair[0].task_label))


def _delta(base: Record, new: Record, registry: Registry) -> dict[str, Any]:
    """The delta and its paired interval on the common items (or of the records' scores without items)."""
    higher = base.higher_is_better
    row: dict[str, Any] = {"provider": base.provider_label, "new_provider": new.provider_label, "task": base.task_label,
                           "metric": base.main_score, "higher_is_better": higher, "base": base.main_value,
                           "new": new.main_value, "delta": None, "ci95": None, "p_worse": None, "test": "",
                           "common_items": None}  # fmt: skip
    if base.main_value is None or new.main_value is None:
        row["test"] = "no score on one side"
        return row
    row["delta"] = new.main_value - base.main_value
    task, base_items, new_items = scoring_task(registry, base), scored_items(base), scored_items(new)
    if task is None or base_items is None or new_items is None:
        row["test"] = "no per-item outputs"
        return row
    p, row["test"] = paired_p(task, base_items, new_items, higher)
    row["p_worse"] = None if math.isnan(p) else p
    first, second = aligned_items(base_items, new_items)
    row["common_items"] = len(first["id"])
    row["ci95"] = _interval(task, first, second)
    common = [task.score_items(first), task.score_items(second)]
    if None not in common:
        row["delta"] = common[1] - common[0]
    return row


def _interval(task: Any, base: Items, new: Items) -> list[float] | None:
    n = len(base["id"])
    if n < 2:
        return None
    deltas = np.concatenate([task.score_resamples(new, chunk) - task.score_resamples(base, chunk)
                             for chunk in resamples(n)])  # fmt: skip
    return percentile_interval(deltas)


def compare(
    base: list[Record], new: list[Record], providers: tuple[str, str] | None = None, registry: Registry | None = None
) -> list[dict[str, Any]]:
    """One row per task: base and new scores, the delta on common items with its interval, the one-sided p that
    NEW is worse (Holm over the tasks), and ``regression`` when it is significantly worse."""
    for records in (base, new):
        check_unique_cells(records)
    registry = registry or Registry.load()
    rows = [_delta(b, n, registry) for b, n in pair_records(base, new, providers)]
    adjusted = holm([math.nan if r["p_worse"] is None else r["p_worse"] for r in rows])
    for row, p in zip(rows, adjusted, strict=True):
        row["p_worse_holm"] = None if math.isnan(p) else p
        worse = row["delta"] is not None and (row["delta"] < 0 if row["higher_is_better"] else row["delta"] > 0)
        row["regression"] = bool(worse and row["p_worse_holm"] is not None and row["p_worse_holm"] < ALPHA)
    return rows


def to_markdown(rows: list[dict[str, Any]]) -> str:
    def number(value: float | None, digits: int = 4) -> str:
        return "–" if value is None else f"{value:.{digits}f}"

    lines = ["| base provider | new provider | task | metric | base | new | delta [95% CI] | p (NEW worse, Holm) | test"
             " | regression |", "|---|---|---|---|---:|---:|---:|---:|---|---|"]  # fmt: skip
    for r in rows:
        ci = f" [{number(r['ci95'][0])}, {number(r['ci95'][1])}]" if r["ci95"] else ""
        arrow = "↑" if r["higher_is_better"] else "↓"
        flag = "**REGRESSION**" if r["regression"] else ""
        text = [markdown_escape(r[key]) for key in ("provider", "new_provider", "task", "metric", "test")]
        cells = [*text[:3], f"{text[3]} {arrow}", number(r["base"]), number(r["new"]), number(r["delta"]) + ci,
                 number(r["p_worse_holm"]), text[4], flag]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
