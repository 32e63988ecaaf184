"""fastText (Bojanowski et al. 2017) via gensim: trained on a corpus, or loaded from .bin (with subwords) or .vec."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from embbench.contract import Context
from embbench.errors import EmbbenchError
from embbench.hookspecs import Register, hookimpl
from embbench.providers._gensim import GensimOptions, GensimTrained
from embbench.providers._training import cached_fit
from embbench.providers._vectors import DamagedCache, load_vectors

NGRAMS_FILE = "ngrams.npy"
SUBWORDS_FILE = "subwords.json"


class FastTextOptions(GensimOptions):
    min_n: int = Field(3, ge=1)
    max_n: int = Field(6, ge=1)
    bucket: int = Field(200_000, ge=1)


class FastText(GensimTrained[FastTextOptions]):
    """Words are sums of character n-gram vectors, so out-of-vocabulary words get a vector from their subwords.

    The subword matrix is cached as a plain array with its hashing parameters (never pickled), so a cache folder
    holds no code; a damaged one is detected and rebuilt from the corpus or the original ``.bin``."""

    name = "fasttext"
    description = "gensim fastText trained on a corpus, or a .bin (subwords) / .vec file (path=)"

    def model_class(self) -> Any:
        from gensim.models import FastText as GensimFastText

        return GensimFastText

    def model_parameters(self) -> dict[str, Any]:
        return {"min_n": self.options.min_n, "max_n": self.options.max_n, "bucket": self.options.bucket}

    def save_model(self, model: Any, folder: Path) -> None:
        save_subwords(model.wv, folder)

    def check_cache(self, folder: Path) -> None:
        load_subwords(folder)

    def after_fit(self) -> None:
        self.subwords_ = load_subwords(self.folder_)
        self.vectors_.oov = self.subwords_.vectors

    def model_bytes(self) -> int:
        """The word vectors and, when loaded, the subword n-gram matrix."""
        subwords = getattr(self, "subwords_", None)
        return super().model_bytes() + (int(subwords.ngrams.nbytes) if subwords is not None else 0)

    def load_pretrained(self, path: Path, context: Context) -> None:
        if path.suffix != ".bin":
            self.vectors_, self.provenance_ = load_vectors(path, "auto", context.cache_dir)
            return  # a .vec file has no subword information
        sha256 = self.inputs(context)["model file"]
        self.vectors_, self.provenance_, self.folder_ = cached_fit(
            context, self, lambda folder: self._convert(path, sha256, folder), check=self.check_cache
        )  # keyed by the .bin file's content, not its path
        self.after_fit()

    def _convert(self, path: Path, sha256: str, folder: Path) -> tuple[list[str], np.ndarray, dict[str, Any]]:
        from gensim.models.fasttext import load_facebook_vectors

        try:
            keyed = load_facebook_vectors(str(path))
        except Exception as exc:
            raise EmbbenchError(f"not a fastText .bin model: {exc}", str(path)) from None
        save_subwords(keyed, folder)
        return list(keyed.index_to_key), keyed.vectors, {"path": str(path), "sha256": sha256}


def save_subwords(keyed: Any, folder: Path) -> None:
    """Keep a gensim FastTextKeyedVectors' n-gram matrix (as .npy) and its hashing parameters (as JSON)."""
    ngrams = np.ascontiguousarray(keyed.vectors_ngrams, dtype=np.float32)
    np.save(folder / NGRAMS_FILE, ngrams)
    meta = {"min_n": keyed.min_n, "max_n": keyed.max_n, "bucket": keyed.bucket, "shape": list(ngrams.shape),
            "bytes": (folder / NGRAMS_FILE).stat().st_size}  # fmt: skip
    (folder / SUBWORDS_FILE).write_text(json.dumps(meta), encoding="utf-8")


@dataclass(frozen=True)
class Subwords:
    """fastText's subword model: hashed character n-gram vectors, and how words are hashed into them."""

    ngrams: np.ndarray
    min_n: int
    max_n: int
    bucket: int

    def vectors(self, words: Sequence[str]) -> np.ndarray:
        """Vectors of (out-of-vocabulary) words, exactly as gensim's ``FastTextKeyedVectors.get_vector``: the mean
        of their n-grams' vectors, zero for a word without n-grams."""
        from gensim.models.fasttext import ft_ngram_hashes

        out = np.zeros((len(words), self.ngrams.shape[1]), dtype=np.float32)
        for i, word in enumerate(words):
            hashes = ft_ngram_hashes(word, self.min_n, self.max_n, self.bucket)
            for h in hashes:
                out[i] += self.ngrams[h]
            if hashes:
                out[i] /= len(hashes)
        return out


def load_subwords(folder: Path) -> Subwords:
    """The subword model saved by ``save_subwords``, memory-mapped and checked (raises ``DamagedCache``)."""
    try:
        meta = json.loads((folder / SUBWORDS_FILE).read_text(encoding="utf-8"))
        if (folder / NGRAMS_FILE).stat().st_size != meta["bytes"]:
            raise DamagedCache(f"{NGRAMS_FILE} is not {meta['bytes']} bytes long")
        ngrams = np.load(folder / NGRAMS_FILE, mmap_mode="r", allow_pickle=False)
        if list(ngrams.shape) != meta["shape"]:
            raise DamagedCache(f"{NGRAMS_FILE} has shape {ngrams.shape}, not {meta['shape']}")
        return Subwords(ngrams, int(meta["min_n"]), int(meta["max_n"]), int(meta["bucket"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DamagedCache(f"{type(exc).__name__}: {exc}") from None


@hookimpl
def register_providers(register: Register) -> None:
    register(FastText)
