"""Vector files: GloVe text, word2vec text and binary, the cache, and every kind of malformed file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embbench.errors import EmbbenchError
from embbench.providers._vectors import load_vectors, save_text
from embbench.words import WordVectors


@pytest.fixture(scope="module")
def glove_head(glove) -> WordVectors:
    """The 3,000 most frequent GloVe words: real vectors, small enough to write as text in a test."""
    vectors = glove.word_vectors()
    return WordVectors(vectors.words[:3000], np.asarray(vectors.matrix[:3000]))


@pytest.mark.parametrize("fmt", ["glove", "word2vec", "word2vec-binary"])
def test_formats_match_gensim(tmp_path: Path, glove_head: WordVectors, fmt: str) -> None:
    from gensim.models import KeyedVectors

    path = tmp_path / ("v.bin" if fmt == "word2vec-binary" else "v.txt")
    kv = KeyedVectors(glove_head.dim)
    kv.add_vectors(glove_head.words, glove_head.matrix)
    if fmt == "word2vec-binary":
        kv.save_word2vec_format(str(path), binary=True)
    else:
        save_text(glove_head, path, fmt)
    reference = KeyedVectors.load_word2vec_format(str(path), binary=fmt == "word2vec-binary", no_header=fmt == "glove")
    vectors, meta = load_vectors(path, cache_dir=tmp_path / "cache")
    assert meta["format"] == fmt
    assert vectors.words == reference.index_to_key
    np.testing.assert_array_equal(np.asarray(vectors.matrix), reference.vectors)


def test_cache_is_reused_and_invalidated(tmp_path: Path, glove_head: WordVectors, monkeypatch) -> None:
    import embbench.providers._vectors

    path = tmp_path / "v.txt"
    save_text(glove_head, path)
    load_vectors(path, cache_dir=tmp_path / "cache")
    entries = list((tmp_path / "cache" / "vectors").iterdir())
    assert len(entries) == 1
    with monkeypatch.context() as patch:
        patch.setattr(embbench.providers._vectors, "_read_text", lambda *args: pytest.fail("re-parsed a cached file"))
        again, _ = load_vectors(path, cache_dir=tmp_path / "cache")  # came from the cache, not a re-parse
    assert again.words == glove_head.words
    assert isinstance(again.matrix, np.memmap)
    path.write_text(path.read_text() + "zzz " + " ".join(["0.5"] * 50) + "\n")
    changed, _ = load_vectors(path, cache_dir=tmp_path / "cache")
    assert changed.words[0] == glove_head.words[0] and changed.words[-1] == "zzz"


def test_gzip_and_trailing_spaces(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "v.txt.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("2 3\ncat 1 2 3 \ndog 4 5 6 \n")
    vectors, meta = load_vectors(path, cache_dir=tmp_path)
    assert meta["format"] == "word2vec"
    assert vectors.words == ["cat", "dog"]
    np.testing.assert_array_equal(np.asarray(vectors.matrix), [[1, 2, 3], [4, 5, 6]])


BAD_FILES = {
    "ragged": ("a 1 2 3\nb 1 2\nc 1 2 3\n", ":2", "ragged row"),
    "long_row": ("a 1 2 3\nb 1 2 3 4\n", ":2", "ragged row"),
    "non_numeric": ("a 1 2 3\nb 1 x 3\n", ":2", "column 3: 'x' is not a number"),
    "nan": ("a 1 2 3\nb 1 nan 3\n", ":2", "not a finite number"),
    "inf": ("a 1 2 3\nb 1 2 3\nc inf 2 3\n", ":3", "not a finite number"),
    "duplicate": ("a 1 2 3\nb 1 2 3\na 4 5 6\n", ":3", "already defined at line 1"),
    "header_count": ("5 3\na 1 2 3\nb 1 2 3\n", ":1", "header says 5 words but the file has 2 rows"),
    "header_dim": ("2 4\na 1 2 3\nb 1 2 3\n", ":2", "header (line 1) says dimension 4"),
    "empty": ("", "", "the vector file is empty"),
    "no_numbers": ("a\nb\n", ":1", "no numbers"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_malformed_vector_files(tmp_path: Path, case: str) -> None:
    text, where, what = BAD_FILES[case]
    path = tmp_path / f"{case}.txt"
    path.write_text(text)
    with pytest.raises(EmbbenchError) as info:
        load_vectors(path, cache_dir=tmp_path / "cache")
    assert info.value.where == f"{path}{where}"
    assert what in info.value.what
    assert not any((tmp_path / "cache" / "vectors").glob("*/meta.json"))  # nothing half-written is cached


def test_malformed_binary(tmp_path: Path) -> None:
    path = tmp_path / "v.bin"
    path.write_bytes(b"3 2\na " + np.array([1, 2], "<f4").tobytes() + b"\nb " + np.array([3, 4], "<f4").tobytes())
    with pytest.raises(EmbbenchError, match="header says 3 words but the file ends after 2"):
        load_vectors(path, cache_dir=tmp_path)
    path.write_bytes(b"1 2\na " + np.array([1, np.nan], "<f4").tobytes())
    with pytest.raises(EmbbenchError, match="NaN or inf"):
        load_vectors(path, cache_dir=tmp_path)


def test_error_in_a_later_chunk_names_the_right_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import embbench.providers._vectors

    monkeypatch.setattr(embbench.providers._vectors, "CHUNK_BYTES", 64)
    lines = [f"w{i} {i} {i + 1}" for i in range(200)]
    lines[150] = "w150 1 oops"
    path = tmp_path / "v.txt"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(EmbbenchError) as info:
        load_vectors(path, cache_dir=tmp_path)
    assert info.value.where == f"{path}:151"
    lines[150] = "w150 1 2"
    path.write_text("\n".join(lines) + "\n")
    vectors, _ = load_vectors(path, cache_dir=tmp_path)
    assert len(vectors) == 200 and vectors.words[199] == "w199"
    assert np.asarray(vectors.matrix)[199].tolist() == [199, 200]
