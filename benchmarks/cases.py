"""The measured operations: each runs in its own process (see measure.py) and returns what it computed."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def command_seconds(command: list[str], runs: int = 7) -> float:
    """The median wall time of a command, started afresh each time (its output discarded), as an installed
    package starts: with its bytecode cached (an unmeasured first run writes it, even where the environment
    sets PYTHONDONTWRITEBYTECODE)."""
    import os
    import statistics
    import subprocess

    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def unit_vectors(rows: int, dim: int, seed: int) -> np.ndarray:
    """Random unit vectors (float32), as many as asked, the same for the same seed."""
    vectors = np.random.default_rng(seed).standard_normal((rows, dim), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def search_case(tool: str, documents: int, queries: int = 1000, dim: int = 384, k: int = 100) -> dict:
    """Exact top-k inner-product search of random unit vectors by ``tool``: embbench's blocked search, its
    matrix-product floor (the same blocks of products, nothing else), sentence-transformers' ``semantic_search``,
    or FAISS's flat index; the seconds of the search alone (embbench's compiled merge loaded first, as once per
    process) and a digest of the top ids found."""
    corpus, asked = unit_vectors(documents, dim, 0), unit_vectors(queries, dim, 1)
    if tool == "embbench":
        from embbench.tasks._search import top_k

        top_k(asked[:1], corpus[:2000], k, np.arange(2000), block_elements=1024)  # two blocks: the merge runs
    start = time.perf_counter()
    if tool == "embbench":
        found, _ = top_k(asked, corpus, k, np.arange(documents))
    elif tool == "floor":
        from embbench.tasks._search import BLOCK_ELEMENTS

        rows = BLOCK_ELEMENTS // queries
        for start_row in range(0, documents, rows):
            asked @ corpus[start_row : start_row + rows].T
        found = None
    elif tool == "sentence-transformers":
        import torch
        from sentence_transformers import util

        hits = util.semantic_search(torch.from_numpy(asked), torch.from_numpy(corpus), top_k=k)
        found = np.array([[hit["corpus_id"] for hit in row] for row in hits])
    else:
        import faiss

        index = faiss.IndexFlatIP(dim)
        index.add(corpus)
        _, found = index.search(asked, k)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "top1": None if found is None else int(np.sum(found[:, 0]))}


def ndcg_case(tool: str, queries: int = 20_000, depth: int = 100) -> dict:
    """nDCG@10 and MAP@100 of random runs with graded judgements: embbench's vectorised measures or pytrec_eval."""
    rng = np.random.default_rng(0)
    ranked = rng.integers(0, 3, size=(queries, depth)) * (rng.random((queries, depth)) < 0.1)
    ideal = -np.sort(-ranked, axis=1)
    start = time.perf_counter()
    if tool == "embbench":
        from embbench.tasks._ranking import ranking_measures

        measures = ranking_measures(ranked, ideal, (10, 100))
        ndcg, ap = measures["ndcg_at_10"], measures["map_at_100"]
    else:
        import pytrec_eval

        qrels = {str(q): {str(d): int(r) for d, r in enumerate(ranked[q]) if r > 0} or {"none": 0}
                 for q in range(queries)}  # fmt: skip
        run = {str(q): {str(d): float(depth - d) for d in range(depth)} for q in range(queries)}
        start = time.perf_counter()  # the evaluation alone, as for embbench
        result = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "map_cut.100"}).evaluate(run)
        ndcg = np.array([result[str(q)]["ndcg_cut_10"] for q in range(queries)])
        ap = np.array([result[str(q)]["map_cut_100"] for q in range(queries)])
    return {"seconds": time.perf_counter() - start, "ndcg": float(ndcg.mean()), "map": float(ap.mean())}


def embbench_sts(name: str) -> dict:
    """An STS task for the packaged all-MiniLM-L6-v2 (``bert``), embedding included, as a run would do it."""
    task, provider = _task(name), bert_provider()
    start = time.perf_counter()
    output = task.evaluate(provider)
    return {"seconds": time.perf_counter() - start, "cosine_spearman": output.scores["cosine_spearman"]}


def st_sts(path: Path) -> dict:
    """What a user would write: sentence-transformers' own encode of both columns, cosines, scipy's Spearman."""
    from scipy import stats
    from sentence_transformers import SentenceTransformer

    from embbench.providers.bert import packaged_minilm
    from embbench.tasks._readers import read_columns

    columns, _ = read_columns(path, ("sentence1", "sentence2", "score"))
    model = SentenceTransformer(str(packaged_minilm()), device="cpu")
    start = time.perf_counter()
    first, second = (model.encode(columns[c], convert_to_numpy=True) for c in ("sentence1", "sentence2"))
    cosine = np.sum(first * second, axis=1) / (np.linalg.norm(first, axis=1) * np.linalg.norm(second, axis=1))
    spearman = stats.spearmanr(np.array(columns["score"], dtype=float), cosine).statistic
    return {"seconds": time.perf_counter() - start, "cosine_spearman": float(spearman)}


def bert_provider():
    """The packaged all-MiniLM-L6-v2, fitted as the runner would hand it to a task."""
    from embbench.contract import Context
    from embbench.providers.bert import Bert

    return Bert().fit(Context(Path("/tmp")))


def glove_vectors():
    from embbench.providers.glove import glove_6b_50d

    return glove_6b_50d()[0]


def write_glove_text(path: Path) -> None:
    from embbench.providers._vectors import save_text

    save_text(glove_vectors(), path)


def gensim_keyed(path: Path):
    from gensim.models import KeyedVectors

    return KeyedVectors.load_word2vec_format(str(path), no_header=True)


def gensim_load(path: Path) -> int:
    return len(gensim_keyed(path))


def embbench_load(path: Path, cache: Path) -> int:
    from embbench.providers._vectors import load_vectors

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
    from embbench.contract import Context
    from embbench.plugins import Registry

    registry = Registry.load()
    task = registry.make_task(spec)
    task.load(Context(Path("/tmp"), registry))
    return task


def glove_provider():
    """The built-in GloVe provider, fitted as the runner would hand it to a task."""
    from embbench.contract import Context
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


def default_suite(folder: Path, cache: Path, rerun: bool) -> dict:
    """``embbench run`` exactly as the README writes it (one worker per core, the built-in suite, its board written
    at the end), run in ``folder`` with its own cache; the per-phase breakdown comes from the records it wrote."""
    import os
    import resource
    import subprocess
    import sys

    from embbench.records.record import load_records
    from embbench.running.timings import breakdown

    command = [str(Path(sys.executable).with_name("embbench")), "run", "--cache", str(cache)]
    subprocess.run(command + (["--rerun"] if rerun else []), check=True, cwd=folder,
                   env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True)  # fmt: skip
    records = load_records(folder / "leaderboards" / "default" / "results")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest of embbench's processes
    return {"pairs": len(records), "breakdown": breakdown(records), "peak_mb": peak_mb}


def default_board(results: Path, out: Path) -> dict:
    """The default suite's board from its records, as `embbench run` writes it at the end (every format but
    LaTeX: family means, paired tests, rank intervals, the common-items view, the page)."""
    from embbench.publish.writers import write_leaderboard
    from embbench.records.record import load_records

    records = load_records(results)
    write_leaderboard(records, out, ["md", "csv", "json", "html"])
    return {"records": len(records)}


def nested_cv_sklearn(features: Path, labels: Path) -> dict:
    """What a user would write (and what embbench did before): scikit-learn's LogisticRegressionCV in each of 5
    stratified folds, 3 inner folds, C in (0.25, 1, 4, 16), on standardised dense features, default threads."""
    import warnings

    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = np.load(features), np.load(labels, allow_pickle=True)
    predicted = np.empty_like(y)
    start = time.perf_counter()
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        inner = StratifiedKFold(3, shuffle=True, random_state=0)
        model = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=[0.25, 1.0, 4.0, 16.0], cv=inner,
                                                                     scoring="accuracy", max_iter=2000))  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            predicted[test] = model.fit(x[train], y[train]).predict(x[test])
    return {"seconds": time.perf_counter() - start, "accuracy": float(np.mean(predicted == y))}


def embbench_classification(provider_spec: str, task_spec: str, cache: Path, features: Path, labels: Path) -> dict:
    """The task on a fitted provider, its embeddings already computed (saved for the scikit-learn side)."""
    from embbench.contract import Context
    from embbench.plugins import Registry
    from embbench.tasks._embedding import embed_checked

    registry = Registry.load()
    context = Context(cache, registry)
    provider = context.make_provider(provider_spec)
    task = registry.make_task(task_spec)
    task.load(context)
    vectors, _ = embed_checked(provider, task.texts_)
    np.save(features, vectors)
    np.save(labels, np.array(task.labels_, dtype=object))
    task_embeddings = _Embedded(provider, vectors)
    start = time.perf_counter()
    accuracy = task.evaluate(task_embeddings).scores["accuracy"]
    return {"seconds": time.perf_counter() - start, "accuracy": accuracy}


class _Embedded:
    """A provider whose embeddings of one list of texts are already computed (so only the task is timed)."""

    def __init__(self, provider, vectors: np.ndarray) -> None:
        self.provider, self.vectors = provider, vectors

    def __getattr__(self, name: str):
        return getattr(self.provider, name)

    def embed_with_coverage(self, texts):
        from embbench.contract import Embedded

        return Embedded(self.vectors, np.ones(len(self.vectors), dtype=bool))


def three_products(restrict: int, n_questions: int) -> float:
    """The floor the issue sets for 3CosAdd + 3CosMul: three (restrict x d) x (d x questions) products, blocked."""
    return sum(matmul_floor(restrict, n_questions) for _ in range(3))


def similarity_interval(n_pairs: int, one_at_a_time: bool) -> dict:
    """The bootstrap interval (1,000 resamples) of a Spearman correlation over ``n_pairs`` pairs: embbench's, or
    scipy's spearmanr once per resample (what a user would write). embbench's compiled kernel is loaded first
    (once per process) and that time is reported apart."""
    from scipy import stats

    from embbench.stats.bootstrap import resampled_spearman, vectorised_ci

    rng = np.random.default_rng(0)
    gold = np.round(rng.random(n_pairs) * 10, 1)  # ratings with ties, as in the real sets
    cosine = gold + rng.normal(size=n_pairs)
    start = time.perf_counter()
    if not one_at_a_time:
        resampled_spearman(gold[:3], cosine[:3], np.zeros((1, 3), dtype=np.int64))  # load the compiled kernel
    loaded = time.perf_counter()

    def statistics(chunk: np.ndarray) -> np.ndarray:
        if one_at_a_time:
            return np.array([stats.spearmanr(gold[rows], cosine[rows]).statistic for rows in chunk])
        return resampled_spearman(gold, cosine, chunk)

    interval = vectorised_ci(statistics, n_pairs)
    return {"seconds": time.perf_counter() - loaded, "load_seconds": loaded - start, "interval": interval}


def write_scale_file(path: Path, words: int, dim: int) -> None:
    """A GloVe-format text file of ``words`` x ``dim`` values with 4 decimals (GloVe 840B: 2.2M x 300)."""
    table = np.array([f"{i / 10000:.4f}".encode() for i in range(-9999, 10000)], dtype=object)
    rng = np.random.default_rng(0)
    with open(path, "wb") as handle:
        for start in range(0, words, 20_000):
            block = table[rng.integers(0, len(table), (min(20_000, words - start), dim))]
            handle.write(b"".join(b"w%d " % (start + i) + b" ".join(row) + b"\n" for i, row in enumerate(block)))


def scale_run(path: Path, cache: Path, questions: int) -> dict:
    from embbench.contract import Context
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
    from embbench.contract import Context
    from embbench.plugins import Registry

    start = time.perf_counter()
    provider = Context(cache, Registry.load()).make_provider("debias:method=hard")
    seconds = time.perf_counter() - start
    np.save(out, np.asarray(provider.word_vectors().matrix, dtype=np.float32))
    return {"seconds": seconds}


STS_TASKS = ("stsb", "sick-r", "sts13", "sts14", "sts15", "sts16")


def mteb_sts_suite(results: Path) -> dict:
    """What an MTEB user runs: ``mteb.evaluate`` of the packaged all-MiniLM-L6-v2 (a sentence-transformers model,
    which MTEB wraps itself) on the six STS tasks, built as MTEB tasks over the same local files."""
    import mteb
    from sentence_transformers import SentenceTransformer

    from embbench.integrations.mteb import mteb_task
    from embbench.providers.bert import packaged_minilm

    start = time.perf_counter()
    model = SentenceTransformer(str(packaged_minilm()), device="cpu")
    tasks = [mteb_task(name) for name in STS_TASKS]
    result = mteb.evaluate(model, tasks=tasks, cache=mteb.ResultCache(results), show_progress_bar=False)
    scores = {task.task_name: task.scores["test"][0]["cosine_spearman"] for task in result.task_results}
    return {"seconds": time.perf_counter() - start, "scores": scores}


def embbench_sts_suite(results: Path, cache: Path) -> dict:
    """``embbench run -p bert`` on the same six tasks, cold (an empty cache), as a command."""
    import os
    import subprocess
    import sys

    from embbench.records.record import load_records

    tasks = [arg for name in STS_TASKS for arg in ("-t", name)]
    command = [str(Path(sys.executable).with_name("embbench")), "run", "-p", "bert", *tasks, "--results",
               str(results), "--cache", str(cache)]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True)
    seconds = time.perf_counter() - start
    scores = {r.task: r.scores["cosine_spearman"] for r in load_records(results)}
    return {"seconds": seconds, "scores": scores}
