"""Datasets: a named file on disk (a task card's data, or a plugin's) or a URL fetched once and checksummed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embbench._util.files import default_cache_dir, fetch
from embbench._util.hashing import fingerprint
from embbench.errors import EmbbenchError


@dataclass(frozen=True)
class Dataset:
    """A named evaluation dataset: a local file (a card's, or cached) or a URL fetched once and checksummed.

    ``card`` is the task card that declared it, so a problem with the data names the card and its key."""

    name: str
    kind: str
    path: Path | None = None
    sha256: str | None = None
    url: str | None = None
    rows: int | None = None
    source: str = ""
    licence: str = ""
    citation: str = ""
    card: Path | None = None

    def local_path(self, cache_dir: Path | None = None) -> Path:
        """The file on disk, downloading it (with checksum verification) when it only has a URL."""
        if self.path is not None:
            if not self.path.is_file():
                raise EmbbenchError(f"the data file {self.path} is missing", self.where("data.file"))
            return self.path
        if self.url is None:
            raise EmbbenchError("has neither a path nor a url", f"dataset '{self.name}'")
        cache_dir = cache_dir or default_cache_dir()
        target = cache_dir / "datasets" / self.name / Path(self.url).name
        stale = self.sha256 and target.exists() and fingerprint(target, cache_dir / "fingerprints") != self.sha256
        if stale or not target.exists():  # a download of another version, or a damaged one, is fetched again
            fetch(self.url, target, self.sha256)
        return target

    def where(self, key: str) -> str:
        """Where a problem with this dataset is reported: the card's file and key, or the dataset's name."""
        return f"{self.card}: {key}" if self.card else f"dataset '{self.name}'"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "rows": self.rows,
            "source": self.source,
            "licence": self.licence,
            "citation": self.citation,
            "sha256": self.sha256,
            "card": str(self.card) if self.card else None,
        }
