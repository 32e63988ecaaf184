"""A record's per-item outputs: reading and writing them (Parquet), and the rows that enter a score."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from embbench._util.hashing import sha256_file
from embbench.contract import Items
from embbench.errors import EmbbenchError, ItemsMissing
from embbench.records.bundle import BUNDLE, bundled_items_file

if TYPE_CHECKING:
    from embbench.records.record import Record


def scored_rows(items: Items) -> np.ndarray:
    """The rows that enter the score: ``scored`` when the task gives it, else ``covered``."""
    return np.asarray(items["scored"] if "scored" in items else items["covered"], dtype=bool)


def take(items: Items, rows: np.ndarray) -> Items:
    """The given rows of every column."""
    return {name: column[rows] for name, column in items.items()}


def readable_columns(names: Iterable[str]) -> list[str]:
    """The item columns worth showing a reader (not the masks, per-seed clusters or BLEU statistics)."""
    return [n for n in names if n not in ("covered", "scored") and not n.startswith(("cluster_", "bleu_stat_"))]


def items_frame(items: Items) -> Any:
    """The per-item columns as a pandas DataFrame."""
    import pandas as pd

    return pd.DataFrame({name: np.asarray(column) for name, column in items.items()})


def parquet_bytes(items: Items) -> bytes:
    buffer = io.BytesIO()
    items_frame(items).to_parquet(buffer, index=False)
    return buffer.getvalue()


def read_items(record: Record) -> Any:
    """The record's per-item outputs as a DataFrame, checked against the sha256 the record stores."""
    import pandas as pd

    if record.path is None or not record.items_file:
        raise ItemsMissing("this record has no per-item outputs", str(record.path or record.key))
    path = record.path.parent / record.items_file
    if path.is_file():
        if record.items_sha256 and sha256_file(path) != record.items_sha256:
            raise EmbbenchError("the items file does not match the sha256 in its record", str(path))
        return pd.read_parquet(path)
    data = bundled_items_file(record)
    if record.items_sha256 and hashlib.sha256(data).hexdigest() != record.items_sha256:
        raise EmbbenchError(f"{record.items_file} in {BUNDLE} does not match the sha256 in its record",
                            str(record.path))  # fmt: skip
    return pd.read_parquet(io.BytesIO(data))
