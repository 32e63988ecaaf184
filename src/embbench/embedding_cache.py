"""Embeddings stored once per (provider identity, exact list of texts) and shared across tasks and runs."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embbench.api import Provider

MIN_TEXTS = 64  # smaller requests are cheaper to recompute than to look up
VOLATILE = {"fit_seconds", "from_cache", "device"}  # provenance that does not change the vectors


def provider_identity(provider: Provider) -> str:
    """Hash of the provider's name, full options and what it was built from (corpus or file sha256)."""
    provenance = {k: v for k, v in provider.provenance().items() if k not in VOLATILE}
    ident = json.dumps(
        [provider.name, provider.options.model_dump(mode="json"), provenance], sort_keys=True, default=str
    )
    return hashlib.sha256(ident.encode()).hexdigest()[:24]


def texts_key(texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        encoded = text.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    return digest.hexdigest()[:32]


class CachingProvider:
    """A fitted provider whose ``embed`` results are kept under ``directory``; everything else is forwarded."""

    def __init__(self, provider: Provider, directory: Path) -> None:
        self._provider = provider
        self._directory = directory / provider_identity(provider)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) < MIN_TEXTS:
            return self._provider.embed(texts)
        path = self._directory / f"{texts_key(texts)}.npy"
        if path.exists():
            return np.load(path)
        vectors = self._provider.embed(texts)
        self._directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self._directory, suffix=".tmp", delete=False) as tmp:
            np.save(tmp, vectors)
        os.replace(tmp.name, path)
        return vectors
