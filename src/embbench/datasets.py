"""Dataset registry: bundled files with attribution and sha256, user files, and checksummed downloads."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from embbench.errors import EmbbenchError
from embbench.hookspecs import hookimpl

DATA_DIR = Path(str(resources.files("embbench") / "data"))


@dataclass(frozen=True)
class Dataset:
    """A named evaluation dataset: a local file (bundled or cached) or a URL fetched once and checksummed."""

    name: str
    kind: str
    path: Path | None = None
    sha256: str | None = None
    url: str | None = None
    rows: int | None = None
    source: str = ""
    licence: str = ""
    citation: str = ""

    def local_path(self, cache_dir: Path | None = None) -> Path:
        """The file on disk, downloading it (with checksum verification) when it only has a URL."""
        if self.path is not None:
            return self.path
        if self.url is None:
            raise EmbbenchError("has neither a path nor a url", f"dataset '{self.name}'")
        target = (cache_dir or default_cache_dir()) / "datasets" / self.name / Path(self.url).name
        if not target.exists():
            fetch(self.url, target, self.sha256)
        return target

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "rows": self.rows,
            "source": self.source,
            "licence": self.licence,
            "citation": self.citation,
            "sha256": self.sha256,
        }


def default_cache_dir() -> Path:
    """``$EMBBENCH_CACHE``, else ``$XDG_CACHE_HOME/embbench``, else ``~/.cache/embbench``."""
    if os.environ.get("EMBBENCH_CACHE"):
        return Path(os.environ["EMBBENCH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "embbench"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, target: Path, sha256: str | None) -> Path:
    """Download ``url`` to ``target`` atomically; a checksum mismatch deletes the download and raises."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                shutil.copyfileobj(response, tmp)
        except OSError as exc:
            os.unlink(tmp.name)
            raise EmbbenchError(f"download failed: {exc}", url) from None
    actual = sha256_file(Path(tmp.name))
    if sha256 and actual != sha256:
        os.unlink(tmp.name)
        raise EmbbenchError(f"sha256 mismatch: expected {sha256}, got {actual}", url)
    os.replace(tmp.name, target)
    return target


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


@lru_cache(maxsize=1)
def bundled_datasets() -> tuple[Dataset, ...]:
    """The datasets shipped inside the package, from data/MANIFEST.json."""
    manifest = json.loads((DATA_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    return tuple(
        Dataset(
            name=Path(item["path"]).name.split(".")[0],
            kind=Path(item["path"]).parent.name,
            path=DATA_DIR / item["path"],
            sha256=item["sha256"],
            rows=item.get("rows") if isinstance(item.get("rows"), int) else None,
            source=item.get("source", ""),
            licence=item.get("licence", ""),
            citation=item.get("cite", ""),
        )
        for item in manifest
    )


@hookimpl
def register_datasets(register: Callable[..., None]) -> None:
    for dataset in bundled_datasets():
        register(dataset)
