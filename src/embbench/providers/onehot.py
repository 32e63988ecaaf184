"""One-hot vectors over a corpus vocabulary: the classic baseline, sparse inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from embbench.contract import Context
from embbench.hookspecs import Register, hookimpl
from embbench.providers._training import corpus_inputs, corpus_provenance, provider_corpus, provider_vocabulary
from embbench.words import WordOptions, WordProvider, WordVectors

if TYPE_CHECKING:
    pass


class OneHotOptions(WordOptions):
    corpus: str = "sotu"
    min_count: int = Field(1, ge=1)
    max_vocab: int | None = Field(None, ge=1)


class OneHot(WordProvider[OneHotOptions]):
    """Each vocabulary word is its own dimension; a sentence is its (pooled) bag of words."""

    name = "onehot"
    description = "one-hot vectors over a corpus vocabulary (sparse)"

    def inputs(self, context: Context) -> dict[str, str]:
        return corpus_inputs(self, context)

    def fit(self, context: Context) -> OneHot:
        import scipy.sparse

        corpus = provider_corpus(self)
        words = provider_vocabulary(self, corpus)
        self.vectors_ = WordVectors(words, scipy.sparse.identity(len(words), dtype=np.float32, format="csr"))
        self.provenance_ = {**corpus_provenance(corpus), "vocabulary": len(words)}
        return self


@hookimpl
def register_providers(register: Register) -> None:
    register(OneHot)
