"""An example embbench plugin: one provider (hashed character n-grams) and one task (odd one out)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import Field

from embbench import (
    Dataset,
    EmbbenchError,
    FileTask,
    FileTaskOptions,
    Options,
    Provider,
    Register,
    TaskOutput,
    hookimpl,
    tokenize,
)

DATA = Path(str(resources.files("embbench_example") / "odd_one_out.tsv"))
DATA_SHA256 = "a8345a5769fd4a6920886dfa2e5eebf090774a5c9412577c04720d1873f93de0"


class CharNgramOptions(Options):
    dim: int = Field(256, ge=1)
    min_n: int = Field(3, ge=1)
    max_n: int = Field(5, ge=1)


class CharNgram(Provider[CharNgramOptions]):
    """Each word is the normalised sum of hashed character n-grams of ``<word>``; sentences average their words."""

    name = "char-ngram"
    description = "hashed character n-grams (fastText-style subwords, no training)"

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


class OddOneOut(FileTask[FileTaskOptions]):
    """Four words, one of which belongs elsewhere: predict the word with the lowest mean cosine to the others.

    The file has ``section<TAB>w1<TAB>w2<TAB>w3<TAB>odd`` rows (``#`` starts a comment); ``dataset=`` names a
    registered file and ``path=`` takes your own.
    """

    name = "odd-one-out"
    description = "odd one out among four words (accuracy)"
    main_score = "accuracy"
    family = "odd one out"  # its own column group on a board
    paired_test = "mcnemar"  # on the boolean score column
    score_column = "correct"  # the score is its mean: the bootstrap interval and the board need nothing more

    def read(self, path: Path) -> None:
        self.items_: list[list[str]] = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 5:
                raise EmbbenchError(f"expected a section and 4 words, found {len(fields)} fields", f"{path}:{number}")
            self.items_.append(fields[1:])
        if not self.items_:
            raise EmbbenchError("no items in the file", str(path))

    def evaluate(self, provider: Provider) -> TaskOutput:
        words = sorted({w for item in self.items_ for w in item})
        vectors, covered = provider.embed_words(words)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = {w: v / n for w, v, n, ok in zip(words, vectors, norms[:, 0], covered, strict=True) if ok and n > 0}
        scored = np.array([all(w in unit for w in item) for item in self.items_])
        correct = np.zeros(len(self.items_), dtype=bool)
        for i in np.flatnonzero(scored):
            block = np.array([unit[w] for w in self.items_[i]])
            correct[i] = int(np.argmin((block @ block.T).sum(axis=1))) == 3
        items = {"id": np.array([" ".join(item) for item in self.items_], dtype=object), "covered": scored,
                 "correct": correct, "loss": np.where(scored, 1.0 - correct, np.nan)}  # fmt: skip
        accuracy = float(correct[scored].mean()) if scored.any() else None
        return TaskOutput({"accuracy": accuracy}, n_items=len(self.items_), n_scored=int(scored.sum()), items=items)


@hookimpl
def register_providers(register: Register) -> None:
    register(CharNgram)


@hookimpl
def register_datasets(register: Register) -> None:
    register(Dataset(name="odd-one-out", kind="odd-one-out", path=DATA, sha256=DATA_SHA256,
                     source="derived from the Google analogy set", licence="Apache-2.0",
                     citation="Mikolov et al. 2013"))  # fmt: skip


@hookimpl
def register_tasks(register: Register) -> None:
    register(OddOneOut)  # the type "odd-one-out": dataset=NAME or path=FILE


@hookimpl
def register_task_cards(register: Register) -> None:
    register(Path(str(resources.files("embbench_example") / "tasks")))  # the named task odd-one-out-google
