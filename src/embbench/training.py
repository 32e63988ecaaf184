"""Caching of fitted providers, keyed by provider, options and the exact input (corpus or base vectors)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from embbench.api import Context, Provider, WordVectors
from embbench.corpus import Corpus, load_corpus
from embbench.errors import EmbbenchError
from embbench.vectors import load_cached, save_cached

CACHE_VERSION = 1
Build = Callable[[Path], tuple[list[str], np.ndarray, dict[str, Any]]]


def fit_key(provider: Provider, inputs: str) -> str:
    """A stable hash of the provider's name, options and the sha256 (or other identity) of its inputs."""
    ident = json.dumps([CACHE_VERSION, provider.name, provider.options.model_dump(mode="json"), inputs], sort_keys=True)
    return hashlib.sha256(ident.encode()).hexdigest()[:24]


def cached_fit(
    context: Context, provider: Provider, inputs: str, build: Build
) -> tuple[WordVectors, dict[str, Any], Path]:
    """The provider's vectors from the cache, or built, timed and stored there.

    ``build(folder)`` returns (words, matrix, provenance) and may save other artifacts (a model, a decoder)
    into ``folder``; they are kept in the returned cache folder. Provenance gains ``fit_seconds``.
    """
    directory = context.cache_dir / "fitted" / provider.name / fit_key(provider, inputs)
    if not (directory / "meta.json").exists():
        work = directory.with_name(directory.name + f".tmp{os.getpid()}")
        work.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        try:
            words, matrix, provenance = build(work)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        provenance = {**provenance, "fit_seconds": round(time.perf_counter() - start, 3)}
        save_cached(directory, words, matrix, provenance, work=work)
        vectors, meta = load_cached(directory)
        return vectors, {**meta, "from_cache": False}, directory
    vectors, meta = load_cached(directory)
    return vectors, {**meta, "from_cache": True}, directory


def provider_corpus(provider: Provider) -> Corpus:
    """The corpus named by the provider's ``corpus`` option; problems name the provider and the option."""
    try:
        return load_corpus(provider.options.corpus)
    except EmbbenchError as exc:
        raise EmbbenchError(str(exc), f"provider '{provider.name}' option 'corpus'") from None


def provider_vocabulary(provider: Provider, corpus: Corpus, at_least: int = 1) -> list[str]:
    """The corpus words kept by the provider's ``min_count`` (and ``max_vocab``, if it has one), most frequent first.

    Fewer than ``at_least`` words is an error naming the provider's ``min_count`` option.
    """
    options = provider.options
    words = corpus.vocabulary(options.min_count, getattr(options, "max_vocab", None))
    if len(words) < at_least:
        raise EmbbenchError(
            f"corpus '{corpus.name}' has {len(words)} words occurring at least {options.min_count} times;"
            f" {provider.name} needs at least {at_least}",
            f"provider '{provider.name}' option 'min_count'",
        )
    return words


def check_dim(provider: Provider, available: int, what: str) -> None:
    """Refuse a ``dim`` option larger than what the data can give (e.g. the vocabulary size)."""
    dim = provider.options.dim
    if dim > available:
        raise EmbbenchError(
            f"dim={dim} is larger than the {what} ({available})", f"provider '{provider.name}' option 'dim'"
        )
