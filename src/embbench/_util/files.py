"""File helpers: the cache folder, checksummed downloads, and reading user files (text, data lines, JSON) with
located errors."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from pydantic import BaseModel, ValidationError

from embbench._util.atomic import atomic_write
from embbench.errors import EmbbenchError

ModelT = TypeVar("ModelT", bound=BaseModel)


def default_cache_dir() -> Path:
    """``$EMBBENCH_CACHE``, else ``$XDG_CACHE_HOME/embbench``, else ``~/.cache/embbench``."""
    if os.environ.get("EMBBENCH_CACHE"):
        return Path(os.environ["EMBBENCH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "embbench"


def check_writable_folder(path: Path | None, where: str) -> None:
    """A folder that work will write into must not be a file (nor sit under one), and must be writable (its
    nearest existing parent, when it does not exist yet): checked before any work starts."""
    if path is None:
        return
    for part in (path, *path.parents):
        if not part.exists():
            continue
        if not part.is_dir():
            raise EmbbenchError(f"{part} is a file, not a folder", where)
        if not os.access(part, os.W_OK | os.X_OK):  # also false for root on a read-only file system
            raise EmbbenchError(f"{part} is not writable" + ("" if part == path else f" (to create {path})"), where)
        return


def cache_folder(cache: Path | None, option: str = "--cache") -> Path:
    """The cache folder a command uses (``cache``, else the default), checked as writable; an error names the
    option, or ``EMBBENCH_CACHE`` when the folder came from it."""
    where = option if cache else ("EMBBENCH_CACHE" if os.environ.get("EMBBENCH_CACHE") else "the cache folder")
    folder = cache or default_cache_dir()
    check_writable_folder(folder, where)
    return folder


def fetch(url: str, target: Path, sha256: str | None) -> Path:
    """Download ``url`` to ``target`` atomically; a checksum mismatch deletes the download and raises."""
    digest = hashlib.sha256()

    def download(handle: BinaryIO) -> None:
        try:
            import urllib.request  # only when a download is needed

            with urllib.request.urlopen(url, timeout=60) as response:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    handle.write(chunk)
        except OSError as exc:
            raise EmbbenchError(f"download failed: {exc}", url) from None
        if sha256 and digest.hexdigest() != sha256:
            raise EmbbenchError(f"sha256 mismatch: expected {sha256}, got {digest.hexdigest()}", url)

    return atomic_write(target, download)


def read_text_file(path: Path) -> str:
    """A UTF-8 text file (a byte-order mark and CRLF line ends accepted); problems are located errors."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise EmbbenchError("file not found", str(path)) from None
    except IsADirectoryError:
        raise EmbbenchError("is a folder, not a file", str(path)) from None
    except OSError as exc:
        raise EmbbenchError(f"cannot read: {exc.strerror}", str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EmbbenchError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8", f"{path}:{line}"
        ) from None
    return text.replace("\r\n", "\n")


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict; problems (unreadable, not UTF-8, not TOML) are located errors."""
    import tomllib

    try:
        return tomllib.loads(read_text_file(path))
    except tomllib.TOMLDecodeError as exc:
        raise EmbbenchError(f"not valid TOML: {exc}", str(path)) from None


def iter_data_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, line without newline) of a UTF-8 text file, skipping blank lines."""
    for number, line in enumerate(read_text_file(path).split("\n"), start=1):
        line = line.rstrip("\r")
        if line.strip():
            yield number, line


def read_json(path: Path, schema: type[ModelT]) -> ModelT:
    """A JSON file validated by a pydantic ``schema``; errors name the file and the JSON path (or line)."""
    text = read_text_file(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EmbbenchError(f"not valid JSON: {exc.msg}", f"{path}:{exc.lineno}") from None
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise EmbbenchError(validation_problems(exc), str(path)) from None


def validation_problems(exc: ValidationError) -> str:
    """A pydantic error as ``at <json path>: <what>`` items."""
    problems = []
    for error in exc.errors(include_url=False)[:5]:
        extra = error["type"] == "extra_forbidden"
        where = json_path(error["loc"][:-1] if extra else error["loc"]) or "the top"
        problems.append(f"at {where}: " + (f"unknown key '{error['loc'][-1]}'" if extra else error["msg"]))
    return "; ".join(problems)


def json_path(location: tuple[int | str, ...]) -> str:
    """``tests[2].first_target.words`` from pydantic's location tuple (0-based list indices)."""
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
