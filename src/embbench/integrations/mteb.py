"""embbench providers as MTEB models, and MTEB tasks over embbench's local task files (needs ``embbench[mteb]``).

``embbench_model(spec)`` is an encoder that implements MTEB's model protocol (``EncoderProtocol``: ``encode`` over
a DataLoader with the task's metadata and prompt type) for any provider spec, with MTEB model metadata: its name,
its revision (the provider's identity: class version, options and input fingerprints), its dimension and what
it holds in memory. Its embeddings go through embbench's embedding cache, keyed by text, so MTEB's tasks reuse
what ``embbench run`` embedded, and the other way round.

``mteb_task(name)`` builds an MTEB task (MTEB's own evaluation code) over the same file as an embbench ``sts`` or
``retrieval`` task, for checking one against the other and for running MTEB offline.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embbench.contract import Context, Provider
from embbench.errors import EmbbenchError

if TYPE_CHECKING:
    from embbench.plugins import Registry

MTEB_NAMES = {"stsb": "STSBenchmark", "sick-r": "SICK-R", "sts13": "STS13", "sts14": "STS14", "sts15": "STS15",
              "sts16": "STS16"}  # fmt: skip
"""embbench's named tasks whose data is that of an MTEB task (the same pairs, the same split)."""
LOCAL_PREFIX = "embbench-"
"""The MTEB name of an embbench task that MTEB does not have: ``embbench-bbc-retrieval``."""


def require_mteb() -> Any:
    try:
        import mteb
    except ImportError:
        raise EmbbenchError("needs MTEB installed (pip install embbench[mteb])", "mteb") from None
    return mteb


def mteb_name(task: str) -> str:
    """The MTEB task name of an embbench named task."""
    return MTEB_NAMES.get(task, f"{LOCAL_PREFIX}{task}")


def embbench_name(task: str) -> str | None:
    """The embbench named task whose data an MTEB task name stands for, if any."""
    if task.startswith(LOCAL_PREFIX):
        return task[len(LOCAL_PREFIX) :]
    return {mteb: ours for ours, mteb in MTEB_NAMES.items()}.get(task)


def _registry(registry: Registry | None) -> Registry:
    from embbench.plugins import Registry

    return registry or Registry.load()


def embbench_model(spec: str, *, cache_dir: Path | None = None, registry: Registry | None = None) -> Any:
    """An MTEB model (``EncoderProtocol``) for the embbench provider ``spec``, fitted now; embeddings are cached
    in ``cache_dir`` (embbench's cache folder by default) as ``embbench run`` caches them."""
    require_mteb()
    from embbench._util.files import default_cache_dir
    from embbench.running.evaluation import with_shared_embeddings

    context = with_shared_embeddings(Context(cache_dir or default_cache_dir(), _registry(registry)))
    provider = context.make_provider(spec, shared_embeddings=True)
    return _encoder_class()(spec, provider, context)


@functools.cache
def _encoder_class() -> type:
    """The encoder class, defined once (when MTEB is importable: it subclasses MTEB's ``AbsEncoder``)."""
    from mteb.models.abs_encoder import AbsEncoder
    from mteb.models.model_meta import ModelMeta, ScoringFunction

    class EmbbenchEncoder(AbsEncoder):
        """An embbench provider behind MTEB's encoder protocol: texts in, float32 vectors out (cosine similarity,
        as embbench's tasks score them)."""

        def __init__(self, spec: str, provider: Provider, context: Context) -> None:
            from embbench.config import as_spec
            from embbench.running.planning import plan

            (planned,), _ = plan(context.registry, [as_spec(spec, spec)], [], context)
            self.provider, self.spec = provider, spec
            facts = provider.provenance()
            dim = int(np.asarray(provider.embed(["a"])).shape[1])
            self.mteb_model_meta = ModelMeta.create_empty({
                "name": f"embbench/{planned.label}", "revision": planned.identity, "embed_dim": dim,
                "n_parameters": facts.get("parameters"), "memory_usage_mb": facts.get("memory_mib"),
                "similarity_fn_name": ScoringFunction.COSINE, "open_weights": True, "use_instructions": False,
            })  # fmt: skip

        def encode(self, inputs: Any, *, task_metadata: Any, hf_split: str, hf_subset: str,
                   prompt_type: Any = None, **kwargs: Any) -> np.ndarray:  # fmt: skip
            texts = [text for batch in inputs for text in batch["text"]]
            return np.asarray(self.provider.embed(texts), dtype=np.float32)

    return EmbbenchEncoder


def mteb_task(name: str, *, registry: Registry | None = None, cache_dir: Path | None = None) -> Any:
    """An MTEB task over the same file as the embbench task ``name`` (a named ``sts`` or ``retrieval`` task, or a
    spec such as ``sts:path=FILE``), evaluated by MTEB's own code; its MTEB name is ``mteb_name(name)``."""
    require_mteb()
    from embbench._util.files import default_cache_dir

    registry = _registry(registry)
    task = registry.make_task(name)
    task.load(Context(cache_dir or default_cache_dir(), registry))
    build = {"sts": _sts_task, "retrieval": _retrieval_task}.get(task.name)
    if build is None:
        raise EmbbenchError(f"MTEB tasks can be built from sts and retrieval tasks, not {task.name}", name)
    entry = registry.tasks.get(name)
    card = entry.card if entry is not None else None
    description = (card.description if card else "") or task.description
    citation = (card.dataset.citation if card and card.dataset else None) or ""
    return build(_metadata(mteb_name(name), task, description, citation), task)


def _metadata(name: str, task: Any, description: str, citation: str) -> Any:
    from mteb.abstasks.task_metadata import TaskMetadata

    kind, main_score = {"sts": ("STS", "cosine_spearman"), "retrieval": ("Retrieval", "ndcg_at_10")}[task.name]
    return TaskMetadata(
        name=name, description=description, type=kind, main_score=main_score, bibtex_citation=citation,
        dataset={"path": "embbench-local", "revision": task.dataset_sha256() or "local"}, category="t2t",
        eval_splits=["test"], eval_langs=["eng-Latn"], modalities=["text"],
    )  # fmt: skip


def _sts_task(metadata: Any, task: Any) -> Any:
    from datasets import Dataset, DatasetDict
    from mteb.abstasks.sts import AbsTaskSTS

    columns = task.columns_
    scores = task.gold_

    class LocalSTS(AbsTaskSTS):
        __doc__ = metadata.description
        min_score, max_score = float(scores.min()), float(scores.max())

        def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
            rows = {"sentence1": columns["sentence1"], "sentence2": columns["sentence2"], "score": list(scores)}
            self.dataset = DatasetDict({"test": Dataset.from_dict(rows)})
            self.data_loaded = True

    LocalSTS.metadata = metadata
    return LocalSTS()


def _retrieval_task(metadata: Any, task: Any) -> Any:
    from datasets import Dataset
    from mteb.abstasks.retrieval import AbsTaskRetrieval
    from mteb.abstasks.retrieval_dataset_loaders import RetrievalSplitData

    class LocalRetrieval(AbsTaskRetrieval):
        __doc__ = metadata.description
        ignore_identical_ids = bool(task.options.ignore_identical_ids)

        def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
            corpus = Dataset.from_dict({"id": task.doc_ids_, "text": task.docs_, "title": [""] * len(task.docs_)})
            queries = Dataset.from_dict({"id": task.query_ids_, "text": task.queries_})
            split = RetrievalSplitData(queries=queries, corpus=corpus, relevant_docs=task.qrels_, top_ranked=None)
            self.dataset = {"default": {"test": split}}
            self.data_loaded = True

    LocalRetrieval.metadata = metadata
    return LocalRetrieval()


def resolve_task(name: str, registry: Registry, cache_dir: Path | None = None) -> Any:
    """An embbench ``sts`` or ``retrieval`` task (a name or spec) as an MTEB task over its local file, else MTEB's
    own task of that name (its data from the Hugging Face hub)."""
    mteb = require_mteb()
    if name in registry.tasks or ":" in name:
        return mteb_task(name, registry=registry, cache_dir=cache_dir)
    try:
        return mteb.get_task(name)
    except (KeyError, ValueError):
        raise EmbbenchError("neither an MTEB task nor an embbench sts or retrieval task", f"-t {name}") from None


def run_mteb(
    providers: list[str], tasks: list[str], output: Path, *, cache_dir: Path | None = None,
    registry: Registry | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Each provider on each task through ``mteb.evaluate``; MTEB's result files go under ``output/results`` (a
    provider whose identity is unchanged reuses them). One row per (provider, task) with the main score."""
    mteb = require_mteb()
    import datasets

    datasets.disable_progress_bars()  # the summary says what ran
    registry = _registry(registry)
    built = [resolve_task(name, registry, cache_dir) for name in tasks]
    cache = mteb.ResultCache(output)
    rows = []
    for spec in providers:
        model = embbench_model(spec, cache_dir=cache_dir, registry=registry)
        try:
            result = mteb.evaluate(model, tasks=built, cache=cache, show_progress_bar=False)
        except (OSError, ConnectionError, ValueError) as exc:  # a hub task's data, offline
            raise EmbbenchError(f"MTEB could not run: {type(exc).__name__}: {str(exc).splitlines()[0]}",
                                f"-p {spec}") from None  # fmt: skip
        rows += [{"provider": model.mteb_model_meta.name, "task": task.task_name, "main_score": task.get_score(),
                  "file": str(cache.get_task_result_path(task.task_name, model.mteb_model_meta))}
                 for task in result.task_results]  # fmt: skip
    return rows
