"""BLEU of text produced from embeddings: retrieval "generation" scored with sacrebleu's corpus BLEU.

For each held-out source (a BBC article, or a user's source text), the output is the target (headline) of the
nearest training source under the provider's embeddings (cosine); sacrebleu's corpus BLEU compares outputs
with the held-out targets, and its signature is stored with the scores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from embbench.contract import FileTask, FileTaskOptions, Items, Provider, TaskOutput
from embbench.errors import EmbbenchError
from embbench.hookspecs import Register, hookimpl
from embbench.stats.bootstrap import multiplicities
from embbench.tasks._embedding import embed_checked
from embbench.tasks._readers import read_labelled


def read_pairs_file(path: Path) -> tuple[list[str], list[str]]:
    """(sources, targets) from ``source<TAB>target`` or the BBC layout ``label<TAB>title<TAB>text``."""
    rows = read_labelled(path, ("source", "target"), ("label", "title", "text"))
    source, target = (0, 1) if len(rows[0]) == 2 else (2, 1)  # BBC: the article is the source, its title the target
    return [r[source] for r in rows], [r[target] for r in rows]


class BleuOptions(FileTaskOptions):
    test_fraction: float = Field(0.2, gt=0, lt=1)
    seed: int = 0


class RetrievalBleu(FileTask[BleuOptions]):
    """Output the target of the nearest training source; corpus BLEU (sacrebleu) against held-out targets."""

    name = "bleu"
    description = "retrieval generation (nearest training source's target) scored by sacrebleu corpus BLEU"
    main_score = "bleu"
    family = "generation"
    version = 2

    def read(self, path: Path) -> None:
        self.sources_, self.targets_ = read_pairs_file(path)
        n_test = round(len(self.sources_) * self.options.test_fraction)
        if n_test < 1 or n_test >= len(self.sources_):
            raise EmbbenchError(
                f"{len(self.sources_)} pairs with test_fraction={self.options.test_fraction} leave an empty split",
                f"task '{self.registered_name}' option 'test_fraction'",
            )
        order = np.random.default_rng(self.options.seed).permutation(len(self.sources_))
        self.test_, self.train_ = order[:n_test], order[n_test:]

    def evaluate(self, provider: Provider) -> TaskOutput:
        from sacrebleu.metrics import BLEU

        vectors, covered = embed_checked(provider, self.sources_)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = vectors / np.where(norms > 0, norms, 1)
        train = self.train_[covered[self.train_]]
        if len(train) == 0:
            raise EmbbenchError("no training source has an embedding to retrieve from")
        nearest = train[np.argmax(unit[self.test_] @ unit[train].T, axis=1)]
        hypotheses = [self.targets_[i] for i in nearest]
        references = [self.targets_[i] for i in self.test_]
        bleu = BLEU()
        score = bleu.corpus_score(hypotheses, [references])
        stats = np.array(bleu._extract_corpus_statistics(hypotheses, [references]))  # per-sentence statistics
        items: Items = {
            "id": np.array([str(i) for i in self.test_], dtype=object),
            "reference": np.array(references, dtype=object),
            "generated": np.array(hypotheses, dtype=object),
            "retrieved_from": np.array([str(i) for i in nearest], dtype=object),
            "covered": covered[self.test_],
            "scored": np.ones(len(self.test_), dtype=bool),
            "loss": 100.0 - np.array([bleu._compute_score_from_stats(list(row)).score for row in stats]),
            **{f"bleu_stat_{i}": stats[:, i] for i in range(stats.shape[1])},
        }
        return TaskOutput(
            {"bleu": float(score.score)}, n_items=len(self.test_), n_scored=int(covered[self.test_].sum()),
            details={"signature": str(bleu.get_signature()), "seed": self.options.seed, "test_items": len(self.test_),
                     "examples": [[h, r] for h, r in zip(hypotheses[:5], references[:5], strict=True)]},
            items=items,
        )  # fmt: skip

    def score_items(self, items: Items) -> float | None:
        """Corpus BLEU from the summed per-sentence statistics of the given items (sacrebleu's own formula)."""
        from sacrebleu.metrics import BLEU

        return float(BLEU()._compute_score_from_stats(sentence_statistics(items).sum(axis=0).tolist()).score)

    def score_resamples(self, items: Items, resamples: np.ndarray) -> np.ndarray:
        """Corpus BLEU of every resample: its statistics are count-weighted sums of the items' statistics."""
        from sacrebleu.metrics import BLEU

        statistics = sentence_statistics(items).astype(np.float64)
        totals = np.rint(multiplicities(resamples, len(statistics)).T @ statistics).astype(np.int64)
        bleu = BLEU()
        return np.array([bleu._compute_score_from_stats(row.tolist()).score for row in totals], dtype=np.float64)


def sentence_statistics(items: Items) -> np.ndarray:
    """(items x statistics) integer matrix of sacrebleu's per-sentence statistics, in sacrebleu's order."""
    columns = sorted((n for n in items if n.startswith("bleu_stat_")), key=lambda n: int(n[10:]))
    return np.stack([items[n] for n in columns], axis=1).astype(np.int64)


@hookimpl
def register_tasks(register: Register) -> None:
    register(RetrievalBleu)
