"""The trained and neural providers, for real: word2vec, fastText, GloVe training, BERT, autoencoder."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from conftest import run_cli

from embbench.errors import EmbbenchError
from embbench.providers._glove_training import train_glove
from embbench.tasks.similarity import read_pairs
from embbench.testing import check_provider


def related_minus_unrelated(provider, registry) -> float:
    """Mean cosine of the top-rated quarter of ws353 pairs minus that of the bottom quarter (covered pairs)."""
    pairs = sorted(read_pairs(registry.dataset("ws353").path), key=lambda p: p[2])
    quarter = len(pairs) // 4

    def mean_cosine(chosen):
        sims = []
        for a, b, _ in chosen:
            va, vb = provider.embed([a, b])
            if np.any(va) and np.any(vb):
                sims.append(va @ vb / np.linalg.norm(va) / np.linalg.norm(vb))
        return float(np.mean(sims))

    return mean_cosine(pairs[-quarter:]) - mean_cosine(pairs[:quarter])


def spearman(provider, task_name, registry, context) -> float:
    task = registry.make_task(task_name)
    task.load(context)
    return task.evaluate(provider).scores["spearman"]


@pytest.mark.slow
@pytest.mark.parametrize("spec", ["word2vec", "fasttext", "glove:corpus=sotu", "autoencoder"])
def test_trained_on_the_bundled_corpus(spec, registry, context, cache_dir) -> None:
    provider = check_provider(registry.make_provider(spec), cache_dir)
    provenance = provider.provenance()
    assert provenance["fit_seconds"] > 0 and provenance["seed"] == 0
    # related pairs are nearer than unrelated ones; one-hot vectors give 0 for every distinct pair
    assert related_minus_unrelated(provider, registry) > 0.05
    assert spearman(provider, "ws353", registry, context) > 0.2
    again = context.make_provider(spec)
    assert again.provenance()["from_cache"] is True  # a second use does not train again
    pooled = context.make_provider(spec + ("," if ":" in spec else ":") + "pooling=max")
    assert pooled.provenance()["from_cache"] is True  # the pooling changes how texts are embedded, not the fit
    np.testing.assert_array_equal(np.asarray(again.word_vectors().matrix), np.asarray(provider.word_vectors().matrix))


def test_word2vec_is_reproducible_and_configurable(registry, context, tmp_path) -> None:
    from embbench.contract import Context

    spec = "word2vec:corpus=lee,architecture=cbow,objective=hierarchical-softmax,dim=30,epochs=3,min_count=2"
    first = registry.make_provider(spec).fit(Context(tmp_path / "a", registry))
    second = registry.make_provider(spec).fit(Context(tmp_path / "b", registry))
    np.testing.assert_array_equal(np.asarray(first.word_vectors().matrix), np.asarray(second.word_vectors().matrix))
    other_seed = registry.make_provider(spec + ",seed=1").fit(Context(tmp_path / "c", registry))
    assert not np.array_equal(np.asarray(other_seed.word_vectors().matrix), np.asarray(first.word_vectors().matrix))
    assert first.word_vectors().dim == 30


def test_word2vec_loads_pretrained_files(registry, context, glove, tmp_path) -> None:
    from gensim.models import KeyedVectors

    vectors = glove.word_vectors()
    kv = KeyedVectors(vectors.dim)
    kv.add_vectors(vectors.words[:2000], np.asarray(vectors.matrix[:2000]))
    kv.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    loaded = context.make_provider(f"word2vec:path={tmp_path / 'v.bin'}")
    assert loaded.word_vectors().words == vectors.words[:2000]
    np.testing.assert_array_equal(loaded.embed(["king"])[0], np.asarray(vectors.matrix[vectors.index["king"]]))


def test_fasttext_gives_oov_words_subword_vectors(registry, context, tmp_path) -> None:
    from gensim.models.fasttext import load_facebook_vectors
    from gensim.test.utils import datapath

    provider = context.make_provider(f"fasttext:path={datapath('lee_fasttext.bin')}")
    reference = load_facebook_vectors(datapath("lee_fasttext.bin"))
    word = "unbelievablenessly"
    assert word not in reference.key_to_index
    np.testing.assert_allclose(provider.embed([word])[0], reference[word], rtol=1e-6)
    path = tmp_path / "pairs.tsv"
    path.write_text("government\tgovernments\t9\ngovernment\tqwertyzzz\t1\nplayers\tplayer\t8\n")
    task = registry.make_task(f"word-similarity:path={path}")
    task.load(context)
    output = task.evaluate(provider)
    assert output.coverage == 1.0 and output.details["pairs_with_subword_vectors"] >= 1


def test_glove_training_matches_a_direct_transcription(monkeypatch) -> None:
    """With one entry per batch the vectorised trainer must equal the reference C code's SGD, line by line."""
    import embbench.providers._glove_training

    monkeypatch.setattr(embbench.providers._glove_training, "BATCH", 1)
    counts = scipy.sparse.coo_matrix(np.array([[0, 3.0, 0.5], [3.0, 0, 1.0], [0.5, 1.0, 0]]))
    dim, rate, x_max, alpha = 4, 0.05, 2.0, 0.75
    got, costs = train_glove(counts, dim, epochs=2, x_max=x_max, alpha=alpha, learning_rate=rate, seed=3)

    rng = np.random.default_rng(3)
    size = 3
    w = ((rng.random((size, dim)) - 0.5) / dim).astype(np.float32)
    c = ((rng.random((size, dim)) - 0.5) / dim).astype(np.float32)
    bw, bc = np.zeros(size, np.float32), np.zeros(size, np.float32)
    gw, gc, gbw, gbc = np.ones_like(w), np.ones_like(c), np.ones(size, np.float32), np.ones(size, np.float32)
    for _ in range(2):
        for k in rng.permutation(counts.nnz):
            i, j, x = counts.row[k], counts.col[k], counts.data[k]
            diff = w[i] @ c[j] + bw[i] + bc[j] - np.float32(np.log(x))
            fdiff = np.float32(min(1.0, (x / x_max) ** alpha)) * diff
            grad_w, grad_c = fdiff * c[j], fdiff * w[i]
            w[i] -= rate * grad_w / np.sqrt(gw[i])
            c[j] -= rate * grad_c / np.sqrt(gc[j])
            gw[i] += grad_w**2
            gc[j] += grad_c**2
            bw[i] -= rate * fdiff / np.sqrt(gbw[i])
            bc[j] -= rate * fdiff / np.sqrt(gbc[j])
            gbw[i] += fdiff**2
            gbc[j] += fdiff**2
    np.testing.assert_allclose(got, w + c, rtol=1e-5, atol=1e-6)
    assert len(costs) == 2


def test_glove_mini_batches_sum_repeated_rows_from_the_batch_start(monkeypatch) -> None:
    """Batches of several entries: every error is computed from the parameters as they were when the batch began,
    gradients of a row that repeats in the batch are summed, then each touched row takes one AdaGrad step."""
    import embbench.providers._glove_training

    monkeypatch.setattr(embbench.providers._glove_training, "BATCH", 4)
    rng = np.random.default_rng(7)
    dense = np.triu(rng.random((5, 5)) * (rng.random((5, 5)) < 0.7) * 20, 1)
    counts = scipy.sparse.coo_matrix(dense + dense.T)
    dim, rate, x_max, alpha = 6, 0.05, 10.0, 0.75
    got, costs = train_glove(counts, dim, epochs=3, x_max=x_max, alpha=alpha, learning_rate=rate, seed=5)

    rng = np.random.default_rng(5)
    size = 5
    params = [((rng.random((size, dim)) - 0.5) / dim).astype(np.float32) for _ in range(2)]
    biases = [np.zeros(size, np.float32), np.zeros(size, np.float32)]
    squares = [np.ones((size, dim + 1), np.float32), np.ones((size, dim + 1), np.float32)]
    log_x, weight = np.log(counts.data), np.minimum(1.0, (counts.data / x_max) ** alpha)
    for _ in range(3):
        order = rng.permutation(counts.nnz)
        for start in range(0, counts.nnz, 4):
            batch = order[start : start + 4]
            sides = (counts.row[batch], counts.col[batch])
            before = [np.c_[params[s], biases[s]].astype(np.float64) for s in (0, 1)]
            diff = (np.einsum("ij,ij->i", before[0][sides[0], :-1], before[1][sides[1], :-1])
                    + before[0][sides[0], -1] + before[1][sides[1], -1] - log_x[batch])  # fmt: skip
            fdiff = weight[batch] * diff
            for side in (0, 1):
                grads = np.zeros((size, dim + 1))
                np.add.at(grads, sides[side], np.c_[fdiff[:, None] * before[1 - side][sides[1 - side], :-1], fdiff])
                touched = np.unique(sides[side])
                step = rate * grads[touched] / np.sqrt(squares[side][touched])
                params[side][touched] -= step[:, :-1].astype(np.float32)
                biases[side][touched] -= step[:, -1].astype(np.float32)
                squares[side][touched] += (grads[touched] ** 2).astype(np.float32)
    np.testing.assert_allclose(got, params[0] + params[1], rtol=1e-4, atol=1e-5)
    assert len(costs) == 3


@pytest.mark.parametrize("spec", [
    "onehot:corpus=lee", "pca:corpus=lee,dim=10,min_count=3", "glove:corpus=lee,dim=10,epochs=1,min_count=3",
    "word2vec:corpus=lee,epochs=1,dim=10", "fasttext:corpus=lee,epochs=1,dim=10,bucket=20000",
    "autoencoder:corpus=lee,epochs=1,dim=10,contexts=300"])  # fmt: skip
def test_every_corpus_trained_provider_reports_its_corpus(context, spec) -> None:
    """The leaderboard's provider table reads the corpus and its size from provenance, for every trained provider
    alike, and from a cached fit as from a new one."""
    from embbench.providers._corpus import load_corpus

    lee = load_corpus("lee")
    for _ in range(2):  # fitted, then from the cache
        provenance = context.make_provider(spec).provenance()
        assert (provenance["corpus"], provenance["corpus_sha256"]) == ("lee", lee.sha256)
        assert provenance["corpus_tokens"] == lee.n_tokens > 50_000


def test_glove_training_lowers_its_cost(registry, context) -> None:
    provider = context.make_provider("glove:corpus=lee,dim=20,epochs=8,min_count=3,window=5")
    costs = provider.provenance()["cost_per_epoch"]
    assert all(later < earlier for earlier, later in itertools.pairwise(costs))


@pytest.fixture(scope="module")
def minilm(context):
    return context.make_provider("bert")


SENTENCES = [
    "A man is eating food.",
    "cat",
    "The quick brown fox jumps over the lazy dog " * 5,
    "Paris",
    "Stocks fell sharply on Monday after the central bank raised interest rates.",
] * 30


def test_minilm_equals_sentence_transformers_encode(minilm) -> None:
    from sentence_transformers import SentenceTransformer

    from embbench.providers.bert import packaged_minilm

    reference = SentenceTransformer(str(packaged_minilm()), device="cpu").encode(SENTENCES, convert_to_numpy=True)
    np.testing.assert_allclose(minilm.embed(SENTENCES), reference, atol=1e-5)
    # its memory is its float32 weights: the size of the weights file, to within the file's header
    weights = (packaged_minilm() / "model.safetensors").stat().st_size / 2**20
    assert abs(minilm.provenance()["memory_mib"] - weights) < 0.5


def test_layer_pooling_reproduces_the_models_own_pipeline(registry, context, minilm) -> None:
    """mean pooling of the last layer, normalised, is exactly what all-MiniLM-L6-v2's modules.json describes."""
    own = context.make_provider("bert:pooling=mean,layers=last,normalize=true,batch_size=7")
    np.testing.assert_allclose(own.embed(SENTENCES), minilm.embed(SENTENCES), atol=1e-5)
    wide = context.make_provider("bert:pooling=cls,layers=concat-last-4")
    assert wide.embed(["cat", "dog"]).shape == (2, 4 * 384)
    summed = context.make_provider("bert:pooling=mean,layers=sum-last-4")
    assert not np.allclose(summed.embed(["cat"]), own.embed(["cat"]))


def test_bert_on_word_similarity(minilm, registry, context) -> None:
    assert spearman(minilm, "ws353", registry, context) > 0.6  # MiniLM on WordSim-353 words in isolation


def test_bert_conformance_and_nan_detection(minilm, cache_dir, registry) -> None:
    check_provider(minilm, cache_dir)
    embeddings = minilm.model_[0].auto_model.embeddings  # a real layer made to emit NaN
    handle = embeddings.register_forward_hook(lambda module, inputs, output: output * np.nan)
    try:
        with pytest.raises(EmbbenchError, match="the model returned NaN or inf for text #0") as info:
            minilm.embed(["cat"])
        assert info.value.where == "provider 'bert'"
    finally:
        handle.remove()


def test_bert_missing_model(context) -> None:
    with pytest.raises(EmbbenchError) as info:
        context.make_provider("bert:model=/no/such/model")
    assert info.value.where == "provider 'bert' option 'model'" and "no model folder" in info.value.what


def hub_cache_with(folder: Path, cache: Path, repo: str, revision: str) -> None:
    """A Hugging Face hub cache (its real layout: blobs, a snapshot of links, refs/main) holding ``folder``."""
    import shutil

    root = cache / f"models--{repo.replace('/', '--')}"
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        blob = root / "blobs" / hashlib.sha256(path.read_bytes()).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, blob)
        link = root / "snapshots" / revision / path.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text(revision)


def test_a_hub_model_is_fingerprinted_by_its_files_and_checked_while_planning(tmp_path) -> None:
    """A hub name resolves to its snapshot in the local cache: the record's input is the files' fingerprint (equal
    to the packaged copy's, same files), the embeddings are the same; a name that is neither there nor reachable
    is a located error before anything runs."""
    from embbench.providers.bert import packaged_minilm

    hub_cache_with(packaged_minilm(), tmp_path / "hub", "acme/minilm-copy", "0" * 40)
    env = {"HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1", "EMBBENCH_CACHE": str(tmp_path / "cache")}
    for name, spec in (("hub", "bert:model=acme/minilm-copy"), ("packaged", "bert")):
        result = run_cli("run", "-p", spec, "-t", "mc30", "--results", str(tmp_path / name), env=env)
        assert result.returncode == 0, result.stderr
    hub, packaged = (json.loads(next((tmp_path / n).glob("*.json")).read_text()) for n in ("hub", "packaged"))
    assert set(hub["provider_inputs"]) == {"model folder"}
    assert hub["provider_inputs"] == packaged["provider_inputs"] and hub["scores"] == packaged["scores"]
    result = run_cli("run", "-p", "bert:model=acme/no-such-model", "-t", "mc30", "--results", str(tmp_path / "x"),
                     env=env)  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "provider 'bert' option 'model'" in result.stderr and "acme/no-such-model" in result.stderr
    assert not (tmp_path / "x").exists() or not list((tmp_path / "x").glob("*.json"))


def test_autoencoder_keeps_its_decoder(registry, context, glove) -> None:
    provider = context.make_provider("autoencoder:base=glove,dim=20,epochs=2,activation=linear")
    codes = provider.word_vectors()
    assert codes.dim == 20 and codes.words == glove.word_vectors().words
    original = np.asarray(glove.word_vectors().matrix[:2000])
    rebuilt = provider.decode(np.asarray(codes.matrix[:2000]))
    error = np.mean((rebuilt - original) ** 2)
    baseline = np.mean((original - original.mean(axis=0)) ** 2)
    assert error < 0.7 * baseline  # far better than predicting the mean vector


@pytest.mark.parametrize(
    ("spec", "where", "what"),
    [
        ("word2vec:corpus=lee,dim=100000", "provider 'word2vec' option 'dim'", "larger than the vocabulary size"),
        ("glove:corpus=lee,dim=100000", "provider 'glove' option 'dim'", "larger than the vocabulary size"),
        ("autoencoder:base=glove,dim=50", "provider 'autoencoder' option 'dim'", "larger than the input size"),
        ("fasttext:path=/no/such.bin", "provider 'fasttext' option 'path'", "model file not found: /no/such.bin"),
        (
            "glove:corpus=lee,dim=10,epochs=2,learning_rate=1e6",
            "provider 'glove' option 'learning_rate'",
            "GloVe training diverged",
        ),
    ],
)
def test_options_that_cannot_work(spec, where, what, context) -> None:
    with pytest.raises(EmbbenchError) as info:
        context.make_provider(spec)
    assert info.value.where == where and what in info.value.what


@pytest.mark.parametrize("provider", ["word2vec", "fasttext", "glove", "autoencoder", "pca", "onehot"])
def test_empty_or_missing_corpus_names_provider_and_option(provider, context, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  ...  \n")
    for corpus in (empty, tmp_path / "missing.txt"):
        with pytest.raises(EmbbenchError) as info:
            context.make_provider(f"{provider}:corpus={corpus}")
        assert info.value.where == f"provider '{provider}' option 'corpus'"


@pytest.mark.parametrize("provider", ["word2vec", "fasttext", "glove", "autoencoder", "pca", "onehot"])
def test_min_count_that_keeps_no_word_names_the_option(provider, context, tmp_path: Path) -> None:
    rare = tmp_path / "rare.txt"
    rare.write_text("the cat sat on the mat. a dog barked.\n")
    with pytest.raises(EmbbenchError) as info:
        context.make_provider(f"{provider}:corpus={rare},min_count=3")
    assert info.value.where == f"provider '{provider}' option 'min_count'"
    assert "0 words occurring at least 3 times" in info.value.what
