"""Word similarity: Spearman (main) and Pearson correlation of cosine similarities with human ratings."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field
from scipy import stats

from embbench.api import Provider, TaskOutput, WordVectors
from embbench.datasets import iter_data_lines
from embbench.errors import EmbbenchError
from embbench.hookspecs import hookimpl
from embbench.tasks.base import FileTask, FileTaskOptions, require_word_vectors

SIMILARITY_SETS = (
    "ws353", "ws353-sim", "ws353-rel", "simlex999", "men", "rw", "simverb3500",
    "mturk287", "mturk771", "rg65", "mc30", "yp130", "semeval17",
)  # fmt: skip
GENSIM_RESTRICT_VOCAB = 300_000


def read_pairs(path: Path) -> list[tuple[str, str, float]]:
    """Read ``word1<TAB>word2<TAB>score[<TAB>...]`` rows; a first row whose score is not a number is a header."""
    pairs = []
    for number, line in iter_data_lines(path):
        fields = line.split("\t")
        if len(fields) < 3:
            raise EmbbenchError(f"expected word1<TAB>word2<TAB>score, found {len(fields)} field(s)", f"{path}:{number}")
        try:
            score = float(fields[2])
        except ValueError:
            if not pairs and number == 1:
                continue
            raise EmbbenchError(f"score {fields[2]!r} is not a number", f"{path}:{number}") from None
        if not math.isfinite(score):
            raise EmbbenchError(f"score {fields[2]!r} is not finite", f"{path}:{number}")
        if not fields[0].strip() or not fields[1].strip():
            raise EmbbenchError("empty word", f"{path}:{number}")
        pairs.append((fields[0].strip(), fields[1].strip(), score))
    if not pairs:
        raise EmbbenchError("no word pairs in the file", str(path))
    return pairs


def correlations(gold: list[float], predicted: list[float]) -> dict[str, float | None]:
    """Spearman and Pearson; None when undefined (fewer than two pairs, or a constant side)."""
    if len(gold) < 2 or len(set(predicted)) < 2 or len(set(gold)) < 2:
        return {"spearman": None, "pearson": None}
    return {
        "spearman": float(stats.spearmanr(gold, predicted).statistic),
        "pearson": float(stats.pearsonr(gold, predicted).statistic),
    }


def gensim_vocabulary(vectors: WordVectors, restrict_vocab: int) -> dict[str, list[int]]:
    """gensim's ``ok_vocab``: upper-cased first ``restrict_vocab`` words; the first spelling is the word's row."""
    return vectors.folded_rows(restrict_vocab)


class SimilarityOptions(FileTaskOptions):
    restrict_vocab: int | None = Field(None, ge=1)


class WordSimilarity(FileTask):
    """Cosine similarity of each pair against human ratings; pairs with an unknown word count against coverage.

    ``protocol=gensim`` reproduces KeyedVectors.evaluate_word_pairs (upper-case folding, restrict_vocab=300000).
    """

    name = "word-similarity"
    description = "Spearman/Pearson of cosine similarity with human ratings"
    Options: ClassVar = SimilarityOptions
    main_score = "spearman"

    def read(self, path: Path) -> None:
        self.pairs_ = read_pairs(path)

    def evaluate(self, provider: Provider) -> TaskOutput:
        if self.options.protocol == "gensim":
            gold, predicted, subword_pairs = *self._gensim_similarities(require_word_vectors(provider)), 0
        else:
            gold, predicted, subword_pairs = self._similarities(provider)
        details = {"pairs_with_subword_vectors": subword_pairs} if subword_pairs else {}
        gold_array, predicted_array = np.array(gold), np.array(predicted)

        def resample(rows: np.ndarray) -> float | None:
            return correlations(list(gold_array[rows]), list(predicted_array[rows]))["spearman"]

        return TaskOutput(correlations(gold, predicted), n_items=len(self.pairs_), n_scored=len(gold), details=details,
                          resample=resample, n_resample=len(gold))  # fmt: skip

    def _similarities(self, provider: Provider) -> tuple[list[float], list[float], int]:
        vectors = provider.word_vectors()
        limit = self.options.restrict_vocab or (len(vectors) if vectors is not None else 0)
        words = sorted({w for a, b, _ in self.pairs_ for w in (a, b)})
        subword: set[str] = set()
        if vectors is not None:
            rows = {w: vectors.lookup(w) for w in words}
            known = [w for w in words if rows[w] is not None and rows[w] < limit]
            matrix = vectors.dense_rows([rows[w] for w in known])
            if vectors.oov is not None:  # fastText: unknown words get vectors from their character n-grams
                subword = set(words) - set(known)
                known += sorted(subword)
                matrix = np.concatenate([matrix, vectors.oov(sorted(subword))])
        else:
            matrix = provider.embed(words)
            known = [w for w, row in zip(words, matrix, strict=True) if np.any(row)]
            matrix = matrix[[i for i, row in enumerate(matrix) if np.any(row)]]
        norms = np.linalg.norm(matrix, axis=1)
        unit = {w: v / n if n > 0 else v for w, v, n in zip(known, matrix, norms, strict=True)}
        gold, predicted, subword_pairs = [], [], 0
        for a, b, score in self.pairs_:
            if a in unit and b in unit and (np.any(unit[a]) and np.any(unit[b])):
                gold.append(score)
                predicted.append(float(np.dot(unit[a], unit[b])))
                subword_pairs += a in subword or b in subword
        return gold, predicted, subword_pairs

    def _gensim_similarities(self, vectors: WordVectors) -> tuple[list[float], list[float]]:
        ok_vocab = gensim_vocabulary(vectors, self.options.restrict_vocab or GENSIM_RESTRICT_VOCAB)
        gold, predicted = [], []
        for a, b, score in self.pairs_:
            a, b = a.upper(), b.upper()
            if a in ok_vocab and b in ok_vocab:
                va, vb = vectors.dense_rows([ok_vocab[a][0], ok_vocab[b][0]])
                gold.append(score)
                predicted.append(float(np.dot(va / np.linalg.norm(va), vb / np.linalg.norm(vb))))
        return gold, predicted


@hookimpl
def register_tasks(register: Callable[..., None]) -> None:
    register(WordSimilarity)
    for name in SIMILARITY_SETS:
        register(WordSimilarity, name=name, dataset=name)
