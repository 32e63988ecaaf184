"""Training corpora: the bundled State of the Union addresses, gensim's Lee corpus, or a user's file/folder.

Tokenisation (documented in the README): text is split into sentences at ``.``, ``!`` or ``?`` followed by
white space and at line ends; each sentence is lower-cased and cut into runs of letters and digits, keeping
inner apostrophes (``don't``). Folders are read recursively (``*.txt``, ``*.bz2``, ``*.gz``), in sorted order.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from embbench._util.bundled import bundled_dir
from embbench.cards import card_files, read_card
from embbench.errors import EmbbenchError
from embbench.words import tokenize

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
CORPUS_CARDS = "corpora"  # the folder of the bundled task cards that declares the corpora


@lru_cache(maxsize=1)
def bundled_corpora() -> dict[str, Path]:
    """The corpora the bundled task cards declare, by name."""
    cards = [read_card(path) for path in card_files(bundled_dir("tasks") / CORPUS_CARDS)]
    return {card.dataset.name: card.dataset.path for card in cards if card.dataset and card.dataset.path}


def _gensim_lee() -> Path:
    try:
        from gensim.test.utils import datapath
    except ImportError:
        raise EmbbenchError("needs gensim installed (pip install embbench[gensim])", "corpus 'lee'") from None
    return Path(datapath("lee_background.cor"))


def _read_text(path: Path) -> bytes:
    opener = {".bz2": bz2.open, ".gz": gzip.open}.get(path.suffix, open)
    try:
        with opener(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise EmbbenchError(f"cannot read corpus file: {exc}", str(path)) from None


def corpus_files(spec: str) -> list[Path]:
    """The files a corpus spec names: a bundled name, ``lee``, a file or a folder."""
    bundled = bundled_corpora()
    if spec in bundled:
        return [bundled[spec]]
    if spec == "lee":
        return [_gensim_lee()]
    path = Path(spec).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in {".txt", ".bz2", ".gz"})
        if not files:
            raise EmbbenchError("folder holds no .txt, .bz2 or .gz files", f"corpus '{spec}'")
        return files
    if path.is_file():
        return [path]
    choices = ", ".join([*bundled, "lee"])
    raise EmbbenchError(f"not a bundled corpus ({choices}), nor a file or folder", f"corpus '{spec}'")


@dataclass(frozen=True)
class Corpus:
    """A tokenised corpus: sentences of lower-case tokens, and the sha256 of its raw bytes."""

    name: str
    sha256: str
    sentences: tuple[tuple[str, ...], ...]

    @cached_property
    def n_tokens(self) -> int:
        return sum(len(s) for s in self.sentences)

    def vocabulary(self, min_count: int = 1, max_size: int | None = None) -> list[str]:
        """Words seen at least ``min_count`` times, most frequent first (ties alphabetical)."""
        counts = Counter(token for sentence in self.sentences for token in sentence)
        ranked = sorted((item for item in counts.items() if item[1] >= min_count), key=lambda kv: (-kv[1], kv[0]))
        return [w for w, _ in (ranked[:max_size] if max_size else ranked)]

    def encode(self, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids (-1 for out-of-vocabulary) of all sentences concatenated, and each sentence's start offset."""
        ids = np.fromiter((index.get(t, -1) for s in self.sentences for t in s), dtype=np.int64, count=self.n_tokens)
        starts = np.cumsum([0, *(len(s) for s in self.sentences)])[:-1]
        return ids, starts


@lru_cache(maxsize=4)
def load_corpus(spec: str) -> Corpus:
    """Read and tokenise a corpus (cached per process)."""
    digest = hashlib.sha256()
    sentences: list[tuple[str, ...]] = []
    for path in corpus_files(spec):
        raw = _read_text(path)
        digest.update(raw)
        text = raw.decode("utf-8", errors="replace")
        for line in text.splitlines():
            for sentence in SENTENCE_END.split(line):
                tokens = tokenize(sentence)
                if tokens:
                    sentences.append(tuple(tokens))
    if not sentences:
        raise EmbbenchError("the corpus has no words", f"corpus '{spec}'")
    return Corpus(spec, digest.hexdigest(), tuple(sentences))
