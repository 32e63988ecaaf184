"""Count-based embeddings: PPMI word co-occurrence reduced by truncated SVD, or PCA of another provider."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from embbench.contract import Context
from embbench.hookspecs import Register, hookimpl
from embbench.providers._cooccurrence import cooccurrence, ppmi
from embbench.providers._corpus import Corpus
from embbench.providers._training import (
    CorpusOrBase,
    cached_fit,
    check_dim,
    provider_corpus,
    provider_vocabulary,
)
from embbench.words import WordOptions


class PCAOptions(WordOptions):
    corpus: str = "sotu"
    base: str | None = None
    dim: int = Field(100, ge=1)
    window: int = Field(5, ge=1)
    min_count: int = Field(5, ge=1)
    max_vocab: int | None = Field(None, ge=1)
    cds: float = Field(0.75, gt=0, le=1)
    eig: float = Field(0.5, ge=0, le=1)
    seed: int = 0


class PCA(CorpusOrBase[PCAOptions]):
    """PPMI + truncated SVD of a corpus (``U * S**eig``), or PCA of a base provider's vectors (``base=``)."""

    name = "pca"
    description = "PPMI co-occurrence + truncated SVD of a corpus, or PCA of another provider (base=)"

    def fit(self, context: Context) -> PCA:
        if self.options.base:
            base_vectors = self.base_vectors(context)
            self.vectors_, self.provenance_, _ = cached_fit(context, self, lambda _: self._reduce(base_vectors))
        else:
            corpus = provider_corpus(self)
            self.vectors_, self.provenance_, _ = cached_fit(context, self, lambda _: self._svd(corpus), corpus=corpus)
        return self

    def _svd(self, corpus: Corpus) -> tuple[list[str], np.ndarray, dict[str, Any]]:
        from sklearn.utils.extmath import randomized_svd

        words = provider_vocabulary(self, corpus, at_least=2)
        check_dim(self, len(words) - 1, "vocabulary size minus one")
        ids, starts = corpus.encode({w: i for i, w in enumerate(words)})
        matrix = ppmi(cooccurrence(ids, starts, len(words), self.options.window), self.options.cds)
        u, s, _ = randomized_svd(matrix, self.options.dim, random_state=self.options.seed)
        vectors = u * s**self.options.eig
        return words, vectors, {"vocabulary": len(words)}

    def _reduce(self, base: Any) -> tuple[list[str], np.ndarray, dict[str, Any]]:
        from sklearn.decomposition import PCA as SkPCA

        check_dim(self, min(base.dim, len(base)), "base dimension")
        matrix = base.dense_rows(np.arange(len(base)))
        reduced = SkPCA(self.options.dim, random_state=self.options.seed).fit_transform(matrix)
        return base.words, reduced, {"base": self.options.base, "base_dim": base.dim}


@hookimpl
def register_providers(register: Register) -> None:
    register(PCA)
