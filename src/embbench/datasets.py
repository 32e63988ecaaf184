"""Dataset registry: bundled files with attribution and sha256, and datasets fetched once from a URL."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from embbench._util.files import default_cache_dir, fetch
from embbench._util.hashing import fingerprint
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
        cache_dir = cache_dir or default_cache_dir()
        target = cache_dir / "datasets" / self.name / Path(self.url).name
        stale = self.sha256 and target.exists() and fingerprint(target, cache_dir / "fingerprints") != self.sha256
        if stale or not target.exists():  # a download of another version, or a damaged one, is fetched again
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
