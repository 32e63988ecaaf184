"""A published board's per-item outputs in one file: ``items-bundle.parquet`` beside its records.

Each row is one record's items file exactly as it was written (its bytes, so the sha256 in the record still
checks them), the rows grouped by task: providers' items of one task share their text columns, so zstd over
large pages stores each task's texts about once. ``read_items`` falls back to the bundle of the record's folder
when the loose items file is not there.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from embbench._util.atomic import atomic_write
from embbench.errors import EmbbenchError, ItemsMissing

if TYPE_CHECKING:
    from embbench.records.record import Record

BUNDLE = "items-bundle.parquet"
PAGE_BYTES = 64 * 2**20  # one page holds a task's items files, so zstd sees their shared texts together


def write_bundle(records: list[Record], folder: Path) -> Path | None:
    """Write the bundle of these records' items files (read from beside each record) into ``folder``; None when
    no record has items."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for record in sorted(records, key=lambda r: (r.task_label, r.provider_label)):
        if record.path is None or not record.items_file:
            continue
        loose = record.path.parent / record.items_file
        rows.append((record.items_file, loose.read_bytes() if loose.is_file() else bundled_items_file(record)))
    if not rows:
        return None
    table = pa.table({"items_file": [name for name, _ in rows], "parquet": pa.array([b for _, b in rows], pa.binary())})

    def write(handle) -> None:
        pq.write_table(table, handle, compression="zstd", compression_level=19, use_dictionary=False,
                       data_page_size=PAGE_BYTES, row_group_size=len(rows))  # fmt: skip

    return atomic_write(folder / BUNDLE, write)


@lru_cache(maxsize=4)
def _bundle(path: Path, mtime_ns: int) -> dict[str, bytes]:
    """A bundle's items files by name (read once per version of the file)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        return dict(zip(table.column("items_file").to_pylist(), table.column("parquet").to_pylist(), strict=True))
    except (OSError, KeyError, ValueError) as exc:
        raise EmbbenchError(f"the items bundle cannot be read: {exc}", str(path)) from None


def bundled_items_file(record: Record) -> bytes:
    """The record's items file from the bundle in its folder; a missing bundle or entry is a located error."""
    assert record.path is not None and record.items_file
    path = record.path.parent / BUNDLE
    if not path.is_file():
        raise ItemsMissing(f"its items file {record.items_file} is missing (and no {BUNDLE} beside it)",
                           str(record.path))  # fmt: skip
    data = _bundle(path, path.stat().st_mtime_ns).get(record.items_file)
    if data is None:
        raise ItemsMissing(f"its items file {record.items_file} is neither beside it nor in {BUNDLE}",
                           str(record.path))  # fmt: skip
    return data


def publish_records(records: list[Record], folder: Path) -> Path:
    """Make ``folder`` hold exactly these records (their files as written) and one bundle of their items files:
    what a published board carries so that others can rebuild it, extend it and test against it."""
    import shutil
    import tempfile

    own = [record for record in records if record.path is not None]
    files = {record.path.name: record.path.read_bytes() for record in own}  # read before the folder is replaced
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    for name, data in files.items():
        (work / name).write_bytes(data)
    write_bundle(own, work)
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    work.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder
