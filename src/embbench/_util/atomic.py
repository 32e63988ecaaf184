"""Atomic writes: a reader (or a crash) never sees a half-written file or cache folder."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from embbench.errors import EmbbenchError


def atomic_write(path: Path, data: str | bytes | Callable[[BinaryIO], object]) -> Path:
    """Write ``data`` (text, bytes, or a function that writes to a binary handle) to ``path`` atomically.

    The content goes to a temporary file in the same folder, which is then renamed over ``path``.
    A write the file system refuses (a full disk, a read-only folder) is an error naming ``path``, and leaves
    whatever was there before.
    """
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as tmp:
            tmp_name = tmp.name
            if callable(data):
                data(tmp)
            else:
                tmp.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException as exc:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        if isinstance(exc, OSError):
            raise EmbbenchError(f"cannot write: {exc.strerror or exc}", str(path)) from None
        raise
    return path


@contextlib.contextmanager
def built_once(target: Path) -> Iterator[None]:
    """Hold the lock of the cache entry ``target`` while looking it up and building it, so that processes that
    need the same entry at once build it once: the others wait, then find it built. (An advisory ``flock`` on a
    file named by the entry's path in the system's temporary folder, so cache folders hold only entries; the
    system releases it if the holder dies. The holder removes the file before it lets go, so no lock file
    outlives its build; a waiter that was handed the lock of a removed file takes the current one instead.
    Without ``fcntl`` each process builds, atomically as always.)"""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    folder = Path(tempfile.gettempdir()) / "embbench-locks"
    folder.mkdir(exist_ok=True)
    path = folder / f"{hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:32]}.lock"
    while True:
        handle = open(path, "a")  # noqa: SIM115 (held across the yield, closed below)
        fcntl.flock(handle, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                break  # the lock of the file that is there now
        handle.close()  # its holder removed it: lock the file that replaced it
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        handle.close()  # releases the lock


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def work_folder(target: Path) -> Path:
    """A fresh folder beside ``target`` to build a cache entry in, before ``publish_folder`` moves it there.

    Work folders left by processes that were killed (their pid is in the name) are removed first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f"{target.name}.tmp-*-*"):
        pid = stale.name.removeprefix(f"{target.name}.tmp-").split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=f"{target.name}.tmp-{os.getpid()}-"))


def publish_folder(work: Path, target: Path) -> None:
    """Move a finished ``work`` folder to ``target``. When another process published the same entry first (safe
    under concurrent writers: entries are keyed by content), ours is discarded."""
    try:
        os.replace(work, target)
    except OSError:
        if not target.is_dir():
            raise
        shutil.rmtree(work, ignore_errors=True)
