"""Transforms over any provider, on the real GloVe 6B vectors: hard debiasing leaves no direct bias and equalizes
its pairs, INLP leaves a fresh classifier at chance, post-processing matches a direct transcription, quantization
is compact and searched as stored; bad options are located errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import loaded
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from embbench import run
from embbench._util.files import read_json
from embbench._util.gender_lists import BiasFile
from embbench.contract import Context
from embbench.errors import EmbbenchError
from embbench.providers.quantize import BinaryMatrix, Int8Matrix


@pytest.fixture(scope="module")
def lists(registry):
    return read_json(registry.dataset("bolukbasi").path, BiasFile).gender


def unit_rows(vectors, words):
    rows = vectors.dense_rows([vectors.index[w] for w in words])
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_hard_debiasing_removes_direct_bias_and_equalizes(context, lists) -> None:
    provider = context.make_provider("debias:method=hard")
    vectors = provider.word_vectors()
    subspace = np.array(provider.provenance()["subspace"])
    specific = set(lists.specific_full)
    neutral = [w for w in lists.profession_words() if w not in specific and w in vectors.index]
    assert len(neutral) > 200
    assert np.abs(unit_rows(vectors, neutral) @ subspace.T).max() < 1e-5  # direct bias 0 to float precision
    rng = np.random.default_rng(0)
    neutralized = [vectors.words[i] for i in rng.integers(0, 50_000, 200) if vectors.words[i] not in specific]
    others = unit_rows(vectors, neutralized)
    for a, b in [("he", "she"), ("man", "woman"), ("king", "queen"), ("father", "mother")]:
        pair = unit_rows(vectors, [a, b])
        np.testing.assert_allclose(others @ pair[0], others @ pair[1], atol=1e-5)
    assert provider.provenance()["base_provenance"]["source"] == "glove-6b-50d"


def test_inlp_leaves_a_fresh_classifier_at_chance(context, glove) -> None:
    provider = context.make_provider("debias:method=inlp")
    before, after = glove.word_vectors(), provider.word_vectors()
    # held-out attribute words: the next 500 most male- and female-leaning words after those INLP trained on
    base = unit_rows(before, before.words[:50_000])
    lean = base @ (base[before.index["he"]] - base[before.index["she"]])
    order = np.argsort(lean)
    held_out = np.concatenate([order[1000:1500], order[-1500:-1000]])
    labels = np.array([0] * 500 + [1] * 500)
    accuracy = {}
    for name, vectors in (("before", before), ("after", after)):
        x = vectors.dense_rows(held_out)
        accuracy[name] = cross_val_score(LogisticRegression(max_iter=2000), x, labels, cv=5).mean()
    assert accuracy["before"] > 0.9 and accuracy["after"] < 0.62, accuracy


def test_postprocessing_matches_a_transcription(context, glove) -> None:
    matrix = np.asarray(glove.word_vectors().matrix, dtype=np.float64)
    mean = matrix.mean(axis=0)
    centred = matrix - mean
    _, eigenvectors = np.linalg.eigh(centred.T @ centred)  # the top principal direction, from the covariance
    top = eigenvectors[:, -1]
    expected = centred - np.outer(centred @ top, top)  # d = round(50 / 100) -> 1 component removed
    abtt = np.asarray(context.make_provider("postprocess:method=all-but-the-top").word_vectors().matrix)
    np.testing.assert_allclose(abtt, expected, atol=2e-4)
    centered = np.asarray(context.make_provider("postprocess:method=center").word_vectors().matrix)
    np.testing.assert_allclose(centered, centred, atol=1e-5)
    normalized = np.asarray(context.make_provider("postprocess:method=normalize").word_vectors().matrix)
    np.testing.assert_allclose(np.linalg.norm(normalized, axis=1)[matrix.any(axis=1)], 1, atol=1e-5)


def test_int8_quantization_is_compact_and_close(context, glove) -> None:
    provider = context.make_provider("quantize:bits=8")
    vectors = provider.word_vectors()
    assert isinstance(vectors.matrix, Int8Matrix) and vectors.matrix.codes.dtype == np.int8
    original = np.asarray(glove.word_vectors().matrix)
    error = np.abs(vectors.dense_rows(np.arange(10_000)) - original[:10_000])
    assert (error <= vectors.matrix.scale / 2 + 1e-6).all()
    facts = provider.provenance()
    assert facts["bytes_per_value"] == pytest.approx(1.0, abs=1e-3) and facts["float32_bytes"] == original.nbytes
    assert isinstance(facts["fit_seconds"], float)  # the leaderboard's provider table shows it, as for other fits


def test_binary_vectors_are_searched_as_hamming_distance(context, registry) -> None:
    provider = context.make_provider("quantize:bits=1")
    vectors = provider.word_vectors()
    assert isinstance(vectors.matrix, BinaryMatrix)
    assert provider.provenance()["matrix_bytes"] * 28 < provider.provenance()["float32_bytes"]
    packed = vectors.matrix.packed[:20_000]
    query = vectors.index["king"]
    hamming = np.unpackbits(np.bitwise_xor(packed, packed[query]), axis=1).sum(axis=1)
    cosine = vectors.dense_rows(np.arange(20_000)) @ vectors.dense_rows([query])[0] / vectors.dim
    np.testing.assert_allclose(cosine, 1 - 2 * hamming / vectors.dim, atol=1e-6)
    task = registry.make_task("msr:restrict_vocab=20000")
    task.load(context)
    assert 0 < task.evaluate(provider).scores["3cosadd"] < 0.3  # measurable, and much worse than float32


@pytest.fixture(scope="module")
def bbc_slice(registry, context, tmp_path_factory) -> Path:
    """The first 100 BBC articles and their headlines as a BEIR folder: each headline retrieves its article."""
    bbc = loaded(registry, context, "bbc-retrieval")
    folder = tmp_path_factory.mktemp("bbc-slice")
    rows = list(zip(bbc.doc_ids_, bbc.docs_, bbc.queries_, strict=True))[:100]
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "text": d}) + "\n" for i, d, _ in rows))
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": i, "text": q}) + "\n" for i, _, q in rows))
    (folder / "qrels").mkdir()
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{i}\t{i}\t1\n" for i, *_ in rows)
    )
    return folder


def test_binary_codes_of_a_sentence_encoder_retrieve_as_faiss_hamming_search(registry, context, bbc_slice) -> None:
    """quantize over MiniLM stores each text as 384 sign bits: the retrieval record's top 10 are at the Hamming
    distances of FAISS's binary flat index over the same codes, and the index is the codes' 48 bytes a document."""
    import faiss

    binary = context.make_provider("quantize:base=bert,bits=1")
    assert binary.word_vectors() is None and binary.provenance()["bytes_per_vector"] == 48
    task = loaded(registry, context, f"retrieval:path={bbc_slice}")
    output = task.evaluate(binary)
    assert output.details["index_bytes"] == 100 * 48
    minilm = context.make_provider("bert")
    docs, queries = (
        np.packbits(minilm.embed(task.docs_) > 0, axis=1),
        np.packbits(minilm.embed(task.queries_) > 0, axis=1),
    )
    index = faiss.IndexBinaryFlat(384)
    index.add(docs)
    distances, _ = index.search(queries, 10)
    position = {doc: i for i, doc in enumerate(task.doc_ids_)}
    for row, top in enumerate(output.items["top_10"]):
        ours = [position[doc] for doc in top.split()]
        hamming = np.unpackbits(np.bitwise_xor(docs[ours], queries[row]), axis=1).sum(axis=1)
        np.testing.assert_array_equal(hamming, distances[row])
    assert 0.5 < output.scores["ndcg_at_10"] < 1


def test_int8_codes_of_a_sentence_encoder_are_calibrated_once_and_close(registry, context, bbc_slice) -> None:
    int8 = context.make_provider("quantize:base=bert,bits=8")
    facts = int8.provenance()
    assert facts["calibration"] == "sotu" and facts["calibration_texts"] == 1000 and facts["bytes_per_vector"] == 384
    minilm = context.make_provider("bert")
    texts = loaded(registry, context, f"retrieval:path={bbc_slice}").queries_
    decoded, original = int8.embed(texts), minilm.embed(texts)
    inside = np.abs(original) <= 127 * int8.scale_  # values beyond the calibrated range are clipped
    assert inside.mean() > 0.99
    assert (np.abs(decoded - original)[inside] <= (int8.scale_ / 2 + 1e-7)[np.nonzero(inside)[1]]).all()
    np.testing.assert_array_equal(int8.embed(texts[:5]), decoded[:5])  # a text's codes do not depend on its batch
    assert int8.vector_bytes(100) == 100 * 384 + 384 * 4  # the codes and the scale: what retrieval reports


@pytest.mark.parametrize(
    ("spec", "where", "what"),
    [
        ("debias:base=bert", "provider 'debias' option 'base'", "no word vocabulary"),
        ("debias:method=hard,k=50", "provider 'debias' option 'k'", "k=50 must be smaller than the base dimension"),
        ("postprocess:d=60", "provider 'postprocess' option 'd'", "d=60 must be smaller"),
        ("quantize:bits=4", "option 'bits'", "choose 8 (int8) or 1 (binary)"),
    ],
)
def test_bad_transform_options(spec, where, what, context) -> None:
    with pytest.raises(EmbbenchError) as info:
        context.make_provider(spec)
    assert where in str(info.value) and what in str(info.value)


def test_word_lists_missing_from_the_base_vocabulary(tmp_path, registry, cache_dir) -> None:
    path = tmp_path / "v.txt"
    path.write_text("".join(f"w{i} {i % 3} {i % 5} 1\n" for i in range(50)) + "he 1 0 0\nshe 0 1 0\n")
    with pytest.raises(EmbbenchError) as info:
        Context(cache_dir, registry).make_provider(f"debias:base=[glove:path={path}],method=hard,k=1")
    assert info.value.where == "provider 'debias' option 'max_missing'"
    assert "definitional words are not in the base vocabulary" in info.value.what and "woman" in info.value.what


def test_quantize_of_an_encoder_shares_the_encoders_embedding_cache(tmp_path, registry, context) -> None:
    """quantize:base=bert embeds through bert's own cache folder: bert run afterwards embeds nothing, and the
    binary record's Spearman is that of the sign bits of bert's embeddings, computed here with scipy."""
    from scipy import stats

    cache = tmp_path / "cache"
    (binary,) = run(["quantize:base=bert,bits=1"], ["sts16"], tmp_path / "r1", registry=registry, cache_dir=cache)
    (minilm,) = run(["bert"], ["sts16"], tmp_path / "r2", registry=registry, cache_dir=cache)
    assert binary.status == minilm.status == "ok" and binary.embedded["texts"] > 0
    assert minilm.embedded == {}  # every sentence came from the cache the quantized provider filled
    task = loaded(registry, context, "sts16")
    first, second = task.columns_["sentence1"], task.columns_["sentence2"]
    texts = list(dict.fromkeys(first + second))  # as the task embeds them: each distinct sentence once
    signs = dict(zip(texts, np.sign(context.make_provider("bert").embed(texts)), strict=True))
    cosine = np.array([signs[a] @ signs[b] for a, b in zip(first, second, strict=True)]) / 384
    expected = stats.spearmanr(cosine, task.gold_).statistic
    assert binary.scores["cosine_spearman"] == pytest.approx(expected, abs=1e-9)
    assert binary.scores["cosine_spearman"] < minilm.scores["cosine_spearman"]
