"""Debiasing any provider's word vectors, so bias and quality can be measured side by side.

``method=hard``: Bolukbasi et al. 2016 hard debiasing. All vectors are unit-normalised; the gender subspace B is
spanned by the first ``k`` principal components of the definitional pairs, each pair centred on its mean; every
word outside the gender-specific list is neutralised (its projection on B removed, then re-normalised); each
equality pair is equalised: with mu its mean and nu = mu - mu_B, each word becomes
nu + sqrt(1 - |nu|^2) (w_B - mu_B) / |w_B - mu_B|, so it is equidistant from every neutralised word.

``method=inlp``: Ravfogel et al. 2020 iterative nullspace projection. The attribute-bearing words are the
``words`` most male- and most female-leaning along he - she (among the 50,000 most frequent); ``iterations`` times,
a linear classifier (scikit-learn) learns to tell the two apart and the vectors are projected onto the nullspace of
its weights. The product of the projections is applied to every vector.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from embbench._util.files import read_json
from embbench._util.gender_lists import BiasFile
from embbench.contract import Context
from embbench.hookspecs import Register, hookimpl
from embbench.providers._transform import CachedTransform, TransformOptions, top_components, unit
from embbench.words import WordVectors

LISTS = "bolukbasi"  # the dataset of the gender word lists
FREQUENT = 50_000


class DebiasOptions(TransformOptions):
    method: Literal["hard", "inlp"] = "hard"
    k: int = Field(1, ge=1)
    """Hard debiasing: dimensions of the gender subspace."""
    iterations: int = Field(10, ge=1)
    """INLP: classifiers trained and projected out."""
    words: int = Field(1000, ge=10)
    """INLP: attribute-bearing words per side."""
    max_missing: float = Field(0.5, ge=0, le=1)
    """The largest share of a word list that may be missing from the base vocabulary."""
    seed: int = 0


class Debias(CachedTransform[DebiasOptions]):
    """Hard debiasing (Bolukbasi et al. 2016) or INLP (Ravfogel et al. 2020) of a base provider's vectors."""

    name = "debias"
    description = "hard debiasing (Bolukbasi 2016) or INLP (Ravfogel 2020) of a base provider (base=)"

    def fit(self, context: Context) -> Debias:
        if context.registry is None:
            raise RuntimeError("debiasing needs a context with a registry, to find its word lists")
        self.lists_ = read_json(context.registry.dataset(LISTS).local_path(context.cache_dir), BiasFile).gender
        return super().fit(context)  # type: ignore[return-value]

    def transform(self, vectors: WordVectors) -> tuple[np.ndarray, dict[str, Any]]:
        lists = self.lists_
        matrix = unit(vectors.dense_rows(np.arange(len(vectors))))
        if self.options.method == "hard":
            return self._hard(vectors, matrix, lists)
        return self._inlp(vectors, matrix)

    def _rows(self, vectors: WordVectors, words: list[str], what: str) -> list[int | None]:
        rows = [vectors.index.get(w) for w in words]
        missing = [w for w, r in zip(words, rows, strict=True) if r is None]
        if len(missing) > self.options.max_missing * len(words):
            raise self.option_error(
                "max_missing", f"{len(missing)} of the {len(words)} {what} are not in the base vocabulary"
                f" (more than {self.options.max_missing:.0%}): {', '.join(missing[:10])}"
            )  # fmt: skip
        return rows

    def _hard(self, vectors: WordVectors, matrix: np.ndarray, lists: Any) -> tuple[np.ndarray, dict[str, Any]]:
        k = self.options.k
        if k >= vectors.dim:
            raise self.option_error("k", f"k={k} must be smaller than the base dimension ({vectors.dim})")
        pair_words = [w for pair in lists.definitional_pairs for w in pair]
        rows = self._rows(vectors, pair_words, "definitional words")
        pairs = [(a, b) for a, b in zip(rows[::2], rows[1::2], strict=True) if a is not None and b is not None]
        centred = np.concatenate([matrix[list(p)] - matrix[list(p)].mean(axis=0) for p in pairs]).astype(np.float64)
        subspace = top_components(centred, k)  # k x dim, orthonormal rows
        specific = {vectors.index[w] for w in lists.specific_full if w in vectors.index}
        neutral = np.ones(len(vectors), dtype=bool)
        neutral[list(specific)] = False
        out = matrix.astype(np.float64)
        out[neutral] -= (out[neutral] @ subspace.T) @ subspace
        out[neutral] = unit(out[neutral])
        equalized = 0
        for a, b in self._equality_sets(vectors, lists.equalize_pairs):
            members = out[[a, b]]
            mu = members.mean(axis=0)
            mu_b = (mu @ subspace.T) @ subspace
            nu = mu - mu_b
            scale = np.sqrt(max(0.0, 1 - float(nu @ nu)))
            for row, w in zip((a, b), members, strict=True):
                w_b = (w @ subspace.T) @ subspace
                direction = w_b - mu_b
                out[row] = nu + scale * direction / np.linalg.norm(direction)
            equalized += 1
        facts = {"method": "hard", "k": k, "pairs_used": len(pairs), "neutralized": int(neutral.sum()),
                 "equalized_pairs": equalized, "subspace": subspace.round(6).tolist()}  # fmt: skip
        return out.astype(np.float32), facts

    @staticmethod
    def _equality_sets(vectors: WordVectors, pairs: list[Any]) -> list[tuple[int, int]]:
        """Every spelling of each equality pair that the vocabulary holds (lower, Title, UPPER), as Bolukbasi."""
        found = []
        for a, b in pairs:
            for case in (str.lower, str.title, str.upper):
                rows = vectors.index.get(case(a)), vectors.index.get(case(b))
                if None not in rows and rows[0] != rows[1] and rows not in found:
                    found.append(rows)
        return found

    def _inlp(self, vectors: WordVectors, matrix: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        from sklearn.linear_model import LogisticRegression

        he, she = self._rows(vectors, ["he", "she"], "direction words")
        if he is None or she is None:
            raise self.option_error("base", "the base vocabulary lacks 'he' or 'she'")
        frequent = matrix[: min(FREQUENT, len(vectors))]
        lean = frequent @ (matrix[he] - matrix[she])
        n = min(self.options.words, len(frequent) // 4)
        order = np.argsort(lean)
        female, male = order[:n], order[-n:]
        x = frequent[np.concatenate([male, female])].astype(np.float64)
        y = np.array([1] * n + [0] * n)
        projection = np.eye(vectors.dim)
        accuracies = []
        for _ in range(self.options.iterations):
            classifier = LogisticRegression(max_iter=2000, random_state=self.options.seed).fit(x @ projection, y)
            accuracies.append(round(float(classifier.score(x @ projection, y)), 4))
            w = projection @ classifier.coef_[0]  # orthogonal to every direction removed so far
            if np.linalg.norm(w) < 1e-12:
                break  # the classifier found nothing left to remove
            w /= np.linalg.norm(w)
            projection = projection - np.outer(w, w)
        out = matrix.astype(np.float64) @ projection
        removed = vectors.dim - int(np.linalg.matrix_rank(projection))
        facts = {"method": "inlp", "iterations": self.options.iterations, "words_per_side": int(n),
                 "train_accuracy_per_iteration": accuracies, "rank_removed": removed}  # fmt: skip
        return out.astype(np.float32), facts


@hookimpl
def register_providers(register: Register) -> None:
    register(Debias)
