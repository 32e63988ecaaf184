"""Word analogy (a : b :: c : d): 3CosAdd and 3CosMul accuracy over a whole vocabulary, question words excluded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from embbench.api import Items, Provider, TaskOutput, WordVectors
from embbench.errors import EmbbenchError
from embbench.files import iter_data_lines
from embbench.hookspecs import hookimpl
from embbench.tasks._wordsearch import Score, nearest, nearest_each, products, unit_block, unit_rows
from embbench.tasks.base import FileTask, WordTaskOptions, require_word_vectors
from embbench.tasks.common import unique_ids
from embbench.tasks.similarity import GENSIM_RESTRICT_VOCAB, gensim_vocabulary

Method = Literal["3cosadd", "3cosmul"]
COSMUL_EPSILON = 1e-3  # Levy & Goldberg 2014
QUESTION_BATCH = 2048
TILE_ROWS = 128  # questions whose scores are combined at once: (128 x block) float32 temporaries fit in L2


def cos_add(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> Score:
    """3CosAdd: cos(d, b) - cos(d, a) + cos(d, c), one product with (b - a + c)."""
    query = b - a + c

    def score(block: np.ndarray, norms: np.ndarray) -> np.ndarray:
        return products(query, unit_block(block, norms))

    return score


def cos_mul(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> Score:
    """3CosMul (Levy & Goldberg 2014) with cosines shifted to [0, 1]: cos'(d,b) cos'(d,c) / (cos'(d,a) + eps)."""

    def score(block: np.ndarray, norms: np.ndarray) -> np.ndarray:
        unit = unit_block(block, norms)
        result = products(b, unit)
        result += 1
        result *= products(c, unit) + 1
        result /= products(a, unit) + (1 + 2 * COSMUL_EPSILON)  # same argmax as the halved form
        return result

    return score


SCORES: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], Score]] = {"3cosadd": cos_add, "3cosmul": cos_mul}


def cos_add_and_mul(words: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> Callable[..., list[np.ndarray]]:
    """3CosAdd and 3CosMul from one set of three similarity blocks (cos to a, b and c). The blocks are rows of one
    product with the distinct question words (``words``, unit rows; ``a``, ``b``, ``c`` index into them): questions
    share words (19,544 Google questions have 905), so that product is far smaller than one per question. The
    scores are combined ``TILE_ROWS`` questions at a time, in place, so the temporaries stay in cache."""

    def scores(block: np.ndarray, norms: np.ndarray) -> list[np.ndarray]:
        similarities = products(words, unit_block(block, norms))
        added = np.empty((len(a), similarities.shape[1]), dtype=np.float32)
        multiplied = np.empty_like(added)
        for start in range(0, len(a), TILE_ROWS):
            rows = slice(start, start + TILE_ROWS)
            to_a, to_c, to_b = similarities[a[rows]], similarities[c[rows]], multiplied[rows]
            to_b[...] = similarities[b[rows]]
            np.subtract(to_b, to_a, out=added[rows])
            added[rows] += to_c
            to_b += 1
            to_c += 1
            to_b *= to_c
            to_a += 1 + 2 * COSMUL_EPSILON  # same argmax as the halved form
            to_b /= to_a
        return [added, multiplied]

    return scores


@dataclass(frozen=True)
class Question:
    section: str
    words: tuple[str, str, str, str]


def read_questions(path: Path) -> list[Question]:
    """Read the word2vec ``questions-words`` format: ``: section`` lines, then ``a b c d`` lines."""
    questions, section = [], None
    for number, line in iter_data_lines(path):
        if line.startswith(":"):
            section = line[1:].strip()
            if not section:
                raise EmbbenchError("section line without a name", f"{path}:{number}")
            continue
        if section is None:
            raise EmbbenchError("question before the first ': section' line", f"{path}:{number}")
        words = line.split()
        if len(words) != 4:
            raise EmbbenchError(f"expected 4 words (a b c d), found {len(words)}", f"{path}:{number}")
        questions.append(Question(section, tuple(words)))
    if not questions:
        raise EmbbenchError("no questions in the file", str(path))
    return questions


def accuracies(
    questions: list[Question], correct: dict[str, np.ndarray], scored: np.ndarray
) -> dict[str, float | None]:
    """Accuracy over the scored questions, overall (``method``) and per section (``method/section``)."""
    sections = np.array([q.section for q in questions])
    scores: dict[str, float | None] = {}
    for method, hits in correct.items():
        scores[method] = float(hits[scored].mean()) if scored.any() else None
        for section in dict.fromkeys(sections):
            mask = scored & (sections == section)
            scores[f"{method}/{section}"] = float(hits[mask].mean()) if mask.any() else None
    return scores


class AnalogyOptions(WordTaskOptions):
    methods: tuple[Method, ...] = ("3cosadd", "3cosmul")


class Analogy(FileTask[AnalogyOptions]):
    """Answer a : b :: c : ? by the nearest vocabulary word, excluding a, b and c.

    ``restrict_vocab=N`` searches the N most frequent words (questions with a word outside them are not
    covered). ``protocol=gensim`` reproduces KeyedVectors.evaluate_word_analogies (3CosAdd only).
    """

    name = "analogy"
    description = "3CosAdd / 3CosMul analogy accuracy, searched over the provider's vocabulary"
    Options: ClassVar = AnalogyOptions

    main_score = "3cosadd"
    version = 2  # 2: per-item outputs (predicted word per question and method)

    def __init__(self, options: AnalogyOptions | None = None, **kwargs: object) -> None:
        super().__init__(options, **kwargs)
        if self.options.protocol != "gensim" and "3cosadd" not in self.options.methods:
            self.main_score = self.options.methods[0]

    def read(self, path: Path) -> None:
        self.questions_ = read_questions(path)

    def evaluate(self, provider: Provider) -> TaskOutput:
        vectors = require_word_vectors(provider)
        if self.options.protocol == "gensim":
            rows, correct, answers = self._gensim(vectors)
        else:
            rows, correct, answers = self._embbench(vectors)
        scored = (rows >= 0).all(axis=1)
        items: Items = {
            "id": unique_ids([" ".join(q.words) for q in self.questions_]),
            "section": np.array([q.section for q in self.questions_], dtype=object),
            "covered": scored,
        }
        for method, answer in answers.items():
            items[f"predicted_{method}"] = np.array([vectors.words[r] if r >= 0 else "" for r in answer], dtype=object)
            items[f"correct_{method}"] = correct[method]
        items["loss"] = np.where(scored, 1.0 - correct[self.main_score], np.nan)
        return TaskOutput(accuracies(self.questions_, correct, scored), len(self.questions_), int(scored.sum()),
                          items=items)  # fmt: skip

    def score_items(self, items: Items) -> float | None:
        hits = items[f"correct_{self.main_score}"]
        return float(hits.mean()) if len(hits) else None

    def score_resamples(self, items: Items, resamples: np.ndarray) -> np.ndarray:
        return np.asarray(items[f"correct_{self.main_score}"], dtype=float)[resamples].mean(axis=1)

    def _embbench(self, vectors: WordVectors) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Question rows (-1: not covered), and per method whether each answer is right and the answer's row."""
        limit = min(self.options.restrict_vocab or len(vectors), len(vectors))
        lookup = {w: vectors.lookup(w) for q in self.questions_ for w in q.words}
        rows = np.array([[r if (r := lookup[w]) is not None and r < limit else -1 for w in q.words]
                         for q in self.questions_], dtype=np.int64)  # fmt: skip
        correct = {m: np.zeros(len(rows), dtype=bool) for m in self.options.methods}
        answers = {m: np.full(len(rows), -1, dtype=np.int64) for m in self.options.methods}
        covered = np.flatnonzero((rows >= 0).all(axis=1))
        lower = np.array([w.lower() for w in vectors.words[:limit]], dtype=object)
        for start in range(0, len(covered), QUESTION_BATCH):
            batch = covered[start : start + QUESTION_BATCH]
            if set(self.options.methods) == {"3cosadd", "3cosmul"}:  # one pass, one product with distinct words
                distinct, where = np.unique(rows[batch, :3], return_inverse=True)
                where = where.reshape(len(batch), 3)
                scores = cos_add_and_mul(unit_rows(vectors, distinct), *where.T)
                both = nearest_each(vectors, limit, scores, exclude=rows[batch, :3])
                found = dict(zip(("3cosadd", "3cosmul"), both, strict=True))
            else:
                a, b, c = (unit_rows(vectors, rows[batch, i]) for i in range(3))
                found = {m: nearest(vectors, limit, SCORES[m](a, b, c), exclude=rows[batch, :3])
                         for m in self.options.methods}  # fmt: skip
            for method, top in found.items():
                correct[method][batch] = lower[top[:, 0]] == lower[rows[batch, 3]]
                answers[method][batch] = top[:, 0]
        return rows, correct, answers

    def _gensim(self, vectors: WordVectors) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
        """gensim's rule: the first of its top 5 (question rows excluded) whose upper case is not a question word.

        Excluding every row whose upper case is a question word and taking the best remaining row is the same
        answer (unless more than four spellings of the question words outrank it, when gensim's answer is a
        question word and therefore wrong anyway), and needs only an argmax instead of a top-5 per question.
        """
        limit = self.options.restrict_vocab or GENSIM_RESTRICT_VOCAB
        ok_vocab = gensim_vocabulary(vectors, limit)
        upper = [tuple(w.upper() for w in q.words) for q in self.questions_]
        rows = np.array([[ok_vocab[w][0] if w in ok_vocab else -1 for w in q] for q in upper], dtype=np.int64)
        covered = np.flatnonzero((rows >= 0).all(axis=1))
        correct = np.zeros(len(rows), dtype=bool)
        answers = np.full(len(rows), -1, dtype=np.int64)
        for start in range(0, len(covered), QUESTION_BATCH):
            batch = covered[start : start + QUESTION_BATCH]
            a, b, c = (vectors.dense_rows(r) / vectors.norms[r][:, None] for r in rows[batch, :3].T)
            mean = (np.zeros_like(a) + b + c - a) / np.float32(3)  # gensim's get_mean_vector, in its order
            mean /= np.linalg.norm(mean, axis=1, keepdims=True)
            spellings = [[r for w in upper[q][:3] for r in ok_vocab[w]] for q in batch]
            exclude = np.full((len(batch), max(map(len, spellings))), -1, dtype=np.int64)
            for i, found in enumerate(spellings):
                exclude[i, : len(found)] = found

            def cosine(block: np.ndarray, norms: np.ndarray, mean: np.ndarray = mean) -> np.ndarray:
                scores = products(mean, block)
                scores /= norms[None, :]  # gensim: dot(vectors, mean) / norms; in place, no second array
                return scores

            best = nearest(vectors, limit, cosine, exclude=exclude)[:, 0]
            correct[batch] = [vectors.words[r].upper() == upper[q][3] for r, q in zip(best, batch, strict=True)]
            answers[batch] = best
        return rows, {"3cosadd": correct}, {"3cosadd": answers}


@hookimpl
def register_tasks(register: Callable[..., None]) -> None:
    register(Analogy)
    for name in ("google", "msr"):
        register(Analogy, name=name, dataset=name)
