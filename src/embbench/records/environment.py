"""The software and hardware a record was made on, so a number that does not reproduce can be explained."""

from __future__ import annotations

import os
import platform
from functools import lru_cache
from importlib import metadata
from typing import Any

PACKAGES = ("numpy", "scipy", "scikit-learn", "pandas", "torch", "gensim", "transformers", "sentence-transformers",
            "sacrebleu", "threadpoolctl", "numba")  # fmt: skip


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> list[dict[str, Any]]:
    from threadpoolctl import threadpool_info

    return [
        {"api": pool.get("internal_api"), "version": pool.get("version"), "threads": pool.get("num_threads"),
         "architecture": pool.get("architecture")}
        for pool in threadpool_info()
        if pool.get("user_api") == "blas"
    ]  # fmt: skip


@lru_cache(maxsize=1)
def environment() -> dict[str, Any]:
    """Python, the versions of the numeric libraries, the BLAS library and its threads, the CPU and the OS."""
    import numpy  # noqa: F401  (loads the BLAS that threadpoolctl reports)

    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "python": platform.python_version(),
        "packages": packages,
        "blas": _blas(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
    }


def differences(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """Human-readable differences between two environments (``numpy 2.1.0 -> 2.2.1``)."""
    changes = []
    for name in sorted(set(first.get("packages", {})) | set(second.get("packages", {}))):
        old, new = first.get("packages", {}).get(name), second.get("packages", {}).get(name)
        if old != new:
            changes.append(f"{name} {old} -> {new}")
    for key in ("python", "blas", "cpu", "cpu_count", "os"):
        if first.get(key) != second.get(key):
            changes.append(f"{key} {first.get(key)} -> {second.get(key)}")
    return changes
