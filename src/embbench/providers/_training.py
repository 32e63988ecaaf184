"""Caching of fitted providers, keyed by provider, options and the exact input (corpus or base vectors)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from embbench._util.atomic import built_once, work_folder
from embbench._util.hashing import stable_hash
from embbench.contract import Context, Provider
from embbench.errors import EmbbenchError
from embbench.providers._corpus import Corpus, corpus_files, load_corpus
from embbench.providers._vectors import load_cached, reuse_cached, save_cached
from embbench.words import WordOptionsT, WordProvider, WordVectors

CACHE_VERSION = 3  # 2: keyed by provider version and input fingerprints; 3: self-checking metadata
Build = Callable[[Path], tuple[list[str], np.ndarray, dict[str, Any]]]


def fit_folder(context: Context, provider: Provider) -> Path:
    """The cache folder of a fitted provider: keyed by its name, version, fit options and input fingerprints."""
    key = stable_hash([CACHE_VERSION, provider.name, type(provider).version, provider.options.fit_options(),
                       provider.inputs(context)])  # fmt: skip
    return context.cache_dir / "fitted" / provider.name / key


def cached_fit(
    context: Context, provider: Provider, build: Build, check: Callable[[Path], object] | None = None,
    corpus: Corpus | None = None,
) -> tuple[WordVectors, dict[str, Any], Path]:  # fmt: skip
    """The provider's vectors from the cache, or built, timed and stored there.

    ``build(folder)`` returns (words, matrix, provenance) and may save other artifacts (a model, a decoder)
    into ``folder``; they are kept in the returned cache folder (``check(folder)`` verifies them on reuse, raising
    ``DamagedCache``). Provenance gains ``fit_seconds``, and the ``corpus`` trained on (name, sha256, tokens),
    which is added on the way out, so a fit cached before it was recorded reports it too. Processes fitting the
    same provider at once fit it once.
    """
    vectors, meta, directory = _cached_build(context, provider, build, check)
    return vectors, {**meta, **(corpus_provenance(corpus) if corpus else {})}, directory


def _cached_build(
    context: Context, provider: Provider, build: Build, check: Callable[[Path], object] | None
) -> tuple[WordVectors, dict[str, Any], Path]:
    """``cached_fit`` without the corpus: the cache entry's vectors and stored provenance, built first if missing."""
    directory = fit_folder(context, provider)
    with built_once(directory):
        cached = reuse_cached(directory, check)
        if cached is not None:
            vectors, meta = cached
            return vectors, {**meta, "from_cache": True}, directory
        work = work_folder(directory)
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


def corpus_provenance(corpus: Corpus) -> dict[str, Any]:
    """What a provider trained on ``corpus`` records about it."""
    return {"corpus": corpus.name, "corpus_sha256": corpus.sha256, "corpus_tokens": corpus.n_tokens}


def corpus_inputs(provider: Provider, context: Context, option: str = "corpus") -> dict[str, str]:
    """The fingerprint of the corpus named by the provider's ``option`` (every file of a folder)."""
    try:
        files = corpus_files(getattr(provider.options, option))
    except EmbbenchError as exc:
        raise EmbbenchError(exc.what, f"provider '{provider.name}' option '{option}'") from None
    return {option: stable_hash([context.fingerprint(path) for path in files], 64)}


def path_inputs(provider: Provider, context: Context, what: str, option: str = "path") -> dict[str, str]:
    """The fingerprint of the file (or folder) named by an option; a missing one is an error naming the option."""
    path = Path(getattr(provider.options, option)).expanduser()
    if not path.exists():
        raise EmbbenchError(f"{what} not found: {path}", f"provider '{provider.name}' option '{option}'")
    return {what: context.fingerprint(path)}


def base_inputs(provider: Provider, context: Context) -> dict[str, str]:
    """The inputs of the provider named by ``base=``, each prefixed ``base``."""
    try:
        inputs = context.provider_inputs(provider.options.base)
    except EmbbenchError as exc:
        raise EmbbenchError(str(exc), f"provider '{provider.name}' option 'base'") from None
    return {f"base {what}": value for what, value in inputs.items()}


def provider_corpus(provider: Provider, option: str = "corpus") -> Corpus:
    """The corpus named by the provider's ``option``; problems name the provider and the option."""
    try:
        return load_corpus(getattr(provider.options, option))
    except EmbbenchError as exc:
        raise EmbbenchError(str(exc), f"provider '{provider.name}' option '{option}'") from None


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


class CorpusOrBase(WordProvider[WordOptionsT]):
    """A word provider built from a corpus (``corpus=``) or from another provider's vectors (``base=``)."""

    def inputs(self, context: Context) -> dict[str, str]:
        return base_inputs(self, context) if self.options.base else corpus_inputs(self, context)

    def base_vectors(self, context: Context) -> WordVectors:
        """The fitted base provider's word vectors; a base without a vocabulary is an error naming the option."""
        vectors = context.make_provider(self.options.base).word_vectors()
        if vectors is None:
            raise EmbbenchError("the base provider has no word vocabulary", f"provider '{self.name}' option 'base'")
        return vectors
