"""fastText (Bojanowski et al. 2017) via gensim: trained on a corpus, or loaded from .bin (with subwords) or .vec."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from embbench.api import Context, WordVectors
from embbench.atomic import publish_folder, work_folder
from embbench.errors import EmbbenchError
from embbench.hookspecs import hookimpl
from embbench.providers._gensim import GensimOptions, GensimTrained
from embbench.providers._training import fit_folder
from embbench.vectors import load_vectors

MODEL_FILE = "fasttext.model"


class FastTextOptions(GensimOptions):
    min_n: int = Field(3, ge=1)
    max_n: int = Field(6, ge=1)
    bucket: int = Field(200_000, ge=1)


class FastText(GensimTrained[FastTextOptions]):
    """Words are sums of character n-gram vectors, so out-of-vocabulary words get a vector from their subwords."""

    name = "fasttext"
    description = "gensim fastText trained on a corpus, or a .bin (subwords) / .vec file (path=)"
    Options: ClassVar = FastTextOptions

    def model_class(self) -> Any:
        from gensim.models import FastText as GensimFastText

        return GensimFastText

    def model_parameters(self) -> dict[str, Any]:
        return {"min_n": self.options.min_n, "max_n": self.options.max_n, "bucket": self.options.bucket}

    def save_model(self, model: Any, folder: Path) -> None:
        model.wv.save(str(folder / MODEL_FILE))

    def after_fit(self) -> None:
        self._attach_subwords(load_keyed(self.folder_ / MODEL_FILE))

    def _attach_subwords(self, keyed: Any) -> None:
        self.vectors_.oov = lambda words: subword_vectors(keyed, words)

    def load_pretrained(self, path: Path, context: Context) -> None:
        if path.suffix != ".bin":
            self.vectors_, self.provenance_ = load_vectors(path, "auto", context.cache_dir)
            return  # a .vec file has no subword information
        from gensim.models.fasttext import load_facebook_vectors

        folder = fit_folder(context, self)  # keyed by the .bin file's content, not its path
        model_path = folder / MODEL_FILE
        if not model_path.exists():
            work = work_folder(folder)
            try:
                load_facebook_vectors(str(path)).save(str(work / MODEL_FILE))
            except Exception as exc:
                shutil.rmtree(work, ignore_errors=True)
                raise EmbbenchError(f"not a fastText .bin model: {exc}", str(path)) from None
            publish_folder(work, folder)
        keyed = load_keyed(model_path)
        self.vectors_ = WordVectors(list(keyed.index_to_key), keyed.vectors)
        self._attach_subwords(keyed)
        self.provenance_ = {"path": str(path), "sha256": self.inputs(context)["model file"]}


def load_keyed(model_path: Path) -> Any:
    """A saved FastTextKeyedVectors, memory-mapped."""
    from gensim.models.fasttext import FastTextKeyedVectors

    return FastTextKeyedVectors.load(str(model_path), mmap="r")


def subword_vectors(keyed: Any, words: Sequence[str]) -> np.ndarray:
    """Vectors of (out-of-vocabulary) words from their character n-grams; zero where a word has none."""
    return np.array([keyed.get_vector(w) for w in words], dtype=np.float32).reshape(len(words), keyed.vector_size)


@hookimpl
def register_providers(register: Callable[..., None]) -> None:
    register(FastText)
