"""What ``embbench show`` prints: a record's summary and its hardest and easiest items."""

from __future__ import annotations

from typing import Any

import pandas as pd

from embbench.errors import EmbbenchError
from embbench.records.items import read_items, readable_columns
from embbench.records.record import Record

SUMMARY = ("provider_label", "task_label", "status", "error", "main_score", "main_value", "ci95", "tolerance",
           "coverage", "n_items", "n_scored", "provider_version", "task_version", "provider_inputs", "dataset_sha256",
           "items_file", "created", "timings", "embedded")  # fmt: skip


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    shown = frame[readable_columns(frame.columns)]
    return [
        {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()} for row in shown.to_dict("records")
    ]


def record_view(record: Record, top: int = 5) -> dict[str, Any]:
    """The record's summary, its environment, and its ``top`` hardest and easiest scored items by ``loss``."""
    summary = {key: getattr(record, key) for key in SUMMARY}
    environment = record.environment
    summary["environment"] = (
        f"python {environment.get('python')}, "
        + ", ".join(f"{k} {v}" for k, v in environment.get("packages", {}).items() if v)
        + f"; {environment.get('cpu')}"
        if environment
        else None
    )
    view: dict[str, Any] = {"record": summary}
    if record.items_file:
        try:
            items = read_items(record)
        except EmbbenchError as exc:  # a published record without its items file still shows its summary
            summary["items_file"] = f"{record.items_file} ({exc.what})"
            return view
        scored = items[items["scored"] if "scored" in items else items["covered"]]
        if "loss" in scored:
            ranked = scored.sort_values("loss", kind="stable")
            view["hardest"] = _rows(ranked.iloc[::-1].head(top))
            view["easiest"] = _rows(ranked.head(top))
    return view
