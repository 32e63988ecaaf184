"""Atomic writes: a reader (or a crash) never sees a half-written file or cache folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: Path, data: str | bytes | Callable[[BinaryIO], object]) -> Path:
    """Write ``data`` (text, bytes, or a function that writes to a binary handle) to ``path`` atomically.

    The content goes to a temporary file in the same folder, which is then renamed over ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as tmp:
        try:
            if callable(data):
                data(tmp)
            else:
                tmp.write(data.encode("utf-8") if isinstance(data, str) else data)
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)
    return path


def work_folder(target: Path) -> Path:
    """A fresh folder beside ``target`` to build a cache entry in, before ``publish_folder`` moves it there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=f"{target.name}.tmp"))


def publish_folder(work: Path, target: Path) -> None:
    """Move a finished ``work`` folder to ``target``, replacing what was there."""
    shutil.rmtree(target, ignore_errors=True)
    os.replace(work, target)
