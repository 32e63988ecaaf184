"""Word analogy (a : b :: c : d): 3CosAdd and 3CosMul accuracy over a whole vocabulary, question words excluded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from embbench._util.files import iter_data_lines
from embbench.contract import FileTask, Items, Provider, TaskOutput, WordTaskOptions
from embbench.errors import EmbbenchError
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._readers import unique_ids
from embbench.tasks._vocabulary import GENSIM_RESTRICT_VOCAB, gensim_vocabulary, require_word_vectors
from embbench.tasks._wordsearch import BLOCK_ELEMENTS, cosines, unit_block
from embbench.words import WordVectors

Method = Literal["3cosadd", "3cosmul"]


COMBINATION_COST = 24  # one question x word combination of the compiled loop costs about 24 multiply-adds


def add_and_mul_answers(
    vectors: WordVectors, limit: int, rows: np.ndarray, exclude: np.ndarray, add_only: bool = False
) -> dict[str, np.ndarray]:
    """The 3CosAdd and 3CosMul answer (vocabulary row) to each question (``rows``: a, b, c rows), searched over
    the first ``limit`` words. Both come from one set of three similarity blocks (cos to a, b and c): per block
    of the vocabulary, one product with the distinct question words (19,544 Google questions have 905), whose
    rows a compiled loop combines and reduces to each question's running best without writing any score.

    ``add_only`` (3CosAdd alone) with fewer questions than distinct words (questions that share few words) takes
    one product per question instead, with its query b - a + c of unit vectors, whose cosine orders words as
    3CosAdd does; the loop then reads that one row as a, b and c ((q - q) + q is q exactly)."""
    import numba

    from embbench.tasks._analogy_kernel import best_add_and_mul

    if not len(rows):
        return {"3cosadd": np.full(0, -1, dtype=np.int64), "3cosmul": np.full(0, -1, dtype=np.int64)}
    limit = min(limit, len(vectors))
    distinct, where = np.unique(rows, return_inverse=True)
    if add_only and len(rows) < len(distinct):
        a_unit, b_unit, c_unit = (unit_block(vectors.dense_rows(r), vectors.norms[r]) for r in rows.T)
        words = b_unit - a_unit + c_unit
        a = b = c = np.arange(len(rows))
    else:
        words = vectors.dense_rows(distinct)
        a, b, c = np.ascontiguousarray(where.reshape(rows.shape).T)
    best = np.full((len(rows), 2), -np.inf, dtype=np.float32)
    best_rows = np.full((len(rows), 2), -1, dtype=np.int64)
    exclude = np.ascontiguousarray(exclude)
    block_rows = max(256, BLOCK_ELEMENTS // len(words))
    loop_bound = len(rows) * COMBINATION_COST > words.size  # else the products dominate: let BLAS use every core
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1 if loop_bound else None, user_api="blas"):  # idle BLAS threads spin, slowing
        for start in range(0, limit, block_rows):  # the loop's threads
            stop = min(limit, start + block_rows)
            block = cosines(words, vectors.matrix[start:stop], vectors.norms[start:stop])
            best_add_and_mul(block, a, b, c, exclude, start, best, best_rows,
                             8 * numba.get_num_threads())  # fmt: skip
    return dict(zip(("3cosadd", "3cosmul"), best_rows.T, strict=True))


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

    main_score = "3cosadd"
    family = "analogy"
    paired_test = "mcnemar"
    score_column = "correct_3cosadd"
    version = 5

    def __init__(self, options: AnalogyOptions | None = None, **kwargs: object) -> None:
        super().__init__(options, **kwargs)
        if self.options.protocol != "gensim" and "3cosadd" not in self.options.methods:
            self.main_score = self.options.methods[0]
        self.score_column = f"correct_{self.main_score}"

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
        found = add_and_mul_answers(vectors, limit, rows[covered, :3], exclude=rows[covered, :3],
                                    add_only="3cosmul" not in self.options.methods)  # fmt: skip
        for method in self.options.methods:
            correct[method][covered] = (found[method] >= 0) & (lower[found[method]] == lower[rows[covered, 3]])
            answers[method][covered] = found[method]
        return rows, correct, answers

    def _gensim(self, vectors: WordVectors) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
        """gensim's rule: the first of its top 5 (question rows excluded) whose upper case is not a question word.

        Excluding every row whose upper case is a question word and taking the best remaining row is the same
        answer (unless more than four spellings of the question words outrank it, when gensim's answer is a
        question word and therefore wrong anyway), and needs only an argmax instead of a top-5 per question.
        gensim ranks words by their cosine to the mean of the unit vectors of b, c and -a, which orders them as
        3CosAdd over unit vectors does, so the same compiled search answers both.
        """
        limit = self.options.restrict_vocab or GENSIM_RESTRICT_VOCAB
        ok_vocab = gensim_vocabulary(vectors, limit)
        upper = [tuple(w.upper() for w in q.words) for q in self.questions_]
        rows = np.array([[ok_vocab[w][0] if w in ok_vocab else -1 for w in q] for q in upper], dtype=np.int64)
        covered = np.flatnonzero((rows >= 0).all(axis=1))
        spellings = [[r for w in upper[q][:3] for r in ok_vocab[w]] for q in covered]
        exclude = np.full((len(covered), max(map(len, spellings), default=3)), -1, dtype=np.int64)
        for i, found in enumerate(spellings):
            exclude[i, : len(found)] = found
        best = add_and_mul_answers(vectors, limit, rows[covered, :3], exclude, add_only=True)["3cosadd"]
        correct = np.zeros(len(rows), dtype=bool)
        answers = np.full(len(rows), -1, dtype=np.int64)
        correct[covered] = [r >= 0 and vectors.words[r].upper() == upper[q][3]
                            for r, q in zip(best, covered, strict=True)]  # fmt: skip
        answers[covered] = best
        return rows, {"3cosadd": correct}, {"3cosadd": answers}


@hookimpl
def register_tasks(register: Register) -> None:
    register(Analogy)
