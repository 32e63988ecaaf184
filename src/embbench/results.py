"""Result records: one JSON file per (provider config, task config), written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from embbench.errors import EmbbenchError

Status = Literal["ok", "skipped", "error"]


def record_key(provider: str, provider_config: dict[str, Any], task: str, task_config: dict[str, Any]) -> str:
    """Stable identity of a (provider config, task config) pair."""
    ident = json.dumps([provider, provider_config, task, task_config], sort_keys=True, default=str)
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


MIN_COVERAGE = 0.9  # leaderboards mark a score that covers fewer of its task's items than this


class Record(BaseModel):
    """The outcome of one provider on one task."""

    key: str
    provider: str
    provider_label: str
    provider_config: dict[str, Any]
    task: str
    task_label: str
    task_config: dict[str, Any]
    status: Status
    error: str | None = None
    scores: dict[str, float | None] = Field(default_factory=dict)
    main_score: str = ""
    higher_is_better: bool = True
    coverage: float | None = None
    ci95: list[float] | None = None
    n_items: int | None = None
    n_scored: int | None = None
    seconds: float = 0.0
    dataset_sha256: str | None = None
    provenance: dict[str, Any] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    embbench_version: str
    plugin_versions: dict[str, str] = Field(default_factory=dict)
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def main_value(self) -> float | None:
        return self.scores.get(self.main_score) if self.status == "ok" else None

    def filename(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{self.provider}__{self.task}")
        return f"{slug}__{self.key}.json"


def write_record(record: Record, directory: Path) -> Path:
    """Write the record to ``directory`` atomically (temporary file, then rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / record.filename()
    with tempfile.NamedTemporaryFile("w", dir=directory, suffix=".tmp", delete=False, encoding="utf-8") as tmp:
        tmp.write(record.model_dump_json(indent=2))
    os.replace(tmp.name, target)
    return target


def read_record(path: Path) -> Record:
    try:
        return Record.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError) as exc:
        raise EmbbenchError(f"not an embbench result record: {str(exc).splitlines()[0]}", str(path)) from None


def load_records(directory: Path) -> list[Record]:
    """All records under ``directory`` (recursively), sorted by provider then task."""
    if not directory.is_dir():
        raise EmbbenchError("results folder not found", str(directory))
    records = [read_record(p) for p in sorted(directory.rglob("*.json"))]
    return sorted(records, key=lambda r: (r.provider_label, r.task_label))


def existing_record(directory: Path, expected: Record) -> Record | None:
    """The finished record (ok or skipped) for the same pair as ``expected``, computed on the same dataset
    (sha256), if any; error records, and records of a dataset file that has changed since, are redone."""
    path = directory / expected.filename()
    if not path.exists():
        return None
    try:
        record = read_record(path)
    except EmbbenchError:
        return None
    return record if record.status != "error" and record.dataset_sha256 == expected.dataset_sha256 else None
