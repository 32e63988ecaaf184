"""Post-processing of any provider's word vectors: centering, unit length, and Mu & Viswanath 2018's
"All-but-the-Top" (remove the mean and the top ``d`` principal components)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from embbench.hookspecs import Register, hookimpl
from embbench.providers._transform import CachedTransform, TransformOptions, top_components, unit
from embbench.words import WordVectors


class PostprocessOptions(TransformOptions):
    method: Literal["center", "normalize", "all-but-the-top"] = "all-but-the-top"
    d: int | None = Field(None, ge=1)
    """Components removed by all-but-the-top (default: about dim / 100, at least 1)."""


class Postprocess(CachedTransform[PostprocessOptions]):
    """``center`` subtracts the mean vector; ``normalize`` scales every vector to unit length; ``all-but-the-top``
    subtracts the mean and projects out the top ``d`` principal components of the centred vectors."""

    name = "postprocess"
    description = "center, normalize or All-but-the-Top (Mu & Viswanath 2018) of a base provider (base=)"

    def transform(self, vectors: WordVectors) -> tuple[np.ndarray, dict[str, Any]]:
        matrix = np.asarray(vectors.dense_rows(np.arange(len(vectors))), dtype=np.float64)
        if self.options.method == "normalize":
            return unit(matrix), {}
        mean = matrix.mean(axis=0)
        centred = matrix - mean
        if self.options.method == "center":
            return centred.astype(np.float32), {"mean_norm": float(np.linalg.norm(mean))}
        d = self.options.d or max(1, round(vectors.dim / 100))
        if d >= vectors.dim:
            raise self.option_error("d", f"d={d} must be smaller than the base dimension ({vectors.dim})")
        components = top_components(centred, d)
        processed = centred - (centred @ components.T) @ components
        return processed.astype(np.float32), {"removed_components": d, "mean_norm": float(np.linalg.norm(mean))}


@hookimpl
def register_providers(register: Register) -> None:
    register(Postprocess)
