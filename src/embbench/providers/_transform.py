"""Transforms of another provider's word vectors (``base=PROVIDER_SPEC``): the shared base class."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from embbench.contract import Context
from embbench.errors import EmbbenchError
from embbench.providers._training import base_inputs, cached_fit
from embbench.words import WordOptions, WordOptionsT, WordProvider, WordVectors


class TransformOptions(WordOptions):
    """``base`` is the provider whose vectors are transformed (any spec: ``glove``, ``[glove:path=v.txt]``)."""

    base: str = Field("glove", min_length=1)


class Transform(WordProvider[WordOptionsT]):
    """A word provider made from a base provider's vocabulary and vectors (``base=``); its inputs are the base's."""

    Options: ClassVar[type[TransformOptions]] = TransformOptions  # its parameter is still a type variable

    def inputs(self, context: Context) -> dict[str, str]:
        return base_inputs(self, context)

    def fitted_base(self, context: Context) -> tuple[WordProvider, WordVectors]:
        """The fitted base provider and its word vectors; a base without a vocabulary is an error naming the option."""
        base = context.make_provider(self.options.base)
        vectors = base.word_vectors()
        if vectors is None:
            raise self.option_error("base", "the base provider has no word vocabulary to transform")
        return base, vectors

    def option_error(self, option: str, what: str) -> EmbbenchError:
        return EmbbenchError(what, f"provider '{self.name}' option '{option}'")


class CachedTransform(Transform[WordOptionsT]):
    """A transform computed once into a float32 cache entry, keyed by the base's identity (its input fingerprints)
    and the transform's own options. Provenance records the base's and its own (what it removed, ...)."""

    def fit(self, context: Context) -> CachedTransform:
        base, vectors = self.fitted_base(context)

        def build(_: Any) -> tuple[list[str], np.ndarray, dict[str, Any]]:
            matrix, facts = self.transform(vectors)
            return vectors.words, matrix, {"base": self.options.base, "base_provenance": base.provenance(), **facts}

        self.vectors_, self.provenance_, _ = cached_fit(context, self, build)
        return self

    @abstractmethod
    def transform(self, vectors: WordVectors) -> tuple[np.ndarray, dict[str, Any]]:
        """The transformed (vocabulary x dim) matrix and what the transform did."""


def unit(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1)


def top_components(matrix: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` principal directions (k x dim) of the rows of ``matrix`` (centred), as scikit-learn's PCA."""
    from sklearn.decomposition import PCA

    return PCA(n_components=k).fit(matrix).components_
