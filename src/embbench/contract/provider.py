"""The provider contract: turns text into vectors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from embbench.contract.options import Configured, OptionsT

if TYPE_CHECKING:
    from embbench.contract.context import Context
    from embbench.words import WordVectors


class Embedded(NamedTuple):
    """Vectors of some texts and which of them the provider could embed (``covered``); a zero vector is a vector."""

    vectors: np.ndarray
    covered: np.ndarray


class Provider(Configured[OptionsT], ABC):
    """Turns text into vectors. Subclasses set ``name``, ``Options`` and implement ``embed``.

    ``fit(context)`` loads or trains (the runner calls it once; tasks never do); fitted state ends in ``_``.
    """

    def inputs(self, context: Context) -> dict[str, str]:
        """Content fingerprints of what the provider is built from (vector files, model folders, corpora, a base
        provider), by what they are (``"vector file"``). Called while a run is planned, before anything runs:
        raise ``EmbbenchError`` naming the option when an input is missing. A record whose inputs differ is redone.
        """
        return {}

    def fit(self, context: Context) -> Provider:
        """Load or train whatever the provider needs; returns self."""
        return self

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array (len(texts), dim)."""

    def embed_with_coverage(self, texts: Sequence[str]) -> Embedded:
        """Vectors of ``texts`` and a mask of those the provider could embed (all of them, by default)."""
        vectors = np.asarray(self.embed(texts), dtype=np.float32)
        return Embedded(vectors, np.ones(len(texts), dtype=bool))

    def embed_words(self, words: Sequence[str]) -> Embedded:
        """Vectors of single words, for word tasks (a vocabulary looks each word up whole first)."""
        return self.embed_with_coverage(words)

    def word_vectors(self) -> WordVectors | None:
        """The static vocabulary and matrix, for providers that have one (word tasks search it)."""
        return None

    def provenance(self) -> dict[str, Any]:
        """Facts about how the provider was built (corpus sha256, training seconds, ...), stored in records."""
        return {}

    def vector_bytes(self, count: int) -> int | None:
        """Bytes that ``count`` of its text embeddings take as the provider stores them (int8 or binary codes);
        None when they are the float32 vectors ``embed`` returns. A search task reports it as its index's size."""
        return None

    def resources(self) -> dict[str, float]:
        """What one run of this provider needs from a cluster (Ray resource names: num_cpus, num_gpus)."""
        return {"num_cpus": 1}
