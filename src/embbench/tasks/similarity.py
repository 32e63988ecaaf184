"""Word similarity: Spearman (main) and Pearson correlation of cosine similarities with human ratings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from embbench._util.files import iter_data_lines
from embbench.contract import FileTask, Provider, TaskOutput, WordTaskOptions
from embbench.errors import EmbbenchError
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._correlation import GoldSpearman, correlations, rank_gap, require_rank_correlation
from embbench.tasks._readers import unique_ids
from embbench.tasks._vocabulary import GENSIM_RESTRICT_VOCAB, gensim_vocabulary, require_word_vectors
from embbench.words import WordVectors


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


def gensim_unit(vector: np.ndarray) -> np.ndarray:
    """gensim's ``matutils.unitvec``: double-precision BLAS nrm2 and scal by its reciprocal, back to float32."""
    from scipy.linalg import get_blas_funcs

    nrm2, scal = get_blas_funcs(("nrm2", "scal"), (np.zeros(0, dtype=np.float64),))
    length = nrm2(vector)
    return scal(1.0 / length, vector).astype(vector.dtype) if length > 0 else vector


class WordSimilarity(GoldSpearman, FileTask[WordTaskOptions]):
    """Cosine similarity of each pair against human ratings; pairs with an unknown word count against coverage.

    A word is looked up whole as the vocabulary holds it (as written, then lower-cased); only an absent word
    gets a subword vector (fastText) or its tokens' pooled vectors. ``protocol=gensim`` reproduces
    KeyedVectors.evaluate_word_pairs (upper-case folding, restrict_vocab=300000).
    """

    name = "word-similarity"
    description = "Spearman/Pearson of cosine similarity with human ratings"
    version = 3
    main_score = "spearman"
    family = "word similarity"
    paired_test = "williams"
    score_column = "cosine"

    def read(self, path: Path) -> None:
        self.pairs_ = read_pairs(path)

    def evaluate(self, provider: Provider) -> TaskOutput:
        if self.options.protocol == "gensim":
            cosines, whole = self._gensim_similarities(require_word_vectors(provider))
        else:
            cosines, whole = self._similarities(provider)
        covered = ~np.isnan(cosines)
        gold = np.array([score for _, _, score in self.pairs_])
        require_rank_correlation(gold, cosines, covered)
        not_whole = int((covered & ~whole).sum())
        items = {
            "id": unique_ids([f"{a}|{b}" for a, b, _ in self.pairs_]),
            "word1": np.array([a for a, _, _ in self.pairs_], dtype=object),
            "word2": np.array([b for _, b, _ in self.pairs_], dtype=object),
            "gold": gold,
            "cosine": cosines,
            "covered": covered,
            "loss": rank_gap(gold, cosines, covered),
        }
        return TaskOutput(
            correlations(list(gold[covered]), list(cosines[covered])), n_items=len(self.pairs_),
            n_scored=int(covered.sum()), details={"pairs_with_subword_vectors": not_whole} if not_whole else {},
            items=items,
        )  # fmt: skip

    def _similarities(self, provider: Provider) -> tuple[np.ndarray, np.ndarray]:
        """Each pair's cosine (NaN when a word is not covered) and whether both words were found whole."""
        words = sorted({w for a, b, _ in self.pairs_ for w in (a, b)})
        vectors, covered = provider.embed_words(words)
        vocabulary = provider.word_vectors()
        if vocabulary is not None:
            rows = [vocabulary.lookup(w) for w in words]
            whole = {w for w, row in zip(words, rows, strict=True) if row is not None}
            if self.options.restrict_vocab:
                covered = covered & np.array([row is None or row < self.options.restrict_vocab for row in rows])
        else:
            whole = set(words)
        norms = np.linalg.norm(vectors, axis=1)
        unit = {w: v / n for w, v, n, ok in zip(words, vectors, norms, covered, strict=True) if ok and n > 0}
        cosines = np.array([float(np.dot(unit[a], unit[b])) if a in unit and b in unit else np.nan
                            for a, b, _ in self.pairs_])  # fmt: skip
        return cosines, np.array([a in whole and b in whole for a, b, _ in self.pairs_])

    def _gensim_similarities(self, vectors: WordVectors) -> tuple[np.ndarray, np.ndarray]:
        ok_vocab = gensim_vocabulary(vectors, self.options.restrict_vocab or GENSIM_RESTRICT_VOCAB)
        cosines = np.full(len(self.pairs_), np.nan)
        for i, (a, b, _) in enumerate(self.pairs_):
            a, b = a.upper(), b.upper()
            if a in ok_vocab and b in ok_vocab:
                va, vb = vectors.dense_rows([ok_vocab[a][0], ok_vocab[b][0]])
                cosines[i] = float(np.dot(gensim_unit(va), gensim_unit(vb)))
        return cosines, np.ones(len(self.pairs_), dtype=bool)


@hookimpl
def register_tasks(register: Register) -> None:
    register(WordSimilarity)
