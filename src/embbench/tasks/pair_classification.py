"""Pair classification (MTEB's protocol): is a sentence pair a paraphrase, judged by one similarity of its two
embeddings and a threshold?

For each similarity (cosine, dot product, and the Euclidean and Manhattan distances, where smaller is more
similar), as MTEB's pair-classification evaluator computes them: the average precision of the similarity as a score
for the positive class, the best accuracy over thresholds and the best F1 with its precision and recall, each with
its threshold. The main score is the largest average precision over the four (``max_ap``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embbench.contract import FileTask, FileTaskOptions, Items, Provider, TaskOutput
from embbench.errors import EmbbenchError, SkipTask
from embbench.hookspecs import Register, hookimpl
from embbench.stats.bootstrap import multiplicities
from embbench.tasks._embedding import pair_measures
from embbench.tasks._readers import read_columns, unique_ids

SIMILARITIES = {"cosine": True, "dot": True, "euclidean": False, "manhattan": False}
"""Each similarity, and whether a larger value means more similar."""


def average_precisions(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Average precision of ``scores`` for the positive ``labels`` (scikit-learn's ``average_precision_score``:
    the sum over distinct thresholds of the recall gained times the precision), for each column of ``weights``
    (item counts of resamples; every item once when None)."""
    order = np.argsort(-scores, kind="stable")
    ranked, positive = scores[order], labels[order].astype(np.float64)
    weights = np.ones((len(scores), 1)) if weights is None else weights
    counted = weights[order]
    true_positives = np.cumsum(counted * positive[:, None], axis=0)
    predicted = np.cumsum(counted, axis=0)
    ends = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1]  # the last item of each distinct score
    true_positives, predicted = true_positives[ends], predicted[ends]
    total = true_positives[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, true_positives / predicted, 0.0)
        recall_gained = np.diff(np.vstack([np.zeros((1, weights.shape[1])), true_positives]), axis=0) / total
        return np.where(total > 0, np.sum(recall_gained * precision, axis=0), np.nan)


def _walk(labels: np.ndarray, scores: np.ndarray, higher: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scores from most to least similar (MTEB's stable order), whether each is positive, and the positions
    after which a threshold can fall: between two different scores (a threshold cannot split tied scores)."""
    order = np.argsort(-scores if higher else scores, kind="stable")
    ranked = scores[order]
    return ranked, labels[order].astype(bool), np.flatnonzero(ranked[:-1] != ranked[1:])


def best_accuracy(labels: np.ndarray, scores: np.ndarray, higher: bool) -> tuple[float, float]:
    """The best accuracy of predicting positive above a threshold (below, for a distance) and that threshold, the
    midpoint of the two scores it falls between, as MTEB's evaluator finds them (the first best; -1 for none)."""
    ranked, positive, cuts = _walk(labels, scores, higher)
    correct = (np.cumsum(positive) + (np.sum(~positive) - np.cumsum(~positive)))[cuts]
    if not len(cuts) or correct.max() <= 0:
        return 0.0, -1.0
    best = int(np.argmax(correct))
    return float(correct[best] / len(labels)), float((ranked[cuts[best]] + ranked[cuts[best] + 1]) / 2)


def best_f1(labels: np.ndarray, scores: np.ndarray, higher: bool) -> tuple[float, float, float, float]:
    """The best F1 over thresholds, with its precision, recall and threshold (as ``best_accuracy`` finds them)."""
    ranked, positive, cuts = _walk(labels, scores, higher)
    hits = np.cumsum(positive)[cuts].astype(np.float64)
    precision, recall = hits / (cuts + 1), hits / max(int(positive.sum()), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(hits > 0, 2 * precision * recall / (precision + recall), 0.0)
    if not len(cuts) or f1.max() <= 0:
        return 0.0, 0.0, 0.0, 0.0
    best = int(np.argmax(f1))
    threshold = (ranked[cuts[best]] + ranked[cuts[best] + 1]) / 2
    return float(f1[best]), float(precision[best]), float(recall[best]), float(threshold)


class PairClassification(FileTask[FileTaskOptions]):
    """``label<TAB>sentence1<TAB>sentence2`` rows (1 = paraphrase, 0 = not); every distinct sentence is embedded
    once, and a pair is covered when both sentences are. Items are pairs, with their four similarities."""

    name = "pair-classification"
    version = 2
    description = (
        "pair classification (MTEB): average precision of a similarity for the positive pairs, best thresholds"
    )
    main_score = "max_ap"
    family = "pair classification"

    def read(self, path: Path) -> None:
        columns, lines = read_columns(path, ("label", "sentence1", "sentence2"))
        bad = next((i for i, label in enumerate(columns["label"]) if label not in ("0", "1")), None)
        if bad is not None:
            raise EmbbenchError(f"label {columns['label'][bad]!r} is not 0 or 1", f"{path}:{lines[bad]}")
        self.labels_ = np.array(columns["label"], dtype=np.int64)
        self.first_, self.second_, self.lines_ = columns["sentence1"], columns["sentence2"], lines

    def evaluate(self, provider: Provider) -> TaskOutput:
        values, covered = pair_measures(provider, self.first_, self.second_)
        n = len(self.first_)
        labels = self.labels_[covered]
        if len(np.unique(labels)) < 2:
            raise SkipTask(f"the {int(covered.sum())} covered pairs are all of one class, so no threshold or"
                           " average precision is defined", n, int(covered.sum()))  # fmt: skip
        scores: dict[str, float | None] = {}
        for name, higher in SIMILARITIES.items():
            column = values[name][covered]
            accuracy, accuracy_threshold = best_accuracy(labels, column, higher)
            f1, precision, recall, f1_threshold = best_f1(labels, column, higher)
            ap = float(average_precisions(labels, column if higher else -column)[0])
            scores |= {f"{name}_accuracy": accuracy, f"{name}_accuracy_threshold": accuracy_threshold,
                       f"{name}_f1": f1, f"{name}_f1_threshold": f1_threshold, f"{name}_precision": precision,
                       f"{name}_recall": recall, f"{name}_ap": ap}  # fmt: skip
        for measure in ("accuracy", "f1", "precision", "recall", "ap"):
            scores[f"max_{measure}"] = max(scores[f"{name}_{measure}"] for name in SIMILARITIES)  # type: ignore[type-var]
        cosine = values["cosine"]
        items: Items = {
            "id": unique_ids([f"line {line}" for line in self.lines_]),
            "sentence1": np.array(self.first_, dtype=object),
            "sentence2": np.array(self.second_, dtype=object),
            "label": self.labels_,
            **values,
            "covered": covered,
            "loss": np.where(covered, np.where(self.labels_ == 1, 1 - cosine, cosine), np.nan),
        }
        return TaskOutput(scores, n_items=n, n_scored=int(covered.sum()), items=items)

    def score_items(self, items: Items) -> float | None:
        value = self.score_resamples(items, np.arange(len(items["label"]))[None, :])[0]
        return None if np.isnan(value) else float(value)

    def score_resamples(self, items: Items, resamples: np.ndarray) -> np.ndarray:
        """``max_ap`` of every resample at once: each similarity's average precision from count-weighted sums."""
        counts = multiplicities(resamples, len(items["label"]))
        labels = np.asarray(items["label"])
        per_similarity = [average_precisions(labels, np.asarray(items[name], dtype=np.float64) * (1 if higher else -1),
                                             counts) for name, higher in SIMILARITIES.items()]  # fmt: skip
        return np.max(per_similarity, axis=0)


@hookimpl
def register_tasks(register: Register) -> None:
    register(PairClassification)
