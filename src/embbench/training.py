"""Caching of fitted word vectors, keyed by provider, options and the exact input (corpus or base vectors)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from embbench.api import Context, Provider, WordVectors
from embbench.vectors import load_cached, save_cached

CACHE_VERSION = 1


def fit_key(provider: Provider, inputs: str) -> str:
    """A stable hash of the provider's name, options and the sha256 (or other identity) of its inputs."""
    ident = json.dumps([CACHE_VERSION, provider.name, provider.options.model_dump(mode="json"), inputs], sort_keys=True)
    return hashlib.sha256(ident.encode()).hexdigest()[:24]


def cached_fit(
    context: Context,
    provider: Provider,
    inputs: str,
    build: Callable[[], tuple[list[str], np.ndarray, dict[str, Any]]],
) -> tuple[WordVectors, dict[str, Any]]:
    """Return the provider's vectors from the cache, or build, time and store them.

    ``build`` returns (words, matrix, provenance); the stored provenance gains ``fit_seconds``.
    """
    directory = context.cache_dir / "fitted" / provider.name / fit_key(provider, inputs)
    if (directory / "meta.json").exists():
        vectors, meta = load_cached(directory)
        return vectors, {**meta, "from_cache": True}
    start = time.perf_counter()
    words, matrix, provenance = build()
    provenance = {**provenance, "fit_seconds": round(time.perf_counter() - start, 3)}
    save_cached(directory, words, matrix, provenance)
    vectors, meta = load_cached(directory)
    return vectors, {**meta, "from_cache": False}
