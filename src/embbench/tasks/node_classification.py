"""Node classification: each node's class predicted from its embedding by the classification tasks' linear probe
(logistic regression, stratified k-fold, C chosen inside each fold), on a graph whose node embeddings are learned
from its edges (never from the labels)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import model_validator

from embbench.contract import NODE, Context, FileTask, Graph, Provider, TaskOutput, TrainingData
from embbench.errors import EmbbenchError
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._embedding import embed_nodes_checked
from embbench.tasks._graphs import read_edges
from embbench.tasks._probe import ProbeOptions, probe, probe_output
from embbench.tasks._readers import read_columns
from embbench.tasks._texts import check_classes


class NodeClassificationOptions(ProbeOptions):
    """``dataset``/``path``: the ``node<TAB>label`` file; ``graph`` names the graph's edge dataset, or
    ``graph_path`` gives the user's own ``source<TAB>target[<TAB>weight]`` file."""

    graph: str | None = None
    graph_path: str | None = None

    @model_validator(mode="after")
    def _one_graph(self) -> NodeClassificationOptions:
        if (self.graph is None) == (self.graph_path is None):
            raise ValueError("give the graph's edges: graph=DATASET or graph_path=FILE (one of them)")
        return self


class NodeClassification(FileTask[NodeClassificationOptions]):
    """Every node of the label file is an item; a node provider is fitted on the whole graph (its edges, not the
    labels: the transductive protocol of node embedding papers), and the probe predicts each node's label from
    its vector in the other folds. Accuracy (equal to micro-F1 for one label per node) and macro-F1; McNemar on
    the per-node hits as the paired test."""

    name = "node-classification"
    description = "each node's class by logistic regression on its embedding, stratified k-fold (graph nodes)"
    item_kind = NODE
    main_score = "accuracy"
    family = "node classification"
    paired_test = "mcnemar"
    score_column = "correct"
    version = 1

    def load(self, context: Context) -> None:
        super().load(context)
        if self.options.graph_path:
            path = Path(self.options.graph_path).expanduser()
            if not path.is_file():
                what = "not a file" if path.exists() else "file not found"
                raise EmbbenchError(f"graph {what}: {path}", f"task '{self.registered_name}' option 'graph_path'")
            name = path.stem
        else:
            assert context.registry is not None and self.options.graph is not None
            dataset = context.registry.dataset(self.options.graph, f"task '{self.registered_name}' option 'graph'")
            path, name = dataset.local_path(context.cache_dir), dataset.name
        self.graph_sha256_ = context.fingerprint(path)
        self.graph_: Graph = read_edges(path, name, self.ids_)

    def read(self, path: Path) -> None:
        columns, lines = read_columns(path, ("node", "label"))
        seen: dict[str, int] = {}
        for node, line in zip(columns["node"], lines, strict=True):
            if node in seen:
                raise EmbbenchError(f"node '{node}' is labelled twice (first on line {seen[node]})", f"{path}:{line}")
            seen[node] = line
        self.ids_ = tuple(columns["node"])
        self.labels_ = columns["label"]
        check_classes(self.labels_, path, minimum=self.options.folds)

    def dataset_sha256(self) -> str | None:
        """The label file's and the graph's sha256 together: a record is redone when either changes."""
        labels = super().dataset_sha256()
        graph = getattr(self, "graph_sha256_", None)
        return None if labels is None or graph is None else f"{labels}+{graph}"

    def training_data(self) -> TrainingData:
        return self.graph_.training_data("all edges")

    def evaluate(self, provider: Provider) -> TaskOutput:
        from sklearn import metrics

        vectors, covered = embed_nodes_checked(provider, self.graph_.nodes())
        labels = np.array(self.labels_, dtype=object)
        probed = probe(vectors, labels, self.options)
        output = probe_output(np.array(self.ids_, dtype=object), labels, probed, covered, self.options)
        output.scores["micro_f1"] = float(metrics.f1_score(labels, probed.predicted, average="micro"))
        return output


@hookimpl
def register_tasks(register: Register) -> None:
    register(NodeClassification)
