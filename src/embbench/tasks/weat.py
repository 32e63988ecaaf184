"""WEAT (Caliskan, Bryson & Narayanan 2017) and, for sentence encoders, SEAT (May et al. 2019).

For each test: s(w, A, B) = mean cos(w, a) - mean cos(w, b); the effect size is
d = (mean_{x in X} s(x) - mean_{y in Y} s(y)) / std_{w in X u Y} s(w)   (sample std, ddof=1),
and the one-sided p-value is the fraction of equal-size partitions (X_i, Y_i) of X u Y whose statistic
sum_{X_i} s - sum_{Y_i} s exceeds the observed one: every partition when there are at most ``exact_limit`` of
them, else ``permutations`` distinct partitions drawn uniformly (never the same partition twice).
"""

from __future__ import annotations

import math
from itertools import combinations
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, RootModel

from embbench._util.files import read_json
from embbench.contract import FileTask, FileTaskOptions, Items, Provider, TaskOutput
from embbench.errors import SkipTask
from embbench.hookspecs import Register, hookimpl
from embbench.stats.bootstrap import multiplicities
from embbench.tasks._embedding import embed_checked, embed_words_checked
from embbench.tasks._readers import unique_ids

SETS = ("first_target", "second_target", "first_attribute", "second_attribute")
TEMPLATES = ("This is {}.", "That is {}.", "There is {}.", "Here is {}.", "{} is here.", "{} is there.")


def association(targets: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """s(w, A, B) for each row of ``targets`` (all arrays unit-normalised)."""
    return (targets @ first.T).mean(axis=1) - (targets @ second.T).mean(axis=1)


def effect_size(s_x: np.ndarray, s_y: np.ndarray) -> float:
    return float((s_x.mean() - s_y.mean()) / np.concatenate([s_x, s_y]).std(ddof=1))


def weighted_effect_sizes(x_counts: np.ndarray, s_x: np.ndarray, y_counts: np.ndarray, s_y: np.ndarray) -> np.ndarray:
    """``effect_size`` of each resample (column of the counts), which holds ``counts[i, column]`` copies of value
    i; NaN where X or Y is empty or all its values are equal. Sums are taken about the unweighted mean, so they do
    not cancel."""
    counts, values = np.vstack([x_counts, y_counts]), np.concatenate([s_x, s_y])
    centred = values - values.mean()
    n_x, n_y = x_counts.sum(axis=0), y_counts.sum(axis=0)
    total, squares = centred @ counts, centred**2 @ counts
    n = n_x + n_y
    drawn = counts > 0
    highest = np.where(drawn, values[:, None], -np.inf).max(axis=0)
    lowest = np.where(drawn, values[:, None], np.inf).min(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        difference = (centred[: len(s_x)] @ x_counts) / n_x - (centred[len(s_x) :] @ y_counts) / n_y
        deviation = np.sqrt((squares - total**2 / n) / (n - 1))
        return np.where((n_x > 0) & (n_y > 0) & (highest > lowest), difference / deviation, np.nan)


def _smallest(values: np.ndarray, size: int) -> np.ndarray:
    """Membership of each row's ``size`` smallest values (the first ``size`` of its argsort), found by a
    partial sort; rows with a tie at the boundary (about never) are sorted."""
    masks = values <= np.partition(values, size - 1, axis=1)[:, size - 1 : size]
    for row in np.flatnonzero(masks.sum(axis=1) != size):
        masks[row] = False
        masks[row, np.argsort(values[row], kind="stable")[:size]] = True
    return masks


def _distinct_partitions(n: int, size: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct random subsets of ``size`` of range(n), as a boolean (count x n) membership matrix: the
    first occurrences among chunks of uniform draws, in the order drawn (duplicates found by sorting packed keys)."""
    chosen: list[np.ndarray] = []
    keys = np.zeros(0, dtype=f"V{(n + 7) // 8}")
    while len(keys) < count:
        masks = _smallest(rng.random((min(count, 20_000), n)), size)
        drawn = np.ascontiguousarray(np.packbits(masks, axis=1)).view(keys.dtype).ravel()
        _, first = np.unique(np.concatenate([keys, drawn]), return_index=True)
        new = np.sort(first[first >= len(keys)])[: count - len(keys)] - len(keys)
        chosen.append(masks[new])
        keys = np.concatenate([keys, drawn[new]])
    return np.concatenate(chosen)


def permutation_p_value(
    s_x: np.ndarray, s_y: np.ndarray, permutations: int, exact_limit: int, seed: int
) -> tuple[float, int, bool]:
    """One-sided p-value, the number of partitions used, and whether the test was exact."""
    s_all = np.concatenate([s_x, s_y])
    n, size = len(s_all), len(s_x)
    observed = s_x.sum()  # sum_X s - sum_Y s = 2 sum_X s - total, so comparing sums of X_i is equivalent
    total = math.comb(n, size)
    if total <= exact_limit:
        subsets = np.fromiter((i for c in combinations(range(n), size) for i in c), dtype=np.int64).reshape(-1, size)
        sums = s_all[subsets].sum(axis=1)
        return float(np.mean(sums > observed + 1e-12)), total, True
    masks = _distinct_partitions(n, size, min(permutations, total), np.random.default_rng(seed))
    sums = np.concatenate([masks[i : i + 4096].astype(np.float64) @ s_all for i in range(0, len(masks), 4096)])
    return float(np.mean(sums > observed + 1e-12)), len(masks), False


class WeatOptions(FileTaskOptions):
    mode: Literal["auto", "words", "sentences"] = "auto"
    permutations: int = Field(100_000, ge=1)
    exact_limit: int = Field(1_000_000, ge=1)
    max_missing: float = Field(0.2, ge=0, le=1)
    seed: int = 0


class WeatSet(BaseModel):
    """One word set of a test: at least two words, and an optional name (other keys are kept as notes)."""

    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    words: list[str] = Field(min_length=2)


class WeatTest(BaseModel):
    """One WEAT test: two target sets (X, Y) and two attribute sets (A, B)."""

    model_config = ConfigDict(extra="ignore")
    first_target: WeatSet
    second_target: WeatSet
    first_attribute: WeatSet
    second_attribute: WeatSet


class WeatFile(RootModel[list[WeatTest]]):
    """A WEAT file: a non-empty list of tests."""

    root: list[WeatTest] = Field(min_length=1)


class WordSet(NamedTuple):
    """One WEAT set as a provider sees it: kept and missing words, and the rows (words or sentences) used."""

    kept: list[str]
    missing: list[str]
    vectors: np.ndarray
    names: list[str]


def _degenerate(sets: dict[str, WordSet]) -> str | None:
    """Why a test's statistic would be meaningless (identical sets, no spread), or None."""
    for first, second in (("first_target", "second_target"), ("first_attribute", "second_attribute")):
        if sorted(sets[first].kept) == sorted(sets[second].kept):
            return f"the two sets {first} and {second} are identical"
    x, y, a, b = (sets[key].vectors for key in SETS)
    values = np.concatenate([association(x, a, b), association(y, a, b)])
    return (
        "every target word has the same association, so the effect size is undefined" if np.ptp(values) == 0 else None
    )


class Weat(FileTask[WeatOptions]):
    """All WEAT tests of a file; the main score is the mean |d| over the tests that could be run.

    ``mode=sentences`` (automatic for providers without a word vocabulary) embeds each word through the
    SEAT templates and treats the sentences as the sets. A word set that loses more than ``max_missing`` of
    its words to the vocabulary is not shrunk: that test is reported as not run, with the missing words.
    """

    name = "weat"
    description = "WEAT / SEAT effect sizes with permutation p-values (mean |d|, lower is less biased)"
    main_score = "mean_abs_effect_size"
    family = "bias"
    version = 2
    higher_is_better = False

    def read(self, path: Path) -> None:
        self.tests_ = [test.model_dump() for test in read_json(path, WeatFile).root]

    def _vectors(self, provider: Provider, words: list[str], sentences: bool) -> WordSet:
        """The kept and missing words, and unit vectors of the kept words (or of all their template sentences)."""
        if sentences:
            texts = [t.format(w) for w in words for t in TEMPLATES]
            vectors, covered = embed_checked(provider, texts)
            per_word = covered.reshape(len(words), len(TEMPLATES)).all(axis=1)
            keep = np.repeat(per_word, len(TEMPLATES))
            vectors, names = vectors[keep], [t for t, ok in zip(texts, keep, strict=True) if ok]
        else:
            vectors, per_word = embed_words_checked(provider, words)
            vectors, names = vectors[per_word], [w for w, ok in zip(words, per_word, strict=True) if ok]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        kept = [w for w, ok in zip(words, per_word, strict=True) if ok]
        missing = [w for w, ok in zip(words, per_word, strict=True) if not ok]
        return WordSet(kept, missing, vectors / np.where(norms > 0, norms, 1), names)

    def evaluate(self, provider: Provider) -> TaskOutput:
        sentences = self.options.mode == "sentences" or (
            self.options.mode == "auto" and provider.word_vectors() is None
        )
        results: list[dict[str, Any]] = []
        rows: list[tuple[str, int, str, str, float]] = []  # item id, test, set, word or sentence, s(w, A, B)
        for number, test in enumerate(self.tests_, start=1):
            result: dict[str, Any] = {"test": number, "name": self._name(test)}
            sets = {key: self._vectors(provider, test[key]["words"], sentences) for key in SETS}
            share = self.options.max_missing
            lost = [k for k, s in sets.items() if len(s.missing) > share * (len(s.kept) + len(s.missing))]
            result["missing"] = {key: sets[key].missing for key in SETS if sets[key].missing}
            degenerate = None if lost else _degenerate(sets)
            if lost:
                result["not_run"] = f"more than {self.options.max_missing:.0%} of the words missing in {sorted(lost)}"
            elif degenerate:
                result["not_run"] = degenerate
            else:
                x, y, a, b = (sets[key].vectors for key in SETS)
                s_x, s_y = association(x, a, b), association(y, a, b)
                p, used, exact = permutation_p_value(s_x, s_y, self.options.permutations, self.options.exact_limit,
                                                     self.options.seed + number)  # fmt: skip
                result.update(effect_size=effect_size(s_x, s_y), p_value=p, partitions=used, exact=exact)
                for side, key, values in (("X", "first_target", s_x), ("Y", "second_target", s_y)):
                    rows += [(f"weat{number}/{side}/{name}", number, side, name, float(s))
                             for name, s in zip(sets[key].names, values, strict=True)]  # fmt: skip
            results.append(result)
        run = [r for r in results if "effect_size" in r]
        if not run:
            raise SkipTask("no WEAT test could be run: " + "; ".join(r["not_run"] for r in results))
        magnitudes = np.array([abs(r["effect_size"]) for r in run])
        scores: dict[str, float | None] = {"mean_abs_effect_size": float(magnitudes.mean())}
        for r in results:
            scores[f"weat{r['test']}/effect_size"] = r.get("effect_size")
            scores[f"weat{r['test']}/p_value"] = r.get("p_value")
        ids, tests, sides, texts, values = (list(column) for column in zip(*rows, strict=True))
        items = {"id": unique_ids(ids), "test": np.array(tests), "set": np.array(sides, dtype=object),
                 "text": np.array(texts, dtype=object), "association": np.array(values),
                 "covered": np.ones(len(rows), dtype=bool), "loss": np.abs(values)}  # fmt: skip
        return TaskOutput(
            scores, n_items=len(results), n_scored=len(run), details={"tests": results, "sentences": sentences},
            items=items,
        )  # fmt: skip

    def score_items(self, items: Items) -> float | None:
        """Mean |d| over the tests whose resampled X and Y both still have items and a spread."""
        sizes = []
        for test in np.unique(items["test"]):
            in_test = items["test"] == test
            s_x = items["association"][in_test & (items["set"] == "X")]
            s_y = items["association"][in_test & (items["set"] == "Y")]
            if len(s_x) and len(s_y) and np.ptp(np.concatenate([s_x, s_y])) > 0:
                sizes.append(abs(effect_size(s_x, s_y)))
        return float(np.mean(sizes)) if sizes else None

    def score_resamples(self, items: Items, resamples: np.ndarray) -> np.ndarray:
        """``score_items`` of every resample at once: each test's effect size from count-weighted sums."""
        counts = multiplicities(resamples, len(items["test"]))
        values = items["association"].astype(np.float64)
        sizes = []
        for test in np.unique(items["test"]):
            in_test = items["test"] == test
            x, y = in_test & (items["set"] == "X"), in_test & (items["set"] == "Y")
            sizes.append(np.abs(weighted_effect_sizes(counts[x], values[x], counts[y], values[y])))
        defined = np.isfinite(sizes)
        tests = defined.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(tests > 0, np.where(defined, sizes, 0.0).sum(axis=0) / tests, np.nan)

    @staticmethod
    def _name(test: dict[str, Any]) -> str:
        return " / ".join(test[key].get("name") or key for key in SETS)


@hookimpl
def register_tasks(register: Register) -> None:
    register(Weat)
