"""File helpers shared by datasets and tasks: the cache folder, checksummed downloads, data lines."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from embbench.atomic import atomic_write
from embbench.errors import EmbbenchError


def default_cache_dir() -> Path:
    """``$EMBBENCH_CACHE``, else ``$XDG_CACHE_HOME/embbench``, else ``~/.cache/embbench``."""
    if os.environ.get("EMBBENCH_CACHE"):
        return Path(os.environ["EMBBENCH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "embbench"


def fetch(url: str, target: Path, sha256: str | None) -> Path:
    """Download ``url`` to ``target`` atomically; a checksum mismatch deletes the download and raises."""
    digest = hashlib.sha256()

    def download(handle: BinaryIO) -> None:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    handle.write(chunk)
        except OSError as exc:
            raise EmbbenchError(f"download failed: {exc}", url) from None
        if sha256 and digest.hexdigest() != sha256:
            raise EmbbenchError(f"sha256 mismatch: expected {sha256}, got {digest.hexdigest()}", url)

    return atomic_write(target, download)


def iter_data_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, line without newline) of a UTF-8 text file, skipping blank lines."""
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                line = line.rstrip("\r\n")
                if line.strip():
                    yield number, line
    except FileNotFoundError:
        raise EmbbenchError("file not found", str(path)) from None
    except UnicodeDecodeError as exc:
        raise EmbbenchError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", str(path)) from None
