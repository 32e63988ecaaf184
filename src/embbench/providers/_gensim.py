"""Shared machinery of the gensim-trained providers (word2vec, fasttext): options, training, caching."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from pydantic import Field, model_validator

from embbench.contract import Context
from embbench.errors import EmbbenchError
from embbench.providers._corpus import Corpus
from embbench.providers._training import (
    cached_fit,
    check_dim,
    corpus_inputs,
    path_inputs,
    provider_corpus,
    provider_vocabulary,
)
from embbench.words import WordOptions, WordProvider


def gensim_hashfxn(text: str) -> int:
    """gensim's word hash for seeding vectors, the same in every process (Python's ``hash`` is salted)."""
    return zlib.crc32(text.encode("utf-8"))


class GensimOptions(WordOptions):
    """Hyperparameters shared by gensim's Word2Vec and FastText (names as in the papers)."""

    corpus: str | None = "sotu"
    path: str | None = None
    architecture: Literal["skipgram", "cbow"] = "skipgram"
    objective: Literal["negative", "hierarchical-softmax"] = "negative"
    negative: int = Field(5, ge=1)
    dim: int = Field(100, ge=1)
    window: int = Field(5, ge=1)
    min_count: int = Field(5, ge=1)
    epochs: int = Field(5, ge=1)
    sample: float = Field(1e-3, ge=0)
    alpha: float = Field(0.025, gt=0)
    seed: int = 0
    workers: int = Field(1, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _path_replaces_corpus(cls, values: Any) -> Any:
        if isinstance(values, dict) and values.get("path"):
            values = {**values, "corpus": None}
        return values


GensimOptionsT = TypeVar("GensimOptionsT", bound=GensimOptions)


class GensimTrained(WordProvider[GensimOptionsT]):
    """Trains a gensim model on a corpus (cached by corpus sha256 and options) or loads a pretrained file."""

    def model_class(self) -> Any:
        raise NotImplementedError

    def model_parameters(self) -> dict[str, Any]:
        """Extra constructor arguments of the gensim model class."""
        return {}

    def load_pretrained(self, path: Path, context: Context) -> None:
        raise NotImplementedError

    def inputs(self, context: Context) -> dict[str, str]:
        return path_inputs(self, context, "model file") if self.options.path else corpus_inputs(self, context)

    def fit(self, context: Context) -> GensimTrained:
        if self.options.path:
            self.load_pretrained(Path(self.options.path).expanduser(), context)
            return self
        corpus = provider_corpus(self)
        self.vectors_, self.provenance_, self.folder_ = cached_fit(
            context, self, lambda folder: self._train(corpus, folder), check=self.check_cache, corpus=corpus
        )
        self.after_fit()
        return self

    def check_cache(self, folder: Path) -> None:
        """Verify what ``save_model`` kept in a cache folder (raise ``DamagedCache``); nothing by default."""

    def after_fit(self) -> None:
        """Hook for subclasses that need more than the vectors from the cache folder."""

    def _train(self, corpus: Corpus, folder: Path) -> tuple[list[str], np.ndarray, dict[str, Any]]:
        options = self.options
        words = provider_vocabulary(self, corpus)
        check_dim(self, len(words), "vocabulary size")
        model = self.model_class()(
            sentences=[list(s) for s in corpus.sentences],
            vector_size=options.dim,
            window=options.window,
            min_count=options.min_count,
            sg=int(options.architecture == "skipgram"),
            hs=int(options.objective == "hierarchical-softmax"),
            negative=options.negative if options.objective == "negative" else 0,
            sample=options.sample,
            alpha=options.alpha,
            epochs=options.epochs,
            seed=options.seed,
            workers=options.workers,
            hashfxn=gensim_hashfxn,
            **self.model_parameters(),
        )
        vectors = model.wv
        if not np.isfinite(vectors.vectors).all():
            raise EmbbenchError("training produced NaN or inf (try a smaller alpha)", f"provider '{self.name}'")
        self.save_model(model, folder)
        return list(vectors.index_to_key), vectors.vectors, {"seed": options.seed, "vocabulary": len(vectors)}

    def save_model(self, model: Any, folder: Path) -> None:
        """Keep what later loads need beside the cached vectors (nothing by default)."""
