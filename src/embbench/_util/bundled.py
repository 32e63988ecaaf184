"""The folders of data that ship with embbench (task cards, suites): inside the wheel, or the source tree's own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]


def bundled_dir(name: str) -> Path:
    """The top-level folder ``name`` of the repository (``tasks``, ``suites``): a wheel carries it as
    ``embbench/_bundled/<name>``; an editable install or a source checkout reads the repository's folder."""
    inside = Path(str(resources.files("embbench"))) / "_bundled" / name
    return inside if inside.is_dir() else REPOSITORY / name
