"""The published board: cells with intervals, paired significance against each task's best, a common-items
view, family aggregates, Borda counts, mean ranks with bootstrap rank intervals, and provider metadata.

Built from records and their per-item outputs. Quality tasks (higher or lower is better, as each declares) are
ranked together; bias tasks (lower is less biased) form their own group and never enter the quality rank.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from embbench.config import Spec
from embbench.contract import Items, Task, family_place
from embbench.errors import EmbbenchError, ItemsMissing, warn
from embbench.plugins import Registry
from embbench.records import MIN_COVERAGE, TOLERANCE
from embbench.records.items import read_items, readable_columns, scored_rows, take
from embbench.records.record import Record
from embbench.stats.significance import holm, mcnemar_exact, paired_bootstrap, paired_t, resampled, spearman_williams

ALPHA = 0.05
RANK_ROUNDS = 200
METADATA = {"dim": ("dim", "base_dim"), "vocabulary": ("vocabulary", "count"), "corpus": ("corpus",),
            "corpus_tokens": ("corpus_tokens",), "fit_seconds": ("fit_seconds",), "parameters": ("parameters",),
            "memory_mib": ("memory_mib",)}  # fmt: skip


@dataclass
class Cell:
    """One provider on one task."""

    record: Record
    score: float | None
    items: Items | None = None
    p_vs_best: float | None = None
    top_tier: bool = False
    best: bool = False
    common_score: float | None = None
    test: str = ""  # the paired test against the best, or why there is none
    items_give: float | None = None  # the main score recomputed from the items, where it disagrees with the record

    def to_dict(self) -> dict[str, Any]:
        r = self.record
        return {"score": self.score, "ci95": r.ci95, "coverage": r.coverage, "n_items": r.n_items,
                "n_scored": r.n_scored, "status": r.status, "error": r.error, "p_vs_best": self.p_vs_best,
                "best": self.best, "top_tier": self.top_tier, "common_score": self.common_score, "test": self.test,
                "scores": r.scores, "tolerance": r.tolerance, "provenance": r.provenance, "hardest": self.hardest(),
                "record": r.path.name if r.path else r.key, "origin": r.origin,
                "items_give": self.items_give}  # fmt: skip

    def hardest(self, top: int = 5) -> list[dict[str, Any]]:
        """The scored items with the highest loss, their readable columns only."""
        if self.items is None or "loss" not in self.items:
            return []
        loss = np.nan_to_num(np.asarray(self.items["loss"], dtype=float), nan=-np.inf)
        order = np.argsort(-loss, kind="stable")[:top]
        return [{n: _plain(self.items[n][i]) for n in readable_columns(self.items)} for i in order]


@dataclass
class Column:
    """One task: its family, metric and direction, the test used against its best, and its common items."""

    task: str
    family: str
    metric: str
    higher_is_better: bool
    test: str = ""
    best: str | None = None
    common_items: int | None = None
    config: dict[str, Any] = field(default_factory=dict)
    scorer: Task | None = field(default=None, repr=False, compare=False)
    """The task object that scores items (None when its plugin is not installed)."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "scorer"}

    @property
    def bias(self) -> bool:
        return self.family == "bias"

    @property
    def header(self) -> str:
        return f"{self.task} ({self.metric} {'↑' if self.higher_is_better else '↓'})"


@dataclass
class Board:
    providers: list[str]
    columns: list[Column]
    cells: dict[tuple[str, str], Cell]
    aggregates: dict[str, dict[str, Any]]
    metadata: dict[str, dict[str, Any]]
    min_coverage: float = MIN_COVERAGE
    frontiers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Per named task, its scores against the bytes they cost, each marked when on the Pareto frontier."""

    def cell(self, provider: str, task: str) -> Cell | None:
        return self.cells.get((provider, task))

    def quality_families(self) -> list[str]:
        """The families of the quality columns, in column order."""
        return list(dict.fromkeys(c.family for c in self.columns if not c.bias))

    def to_dict(self) -> dict[str, Any]:
        return {
            "providers": self.providers,
            "columns": [column.to_dict() for column in self.columns],
            "cells": {p: {t: cell.to_dict() for (q, t), cell in self.cells.items() if q == p} for p in self.providers},
            "aggregates": self.aggregates,
            "metadata": self.metadata,
            "frontiers": self.frontiers,
            "min_coverage": self.min_coverage,
            "alpha": ALPHA,
        }


def _plain(value: Any) -> Any:
    """A numpy scalar as a plain JSON value."""
    return value.item() if hasattr(value, "item") else value


def check_unique_cells(records: list[Record]) -> None:
    """Two records for one (provider label, task label) cell are an error naming both files, never a silent pick."""
    seen: dict[tuple[str, str], Record] = {}
    for record in records:
        cell = (record.provider_label, record.task_label)
        if cell in seen:
            other = seen[cell]
            same = "the same configuration" if other.key == record.key else "different configurations"
            raise EmbbenchError(
                f"two records of {cell[0]} × {cell[1]} ({same}): {other.path or other.key} and"
                f" {record.path or record.key}; remove one, or rerun them together so their labels differ"
            )
        seen[cell] = record


def scoring_task(registry: Registry | None, record: Record) -> Task | None:
    """The task object that scores items (built, not loaded); None when its plugin is not installed."""
    if registry is None:
        return None
    try:
        return registry.make_task(Spec(record.task, record.task_config))
    except EmbbenchError:
        return None


def scored_items(record: Record) -> Items | None:
    if not record.items_file or record.status != "ok":
        return None
    try:
        frame = read_items(record)
    except ItemsMissing:
        return None
    except EmbbenchError as exc:  # damaged or tampered with: the board goes on without them, and says so
        warn(f"{exc}; its per-item outputs are left out")
        return None
    items = {name: frame[name].to_numpy() for name in frame.columns}
    return take(items, scored_rows(items))


def items_disagreement(record: Record, task: Task | None, items: Items | None) -> float | None:
    """The main score the record's own items give, when it differs from the recorded one by more than the
    record's tolerance (a score edited by hand, or items from another run), with a warning naming the record;
    else None."""
    if task is None or items is None or record.main_value is None or not task.scores_items() or not len(items["id"]):
        return None
    recomputed = task.score_items(items)
    allowed = record.tolerance if record.tolerance is not None else TOLERANCE
    if recomputed is None or abs(recomputed - record.main_value) <= allowed:
        return None
    warn(f"{record.path or record.key}: its {record.main_score} is {record.main_value:.6g}, but its per-item"
         f" outputs give {recomputed:.6g} (beyond its tolerance of {allowed:.2g}); the board shows the recorded"
         " score and flags it")  # fmt: skip
    return recomputed


def aligned_items(first: Items, second: Items) -> tuple[Items, Items]:
    """Both providers' items restricted to the ids both scored, in the same order (by id)."""
    ids = [items["id"].astype(str) for items in (first, second)]
    common = np.intersect1d(*ids)
    aligned = []
    for items, names in zip((first, second), ids, strict=True):
        order = np.argsort(names, kind="stable")
        aligned.append(take(items, order[np.searchsorted(names[order], common)]))
    return aligned[0], aligned[1]


def paired_p(task: Task | None, best: Items, other: Items, higher: bool, memo: dict | None = None) -> tuple[float, str]:
    """One-sided p that ``other`` is worse than ``best`` on their common items, by the test the task declares
    (``Task.paired_test``), and the test's name. ``memo`` keeps the best's resampled scores per set of common
    items, for the next provider compared with it."""
    best, other = aligned_items(best, other)
    n = len(best["id"])
    if n < 3:
        return math.nan, "too few common items"
    if task is None:
        return math.nan, "task not installed"
    column = task.score_column
    if task.paired_test == "williams" and column in best and "gold" in best:
        return spearman_williams(best["gold"], best[column], other[column]), "Williams' t on Spearman ρ"
    if task.paired_test == "mcnemar" and column in best:
        return mcnemar_exact(best[column].astype(bool), other[column].astype(bool)), "exact McNemar"
    if task.paired_test == "paired-t" and column in best:
        values = (np.asarray(items[column], dtype=float) for items in (best, other))
        return paired_t(*values, higher), "paired t-test"
    memo = {} if memo is None else memo
    key = (n, best["id"].astype(str).tobytes())  # with n, the bytes fix the ids
    if key not in memo:
        memo[key] = resampled(lambda chunk: task.score_resamples(best, chunk), n)
    others = resampled(lambda chunk: task.score_resamples(other, chunk), n)
    return paired_bootstrap(memo[key], others, higher), "paired bootstrap"


def _ranks(values: dict[str, float], higher: bool) -> dict[str, float]:
    """1 = best; ties share the better rank."""
    ordered = sorted(values.values(), reverse=higher)
    return {p: float(ordered.index(v) + 1) for p, v in values.items()}


def _borda(values: dict[str, float], higher: bool) -> dict[str, int]:
    return {p: sum((v > w) if higher else (v < w) for w in values.values()) for p, v in values.items()}


def build_board(
    records: Iterable[Record], min_coverage: float = MIN_COVERAGE, registry: Registry | None = None,
    new: Iterable[str] = (),
) -> Board:  # fmt: skip
    """The board of these records (items read from beside each record, or from their bundle); the providers in
    ``new`` are marked so (rows added to a published board)."""
    records = list(records)
    if not records:
        raise EmbbenchError("no result records to tabulate")
    check_unique_cells(records)
    by_task: dict[str, list[Record]] = {}
    for record in records:
        by_task.setdefault(record.task_label, []).append(record)
    columns, cells = [], {}
    tasks = {label: scoring_task(registry, group[0]) for label, group in by_task.items()}
    families = {label: _family(group[0], tasks[label]) for label, group in by_task.items()}
    for task_label in sorted(by_task, key=lambda t: (family_place(families[t]), t)):
        column, task_cells = _column(
            task_label, by_task[task_label], tasks[task_label], families[task_label], min_coverage
        )
        columns.append(column)
        cells.update({(c.record.provider_label, task_label): c for c in task_cells})
    providers = sorted({r.provider_label for r in records})
    aggregates = _aggregates(providers, columns, cells)
    providers.sort(key=lambda p: (aggregates[p]["mean_rank"] is None, aggregates[p]["mean_rank"] or 0, p))
    metadata = _metadata(providers, records)
    for provider in set(new) & set(providers):
        metadata[provider]["new"] = True
    return Board(
        providers, columns, cells, aggregates, metadata, min_coverage, quality_frontiers(columns, cells, metadata)
    )


def _family(record: Record, task: Task | None) -> str:
    """The task's family: as recorded, else as the installed task declares it; a record of neither (written
    before families were recorded, its task not installed) is ``bias`` when lower is better, else ``other``."""
    if record.family or task is not None:
        return record.family or task.family
    return "other" if record.higher_is_better else "bias"


def well_covered(cell: Cell, min_coverage: float) -> bool:
    """Whether the cell's score covers at least ``min_coverage`` of its task's items (or has no coverage)."""
    return cell.record.coverage is None or cell.record.coverage >= min_coverage


def _column(
    task_label: str, records: list[Record], task: Task | None, family: str, min_coverage: float
) -> tuple[Column, list[Cell]]:
    """A task's column: the best is chosen among the well-covered scores (among all when none is), so a
    provider scored on a few of the items cannot top it; every other score is tested against it."""
    first = records[0]
    column = Column(task_label, family, first.main_score, first.higher_is_better, config=first.task_config,
                    scorer=task)  # fmt: skip
    cells = [Cell(r, r.main_value, scored_items(r)) for r in records]
    for cell in cells:
        cell.items_give = items_disagreement(cell.record, task, cell.items)
    scored = [c for c in cells if c.score is not None and math.isfinite(c.score)]
    if not scored:
        return column, cells
    candidates = [c for c in scored if well_covered(c, min_coverage)] or scored
    best = (max if column.higher_is_better else min)(candidates, key=lambda c: c.score)
    best.best = best.top_tier = True
    column.best = best.record.provider_label
    others = [c for c in scored if c is not best and c.items is not None and best.items is not None]
    memo: dict = {}
    tests = [paired_p(task, best.items, c.items, column.higher_is_better, memo) for c in others]
    # the column names the test its p-values came from; a cell that got none says why
    column.test = next((name for p, name in tests if not math.isnan(p)), tests[0][1] if tests else "")
    for cell, adjusted, (_, name) in zip(others, holm([p for p, _ in tests]), tests, strict=True):
        cell.p_vs_best, cell.test = (None if math.isnan(adjusted) else adjusted), name
        cell.top_tier = cell.p_vs_best is not None and cell.p_vs_best >= ALPHA
    for cell in scored:
        if cell is not best and cell not in others:
            cell.test = untested(cell if cell.items is None else best, cell.items is None)
    with_items = [c for c in scored if c.items is not None]
    if task is not None and with_items:
        common = set.intersection(*(set(c.items["id"].astype(str)) for c in with_items))
        column.common_items = len(common)
        for cell in with_items:
            keep = np.isin(cell.items["id"].astype(str), list(common))
            cell.common_score = task.score_items(take(cell.items, keep)) if keep.any() else None
    return column, cells


def untested(without: Cell, own: bool) -> str:
    """Why a cell has no paired test: it (``own``) or the task's best has no per-item outputs (MTEB's never do)."""
    whose = "no per-item outputs" if own else "the best score has no per-item outputs"
    source = "from MTEB: " if without.record.origin == "mteb" else ""
    return f"{source}{whose}, so no paired test or tier"


def quality_frontiers(columns: list[Column], cells: dict, metadata: dict) -> dict[str, list[dict[str, Any]]]:
    """For each named task (its configurations together: exact search and each index, say), every scored cell's
    quality against the bytes it costs: the search index's when the record has one (``index_bytes``), else the
    model's memory; each marked ``frontier`` when no other point is as good for fewer bytes or better for as few."""
    groups: dict[str, list[dict[str, Any]]] = {}
    higher = {column.task: column.higher_is_better for column in columns}
    for (provider, task), cell in sorted(cells.items()):
        if cell.score is None or not math.isfinite(cell.score):
            continue
        details = cell.record.details
        index_bytes, model_mib = details.get("index_bytes"), metadata[provider].get("memory_mib")
        if index_bytes is None and model_mib is None:
            continue
        size = int(index_bytes if index_bytes is not None else model_mib * 2**20)
        label = provider if details.get("index") in (None, "exact") else f"{provider} · {details['index']}"
        groups.setdefault(cell.record.task, []).append(
            {"label": label, "task": task, "bytes": size, "of": "model" if index_bytes is None else "index",
             "score": cell.score, "ci95": cell.record.ci95, "higher_is_better": higher[task]})  # fmt: skip
    for points in groups.values():
        for point in points:
            sign = 1 if point["higher_is_better"] else -1
            point["frontier"] = not any(
                other["bytes"] <= point["bytes"] and sign * other["score"] >= sign * point["score"]
                and (other["bytes"] < point["bytes"] or sign * other["score"] > sign * point["score"])
                for other in points
            )  # fmt: skip
        points.sort(key=lambda p: (p["bytes"], p["label"]))
    return {task: points for task, points in sorted(groups.items()) if len(points) > 1}


def _resampled_scores(columns: list[Column], cells: dict, providers: list[str], rounds: int) -> dict[str, np.ndarray]:
    """Per quality task, a (rounds x providers) matrix of scores on resampled items (NaN where none)."""
    from embbench.stats.bootstrap import resamples

    out = {}
    for index, column in enumerate(c for c in columns if not c.bias):
        matrix = np.full((rounds, len(providers)), np.nan)
        for j, provider in enumerate(providers):
            cell = cells.get((provider, column.task))
            if cell is None or cell.score is None:
                continue
            n = len(cell.items["id"]) if cell.items is not None else 0
            if column.scorer is None or n < 2:
                matrix[:, j] = cell.score
                continue
            matrix[:, j] = np.concatenate([column.scorer.score_resamples(cell.items, chunk)
                                           for chunk in resamples(n, rounds, seed=index)])  # fmt: skip
        out[column.task] = matrix
    return out


def _aggregates(providers: list[str], columns: list[Column], cells: dict) -> dict:
    def scores(column: Column) -> dict[str, float]:
        return {p: c.score for p in providers if (c := cells.get((p, column.task))) and c.score is not None}

    quality = [c for c in columns if not c.bias]
    bias = [c for c in columns if c.bias]
    ranks = {c.task: _ranks(scores(c), c.higher_is_better) for c in columns}
    borda = {c.task: _borda(scores(c), c.higher_is_better) for c in quality}
    intervals = _rank_intervals(providers, quality, cells)
    out = {}
    for p in providers:
        quality_ranks = [ranks[c.task][p] for c in quality if p in ranks[c.task]]
        bias_ranks = [ranks[c.task][p] for c in bias if p in ranks[c.task]]
        families = {}
        for family in sorted({c.family for c in columns}, key=family_place):
            values = [cells[p, c.task].score for c in columns if c.family == family and (p, c.task) in cells
                      and cells[p, c.task].score is not None]  # fmt: skip
            if values:
                families[family] = float(np.mean(values))
        out[p] = {
            "families": families,
            "borda": int(sum(b.get(p, 0) for b in borda.values())),
            "mean_rank": float(np.mean(quality_ranks)) if quality_ranks else None,
            "rank_interval": intervals.get(p),
            "bias_rank": float(np.mean(bias_ranks)) if bias_ranks else None,
            "tasks_ranked": len(quality_ranks),
        }
    return out


def _rank_intervals(
    providers: list[str], quality: list[Column], cells: dict, rounds: int = RANK_ROUNDS
) -> dict[str, list[int]]:
    """95% interval of each provider's place by mean rank, resampling items within tasks and the tasks themselves."""
    if not quality or len(providers) < 2:
        return {}
    scores = _resampled_scores(quality, cells, providers, rounds)
    rng = np.random.default_rng(0)
    places = np.zeros((rounds, len(providers)))
    for b in range(rounds):
        rank_rows = []
        for t in rng.integers(0, len(quality), len(quality)):
            row = scores[quality[t].task][b]
            signed = -row if quality[t].higher_is_better else row
            order = np.argsort(np.argsort(np.nan_to_num(signed, nan=np.inf), kind="stable"), kind="stable")
            rank_rows.append(np.where(np.isnan(signed), np.nan, order + 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a provider with no score in any task drawn
            mean_ranks = np.nanmean(np.array(rank_rows, dtype=float), axis=0)
        places[b] = np.argsort(np.argsort(np.nan_to_num(mean_ranks, nan=np.inf), kind="stable"), kind="stable") + 1
    return {p: [int(np.percentile(places[:, j], 2.5)), int(np.percentile(places[:, j], 97.5))]
            for j, p in enumerate(providers)}  # fmt: skip


def _metadata(providers: list[str], records: list[Record]) -> dict[str, dict[str, Any]]:
    """Per provider, what its provenance says (dimension, vocabulary, corpus and tokens, fit seconds, parameters,
    the model's memory) and its throughput: the texts it embedded for these records per second."""
    out: dict[str, dict[str, Any]] = {p: {} for p in providers}
    embedded: dict[str, list[float]] = {p: [0, 0.0] for p in providers}
    for record in records:
        meta = out[record.provider_label]
        for name, keys in METADATA.items():
            value = next((record.provenance[k] for k in keys if record.provenance.get(k) is not None), None)
            if value is not None and name not in meta:
                meta[name] = value
        embedded[record.provider_label][0] += record.embedded.get("texts", 0)
        embedded[record.provider_label][1] += record.embedded.get("seconds", 0.0)
    for provider, (texts, seconds) in embedded.items():
        if texts and seconds > 0:
            out[provider]["texts_per_second"] = round(texts / seconds, 1)
    return out
