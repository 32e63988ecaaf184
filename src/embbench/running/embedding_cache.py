"""Embeddings stored once per (provider identity, exact list of texts) and shared across tasks and runs."""

from __future__ import annotations

import hashlib
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embbench._util.atomic import atomic_write, built_once
from embbench.api import Embedded, Provider
from embbench.errors import warn

MIN_TEXTS = 64  # smaller requests are cheaper to recompute than to look up


def texts_key(kind: str, texts: Sequence[str]) -> str:
    """Hash of the exact list of texts (each length-prefixed) and how they are embedded (texts or words)."""
    digest = hashlib.sha256(kind.encode())
    for text in texts:
        encoded = text.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    return digest.hexdigest()[:32]


class CachingProvider:
    """A fitted provider whose embeddings (and coverage) are kept under ``directory``, a folder named by the
    provider's identity (None: not kept); everything else is forwarded. ``seconds`` adds up the time spent
    getting embeddings, from the provider or the cache; ``texts_embedded`` and ``texts_seconds`` count the texts
    (sentences, documents: not words) the provider itself embedded and the time it took, its throughput."""

    def __init__(self, provider: Provider, directory: Path | None) -> None:
        self._provider = provider
        self._directory = directory
        self.seconds = 0.0
        self.texts_embedded = 0
        self.texts_seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_with_coverage(texts).vectors

    def embed_with_coverage(self, texts: Sequence[str]) -> Embedded:
        return self._cached("texts", texts, self._counted)

    def _counted(self, texts: Sequence[str]) -> Embedded:
        """The provider's own embedding of ``texts``, counted and timed."""
        start = time.perf_counter()
        result = self._provider.embed_with_coverage(texts)
        self.texts_embedded += len(texts)
        self.texts_seconds += time.perf_counter() - start
        return result

    def embed_words(self, words: Sequence[str]) -> Embedded:
        return self._cached("words", words, self._provider.embed_words)

    def _cached(self, kind: str, texts: Sequence[str], compute: Callable[[Sequence[str]], Embedded]) -> Embedded:
        start = time.perf_counter()
        try:
            return self._lookup(kind, texts, compute)
        finally:
            self.seconds += time.perf_counter() - start

    def _lookup(self, kind: str, texts: Sequence[str], compute: Callable[[Sequence[str]], Embedded]) -> Embedded:
        if self._directory is None or len(texts) < MIN_TEXTS:
            return compute(texts)
        path = self._directory / f"{texts_key(kind, texts)}.npz"
        with built_once(path):  # tasks of one provider in parallel workers embed the same texts once
            stored = self._stored(path, len(texts))
            if stored is not None:
                return stored
            result = compute(texts)
            atomic_write(path, lambda handle: np.savez(handle, vectors=result.vectors, covered=result.covered))
            return result

    @staticmethod
    def _stored(path: Path, n_texts: int) -> Embedded | None:
        """The entry at ``path`` if it is there and whole; a damaged one is reported (and then rebuilt)."""
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                vectors, covered = stored["vectors"], stored["covered"]
            if vectors.shape[0] == covered.shape[0] == n_texts:
                return Embedded(vectors, covered)
            warn(f"embedding cache entry {path} holds {vectors.shape[0]} rows for {n_texts} texts; recomputing")
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            warn(f"embedding cache entry {path} is damaged ({type(exc).__name__}); recomputing it")
        return None
