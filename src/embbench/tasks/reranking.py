"""Reranking (MTEB's protocol): each query's candidates ranked by the cosine of their embedding to the query's.

The scores are the mean over queries of the average precision over all the query's candidates (MAP, MTEB's
``map_at_1000``, the main score), the reciprocal rank of the first correct candidate within the first 10 (MRR@10)
and nDCG@10, as pytrec_eval computes them. A query needs a correct and an incorrect candidate to rank; the others are
left out and counted in the record.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embbench.contract import FileTask, FileTaskOptions, Items, Provider, TaskOutput
from embbench.errors import EmbbenchError, SkipTask
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._embedding import embed_distinct, unit_rows
from embbench.tasks._ranking import average_precision, ndcg, reciprocal_rank, trec_order
from embbench.tasks._readers import numbers, read_columns, unique_ids

CUTOFF = 10


class Reranking(FileTask[FileTaskOptions]):
    """``query<TAB>label<TAB>candidate`` rows, one per candidate (label: 1 correct, 0 not, or a graded relevance).
    The items are the queries; those with a correct and an incorrect candidate count, and are covered when the
    query is embedded (a candidate that is not ranks last)."""

    name = "reranking"
    description = "reranking (MTEB): each query's candidates by cosine to it; MAP, MRR@10, nDCG@10 (pytrec_eval's)"
    main_score = "map"
    family = "reranking"
    score_column = "ap"

    def read(self, path: Path) -> None:
        columns, lines = read_columns(path, ("query", "label", "candidate"))
        labels = numbers(path, "label", columns["label"], lines)
        bad = np.flatnonzero((labels < 0) | (labels != np.round(labels)))
        if len(bad):
            raise EmbbenchError(f"label {columns['label'][bad[0]]!r} is not a relevance (0, 1, 2, ...)",
                                f"{path}:{lines[bad[0]]}")  # fmt: skip
        self.queries_ = list(dict.fromkeys(columns["query"]))
        where = {query: i for i, query in enumerate(self.queries_)}
        self.query_of_ = np.array([where[query] for query in columns["query"]], dtype=np.int64)
        self.labels_, self.candidates_ = labels.astype(np.int64), columns["candidate"]

    def evaluate(self, provider: Provider) -> TaskOutput:
        embedded, rows = embed_distinct(provider, self.queries_ + self.candidates_)
        queries, candidates = rows[: len(self.queries_)], rows[len(self.queries_) :]
        unit = unit_rows(embedded.vectors)
        cosines = np.einsum("ij,ij->i", unit[candidates], unit[queries[self.query_of_]])
        cosines[~embedded.covered[candidates]] = -np.inf  # a candidate without an embedding ranks last
        n = len(self.queries_)
        columns = {name: np.full(n, np.nan) for name in ("ap", "rr", "ndcg")}
        rankable = np.zeros(n, dtype=bool)
        top = np.full(n, "", dtype=object)
        for q in range(n):
            mine = np.flatnonzero(self.query_of_ == q)
            labels = self.labels_[mine]
            rankable[q] = bool((labels > 0).any() and (labels == 0).any())
            if not rankable[q] or not embedded.covered[queries[q]]:
                continue
            order = mine[trec_order(cosines[mine], mine.astype(str))]
            ranked = self.labels_[order]
            columns["ap"][q] = average_precision(ranked, int((labels > 0).sum()))
            columns["rr"][q] = reciprocal_rank(ranked, CUTOFF)
            columns["ndcg"][q] = ndcg(ranked, labels, CUTOFF)
            top[q] = self.candidates_[order[0]]
        covered = rankable & embedded.covered[queries]
        if not covered.any():
            raise SkipTask(f"none of the {int(rankable.sum())} queries with a correct and an incorrect candidate is"
                           " embedded", n, 0)  # fmt: skip
        scores = {"map": float(columns["ap"][covered].mean()), "mrr_at_10": float(columns["rr"][covered].mean()),
                  "ndcg_at_10": float(columns["ndcg"][covered].mean())}  # fmt: skip
        items: Items = {"id": unique_ids(self.queries_), **columns, "top_candidate": top, "covered": covered,
                        "loss": 1.0 - columns["ap"]}  # fmt: skip
        return TaskOutput(scores, n_items=int(rankable.sum()), n_scored=int(covered.sum()), items=items,
                          details={"queries_without_both_labels": int((~rankable).sum())})  # fmt: skip


@hookimpl
def register_tasks(register: Register) -> None:
    register(Reranking)
