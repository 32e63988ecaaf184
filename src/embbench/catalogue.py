"""What is registered, as rows: the providers, the tasks (types and the named tasks of the cards) and the datasets.
``embbench list`` prints them and the documentation's catalogues are built from them."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from embbench.plugins import Registry


class Kind(StrEnum):
    providers = "providers"
    tasks = "tasks"
    datasets = "datasets"


def describe(kind: Kind, registry: Registry) -> list[dict[str, Any]]:
    """The rows of ``embbench list KIND`` (the docs' catalogues are built from them too)."""
    if kind is Kind.datasets:
        return [entry.obj.describe() for entry in registry.datasets.values()]
    table = registry.providers if kind is Kind.providers else registry.tasks
    rows = []
    for name, entry in sorted(table.items()):
        cls, card = entry.obj, entry.card
        row: dict[str, Any] = {"name": name, "type": cls.name, "plugin": entry.plugin.name}
        if kind is Kind.tasks:
            row["family"] = (card.family if card else None) or cls.family
            row["main_score"] = (card.main_score if card else None) or cls.main_score
            row["dataset"] = entry.defaults.get("dataset")
            row["card"] = str(card.path) if card else None
        row["options"] = ", ".join(f"{k}={v}" for k, v in {**_option_defaults(cls), **entry.defaults}.items())
        row["description"] = (card.description if card else "") or cls.description
        rows.append(row)
    return rows


def _option_defaults(cls: Any) -> dict[str, Any]:
    return {k: f.default for k, f in cls.Options.model_fields.items() if not f.is_required()}
