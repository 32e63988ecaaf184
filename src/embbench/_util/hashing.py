"""Stable hashes of data and content fingerprints of files and folders.

A file's fingerprint is the sha256 of its bytes. It is computed once and remembered under the file's
(path, size, mtime, inode), in memory and in a memo folder of the cache, so a rerun does not rehash gigabytes
while a replaced or edited file is always hashed again. Every cache key in embbench is built from these
fingerprints, never from a path alone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from embbench._util.atomic import atomic_write

CHUNK = 1 << 20
_MEMO: dict[tuple[str, int, int, int], str] = {}


def stable_hash(value: Any, length: int = 24) -> str:
    """Hex sha256 of a JSON-serialisable value (keys sorted), the same in every process and on every machine."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stat_key(path: Path) -> tuple[str, int, int, int]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)


def fingerprint(path: Path, memo_dir: Path | None = None) -> str:
    """Content sha256 of a file, or of a folder (its files' relative paths and fingerprints), remembered by stat."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return stable_hash([[str(p.relative_to(path)), fingerprint(p, memo_dir)] for p in files], 64)
    key = _stat_key(path)
    if key in _MEMO:
        return _MEMO[key]
    memo = memo_dir / stable_hash(key, 32) if memo_dir is not None else None
    digest = memo.read_text(encoding="ascii").strip() if memo is not None and memo.is_file() else ""
    if len(digest) != 64:
        digest = sha256_file(path)
        if memo is not None:
            atomic_write(memo, digest)
    _MEMO[key] = digest
    return digest
