"""Reading the tab-separated data files of the built-in tasks: rows by layout or by named columns, numbers located by
file:line, and item ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embbench._util.files import iter_data_lines
from embbench.errors import EmbbenchError


def read_labelled(path: Path, *layouts: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Rows of a TSV file whose header is one of ``layouts`` (column names), checked field by field.

    Fields may be double-quoted (with ``""`` for a quote inside), as in the bundled BBC News file.
    """
    import csv

    rows: list[tuple[str, ...]] = []
    lines = iter_data_lines(path)
    header = next(lines, None)
    if header is None:
        raise EmbbenchError("the file is empty", str(path))
    number, text = header
    columns = next((layout for layout in layouts if tuple(text.split("\t")) == layout), None)
    if columns is None:
        expected = " or ".join("<TAB>".join(layout) for layout in layouts)
        raise EmbbenchError(f"expected a header {expected}, found {text[:80]!r}", f"{path}:{number}")
    for number, text in lines:
        fields = next(csv.reader([text], delimiter="\t"))
        if len(fields) != len(columns):
            raise EmbbenchError(
                f"expected {len(columns)} tab-separated fields, found {len(fields)}", f"{path}:{number}"
            )
        if not all(f.strip() for f in fields):
            raise EmbbenchError("empty field", f"{path}:{number}")
        rows.append(tuple(f.strip() for f in fields))
    if not rows:
        raise EmbbenchError("no rows after the header", str(path))
    return rows


def read_columns(path: Path, required: tuple[str, ...]) -> tuple[dict[str, list[str]], list[int]]:
    """The columns of a TSV file whose header starts with ``required`` (further columns are kept too), and each
    row's line number; checked row by row: every row has the header's fields, and the required ones are not
    empty. Fields may be double-quoted (with ``""`` for a quote inside)."""
    import csv

    lines = iter_data_lines(path)
    header = next(lines, None)
    if header is None:
        raise EmbbenchError("the file is empty", str(path))
    number, text = header
    names = [name.strip() for name in text.split("\t")]
    if tuple(names[: len(required)]) != required:
        expected = "<TAB>".join(required)
        raise EmbbenchError(f"expected a header starting {expected}, found {text[:80]!r}", f"{path}:{number}")
    columns: dict[str, list[str]] = {name: [] for name in names}
    line_numbers = []
    for number, text in lines:
        fields = next(csv.reader([text], delimiter="\t"))
        if len(fields) != len(names):
            raise EmbbenchError(f"expected {len(names)} tab-separated fields, found {len(fields)}", f"{path}:{number}")
        empty = next((name for name, value in zip(required, fields, strict=False) if not value.strip()), None)
        if empty:
            raise EmbbenchError(f"empty {empty}", f"{path}:{number}")
        for name, value in zip(names, fields, strict=True):
            columns[name].append(value.strip())
        line_numbers.append(number)
    if not line_numbers:
        raise EmbbenchError("no rows after the header", str(path))
    return columns, line_numbers


def numbers(path: Path, column: str, values: list[str], lines: list[int]) -> np.ndarray:
    """A column of finite numbers; one that is not is an error naming its file and line."""
    out = np.empty(len(values))
    for i, value in enumerate(values):
        try:
            out[i] = float(value)
        except ValueError:
            raise EmbbenchError(f"{column} {value!r} is not a number", f"{path}:{lines[i]}") from None
        if not np.isfinite(out[i]):
            raise EmbbenchError(f"{column} {value!r} is not finite", f"{path}:{lines[i]}")
    return out


def unique_ids(ids: list[str]) -> np.ndarray:
    """Item ids as given, with ``#2``, ``#3``... after repeats, so every row of a dataset has its own id."""
    seen: dict[str, int] = {}
    out = []
    for item in ids:
        seen[item] = seen.get(item, 0) + 1
        out.append(item if seen[item] == 1 else f"{item}#{seen[item]}")
    return np.array(out, dtype=object)
