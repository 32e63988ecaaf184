"""Built-in providers on real corpora and vectors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from embbench.contract import Context
from embbench.errors import EmbbenchError
from embbench.providers._cooccurrence import cooccurrence
from embbench.providers._corpus import load_corpus


def test_onehot_is_sparse_and_pools_a_bag_of_words(context) -> None:
    onehot = context.make_provider("onehot")
    vectors = onehot.word_vectors()
    assert scipy.sparse.issparse(vectors.matrix)
    assert len(vectors) == 25635 and vectors.words[:3] == ["the", "of", "and"]  # SOTU vocabulary, by frequency
    embedded = onehot.embed(["the union the"])[0]
    assert embedded[vectors.index["the"]] == pytest.approx(2 / 3)
    assert embedded[vectors.index["union"]] == pytest.approx(1 / 3)
    assert onehot.provenance()["corpus_sha256"] == load_corpus("sotu").sha256


def test_cooccurrence_counts_within_sentences_only() -> None:
    ids = np.array([0, 1, 2, 0, -1, 1])
    starts = np.array([0, 3])  # sentences [0 1 2] and [0 -1 1]
    counts = cooccurrence(ids, starts, 3, window=2).toarray()
    expected = np.zeros((3, 3))
    for a, b in [(0, 1), (0, 2), (1, 2), (0, 1)]:  # (0,1) again across the unknown word in sentence two
        expected[a, b] += 1
        expected[b, a] += 1
    np.testing.assert_array_equal(counts, expected)


@pytest.mark.slow
def test_pca_on_corpus_beats_onehot_and_is_cached(context, registry, tmp_path) -> None:
    fresh = Context(tmp_path, registry)  # an empty cache: the first fit is computed, the second read back
    pca = fresh.make_provider("pca:dim=100")
    assert pca.provenance()["from_cache"] is False and pca.provenance()["fit_seconds"] > 0
    again = fresh.make_provider("pca:dim=100")
    assert again.provenance()["from_cache"] is True
    np.testing.assert_array_equal(np.asarray(pca.word_vectors().matrix), np.asarray(again.word_vectors().matrix))
    task = registry.make_task("ws353")
    task.load(context)
    spearman = task.evaluate(pca).scores["spearman"]
    assert spearman > 0.25  # a 1.8M-word corpus gives a real if modest signal; one-hot gives none


def test_pca_of_a_base_provider(context) -> None:
    glove = context.make_provider("glove")
    reduced = context.make_provider("pca:base=glove,dim=10")
    vectors = reduced.word_vectors()
    assert vectors.words == glove.word_vectors().words and vectors.dim == 10
    from sklearn.decomposition import PCA

    reference = PCA(10, svd_solver="full").fit(np.asarray(glove.word_vectors().matrix))
    variance = np.asarray(vectors.matrix).var(axis=0, ddof=1)
    np.testing.assert_allclose(np.sort(variance)[::-1], reference.explained_variance_, rtol=1e-3)
    nested = context.make_provider("pca:base=[pca:base=glove,dim=10],dim=3")
    assert nested.word_vectors().dim == 3


def test_pca_dim_too_large(context) -> None:
    with pytest.raises(EmbbenchError, match="dim=60 is larger than the base dimension") as info:
        context.make_provider("pca:base=glove,dim=60")
    assert info.value.where == "provider 'pca' option 'dim'"


def test_glove_unknown_source(context) -> None:
    with pytest.raises(EmbbenchError, match="unknown source 'glove-6b-5d' \\(did you mean 'glove-6b-50d'\\?\\)"):
        context.make_provider("glove:source=glove-6b-5d")


def test_corpus_errors(tmp_path) -> None:
    with pytest.raises(EmbbenchError, match="not a bundled corpus"):
        load_corpus(str(tmp_path / "nothing"))
    empty = tmp_path / "empty.txt"
    empty.write_text("... !!! \n")
    with pytest.raises(EmbbenchError, match="the corpus has no words"):
        load_corpus(str(empty))


def pooled_by_hand(provider, texts: list[str], pooling: str) -> tuple[np.ndarray, np.ndarray]:
    """Each text's known tokens (and fastText subword vectors of unknown ones), pooled one text at a time."""
    from embbench.words import tokenize

    vectors = provider.word_vectors()
    out, covered = np.zeros((len(texts), vectors.dim), dtype=np.float32), np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        rows, block = [], []
        for token in tokenize(text):
            row = vectors.lookup(token)
            if row is not None:
                rows.append(row)
            elif vectors.oov is not None and vectors.oov([token]).any():
                block.append(vectors.oov([token])[0])
        stacked = np.concatenate([vectors.dense_rows(rows), np.array(block, dtype=np.float32).reshape(-1, vectors.dim)])
        if len(stacked):
            covered[i] = True
            out[i] = (
                stacked.max(axis=0)
                if pooling == "max"
                else stacked.sum(axis=0) / (len(stacked) if pooling == "mean" else 1)
            )
    return out, covered


@pytest.mark.parametrize(
    "spec",
    ["onehot:max_vocab=5000", "glove", "glove:pooling=sum", "glove:pooling=max", "quantize:base=glove,bits=8",
     "quantize:base=glove,bits=1", "fasttext", "fasttext:pooling=max"],
)  # fmt: skip
def test_pooling_in_one_sparse_product_equals_pooling_text_by_text(context, spec) -> None:
    from embbench.tasks._texts import read_texts

    provider = context.make_provider(spec)
    _, texts = read_texts(context.registry.dataset("mr").path)
    texts = [*texts[:300], "", "zzqqxx qqzzxx", "the the the", "unfathomablyish words"]
    embedded = provider.embed_with_coverage(texts)
    expected, covered = pooled_by_hand(provider, texts, provider.options.pooling)
    np.testing.assert_array_equal(embedded.covered, covered)
    np.testing.assert_allclose(embedded.vectors, expected, rtol=1e-6, atol=1e-7)
    assert not covered[-4] and covered[-2]  # an empty text is not covered; a repeated word is
