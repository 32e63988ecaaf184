"""Link prediction on held-out edges: a node provider is fitted on the training edges only, and each test edge's
true endpoint is ranked against every other node by the cosine of their embeddings, the other known edges
filtered out, as PyKEEN and OGB rank them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from embbench.contract import NODE, FileTask, FileTaskOptions, Graph, Items, Node, Provider, TaskOutput, TrainingData
from embbench.errors import EmbbenchError, SkipTask
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._embedding import embed_nodes_checked, unit_rows
from embbench.tasks._readers import read_columns

SPLITS = ("train", "valid", "test")
HITS = (1, 3, 10)


class LinkPredictionOptions(FileTaskOptions):
    """``test_fraction``: for a file without a ``split`` column, the share of its edges held out for testing,
    drawn from ``seed`` (which also draws the non-edges of the ROC-AUC); ``names``: the node ids are WordNet
    synsets (``dog.n.01``), named by their lemma (``dog``) for text providers."""

    test_fraction: float | None = Field(None, gt=0, lt=1)
    seed: int = 0
    names: bool = False


def realistic_ranks(scores: np.ndarray, true: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Each row's rank of its true column among the allowed columns, ties counted as PyKEEN's default
    ("realistic") and OGB count them: 1 + the scores above it + half of the others equal to it."""
    truth = scores[np.arange(len(true)), true][:, None]
    above = ((scores > truth) & allowed).sum(axis=1)
    equal = ((scores == truth) & allowed).sum(axis=1) - 1
    return 1.0 + above + equal / 2.0


def synset_name(node: str) -> str:
    """A WordNet synset's lemma as text: ``sea_lion.n.01`` -> ``sea lion``."""
    return node.split(".")[0].replace("_", " ")


class LinkPrediction(FileTask[LinkPredictionOptions]):
    """``source<TAB>target[<TAB>split]`` rows, one per directed edge (``split``: train, valid or test). Providers
    learn from the train edges; each test edge (h, t) ranks t among all nodes by cosine to h, and h by cosine to
    t, filtering every other known edge of any split and the node itself. Items are the test edges: their mean
    reciprocal rank of the two sides (MRR is their mean, PyKEEN's over both sides) and hits at 1, 3, 10.
    ROC-AUC compares the test edges' cosines with those of a fixed seeded set of as many non-edges, the same for
    every provider. A test edge with an endpoint the provider cannot embed (a node without training edges) keeps
    its rank (its cosines are all 0, so it ties with every node) and counts against coverage."""

    name = "link-prediction"
    description = "held-out edges ranked against all nodes by cosine, other known edges filtered; MRR, Hits@k, AUC"
    item_kind = NODE
    main_score = "mrr"
    family = "link prediction"
    score_column = "rr"
    version = 1

    def read(self, path: Path) -> None:
        columns, lines = read_columns(path, ("source", "target"))
        ids = tuple(dict.fromkeys(node for pair in zip(columns["source"], columns["target"], strict=True)
                                  for node in pair))  # fmt: skip
        row = {node: i for i, node in enumerate(ids)}
        pairs = np.array([(row[s], row[t]) for s, t in zip(columns["source"], columns["target"], strict=True)])
        loops = np.flatnonzero(pairs[:, 0] == pairs[:, 1])
        if len(loops):
            raise EmbbenchError(f"edge from node '{ids[pairs[loops[0], 0]]}' to itself", f"{path}:{lines[loops[0]]}")
        splits = self._splits(path, columns, lines, len(pairs))
        self.ids_, self.pairs_, self.splits_ = ids, pairs, splits
        name = self.options.dataset or path.stem
        train = pairs[splits == "train"]
        self.graph_ = Graph(name, ids, train[:, 0], train[:, 1], np.ones(len(train)))

    def _splits(self, path: Path, columns: dict[str, list[str]], lines: list[int], count: int) -> np.ndarray:
        """Each edge's split: the file's ``split`` column, or a seeded draw of ``test_fraction`` of the edges."""
        if "split" in columns:
            splits = np.array(columns["split"], dtype=object)
            bad = next((i for i, split in enumerate(splits) if split not in SPLITS), None)
            if bad is not None:
                raise EmbbenchError(f"split {splits[bad]!r} is not one of {', '.join(SPLITS)}", f"{path}:{lines[bad]}")
            return splits
        if self.options.test_fraction is None:
            raise EmbbenchError("the file has no split column: give test_fraction=F to hold out a share of its edges",
                                f"task '{self.registered_name}' option 'test_fraction'")  # fmt: skip
        splits = np.full(count, "train", dtype=object)
        held = np.random.default_rng(self.options.seed).permutation(count)[: round(self.options.test_fraction * count)]
        splits[held] = "test"
        return splits

    def training_data(self) -> TrainingData:
        return self.graph_.training_data("train edges")

    def items_have_names(self) -> bool:
        return self.options.names

    def nodes(self) -> list[Node]:
        name = synset_name if self.options.names else None
        return [Node(self.graph_.name, node, name(node) if name else None) for node in self.ids_]

    def evaluate(self, provider: Provider) -> TaskOutput:
        from sklearn.metrics import roc_auc_score

        test = self.pairs_[self.splits_ == "test"]
        if not len(test):
            raise SkipTask("the graph has no held-out (test) edges to predict")
        vectors, covered = embed_nodes_checked(provider, self.nodes())
        unit = unit_rows(vectors)
        size = len(self.ids_)
        known = np.zeros((size, size), dtype=bool)
        known[self.pairs_[:, 0], self.pairs_[:, 1]] = True
        sides = []
        for query, answer, filtered in ((test[:, 0], test[:, 1], known), (test[:, 1], test[:, 0], known.T)):
            scores = unit[query] @ unit.T
            allowed = ~filtered[query]
            allowed[np.arange(len(query)), answer] = True  # the true endpoint is ranked, the other known ones not
            allowed[np.arange(len(query)), query] = False  # nor the node itself
            sides.append(realistic_ranks(scores, answer, allowed))
        ranks = np.stack(sides, axis=1)
        negatives = self._negatives(known, len(test))
        positive_scores = np.einsum("ij,ij->i", unit[test[:, 0]], unit[test[:, 1]])
        negative_scores = np.einsum("ij,ij->i", unit[negatives[:, 0]], unit[negatives[:, 1]])
        labels = np.concatenate([np.ones(len(test)), np.zeros(len(negatives))])
        auc = float(roc_auc_score(labels, np.concatenate([positive_scores, negative_scores])))
        items = self._items(test, ranks, covered[test[:, 0]] & covered[test[:, 1]])
        scores = {"mrr": float(items["rr"].mean()), **{f"hits_at_{k}": float(items[f"hits_at_{k}"].mean())
                                                         for k in HITS}, "roc_auc": auc}  # fmt: skip
        return TaskOutput(scores, n_items=len(test), n_scored=int(items["covered"].sum()), items=items,
                          details={"train_edges": len(self.graph_.sources), "negatives": len(negatives),
                                   "seed": self.options.seed})  # fmt: skip

    def _items(self, test: np.ndarray, ranks: np.ndarray, covered: np.ndarray) -> Items:
        """One row per test edge: its two ranks, mean reciprocal rank and hits; every edge enters the score."""
        ids = np.array([f"{self.ids_[h]} -> {self.ids_[t]}" for h, t in test], dtype=object)
        rr = (1.0 / ranks).mean(axis=1)
        return {"id": ids, "covered": covered, "scored": np.ones(len(test), dtype=bool), "rank_tail": ranks[:, 0],
                "rank_head": ranks[:, 1], "rr": rr, "loss": 1.0 - rr,
                **{f"hits_at_{k}": (ranks <= k).mean(axis=1) for k in HITS}}  # fmt: skip

    def _negatives(self, known: np.ndarray, count: int) -> np.ndarray:
        """``count`` distinct ordered pairs of distinct nodes that are no known edge (either way), drawn from the
        task's seed: the same non-edges for every provider."""
        free = ~(known | known.T)
        np.fill_diagonal(free, False)
        candidates = np.argwhere(free)
        if len(candidates) < count:
            raise SkipTask(f"the graph has {len(candidates)} non-edges, fewer than its {count} test edges")
        chosen = np.random.default_rng(self.options.seed + 1).choice(len(candidates), size=count, replace=False)
        return candidates[np.sort(chosen)]


@hookimpl
def register_tasks(register: Register) -> None:
    register(LinkPrediction)
