"""Result records: one JSON file per (provider config, task config), with its per-item outputs in Parquet beside it.

Writes are atomic; a record says which versions and inputs made it, so a rerun can tell a stale record from a
finished one; a failing rerun never replaces a finished ``ok`` record.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from embbench._util.atomic import atomic_write
from embbench._util.files import validation_problems
from embbench._util.hashing import sha256_file, stable_hash
from embbench.contract import Items
from embbench.errors import EmbbenchError, warn
from embbench.records.items import parquet_bytes

Status = Literal["ok", "skipped", "error"]
SCHEMA_VERSION = 2  # 2: versions, provider inputs, environment, per-item outputs
ITEMS_SUFFIX = ".items.parquet"


def record_key(provider: str, provider_config: dict[str, Any], task: str, task_config: dict[str, Any]) -> str:
    """Stable identity of a (provider config, task config) pair."""
    return stable_hash([provider, provider_config, task, task_config], 16)


def provider_identity(name: str, version: int | None, config: dict[str, Any], inputs: dict[str, str]) -> str:
    """Hash of everything that determines a provider's vectors: name, version, options and inputs (it names the
    provider's embedding cache folder and its MTEB revision)."""
    return stable_hash([name, version, config, inputs])


class Record(BaseModel):
    """The outcome of one provider on one task."""

    model_config = ConfigDict(use_attribute_docstrings=True)  # the docstrings below are the JSON Schema's

    key: str
    """Hash of the provider and task names and configurations: the record's file name ends with it."""
    schema_version: int = 1  # records written before versions existed read as schema 1
    """The record format's version."""
    provider: str
    """The provider's registered name."""
    provider_label: str
    """The provider configuration's label in every output (distinct for distinct configurations)."""
    provider_config: dict[str, Any]
    """The provider's options, every default filled in."""
    provider_version: int | None = None
    """The provider class's version, bumped when what it computes changes."""
    provider_inputs: dict[str, str] = Field(default_factory=dict)
    """The content sha256 of every file the provider is built from (vectors, models, corpora), its base's too."""
    task: str
    """The task's registered name."""
    task_label: str
    """The task configuration's label in every output."""
    task_type: str | None = None
    """The task type (its class's name)."""
    task_config: dict[str, Any]
    """The task's options, every default filled in."""
    task_version: int | None = None
    """The task class's version, bumped when what it computes changes."""
    family: str | None = None
    """The task's family (its column group on a board); records written before families were declared have none."""
    origin: Literal["embbench", "mteb"] = "embbench"
    """Where the scores come from: an embbench run, or an MTEB result file (no per-item outputs)."""
    status: Status
    """``ok``, ``skipped`` (the provider cannot be evaluated on the task: ``error`` says why) or ``error``."""
    error: str | None = None
    """Why the pair was skipped or failed."""
    scores: dict[str, float | None] = Field(default_factory=dict)
    """Every score the task computed, by name."""
    main_score: str = ""
    """The name of the score boards rank by."""
    higher_is_better: bool = True
    """The main score's direction."""
    coverage: float | None = None
    """Items scored over items in the dataset."""
    ci95: list[float] | None = None
    """The bootstrap 95% interval of the main score over the scored items."""
    tolerance: float | None = None
    """How far a rerun may differ and still reproduce (float drift, or the spread over random starts)."""
    n_items: int | None = None
    """Items in the dataset."""
    n_scored: int | None = None
    """Items that entered the score."""
    seconds: float = 0.0
    """Wall seconds the pair took."""
    timings: dict[str, float] = Field(default_factory=dict)
    """Seconds per phase: the provider's fit in this run, embedding, scoring, and the interval."""
    embedded: dict[str, float] = Field(default_factory=dict)
    """Texts (sentences, documents) the provider embedded for this pair, not taken from the embedding cache, and
    the seconds that took: ``{"texts": n, "seconds": s}``, empty when it embedded none."""
    dataset_sha256: str | None = None
    """The content sha256 of the task's data."""
    items_file: str | None = None
    """The per-item outputs beside the record (Parquet), or in its board's items bundle."""
    items_sha256: str | None = None
    """The sha256 of the per-item outputs, checked whenever they are read."""
    provenance: dict[str, Any] = Field(default_factory=dict)
    """What the provider recorded about itself: vocabulary, dimension, memory, corpus, fit seconds, ..."""
    details: dict[str, Any] = Field(default_factory=dict)
    """The task's details (per-section scores, thresholds, per-seed values) and any library ``warnings``."""
    environment: dict[str, Any] = Field(default_factory=dict)
    """Python, library versions, the BLAS and its threads, the CPU and the OS that made the record."""
    embbench_version: str
    """The embbench version that made the record."""
    plugin_versions: dict[str, str] = Field(default_factory=dict)
    """The distribution and version of each plugin the provider and task came from."""
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    """When the record was made (UTC)."""
    _path: Path | None = PrivateAttr(default=None)
    _reused: bool = PrivateAttr(default=False)

    @property
    def reused(self) -> bool:
        """Returned by a run that kept it from an earlier one (its timings are that run's, not this one's)."""
        return self._reused

    def mark_reused(self) -> Record:
        """This record, marked as kept from an earlier run rather than computed by this one."""
        self._reused = True
        return self

    def __eq__(self, other: object) -> bool:
        """The same content and file; whether a run reused it does not count."""
        if not isinstance(other, Record):
            return NotImplemented
        return self.__dict__ == other.__dict__ and self._path == other._path

    @property
    def provider_identity(self) -> str:
        return provider_identity(self.provider, self.provider_version, self.provider_config, self.provider_inputs)

    @property
    def main_value(self) -> float | None:
        return self.scores.get(self.main_score) if self.status == "ok" else None

    @property
    def path(self) -> Path | None:
        """The file this record was read from or written to."""
        return self._path

    def filename(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{self.provider}__{self.task}")
        return f"{slug}__{self.key}.json"


def staleness(old: Record, expected: Record) -> str | None:
    """Why ``old`` cannot stand for ``expected`` (the same pair as planned now), or None when it still holds."""
    if old.status == "error":
        return "the last run failed"
    if old.schema_version != expected.schema_version:
        return f"stale: record schema {old.schema_version} -> {expected.schema_version}"
    for what, before, now in (("task", old.task_version, expected.task_version),
                              ("provider", old.provider_version, expected.provider_version)):  # fmt: skip
        if before != now:
            return f"stale: {what} version {before} -> {now}"
    if old.dataset_sha256 != expected.dataset_sha256:
        return "stale: dataset file changed"
    changed = sorted(k for k in {*old.provider_inputs, *expected.provider_inputs}
                     if old.provider_inputs.get(k) != expected.provider_inputs.get(k))  # fmt: skip
    if changed:
        return f"stale: {', '.join(changed)} changed"
    return None


def write_record(record: Record, directory: Path, items: Items | None = None) -> Path:
    """Write the record (and its items, first, so the record never names a missing file) atomically."""
    target = directory / record.filename()
    items_path = directory / (record.filename().removesuffix(".json") + ITEMS_SUFFIX)
    if items is not None:
        atomic_write(items_path, parquet_bytes(items))
        record.items_file, record.items_sha256 = items_path.name, sha256_file(items_path)
    else:
        items_path.unlink(missing_ok=True)  # an earlier run's items belong to the record being replaced
    atomic_write(target, record.model_dump_json(indent=2))
    record._path = target
    return target


def save_record(record: Record, directory: Path, items: Items | None = None) -> Record | None:
    """Write ``record`` unless it is an error where a finished ``ok`` record exists: then that record is kept
    and returned (nothing finished is ever replaced by a failure)."""
    if record.status == "error":
        path = directory / record.filename()
        try:
            old = read_record(path) if path.exists() else None
        except EmbbenchError:
            old = None
        if old is not None and old.status == "ok":
            return old
    write_record(record, directory, items)
    return None


def read_record(path: Path) -> Record:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EmbbenchError(f"cannot read the record: {exc.strerror}", str(path)) from None
    try:
        record = Record.model_validate_json(text)
    except ValidationError as exc:
        raise EmbbenchError(f"not an embbench result record: {validation_problems(exc)}", str(path)) from None
    record._path = path
    return record


RECORD_NAME = re.compile(r"^[A-Za-z0-9._-]+__[A-Za-z0-9._-]+__[0-9a-f]{16}\.json$")


def load_records(directory: Path) -> list[Record]:
    """All records under ``directory`` (recursively), sorted by provider then task.

    Only files named as records are read (a leaderboard written inside the folder is never read back); one that
    cannot be read is skipped with a warning naming it."""
    if not directory.is_dir():
        raise EmbbenchError("results folder not found" if not directory.exists() else "not a folder", str(directory))
    records = []
    for path in sorted(p for p in directory.rglob("*.json") if RECORD_NAME.match(p.name)):
        try:
            records.append(read_record(path))
        except (EmbbenchError, OSError) as exc:
            warn(f"skipped {path}: {exc.what if isinstance(exc, EmbbenchError) else exc}")
    return sorted(records, key=lambda r: (r.provider_label, r.task_label))


def existing_record(directory: Path, expected: Record) -> tuple[Record | None, str | None]:
    """The finished record for the same pair as ``expected`` if it still holds, else (None, why it is redone);
    (None, None) when there is none."""
    path = directory / expected.filename()
    if not path.exists():
        return None, None
    try:
        old = read_record(path)
    except EmbbenchError as exc:
        return None, f"unreadable record: {exc.what}"
    reason = staleness(old, expected)
    return (None, reason) if reason else (old, None)
