"""Retrieval (BEIR's and MTEB's protocol): each query's top documents by cosine, scored against relevance judgements.

The data is a folder in BEIR's format (``corpus.jsonl`` with ``_id``, ``title`` and ``text``, ``queries.jsonl``,
``qrels/<split>.tsv``; a title is joined to its text as MTEB joins them), or a ``label<TAB>title<TAB>text`` file
such as the bundled BBC News, where each headline retrieves its own article. Search is exact, in blocks of the
corpus. The scores, as pytrec_eval computes them on the top 100: nDCG, MAP, recall and precision at 1, 3, 5, 10 and
100, and MRR@10; the main score is nDCG@10. Queries without a relevant document are left out and counted.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from embbench.contract import Context, FileTask, FileTaskOptions, Items, Provider, TaskOutput
from embbench.errors import EmbbenchError, SkipTask
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._embedding import embed_checked, unit_rows
from embbench.tasks._index import IndexKind, build_index
from embbench.tasks._ranking import ranking_measures
from embbench.tasks._readers import numbers, read_columns
from embbench.tasks._search import top_k

CUTOFFS = (1, 3, 5, 10, 100)
ITEM_MEASURES = ("ndcg_at_10", "map_at_100", "recall_at_100", "mrr_at_10")


class RetrievalOptions(FileTaskOptions):
    split: str = "test"
    """The qrels file of a BEIR folder: ``qrels/<split>.tsv``."""
    ignore_identical_ids: bool = False
    """BEIR's option: a document whose id is the query's own is never retrieved for it."""
    index: IndexKind = "exact"
    """Search exactly, or through a FAISS index: ``hnsw``, ``ivfpq``, ``int8`` (scalar quantizer) or ``binary``
    (sign bits, Hamming distance); the record then says how much of the exact top 10 it found, its size and speed."""
    hnsw_m: int = Field(32, ge=2)
    ef_search: int = Field(128, ge=1)
    nprobe: int = Field(16, ge=1)


def _jsonl(path: Path, required: tuple[str, ...]) -> list[dict[str, Any]]:
    """The objects of a JSON-lines file, each with the ``required`` keys; problems name the file and line."""
    if not path.is_file():
        raise EmbbenchError("not found (a BEIR folder has corpus.jsonl, queries.jsonl and qrels/)", str(path))
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EmbbenchError(f"not valid JSON: {exc.msg}", f"{path}:{number}") from None
        missing = [key for key in required if not isinstance(row, dict) or key not in row]
        if missing:
            raise EmbbenchError(f"no {missing[0]!r} key", f"{path}:{number}")
        rows.append(row)
    if not rows:
        raise EmbbenchError("no rows", str(path))
    return rows


class Retrieval(FileTask[RetrievalOptions]):
    """Queries retrieve documents of a corpus by the cosine of their embeddings; items are queries, with their
    measures and top-10 document ids."""

    name = "retrieval"
    description = (
        "retrieval (BEIR/MTEB): exact cosine search; nDCG@10 (main), MAP, recall, precision, MRR (pytrec_eval's)"
    )
    main_score = "ndcg_at_10"
    family = "retrieval"
    paired_test = "paired-t"
    score_column = "ndcg_at_10"

    def load(self, context: Context) -> None:
        path = Path(self.options.path).expanduser() if self.options.path else None
        if path is not None and path.is_dir():
            self.path_ = path
            self.sha256_ = context.fingerprint(path)
            self._read_beir(path)
        else:
            super().load(context)

    def read(self, path: Path) -> None:
        """A ``label<TAB>title<TAB>text`` file: each title is a query whose one relevant document is its text."""
        columns, _ = read_columns(path, ("label", "title", "text"))
        ids = [str(i) for i in range(len(columns["text"]))]
        self.doc_ids_, self.docs_ = ids, columns["text"]
        self.query_ids_, self.queries_ = ids, columns["title"]
        self.qrels_ = {i: {i: 1} for i in ids}

    def _read_beir(self, folder: Path) -> None:
        corpus = _jsonl(folder / "corpus.jsonl", ("_id", "text"))
        queries = _jsonl(folder / "queries.jsonl", ("_id", "text"))
        self.doc_ids_ = [str(row["_id"]) for row in corpus]
        self.docs_ = [f"{row.get('title') or ''} {row['text']}".strip() for row in corpus]
        self.query_ids_ = [str(row["_id"]) for row in queries]
        self.queries_ = [str(row["text"]) for row in queries]
        qrels_path = folder / "qrels" / f"{self.options.split}.tsv"
        if not qrels_path.is_file():
            raise EmbbenchError(f"no relevance judgements: {qrels_path.relative_to(folder)} is missing", str(folder))
        columns, lines = read_columns(qrels_path, ("query-id", "corpus-id", "score"))
        relevance = numbers(qrels_path, "score", columns["score"], lines)
        known_docs, known_queries = set(self.doc_ids_), set(self.query_ids_)
        self.qrels_: dict[str, dict[str, int]] = {}
        for query, doc, value, line in zip(columns["query-id"], columns["corpus-id"], relevance, lines, strict=True):
            if doc not in known_docs:
                raise EmbbenchError(f"corpus-id {doc!r} is not in corpus.jsonl", f"{qrels_path}:{line}")
            if query not in known_queries:
                raise EmbbenchError(f"query-id {query!r} is not in queries.jsonl", f"{qrels_path}:{line}")
            self.qrels_.setdefault(query, {})[doc] = int(value)

    def data_bytes(self) -> int:
        return sum(len(text) for text in self.docs_) if hasattr(self, "docs_") else 0

    def evaluate(self, provider: Provider) -> TaskOutput:
        judged = [i for i, query in enumerate(self.query_ids_) if query in self.qrels_]
        relevant = [i for i in judged if any(v > 0 for v in self.qrels_[self.query_ids_[i]].values())]
        if not relevant:
            raise SkipTask(f"none of the {len(judged)} judged queries has a relevant document", len(judged), 0)
        corpus = embed_checked(provider, self.docs_)  # in file order: the other tasks on the file embed the same
        queries = embed_checked(provider, [self.queries_[i] for i in relevant])
        docs = unit_rows(corpus.vectors).astype(np.float32)
        docs[~corpus.covered] = 0.0  # a document without an embedding scores 0 with every query
        _, id_rank = np.unique(np.array(self.doc_ids_, dtype=str), return_inverse=True)
        depth = min(max(CUTOFFS) + int(self.options.ignore_identical_ids), len(docs))
        stored_bytes = provider.vector_bytes(len(docs)) or int(docs.nbytes)  # codes, where the provider stores them
        found, search = self._search(unit_rows(queries.vectors).astype(np.float32), docs, depth, id_rank, stored_bytes)
        ranked, ideal, top = self._judged(relevant, found)
        measures = ranking_measures(ranked, ideal, CUTOFFS)
        covered = queries.covered
        scores = {name: float(values[covered].mean()) if covered.any() else None for name, values in measures.items()}
        n = len(relevant)
        items: Items = {"id": np.array([self.query_ids_[i] for i in relevant], dtype=object),
                        "query": np.array([self.queries_[i] for i in relevant], dtype=object),
                        **{name: measures[name] for name in ITEM_MEASURES},
                        "top_10": top, "covered": covered, "loss": 1.0 - measures["ndcg_at_10"]}  # fmt: skip
        details = {"queries_without_relevant_documents": len(judged) - n, "documents": len(self.docs_),
                   "documents_without_embedding": int((~corpus.covered).sum()), **search}  # fmt: skip
        return TaskOutput(scores, n_items=n, n_scored=int(covered.sum()), items=items, details=details)

    def _search(
        self, queries: np.ndarray, docs: np.ndarray, depth: int, id_rank: np.ndarray, stored_bytes: int
    ) -> tuple[np.ndarray, dict]:
        """Each query's top documents, exactly or through the index asked for, and what the search cost: the
        index's bytes (exact: ``stored_bytes``, the documents' vectors as stored), build seconds, queries per second,
        and (approximate) the share of the exact top 10 found."""
        start = time.perf_counter()
        exact, _ = top_k(queries, docs, depth, id_rank)
        rate = round(len(queries) / (time.perf_counter() - start), 1)
        facts: dict[str, Any] = {"index": "exact", "index_bytes": stored_bytes, "queries_per_second": rate}
        if self.options.index == "exact":
            return exact, facts
        o = self.options
        built = build_index(o.index, docs, o.hnsw_m, o.ef_search, o.nprobe)
        start = time.perf_counter()
        found, scores = built.search(queries, depth)
        seconds = time.perf_counter() - start
        for row in range(len(found)):  # the index's own top documents, ties ordered as trec_eval orders them
            hit = found[row] >= 0
            order = np.lexsort((-id_rank[found[row][hit]], -scores[row][hit]))
            found[row] = np.r_[found[row][hit][order], found[row][~hit]]
        shared = [len(set(a[:10]) & set(b[:10])) / min(10, depth) for a, b in zip(found, exact, strict=True)]
        facts = {"index": o.index, "index_bytes": built.bytes, "build_seconds": round(built.build_seconds, 3),
                 "queries_per_second": round(len(queries) / seconds, 1) if seconds > 0 else None,
                 "recall_at_10_vs_exact": float(np.mean(shared))}  # fmt: skip
        return found, facts

    def _judged(self, queries: list[int], found: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The relevance of each query's retrieved documents (its own id left out when asked), its judgements
        sorted from the highest, and its top-10 ids."""
        depth = max(CUTOFFS)
        ranked = np.zeros((len(queries), depth))
        ideal = np.zeros((len(queries), depth))
        top = np.empty(len(queries), dtype=object)
        for row, q in enumerate(queries):
            query = self.query_ids_[q]
            judgements = self.qrels_[query]
            ids = [self.doc_ids_[d] for d in found[row] if d >= 0]
            if self.options.ignore_identical_ids:
                ids = [doc for doc in ids if doc != query]
            ids = ids[:depth]
            ranked[row, : len(ids)] = [judgements.get(doc, 0) for doc in ids]
            grades = sorted((v for v in judgements.values() if v > 0), reverse=True)[:depth]
            ideal[row, : len(grades)] = grades
            top[row] = " ".join(ids[:10])
        return ranked, ideal, top


@hookimpl
def register_tasks(register: Register) -> None:
    register(Retrieval)
