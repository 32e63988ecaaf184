"""An example embbench plugin: one provider (hashed character n-grams) and one task (odd one out)."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field

from embbench import Context, EmbbenchError, Options, Provider, Task, TaskOutput
from embbench.api import tokenize
from embbench.datasets import sha256_file
from embbench.hookspecs import hookimpl

DATA = Path(str(resources.files("embbench_example") / "odd_one_out.tsv"))


class CharNgramOptions(Options):
    dim: int = Field(256, ge=1)
    min_n: int = Field(3, ge=1)
    max_n: int = Field(5, ge=1)


class CharNgram(Provider):
    """Each word is the normalised sum of hashed character n-grams of ``<word>``; sentences average their words."""

    name = "char-ngram"
    description = "hashed character n-grams (fastText-style subwords, no training)"
    Options: ClassVar = CharNgramOptions

    def _word(self, word: str) -> np.ndarray:
        vector = np.zeros(self.options.dim, dtype=np.float32)
        marked = f"<{word.lower()}>"
        for n in range(self.options.min_n, self.options.max_n + 1):
            for i in range(len(marked) - n + 1):
                digest = zlib.crc32(marked[i : i + n].encode())
                vector[digest % self.options.dim] += 1.0 if digest & 0x80000000 else -1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.options.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = tokenize(text) or ([text] if text else [])
            if words:
                out[i] = np.mean([self._word(w) for w in words], axis=0)
        return out


class OddOneOutOptions(Options):
    path: str | None = None


class OddOneOut(Task):
    """Four words, one of which belongs elsewhere: predict the word with the lowest mean cosine to the others."""

    name = "odd-one-out"
    description = "odd one out among four words (accuracy)"
    Options: ClassVar = OddOneOutOptions
    main_score = "accuracy"

    def load(self, context: Context) -> None:
        self.path_ = Path(self.options.path) if self.options.path else DATA
        self.items_ = []
        for number, line in enumerate(self.path_.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 5:
                raise EmbbenchError(
                    f"expected section and 4 words, found {len(fields)} fields", f"{self.path_}:{number}"
                )
            self.items_.append(fields[1:])

    def dataset_sha256(self) -> str:
        return sha256_file(self.path_)

    def evaluate(self, provider: Provider) -> TaskOutput:
        words = sorted({w for item in self.items_ for w in item})
        vectors = provider.embed(words)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = dict(zip(words, vectors / np.where(norms > 0, norms, 1), strict=True))
        known = {w for w, n in zip(words, norms[:, 0], strict=True) if n > 0}
        hits = []
        for item in self.items_:
            if not set(item) <= known:
                continue
            block = np.array([unit[w] for w in item])
            sims = block @ block.T
            hits.append(int(np.argmin(sims.sum(axis=1) - 1.0)) == 3)
        accuracy = float(np.mean(hits)) if hits else None
        return TaskOutput({"accuracy": accuracy}, n_items=len(self.items_), n_scored=len(hits))


@hookimpl
def register_providers(register: Callable[..., None]) -> None:
    register(CharNgram)


@hookimpl
def register_tasks(register: Callable[..., None]) -> None:
    register(OddOneOut)
