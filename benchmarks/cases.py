"""The measured operations: each runs in its own process (see measure.py) and returns what it computed."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def glove_vectors():
    from embbench.providers.glove import glove_6b_50d

    return glove_6b_50d()[0]


def write_glove_text(path: Path) -> None:
    from embbench.vectors import save_text

    save_text(glove_vectors(), path)


def gensim_keyed(path: Path):
    from gensim.models import KeyedVectors

    return KeyedVectors.load_word2vec_format(str(path), no_header=True)


def gensim_load(path: Path) -> int:
    return len(gensim_keyed(path))


def embbench_load(path: Path, cache: Path) -> int:
    from embbench.vectors import load_vectors

    vectors, _ = load_vectors(path, cache_dir=cache)
    return len(vectors)


def _kv():
    from gensim.models import KeyedVectors

    vectors = glove_vectors()
    kv = KeyedVectors(vectors.dim)
    kv.add_vectors(vectors.words, np.asarray(vectors.matrix))
    return kv


def gensim_analogy(questions: Path, restrict: int) -> float:
    return float(_kv().evaluate_word_analogies(str(questions), restrict_vocab=restrict)[0])


def _task(spec: str):
    from embbench.api import Context
    from embbench.plugins import Registry

    registry = Registry.load()
    task = registry.make_task(spec)
    task.load(Context(Path("/tmp"), registry))
    return task


def glove_provider():
    """The built-in GloVe provider, fitted as the runner would hand it to a task."""
    from embbench.api import Context
    from embbench.providers.glove import Glove

    return Glove().fit(Context(Path("/tmp")))


def embbench_task(spec: str) -> dict:
    task = _task(spec)
    provider = glove_provider()
    start = time.perf_counter()
    scores = task.evaluate(provider).scores
    return {"seconds_in_task": time.perf_counter() - start, **{k: v for k, v in scores.items() if "/" not in k}}


def matmul_floor(restrict: int, n_questions: int) -> float:
    """The one product the analogy problem needs, unit vocabulary (restrict x d) times queries (d x q), computed
    in cache-sized blocks (as embbench's search is) and doing nothing else."""
    from embbench.tasks._wordsearch import BLOCK_ELEMENTS

    vectors = np.asarray(glove_vectors().matrix[:restrict], dtype=np.float32)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = np.random.default_rng(0).standard_normal((n_questions, unit.shape[1])).astype(np.float32)
    batch = 2048
    rows = BLOCK_ELEMENTS // batch
    start = time.perf_counter()
    for q in range(0, n_questions, batch):
        for v in range(0, len(unit), rows):
            np.dot(queries[q : q + batch], unit[v : v + rows].T)
    return time.perf_counter() - start


def gensim_similarity(files: list[str]) -> dict:
    kv = _kv()
    start = time.perf_counter()
    scores = [float(kv.evaluate_word_pairs(f)[1].statistic) for f in files]
    return {"seconds": time.perf_counter() - start, "scores": scores}


def embbench_similarity(names: list[str]) -> dict:
    provider = glove_provider()
    tasks = [_task(f"{n}:protocol=gensim") for n in names]
    start = time.perf_counter()
    scores = [float(task.evaluate(provider).scores["spearman"]) for task in tasks]
    return {"seconds": time.perf_counter() - start, "scores": scores}


def embbench_weat(permutations: int) -> dict:
    # max_missing=0.3 lets WEAT 3 run too (GloVe 6B lacks 12 of its 50 African American names), so all 10 are timed
    task = _task(f"weat-caliskan:permutations={permutations},max_missing=0.3")
    output = task.evaluate(glove_provider())
    return {"tests_run": output.n_scored, "effect_sizes": [t.get("effect_size") for t in output.details["tests"]]}


def default_suite(results: Path, cache: Path, rerun: bool) -> int:
    import os

    from embbench import run
    from embbench.config import load_suite
    from embbench.datasets import DATA_DIR

    os.environ["HF_HUB_OFFLINE"] = "1"
    suite = load_suite(DATA_DIR.parent / "suites" / "default.toml")
    return len(run(suite.providers, suite.tasks, results, cache_dir=cache, rerun=rerun))


def write_scale_file(path: Path, words: int, dim: int) -> None:
    """A GloVe-format text file of ``words`` x ``dim`` values with 4 decimals (GloVe 840B: 2.2M x 300)."""
    table = np.array([f"{i / 10000:.4f}".encode() for i in range(-9999, 10000)], dtype=object)
    rng = np.random.default_rng(0)
    with open(path, "wb") as handle:
        for start in range(0, words, 20_000):
            block = table[rng.integers(0, len(table), (min(20_000, words - start), dim))]
            handle.write(b"".join(b"w%d " % (start + i) + b" ".join(row) + b"\n" for i, row in enumerate(block)))


def scale_run(path: Path, cache: Path, questions: int) -> dict:
    from embbench.api import Context
    from embbench.plugins import Registry

    registry = Registry.load()
    context = Context(cache, registry)
    start = time.perf_counter()
    provider = context.make_provider(f"glove:path={path}")
    loaded = time.perf_counter() - start
    vectors = provider.word_vectors()
    words = vectors.words
    rng = np.random.default_rng(0)
    pairs = cache / "pairs.tsv"
    pairs.write_text(
        "".join(f"{words[a]}\t{words[b]}\t{rng.random():.3f}\n" for a, b in rng.integers(0, len(words), (2000, 2)))
    )
    analogies = cache / "questions.txt"
    rows = rng.integers(0, len(words), (questions, 4))
    analogies.write_text(": synthetic\n" + "".join(" ".join(words[i] for i in row) + "\n" for row in rows))
    timings = {"load_seconds": loaded}
    for name, spec in (("similarity_seconds", f"word-similarity:path={pairs}"),
                       ("analogy_seconds", f"analogy:path={analogies},methods=3cosadd")):  # fmt: skip
        task = registry.make_task(spec)
        task.load(context)
        start = time.perf_counter()
        task.evaluate(provider)
        timings[name] = time.perf_counter() - start
    return {"words": len(words), "dim": vectors.dim, **timings}


def embbench_debias(cache: Path, out: Path) -> dict:
    """Hard debiasing of GloVe 6B 50d (debias:method=hard, k=1), timed; the vectors are saved for comparison."""
    from embbench.api import Context
    from embbench.plugins import Registry

    start = time.perf_counter()
    provider = Context(cache, Registry.load()).make_provider("debias:method=hard")
    seconds = time.perf_counter() - start
    np.save(out, np.asarray(provider.word_vectors().matrix, dtype=np.float32))
    return {"seconds": seconds}
