"""The contract for items that are not text, on real graphs (Zachary's karate club, the Les Misérables co-occurrence
graph, both as networkx ships them): a task declares that it embeds graph nodes, a node provider is fitted on each
task's training graph (once per distinct graph, recorded), a text provider embeds the nodes' names where they have
them, a pair whose kinds do not fit is a skipped record saying why, and the embedding cache keeps nodes by node."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import networkx as nx
import numpy as np
import pytest

from embbench import run
from embbench.contract import (
    NODE,
    Context,
    Embedded,
    Node,
    NodeProvider,
    Options,
    Task,
    TaskOutput,
    TrainingData,
)
from embbench.hookspecs import hookimpl
from embbench.plugins import Registry
from embbench.running.embedding_cache import CachingProvider


def graph_data(name: str, graph: nx.Graph) -> TrainingData:
    """A whole graph as training data: its name, its nodes in order and its edges as node ids."""
    nodes = [str(n) for n in graph.nodes]
    edges = sorted(tuple(sorted((str(a), str(b)))) for a, b in graph.edges)
    digest = hashlib.sha256(repr((nodes, edges)).encode()).hexdigest()
    return TrainingData("graph", f"{name}: all edges", digest, {"nodes": len(nodes), "edges": len(edges)},
                        data=(name, nodes, edges))  # fmt: skip


class SpectralOptions(Options):
    dim: int = 4


class Spectral(NodeProvider[SpectralOptions]):
    """The leading eigenvectors of a training graph's symmetric normalised adjacency (a small spectral embedding)."""

    name = "test-spectral"
    fitted: ClassVar[list[str]] = []  # the training data it was fitted on, in order, across instances

    def fitted_on(self, data: TrainingData, context: Context) -> Spectral:
        graph, nodes, edges = data.data
        row = {node: i for i, node in enumerate(nodes)}
        adjacency = np.zeros((len(nodes), len(nodes)))
        for a, b in edges:
            adjacency[row[a], row[b]] = adjacency[row[b], row[a]] = 1.0
        scale = 1 / np.sqrt(np.maximum(adjacency.sum(axis=1), 1))
        _, vectors = np.linalg.eigh(adjacency * scale[:, None] * scale[None, :])
        fitted = Spectral(self.options, registered_name=self.registered_name, plugin=self.plugin)
        fitted.graph_, fitted.rows_ = graph, row
        fitted.vectors_ = vectors[:, -self.options.dim :].astype(np.float32)
        Spectral.fitted.append(data.sha256)
        return fitted

    def embed_nodes(self, nodes: Sequence[Node]) -> Embedded:
        known = np.array([node.graph == self.graph_ and node.id in self.rows_ for node in nodes])
        rows = [self.rows_.get(node.id, 0) for node in nodes]
        return Embedded(np.where(known[:, None], self.vectors_[rows], 0).astype(np.float32), known)


class FactionOptions(Options):
    names: bool = False


class KarateFactions(Task[FactionOptions]):
    """Each member's faction (Mr. Hi or Officer) by the faction of its nearest other member (cosine)."""

    name = "karate-factions"
    item_kind = NODE
    family = "node classification"
    main_score = "accuracy"
    score_column = "correct"
    paired_test = "mcnemar"

    def load(self, context: Context) -> None:
        self.graph_ = nx.karate_club_graph()

    def training_data(self) -> TrainingData:
        return graph_data("karate", self.graph_)

    def items_have_names(self) -> bool:
        return self.options.names

    def evaluate(self, provider) -> TaskOutput:
        names = [str(n) for n in self.graph_.nodes] if self.options.names else [None] * len(self.graph_)
        nodes = [Node("karate", str(n), name) for n, name in zip(self.graph_.nodes, names, strict=True)]
        embedded = provider.embed_nodes(nodes)
        labels = np.array([self.graph_.nodes[n]["club"] for n in self.graph_.nodes])
        unit = embedded.vectors / np.maximum(np.linalg.norm(embedded.vectors, axis=1, keepdims=True), 1e-12)
        similarity = unit @ unit.T
        similarity[:, ~embedded.covered] = -np.inf
        np.fill_diagonal(similarity, -np.inf)
        correct = labels[similarity.argmax(axis=1)] == labels
        covered = embedded.covered
        items = {"id": np.array([n.id for n in nodes], dtype=object), "covered": covered, "correct": correct}
        return TaskOutput({"accuracy": float(correct[covered].mean())}, len(nodes), int(covered.sum()), items=items)


class GraphPlugin:
    @hookimpl
    def register_providers(self, register) -> None:
        register(Spectral)

    @hookimpl
    def register_tasks(self, register) -> None:
        register(KarateFactions)


@pytest.fixture
def registry() -> Registry:
    Spectral.fitted.clear()
    return Registry.load(extra=[GraphPlugin()])


def test_a_node_provider_is_fitted_once_on_each_tasks_training_graph(tmp_path: Path, registry) -> None:
    """Two tasks on the same training graph share one fit; each record says what its provider was fitted on."""
    records = run(["test-spectral"], ["karate-factions", "karate-factions:names=true"], tmp_path / "r",
                  registry=registry, cache_dir=tmp_path / "cache")  # fmt: skip
    assert [r.status for r in records] == ["ok", "ok"], [r.error for r in records]
    data = graph_data("karate", nx.karate_club_graph())
    assert Spectral.fitted == [data.sha256]
    for record in records:
        assert record.provenance["trained_on"] == {"kind": "graph", "name": "karate: all edges",
                                                   "sha256": data.sha256, "nodes": 34, "edges": 78}  # fmt: skip
        assert record.main_value > 0.8 and record.n_scored == 34  # the two factions are the graph's two sides


def test_a_text_provider_embeds_node_names_or_is_skipped_saying_why(tmp_path: Path, registry) -> None:
    records = run(["glove"], ["karate-factions", "karate-factions:names=true"], tmp_path / "r", registry=registry,
                  cache_dir=tmp_path / "cache")  # fmt: skip
    unnamed, named = sorted(records, key=lambda r: r.task_label)
    assert unnamed.status == "skipped"
    assert unnamed.error == "provider 'glove' embeds text; task 'karate-factions' embeds graph nodes without names"
    assert named.status == "ok" and named.n_scored == 34  # GloVe knows the numbers 0 to 33 as words


def test_a_node_provider_on_a_text_task_is_skipped_saying_why(tmp_path: Path, registry) -> None:
    (record,) = run(["test-spectral"], ["mc30"], tmp_path / "r", registry=registry, cache_dir=tmp_path / "cache")
    assert record.status == "skipped"
    assert record.error == "provider 'test-spectral' embeds graph nodes; task 'mc30' embeds text"


def test_the_embedding_cache_keeps_nodes_by_graph_and_id(tmp_path: Path, registry) -> None:
    """A fitted node provider's vectors are stored by node: asked again, none is recomputed; the same id in
    another graph is another item."""
    graph = nx.les_miserables_graph()  # 77 characters, enough for the cache to keep them
    fitted = Spectral().fitted_on(graph_data("les-miserables", graph), Context(tmp_path, registry))
    asked: list[int] = []
    original = fitted.embed_nodes
    fitted.embed_nodes = lambda nodes: asked.append(len(nodes)) or original(nodes)  # type: ignore[method-assign]
    nodes = [Node("les-miserables", str(n), str(n)) for n in graph.nodes]
    cached = CachingProvider(fitted, tmp_path / "embeddings")
    first, again = cached.embed_nodes(nodes), cached.embed_nodes(nodes)
    assert asked == [77]
    np.testing.assert_array_equal(first.vectors, again.vectors)
    np.testing.assert_array_equal(first.vectors, original(nodes).vectors)
    elsewhere = cached.embed_nodes([Node("other-graph", node.id) for node in nodes])
    assert asked == [77, 77] and not elsewhere.covered.any()  # unknown to the graph it was fitted on
