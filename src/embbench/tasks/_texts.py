"""Shared reading of the text datasets (MR, BBC News, user files): labelled texts, and (source, target) pairs."""

from __future__ import annotations

from pathlib import Path

from embbench.errors import EmbbenchError
from embbench.tasks._readers import read_labelled


def read_texts(path: Path) -> tuple[list[str], list[str]]:
    """Labels and texts from ``label<TAB>text`` or ``label<TAB>title<TAB>text``.

    The text is the article body without its title in the second layout: the title is what the headline task
    generates, and every task on the file then embeds the same texts, so an encoder embeds the file once.
    """
    rows = read_labelled(path, ("label", "text"), ("label", "title", "text"))
    return [r[0] for r in rows], [r[-1] for r in rows]


def check_classes(labels: list[str], path: Path, minimum: int) -> None:
    """At least two classes, each with at least ``minimum`` items."""
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    if len(counts) < 2:
        raise EmbbenchError(f"only one class ({next(iter(counts))}); a task needs at least two", str(path))
    small = sorted(c for c, n in counts.items() if n < minimum)
    if small:
        raise EmbbenchError(f"class(es) with fewer than {minimum} items: {', '.join(small[:5])}", str(path))
