"""Every registered provider and every task type passes embbench's own named conformance checks."""

from __future__ import annotations

from embbench.plugins import Registry
from embbench.testing import parametrize_with_checks

REGISTRY = Registry.load()
# small but real configurations: trained providers learn from gensim's Lee corpus, briefly
PROVIDERS = {
    "onehot": "onehot:max_vocab=3000",
    "pca": "pca:dim=20,min_count=20",
    "glove": "glove",
    "word2vec": "word2vec:corpus=lee,epochs=1,dim=20",
    "fasttext": "fasttext:corpus=lee,epochs=1,dim=20,bucket=20000",
    "autoencoder": "autoencoder:corpus=lee,epochs=1,dim=10,contexts=300",
    "bert": "bert",
    "debias": "debias:method=hard",
    "postprocess": "postprocess:method=center",
    "quantize": "quantize:bits=1",
    "node-onehot": "node-onehot",
    "spectral": "spectral:dim=4",
    "deepwalk": "deepwalk:dim=8,walks_per_node=2,walk_length=10",
    "node2vec": "node2vec:dim=8,walks_per_node=2,walk_length=10,p=0.5,q=2",
}
# one dataset per task type, on GloVe 6B (sentence tasks pool its word vectors); graph tasks on a node provider
TASKS = {
    "word-similarity": ("mc30", "glove"),
    "analogy": ("msr:restrict_vocab=20000", "glove"),
    "categorization": ("essli2008", "glove"),
    "clustering": ("bbc-clustering:seeds=2", "glove"),
    "classification": ("bbc-classification:folds=2,inner_folds=2", "glove"),
    "bleu": ("bbc-headlines", "glove"),
    "weat": ("weat-caliskan:permutations=1000,max_missing=0.3", "glove"),
    "direct-bias": ("bolukbasi-direct-bias", "glove"),
    "sts": ("sts16", "glove"),
    "pair-classification": ("mrpc", "glove"),
    "reranking": ("trecqa", "glove"),
    "retrieval": ("bbc-retrieval", "glove"),
    "node-classification": ("karate-factions", "spectral"),
    "link-prediction": ("drosophila-links", "spectral"),
}
providers = {name: REGISTRY.make_provider(spec) for name, spec in PROVIDERS.items()}


def test_every_registered_provider_and_task_type_is_covered() -> None:
    builtin = {name for name, entry in REGISTRY.providers.items() if entry.plugin.distribution == "embbench"}
    assert builtin == set(PROVIDERS)
    types = {entry.obj.name for entry in REGISTRY.tasks.values() if entry.plugin.distribution == "embbench"}
    assert types == set(TASKS)


@parametrize_with_checks(
    providers=list(providers.values()),
    tasks=[(REGISTRY.make_task(task), providers[provider]) for task, provider in TASKS.values()],
)
def test_conformance(obj, check, cache_dir) -> None:
    check(obj, cache_dir)
