"""Direct bias of Bolukbasi et al. 2016: how far gender-neutral words lean along the gender direction.

The gender direction g is the first principal component of the definitional pairs, each pair centred on
its mean (unit vectors, as in the paper). DirectBias_c = mean over neutral words w of |cos(w, g)|^c; the
neutral words are the bundled professions that are not in the gender-specific list.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from embbench._util.files import read_json
from embbench._util.gender_lists import BiasFile
from embbench.contract import FileTask, FileTaskOptions, Provider, TaskOutput
from embbench.errors import EmbbenchError, SkipTask
from embbench.hookspecs import Register, hookimpl
from embbench.tasks._embedding import embed_words_checked
from embbench.tasks._readers import unique_ids


def gender_direction(pairs: np.ndarray) -> np.ndarray:
    """First principal component of the centred definitional pairs (pairs: n x 2 x d, unit rows)."""
    from sklearn.decomposition import PCA

    centred = (pairs - pairs.mean(axis=1, keepdims=True)).reshape(-1, pairs.shape[2])
    return PCA(n_components=1).fit(centred).components_[0]


class DirectBiasOptions(FileTaskOptions):
    c: float = Field(1.0, gt=0)


class DirectBias(FileTask[DirectBiasOptions]):
    """Mean |cos(w, g)|^c over neutral profession words (0 = no direct bias)."""

    name = "direct-bias"
    description = "Bolukbasi et al. 2016 direct gender bias of profession words (lower is less biased)"
    main_score = "direct_bias"
    family = "bias"
    score_column = "cosine"
    version = 2
    higher_is_better = False

    def read(self, path: Path) -> None:
        gender = read_json(path, BiasFile).gender
        specific = set(gender.specific_full)
        self.pairs_ = [tuple(p) for p in gender.definitional_pairs]
        self.neutral_ = [w for w in gender.profession_words() if w not in specific]
        if len(self.pairs_) < 2 or not self.neutral_:
            raise EmbbenchError("needs at least two definitional pairs and one neutral profession", str(path))

    def evaluate(self, provider: Provider) -> TaskOutput:
        words = [w for pair in self.pairs_ for w in pair]
        vectors, covered = embed_words_checked(provider, words)
        lengths = np.linalg.norm(vectors, axis=1)
        covered &= lengths > 0
        both = covered.reshape(-1, 2).all(axis=1)
        if both.sum() < 2:
            raise SkipTask("fewer than two definitional pairs are in the vocabulary")
        unit = vectors / np.where(covered, lengths, 1)[:, None]
        direction = gender_direction(unit.reshape(-1, 2, unit.shape[1])[both])
        neutral, ok = embed_words_checked(provider, self.neutral_)
        norms = np.linalg.norm(neutral, axis=1)
        ok &= norms > 0
        if not ok.any():
            raise SkipTask("no neutral word is in the vocabulary", len(self.neutral_), 0)
        cosines = np.full(len(self.neutral_), np.nan)
        cosines[ok] = np.abs(neutral[ok] @ direction / norms[ok]) ** self.options.c
        return TaskOutput(
            {"direct_bias": float(cosines[ok].mean())}, n_items=len(self.neutral_), n_scored=int(ok.sum()),
            details={"pairs_used": int(both.sum())},
            items={"id": unique_ids(self.neutral_), "cosine": cosines, "covered": ok, "loss": cosines},
        )  # fmt: skip


@hookimpl
def register_tasks(register: Register) -> None:
    register(DirectBias)
