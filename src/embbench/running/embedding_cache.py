"""Embeddings stored once per (provider identity, item) and shared across tasks and runs.

A provider's folder holds shards, each a ``.npz`` of items' keys (16 bytes of the sha256 of how an item is embedded,
as a text, a word or a graph node, and the item: the text, or the node's graph and id), their vectors and their
coverage. A request embeds only the texts that no
shard holds yet and adds them as one new shard, so a sentence that two tasks share is embedded once.
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embbench._util.atomic import atomic_write, built_once
from embbench.contract import NODE, Embedded, Node, Provider, node_keys
from embbench.errors import warn

MIN_TEXTS = 64  # smaller requests are cheaper to recompute than to look up
SHARD_PREFIX = "texts-"


def text_keys(kind: str, texts: Sequence[str]) -> np.ndarray:
    """Each text's key: 16 bytes of the sha256 of ``kind`` (texts or words) and the text."""
    prefix = kind.encode() + b"\0"
    return np.array([hashlib.sha256(prefix + text.encode("utf-8")).digest()[:16] for text in texts], dtype="S16")


class ShardStore:
    """The shards in one provider's folder: which texts they hold, and their rows."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.shards = sorted(directory.glob(f"{SHARD_PREFIX}*.npz")) if directory.is_dir() else []
        keys = [self._keys(path) for path in self.shards]
        self.shards = [path for path, k in zip(self.shards, keys, strict=True) if k is not None]
        held = [k for k in keys if k is not None]
        self.keys = np.concatenate(held) if held else np.empty(0, dtype="S16")
        self.shard_of = np.repeat(np.arange(len(held)), [len(k) for k in held])
        self.row_of = np.concatenate([np.arange(len(k)) for k in held]) if held else np.empty(0, dtype=np.int64)
        self.order = np.argsort(self.keys, kind="stable")

    @staticmethod
    def _keys(path: Path) -> np.ndarray | None:
        try:
            with np.load(path, allow_pickle=False) as stored:
                return stored["keys"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            warn(f"embedding cache entry {path} is damaged ({type(exc).__name__}); recomputing it")
            path.unlink(missing_ok=True)
            return None

    def find(self, keys: np.ndarray) -> np.ndarray:
        """For each key, its position in ``self.keys``, or -1 where no shard holds it."""
        if not len(self.keys):
            return np.full(len(keys), -1)
        at = np.minimum(np.searchsorted(self.keys, keys, sorter=self.order), len(self.keys) - 1)
        position = self.order[at]
        return np.where(self.keys[position] == keys, position, -1)

    def add(self, keys: np.ndarray, embedded: Embedded) -> None:
        name = f"{SHARD_PREFIX}{hashlib.sha256(keys.tobytes()).hexdigest()[:32]}.npz"
        atomic_write(self.directory / name, lambda handle: np.savez(
            handle, keys=keys, vectors=embedded.vectors, covered=embedded.covered))  # fmt: skip

    def gather(self, positions: np.ndarray) -> Embedded | None:
        """The rows at ``positions`` (all held), from their shards; None when a shard turned out damaged."""
        vectors: np.ndarray | None = None
        covered = np.zeros(len(positions), dtype=bool)
        for shard in np.unique(self.shard_of[positions]):
            wanted = np.flatnonzero(self.shard_of[positions] == shard)
            rows = self.row_of[positions[wanted]]
            path = self.shards[shard]
            try:
                with np.load(path, allow_pickle=False) as stored:
                    shard_vectors, shard_covered = stored["vectors"], stored["covered"]
                if vectors is None:
                    vectors = np.empty((len(positions), shard_vectors.shape[1]), dtype=shard_vectors.dtype)
                vectors[wanted], covered[wanted] = shard_vectors[rows], shard_covered[rows]
            except (OSError, ValueError, KeyError, EOFError, IndexError, zipfile.BadZipFile) as exc:
                warn(f"embedding cache entry {path} is damaged ({type(exc).__name__}); recomputing it")
                path.unlink(missing_ok=True)
                return None
        return Embedded(vectors, covered) if vectors is not None else None


class CachingProvider:
    """A fitted provider whose embeddings (and coverage) are kept, text by text, under ``directory``, a folder
    named by the provider's identity (None: not kept); everything else is forwarded. ``seconds`` adds up the time
    spent getting embeddings, from the provider or the cache; ``texts_embedded`` and ``texts_seconds`` count the
    texts (sentences, documents: not words) the provider itself embedded and the time it took, its throughput."""

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

    def embed_nodes(self, nodes: Sequence[Node]) -> Embedded:
        """A node provider's vectors of nodes, kept by node (graph and id); a text provider's, by their names."""
        if NODE not in self._provider.item_kinds:
            return Provider.embed_nodes(self, nodes)  # type: ignore[arg-type]  # names, through embed_with_coverage
        keys = node_keys(nodes)
        by_key = dict(zip(keys, nodes, strict=True))
        return self._cached("nodes", keys, lambda wanted: self._provider.embed_nodes([by_key[k] for k in wanted]))

    def _cached(self, kind: str, texts: Sequence[str], compute: Callable[[Sequence[str]], Embedded]) -> Embedded:
        start = time.perf_counter()
        try:
            if self._directory is None or len(texts) < MIN_TEXTS:
                return compute(texts)
            return self._lookup(text_keys(kind, texts), texts, compute)
        finally:
            self.seconds += time.perf_counter() - start

    def _lookup(self, keys: np.ndarray, texts: Sequence[str], compute: Callable[[Sequence[str]], Embedded]) -> Embedded:
        """Held texts from their shards; the others (each once) from the provider, kept as a new shard. Requests
        for the same missing texts at once (tasks of one provider on one file, in parallel workers) take turns,
        so those texts are embedded once; requests for other texts embed side by side."""
        assert self._directory is not None
        for _ in range(2):  # a damaged shard is dropped, and its texts embedded again
            store = ShardStore(self._directory)
            positions = store.find(keys)
            if (positions < 0).any():
                missing = np.unique(keys[positions < 0])
                batch = f"{SHARD_PREFIX}{hashlib.sha256(missing.tobytes()).hexdigest()[:32]}"
                with built_once(self._directory / batch):
                    store = ShardStore(self._directory)  # another process may have embedded them meanwhile
                    positions = store.find(keys)
                    _, first = np.unique(keys[positions < 0], return_index=True)
                    if len(first):
                        new = np.flatnonzero(positions < 0)[np.sort(first)]
                        store.add(keys[new], compute([texts[i] for i in new]))
                        store = ShardStore(self._directory)
                        positions = store.find(keys)
            gathered = store.gather(positions)
            if gathered is not None:
                return gathered
        return compute(texts)
