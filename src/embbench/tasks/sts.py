"""Semantic textual similarity (MTEB's protocol): how the similarity of two sentences' embeddings ranks the pairs
against human scores.

Each pair gets four similarities, as MTEB's STS evaluator defines them: the cosine, the negative Manhattan and
Euclidean distances, and the dot product. The scores are the Pearson
and Spearman correlation of each with the gold scores; the main score is the cosine's Spearman correlation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embbench.contract import FileTask, FileTaskOptions, Provider, TaskOutput
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._correlation import GoldSpearman, correlations, rank_gap, require_rank_correlation
from embbench.tasks._embedding import pair_measures
from embbench.tasks._readers import numbers, read_columns, unique_ids

PAIR_COLUMNS = ("sentence1", "sentence2", "score")


class SemanticSimilarity(GoldSpearman, FileTask[FileTaskOptions]):
    """Sentence pairs scored by people (``sentence1<TAB>sentence2<TAB>score``, further columns such as ``subset``
    kept as item columns); every distinct sentence is embedded once, and a pair is covered when both sentences
    are. Items are pairs, with their four similarities."""

    name = "sts"
    version = 2
    description = "semantic textual similarity (MTEB): Spearman of the pairs' cosine with human scores"
    main_score = "cosine_spearman"
    family = "semantic textual similarity"
    paired_test = "williams"
    score_column = "cosine"

    def read(self, path: Path) -> None:
        self.columns_, lines = read_columns(path, PAIR_COLUMNS)
        self.gold_ = numbers(path, "score", self.columns_["score"], lines)
        self.lines_ = lines

    def evaluate(self, provider: Provider) -> TaskOutput:
        first, second = self.columns_["sentence1"], self.columns_["sentence2"]
        measures, covered = pair_measures(provider, first, second)
        n = len(first)
        values = {"cosine": measures["cosine"], "manhattan": -measures["manhattan"],
                  "euclidean": -measures["euclidean"], "dot": measures["dot"]}  # fmt: skip
        require_rank_correlation(self.gold_, values["cosine"], covered)
        scores: dict[str, float | None] = {}
        for name, column in values.items():
            both = correlations(list(self.gold_[covered]), list(column[covered]))
            scores |= {f"{name}_spearman": both["spearman"], f"{name}_pearson": both["pearson"]}
        extra = {name: np.array(column, dtype=object) for name, column in self.columns_.items()
                 if name not in PAIR_COLUMNS}  # fmt: skip
        items = {
            "id": unique_ids([f"line {line}" for line in self.lines_]),
            "sentence1": np.array(first, dtype=object),
            "sentence2": np.array(second, dtype=object),
            **extra,
            "gold": self.gold_,
            **values,
            "covered": covered,
            "loss": rank_gap(self.gold_, values["cosine"], covered),
        }
        return TaskOutput(scores, n_items=n, n_scored=int(covered.sum()), items=items)


@hookimpl
def register_tasks(register: Register) -> None:
    register(SemanticSimilarity)
