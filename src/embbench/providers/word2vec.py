"""word2vec (Mikolov et al. 2013) trained with gensim on a corpus, or pretrained word2vec files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from embbench.contract import Context
from embbench.hookspecs import Register, hookimpl
from embbench.providers._gensim import GensimOptions, GensimTrained
from embbench.providers._vectors import load_vectors


class Word2Vec(GensimTrained[GensimOptions]):
    """Skip-gram or CBOW with negative sampling or hierarchical softmax (gensim), or ``path=`` a pretrained file."""

    name = "word2vec"
    description = "gensim word2vec trained on a corpus (skip-gram/CBOW), or a pretrained word2vec file (path=)"

    def model_class(self) -> Any:
        from gensim.models import Word2Vec as GensimWord2Vec

        return GensimWord2Vec

    def load_pretrained(self, path: Path, context: Context) -> None:
        self.vectors_, self.provenance_ = load_vectors(path, "auto", context.cache_dir)


@hookimpl
def register_providers(register: Register) -> None:
    register(Word2Vec)
