"""Reading word vector files (GloVe text, word2vec text and binary), validated, with a fast reload cache.

Parsing is chunked: each ~32 MiB block of lines goes through pandas' C parser straight into a memory-mapped
``.npy`` in the cache, so memory stays bounded whatever the file size. When a block fails to parse, the block
is re-read line by line to name the exact ``file:line`` and problem.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import itertools
import json
import math
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

from embbench._util.atomic import built_once, publish_folder, work_folder
from embbench._util.files import default_cache_dir
from embbench._util.hashing import fingerprint, stable_hash
from embbench.errors import EmbbenchError, warn
from embbench.words import WordVectors

VectorFormat = Literal["auto", "glove", "word2vec", "word2vec-binary"]
CHUNK_BYTES = 32 << 20
WIDE_ROW = 4096  # wider rows are parsed line by line: a column-wise parser's memory grows with the width
CACHE_VERSION = 3  # 2: keyed by content; 3: self-checking metadata


def _open(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def detect_format(path: Path) -> Literal["glove", "word2vec", "word2vec-binary"]:
    """``.bin`` means word2vec binary; a first line of two integers means word2vec text; else GloVe text."""
    if path.name.removesuffix(".gz").endswith(".bin"):
        return "word2vec-binary"
    with _open(path) as handle:
        first = handle.readline(1 << 16).split()
    return "word2vec" if len(first) == 2 and all(t.isdigit() for t in first) else "glove"


def _parse_header(line: bytes, where: str) -> tuple[int, int]:
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise EmbbenchError(f"expected a 'count dimension' header, got {line[:80]!r}", where)
    count, dim = int(parts[0]), int(parts[1])
    if dim <= 0:
        raise EmbbenchError(f"header gives dimension {dim}", where)
    return count, dim


def _line_problem(fields: list[bytes], dim: int) -> str | None:
    """What is wrong with one split text row, or None."""
    if len(fields) != dim + 1:
        return f"expected a word and {dim} numbers, found {len(fields) - 1} numbers (ragged row)"
    for column, value in enumerate(fields[1:], start=2):
        try:
            number = float(value)
        except ValueError:
            return f"column {column}: {value[:40].decode('utf-8', 'replace')!r} is not a number"
        if not math.isfinite(number):
            return f"column {column}: {value.decode()} is not a finite number"
    return None


def _diagnose(chunk: bytes, first_line: int, dim: int, path: Path) -> EmbbenchError:
    """Find the first bad line of a chunk that failed the fast parse."""
    for offset, line in enumerate(chunk.split(b"\n")):
        if not line:
            continue
        problem = _line_problem(line.rstrip(b" \r").split(b" "), dim)
        if problem:
            return EmbbenchError(problem, f"{path}:{first_line + offset}")
    return EmbbenchError("could not parse this block of lines", f"{path}:{first_line}")


def _iter_chunks(handle: BinaryIO) -> Iterator[bytes]:
    """Blocks of whole lines, each about CHUNK_BYTES long."""
    rest = b""
    while block := handle.read(CHUNK_BYTES):
        block = rest + block
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            rest = block
            continue
        rest = block[cut:]
        yield block[:cut]
    if rest.strip():
        yield rest + b"\n"


def _count_lines(path: Path) -> int:
    with _open(path) as handle:
        return sum(chunk.count(b"\n") for chunk in _iter_chunks(handle))


def _parse_wide_chunk(chunk: bytes, dim: int, first_line: int, path: Path) -> tuple[list[str], np.ndarray]:
    """Rows too wide for a column-wise parser: one line at a time, straight into float32."""
    words, rows = [], []
    for offset, line in enumerate(chunk.split(b"\n")):
        line = line.rstrip(b" \r")
        if not line:
            continue
        word, _, numbers = line.partition(b" ")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # a bad number: diagnosed below
            row = np.fromstring(numbers, dtype=np.float32, sep=" ")
        if len(row) != dim or not np.isfinite(row).all():
            problem = _line_problem(line.split(b" "), dim) or "could not parse this line"
            raise EmbbenchError(problem, f"{path}:{first_line + offset}")
        words.append(word.decode("utf-8", errors="replace"))
        rows.append(row)
    return words, np.array(rows, dtype=np.float32).reshape(len(rows), dim)


def _parse_text_chunk(chunk: bytes, dim: int, first_line: int, path: Path) -> tuple[list[str], np.ndarray]:
    if dim > WIDE_ROW:
        return _parse_wide_chunk(chunk, dim, first_line, path)
    import pandas as pd

    try:
        frame = pd.read_csv(
            io.BytesIO(chunk),
            sep=" ",
            header=None,
            quoting=csv.QUOTE_NONE,
            na_filter=False,
            dtype={0: str} | {i: np.float32 for i in range(1, dim + 1)},
            engine="c",
            skip_blank_lines=True,
            encoding="utf-8",
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        raise _diagnose(chunk, first_line, dim, path) from None
    if frame.shape[1] == dim + 2 and (frame.iloc[:, -1].isna() | (frame.iloc[:, -1] == "")).all():
        frame = frame.iloc[:, : dim + 1]  # a trailing space on every line
    try:
        matrix = frame.iloc[:, 1:].to_numpy(dtype=np.float32)
    except ValueError:
        raise _diagnose(chunk, first_line, dim, path) from None
    if frame.shape[1] != dim + 1 or not np.isfinite(matrix).all():
        raise _diagnose(chunk, first_line, dim, path)
    return frame.iloc[:, 0].astype(str).tolist(), matrix


def _check_duplicates(words: list[str], path: Path, first_line: int) -> None:
    seen: dict[str, int] = {}
    for line, word in enumerate(words, start=first_line):
        if word in seen:
            raise EmbbenchError(f"word {word!r} is already defined at line {seen[word]}", f"{path}:{line}")
        seen[word] = line


def _read_text(path: Path, fmt: str, out_dir: Path) -> tuple[list[str], np.ndarray]:
    lines = _count_lines(path)
    if lines == 0:
        raise EmbbenchError("the vector file is empty", str(path))
    with _open(path) as handle:
        header = _parse_header(handle.readline(), f"{path}:1") if fmt == "word2vec" else None
        first_line = 2 if header else 1
        first = handle.readline()
        if not first.strip():
            raise EmbbenchError("no vectors here", f"{path}:{first_line}")
        dim = len(first.rstrip(b" \r\n").split(b" ")) - 1
        if dim <= 0:
            raise EmbbenchError("a row has a word but no numbers", f"{path}:{first_line}")
        if header and header[1] != dim:
            raise EmbbenchError(
                f"header (line 1) says dimension {header[1]} but this row has {dim} numbers",
                f"{path}:{first_line}",
            )
        if header and header[0] != lines - 1:
            raise EmbbenchError(f"header says {header[0]} words but the file has {lines - 1} rows", f"{path}:1")
        count = lines - (first_line - 1)
        matrix = np.lib.format.open_memmap(out_dir / "vectors.npy", mode="w+", dtype=np.float32, shape=(count, dim))
        words: list[str] = []
        for chunk in itertools.chain([first], _iter_chunks(handle)):
            chunk_words, block = _parse_text_chunk(chunk, dim, first_line + len(words), path)
            if len(words) + len(chunk_words) > count:
                raise EmbbenchError("more rows than lines (blank lines inside the file?)", str(path))
            matrix[len(words) : len(words) + len(chunk_words)] = block
            words.extend(chunk_words)
    if len(words) != count:
        raise EmbbenchError(f"expected {count} rows, read {len(words)} (blank lines inside the file?)", str(path))
    _check_duplicates(words, path, first_line)
    matrix.flush()
    return words, matrix


def _read_binary(path: Path, out_dir: Path) -> tuple[list[str], np.ndarray]:
    with _open(path) as handle:
        data = handle.read()
    if not data:
        raise EmbbenchError("the vector file is empty", str(path))
    end = data.find(b"\n")
    count, dim = _parse_header(data[:end], f"{path}:1")
    matrix = np.lib.format.open_memmap(out_dir / "vectors.npy", mode="w+", dtype=np.float32, shape=(count, dim))
    words: list[str] = []
    pos, width = end + 1, 4 * dim
    for row in range(count):
        space = data.find(b" ", pos)
        if space < 0 or space + 1 + width > len(data):
            raise EmbbenchError(f"header says {count} words but the file ends after {row}", str(path))
        word = data[pos:space].lstrip(b"\n").decode("utf-8", errors="replace")
        matrix[row] = np.frombuffer(data, dtype="<f4", count=dim, offset=space + 1)
        if not np.isfinite(matrix[row]).all():
            raise EmbbenchError(f"the vector of word {word!r} (entry {row + 1}) has NaN or inf", str(path))
        words.append(word)
        pos = space + 1 + width
    if data[pos:].strip():
        raise EmbbenchError(f"header says {count} words but more data follows them", str(path))
    _check_duplicates(words, path, 1)
    matrix.flush()
    return words, matrix


def _publish(work: Path, directory: Path, words: list[str], matrix: np.ndarray, meta: dict) -> None:
    """Finish a cache entry built in ``work`` (which already holds vectors.npy) and move it into place."""
    bad = next((w for w in words if "\n" in w), None)
    if bad is not None:
        raise EmbbenchError(f"word {bad!r} contains a newline")
    text = "\n".join(words)
    (work / "words.txt").write_text(text, encoding="utf-8")
    meta = {**meta, "count": len(words), "dim": int(matrix.shape[1]), "words_sha256": _sha(text),
            "vectors_bytes": (work / "vectors.npy").stat().st_size}  # fmt: skip
    (work / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    publish_folder(work, directory)


def save_cached(directory: Path, words: list[str], matrix: np.ndarray, meta: dict, work: Path | None = None) -> None:
    """Store vectors (e.g. a trained provider's) so that ``load_cached`` reloads them memory-mapped.

    ``work``, if given, is a folder already holding other artifacts (a model file, a decoder) to keep beside them.
    """
    work = work or work_folder(directory)
    try:
        np.save(work / "vectors.npy", np.ascontiguousarray(matrix, dtype=np.float32))
        _publish(work, directory, words, matrix, meta)
    finally:
        shutil.rmtree(work, ignore_errors=True)


class DamagedCache(Exception):
    """A cache entry that does not match its own metadata (truncated, half-written, edited)."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_cached(directory: Path) -> tuple[WordVectors, dict]:
    """Reload vectors saved by ``save_cached`` (memory-mapped, so nearly free), checked against their metadata:
    the words' checksum, the matrix file's size and shape. Raises ``DamagedCache`` when they disagree."""
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        text = (directory / "words.txt").read_text(encoding="utf-8")
        if _sha(text) != meta["words_sha256"]:
            raise DamagedCache("words.txt does not match its checksum")
        if (directory / "vectors.npy").stat().st_size != meta["vectors_bytes"]:
            raise DamagedCache(f"vectors.npy is not {meta['vectors_bytes']} bytes long")
        matrix = np.load(directory / "vectors.npy", mmap_mode="r", allow_pickle=False)
        if matrix.shape != (meta["count"], meta["dim"]):
            raise DamagedCache(f"vectors.npy has shape {matrix.shape}, not ({meta['count']}, {meta['dim']})")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DamagedCache(f"{type(exc).__name__}: {exc}") from None
    words = text.split("\n")[: meta["count"]] if meta["count"] else []
    return WordVectors(words, matrix), meta


def reuse_cached(directory: Path, check: Callable[[Path], object] | None = None) -> tuple[WordVectors, dict] | None:
    """The cache entry at ``directory`` if it is there and whole (``check`` verifies more of it); a damaged one is
    reported, removed, and None is returned so that it is rebuilt."""
    if not (directory / "meta.json").exists():
        return None
    try:
        loaded = load_cached(directory)
        if check is not None:
            check(directory)
        return loaded
    except DamagedCache as exc:
        warn(f"cache entry {directory} is damaged ({exc}); rebuilding it")
        shutil.rmtree(directory, ignore_errors=True)
        return None


def load_vectors(
    path: Path | str, fmt: VectorFormat = "auto", cache_dir: Path | None = None
) -> tuple[WordVectors, dict]:
    """Load a vector file, parsing it once into ``cache_dir`` (keyed by the file's content) and reusing that.

    Returns the vectors and metadata (source path, format, sha256 of the file, count, dim).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise EmbbenchError("vector file not found", str(path))
    cache_dir = cache_dir or default_cache_dir()
    sha256 = fingerprint(path, cache_dir / "fingerprints")
    fmt = detect_format(path) if fmt == "auto" else fmt
    directory = cache_dir / "vectors" / stable_hash([CACHE_VERSION, sha256, fmt])
    with built_once(directory):
        cached = reuse_cached(directory)
        if cached is not None:
            return cached
        work = work_folder(directory)
        try:
            words, matrix = _read_binary(path, work) if fmt == "word2vec-binary" else _read_text(path, fmt, work)
            meta = {"path": str(path), "format": fmt, "sha256": sha256}
            _publish(work, directory, words, matrix, meta)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return load_cached(directory)


def save_text(vectors: WordVectors, path: Path, fmt: Literal["glove", "word2vec"] = "glove") -> None:
    """Write vectors as GloVe text (no header) or word2vec text (with a header)."""
    with open(path, "w", encoding="utf-8") as handle:
        if fmt == "word2vec":
            handle.write(f"{len(vectors)} {vectors.dim}\n")
        for start in range(0, len(vectors), 50_000):
            block = vectors.dense_rows(range(start, min(start + 50_000, len(vectors))))
            for word, row in zip(vectors.words[start : start + 50_000], block, strict=True):
                handle.write(word + " " + " ".join(f"{v:.6g}" for v in row) + "\n")
