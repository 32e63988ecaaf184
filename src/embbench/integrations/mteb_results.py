"""MTEB result files on embbench boards, and embbench records as MTEB result files (needs ``embbench[mteb]``).

A results folder may hold MTEB's own files beside embbench records: ``<model>/<revision>/<Task>.json`` in MTEB's
TaskResult format, from MTEB 1.x (before 1.11, ``mteb_dataset_name`` and one object per split) or 2.x, read with
MTEB's own loader. Each becomes a record marked ``origin="mteb"``: its scores as MTEB stored them, its task named
as embbench names the same data (STSBenchmark is ``stsb``), an interval only where MTEB stored a standard error,
and no per-item outputs, so a board gives it no paired test and no tier, and says so.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embbench.errors import EmbbenchError
from embbench.integrations.mteb import embbench_name, mteb_name, require_mteb
from embbench.records.record import RECORD_NAME, Record, record_key

if TYPE_CHECKING:
    from embbench.plugins import Registry

FAMILY_OF_TYPE = {"STS": "semantic textual similarity", "PairClassification": "pair classification",
                  "Reranking": "reranking", "Retrieval": "retrieval", "Classification": "classification",
                  "Clustering": "clustering"}  # fmt: skip
MODEL_META = "model_meta.json"


def _is_mteb_file(path: Path) -> bool:
    """A JSON file in MTEB's TaskResult format (v1 or v2), judged by its top-level keys."""
    if RECORD_NAME.match(path.name) or path.name == MODEL_META or path.name.startswith("leaderboard"):
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and ("mteb_dataset_name" in data or {"task_name", "scores"} <= data.keys())


def mteb_result_files(folder: Path) -> list[Path]:
    """The MTEB result files under ``folder``."""
    return [path for path in sorted(folder.rglob("*.json")) if _is_mteb_file(path)]


def _model(path: Path) -> tuple[str, str]:
    """The model's name and revision: from ``model_meta.json`` beside the file, else from its two folders."""
    meta = path.parent / MODEL_META
    if meta.is_file():
        with_meta = json.loads(meta.read_text(encoding="utf-8"))
        return str(with_meta.get("name")), str(with_meta.get("revision"))
    return path.parent.parent.name.replace("__", "/"), path.parent.name


def mteb_records(folder: Path, registry: Registry | None = None) -> list[Record]:
    """Every MTEB result file under ``folder`` as a record; a file MTEB cannot read is a located error."""
    files = mteb_result_files(folder)
    if not files:
        return []
    require_mteb()
    from mteb.results.task_result import TaskResult

    models = {_model(path) for path in files}
    records = []
    for path in files:
        try:
            result = TaskResult.from_disk(path)
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbbenchError(f"not an MTEB result MTEB can read: {str(exc).splitlines()[0]}", str(path)) from None
        name, revision = _model(path)
        several = sum(model == name for model, _ in models) > 1  # two revisions of one model: tell them apart
        short = revision[:8] if re.fullmatch(r"[0-9a-f]{12,}", revision) else revision
        label = f"{name}@{short}" if several else name
        records.append(_record(result, path, f"{label} (from MTEB)", name, revision, registry))
    return records


def _record(result: Any, path: Path, label: str, model: str, revision: str, registry: Registry | None) -> Record:
    import embbench

    split = "test" if "test" in result.scores else sorted(result.scores)[0]
    entries = result.scores[split]
    ours = embbench_name(result.task_name)
    family, metric = _protocol(result.task_name, ours, registry)
    main = float(sum(entry["main_score"] for entry in entries) / len(entries))
    metric = metric or next((k for k, v in entries[0].items() if k != "main_score" and v == main), "main_score")
    scores: dict[str, float | None] = {}
    for entry in entries:
        prefix = "" if len(entries) == 1 else f"{entry['hf_subset']}/"
        scores |= {f"{prefix}{k}": float(v) for k, v in entry.items()
                   if isinstance(v, int | float) and not isinstance(v, bool) and k != "main_score"}  # fmt: skip
    scores[metric] = main
    stderr = entries[0].get(f"{metric}_stderr") if len(entries) == 1 else None
    finite = math.isfinite(main)  # never an ok record without a number, whoever computed it
    known = finite and isinstance(stderr, int | float) and math.isfinite(stderr)
    ci95 = [main - 1.96 * stderr, main + 1.96 * stderr] if known else None
    task = ours or result.task_name
    config = {"mteb_task": result.task_name, "split": split, "dataset_revision": result.dataset_revision}
    return Record(
        key=record_key(f"mteb:{model}", {"revision": revision}, task, config), provider=model, provider_label=label,
        provider_config={"revision": revision}, task=task, task_label=task, task_type=f"mteb:{result.task_name}",
        task_config=config, family=family, origin="mteb", status="ok" if finite else "error",
        error=None if finite else f"{path}: MTEB's main score is {main}, not a finite number",
        scores=scores if finite else {}, main_score=metric,
        ci95=ci95, seconds=float(result.evaluation_time or 0.0), embbench_version=embbench.__version__,
        details={"mteb_version": result.mteb_version, "file": str(path),
                 "hf_subsets": [entry["hf_subset"] for entry in entries],
                 "interval": "score ± 1.96 × the standard error MTEB stored" if ci95 else "MTEB stored none"},
    )  # fmt: skip


def _protocol(task_name: str, ours: str | None, registry: Registry | None) -> tuple[str, str | None]:
    """The family and main score of an MTEB task: embbench's own where it names the same data, else MTEB's
    metadata (``other`` for a task MTEB does not know)."""
    if ours is not None and registry is not None and ours in registry.tasks:
        entry = registry.tasks[ours]
        card = entry.card
        family = (card.family if card else None) or entry.obj.family
        return family, (card.main_score if card else None) or entry.obj.main_score
    try:
        from mteb import get_task

        metadata = get_task(task_name).metadata
    except (KeyError, ValueError, ImportError):
        return "other", None
    return FAMILY_OF_TYPE.get(metadata.type, "other"), metadata.main_score


def export_mteb(records: list[Record], out: Path) -> list[Path]:
    """Write each ok embbench record as an MTEB TaskResult file, ``OUT/<model>/<revision>/<Task>.json``, with the
    model's ``model_meta.json`` beside them: the layout of MTEB's results repository, which MTEB's loader reads."""
    mteb = require_mteb()
    from mteb.models.model_meta import ModelMeta, ScoringFunction
    from mteb.results.task_result import TaskResult

    written = []
    for record in records:
        if record.status != "ok" or record.origin != "embbench" or record.main_value is None:
            continue
        name, revision = f"embbench/{record.provider_label}", record.provider_identity
        folder = out / name.replace("/", "__").replace(" ", "_") / revision
        folder.mkdir(parents=True, exist_ok=True)
        meta = ModelMeta.create_empty({"name": name, "revision": revision, "similarity_fn_name": ScoringFunction.COSINE,
                                       "memory_usage_mb": record.provenance.get("memory_mib")})  # fmt: skip
        (folder / MODEL_META).write_text(json.dumps(meta.to_dict(), indent=2, default=str), encoding="utf-8")
        scores = {k: v for k, v in record.scores.items() if v is not None and math.isfinite(v)}
        entry = {**scores, "main_score": record.main_value, "hf_subset": "default", "languages": ["eng-Latn"]}
        result = TaskResult(
            dataset_revision=record.dataset_sha256 or "embbench", task_name=mteb_name(record.task),
            mteb_version=mteb.__version__, scores={"test": [entry]}, evaluation_time=record.seconds,
        )  # fmt: skip
        path = folder / f"{mteb_name(record.task)}.json"
        result.to_disk(path)
        written.append(path)
    return written
