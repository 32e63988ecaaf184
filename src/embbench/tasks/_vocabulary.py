"""What the word tasks search: a provider's static vocabulary, and gensim's view of it (upper-case folding within
the first ``restrict_vocab`` words) for ``protocol=gensim``."""

from __future__ import annotations

from embbench.contract import Provider
from embbench.errors import SkipTask
from embbench.words import WordVectors

GENSIM_RESTRICT_VOCAB = 300_000
"""gensim's default ``restrict_vocab`` for word-pair and analogy evaluation."""


def require_word_vectors(provider: Provider) -> WordVectors:
    """The provider's static vocabulary, or a skip when it has none (e.g. a sentence encoder)."""
    vectors = provider.word_vectors()
    if vectors is None:
        raise SkipTask(f"provider '{provider.name}' has no word vocabulary to search")
    return vectors


def gensim_vocabulary(vectors: WordVectors, restrict_vocab: int) -> dict[str, list[int]]:
    """gensim's ``ok_vocab``: upper-cased first ``restrict_vocab`` words; the first spelling is the word's row."""
    return vectors.folded_rows(restrict_vocab)
