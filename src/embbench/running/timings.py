"""Where a run's time went, from the phase timings every record carries: per provider and per task family."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from embbench.records.record import Record

PHASES = ("fit", "embed", "score", "interval")


def breakdown(records: Iterable[Record]) -> dict[str, list[dict[str, Any]]]:
    """Seconds per phase summed per provider (the fit counted once per provider) and per task family."""
    providers: dict[str, dict[str, Any]] = {}
    families: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.reused or not record.timings:
            continue  # a record kept from an earlier run: no time spent in this one
        for table, name in ((providers, record.provider_label),
                            (families, record.family or "other")):  # fmt: skip
            row = table.setdefault(name, {"name": name, "pairs": 0, **dict.fromkeys(PHASES, 0.0)})
            row["pairs"] += 1
            for phase in PHASES[1:]:
                row[phase] += record.timings.get(phase, 0.0)
        providers[record.provider_label]["fit"] = record.timings.get("fit", 0.0)
    for table in (providers, families):
        for row in table.values():
            row["total"] = sum(row[phase] for phase in PHASES)
    return {
        "providers": sorted(providers.values(), key=lambda r: -r["total"]),
        "families": sorted(families.values(), key=lambda r: -r["total"]),
    }
