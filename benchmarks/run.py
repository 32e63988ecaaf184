"""Side-by-side benchmarks: embbench against the tool a user would otherwise use, in one run on one machine.

    python benchmarks/run.py [--only startup,sts,retrieval,load,analogy,similarity,interval,classification,weat,
                                     debias,suite,board,scale] [--work DIR]

Each operation runs in a fresh process (time and peak memory are its own); results are printed as a
markdown table and written to benchmarks/results.md, which the docs include; the cold default suite's time
breakdown, from its records, goes to benchmarks/suite-profile.md. WEFE needs numpy<=1.26, so its
side runs in its own environment first (``tox -e bench-wefe``) and leaves ``<work>/wefe.json`` for this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import cases
from measure import measure

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tasks"
SIMILARITY = tuple(sorted(p.stem for p in (DATA / "word-similarity").glob("*.toml")))
ROWS: list[str] = []
PROFILE = ROOT / "benchmarks" / "suite-profile.md"
HEADER = ["| operation | embbench | alternative | ratio | notes |", "|---|---:|---:|---:|---|"]


def row(what: str, embbench: float, other: float | None, other_name: str, note: str) -> None:
    ratio = f"**{other / embbench:.1f}x** faster" if other else "–"
    other_cell = f"{other:.2f} s ({other_name})" if other else "–"
    line = f"| {what} | {embbench:.3f} s | {other_cell} | {ratio} | {note} |"
    ROWS.append(line)
    print(line, flush=True)


def bench_load(work: Path) -> None:
    text = work / "glove.6B.50d.txt"
    if not text.exists():
        measure(cases.write_glove_text, text)
    cache = work / "load-cache"
    shutil.rmtree(cache, ignore_errors=True)
    gensim_s, gensim_mb, n_gensim = measure(cases.gensim_load, text)
    first_s, first_mb, n_first = measure(cases.embbench_load, text, cache)
    cached_s, cached_mb, n_cached = measure(cases.embbench_load, text, cache)
    assert n_gensim == n_first == n_cached == 400_000
    size = text.stat().st_size / 2**20
    row(f"load GloVe 6B 50d text (400,000 x 50, {size:.0f} MiB), first time", first_s, gensim_s,
        "gensim load_word2vec_format", f"peak RSS {first_mb:.0f} MiB vs {gensim_mb:.0f} MiB")  # fmt: skip
    row("load the same file again (embbench's memory-mapped cache)", cached_s, gensim_s,
        "gensim load_word2vec_format", f"peak RSS {cached_mb:.0f} MiB")  # fmt: skip


def bench_analogy(work: Path) -> None:
    questions = DATA / "analogy" / "google.txt"
    restrict = 300_000
    gensim_s, gensim_mb, gensim_acc = measure(cases.gensim_analogy, questions, restrict)
    for spec, label in ((f"google:protocol=gensim,restrict_vocab={restrict}", "protocol=gensim (top-5 rule)"),
                        (f"google:methods=3cosadd,restrict_vocab={restrict}", "3CosAdd")):  # fmt: skip
        _, mb, result = measure(cases.embbench_task, spec)
        same = "same accuracy" if abs(result["3cosadd"] - gensim_acc) < 1e-12 else "DIFFERENT accuracy"
        ours = result["seconds_in_task"]
        row(f"analogy, Google 19,544 questions, GloVe 6B 50d, {restrict:,} words, {label}", ours,
            gensim_s, "gensim evaluate_word_analogies",
            f"{same} ({result['3cosadd']:.4f}); peak RSS {mb:.0f} MiB vs {gensim_mb:.0f} MiB")  # fmt: skip
    _, _, floor = measure(cases.matmul_floor, restrict, 19_544)
    row("the floor: the one (300,000 x 50) x (50 x 19,544) product, blocked, nothing else", floor, None, "",
        f"3CosAdd above takes {ours / floor:.1f}x this")  # fmt: skip
    _, mb, both = measure(cases.embbench_task, "google")
    _, _, three = measure(cases.three_products, 400_000, 19_544)
    row(
        "analogy, the default `google` task: 3CosAdd and 3CosMul over all 400,000 GloVe words",
        both["seconds_in_task"],
        None,
        "",
        f"{both['seconds_in_task'] / three:.2f}x the time of three (400,000 x 50) x (50 x 19,544) products "
        f"({three:.1f} s in this run); accuracy {both['3cosadd']:.4f} / {both['3cosmul']:.4f}; peak RSS {mb:.0f} MiB",
    )


def bench_similarity(work: Path) -> None:
    from embbench.tasks.similarity import read_pairs

    files = []
    for name in SIMILARITY:
        path = work / f"{name}.tsv"  # gensim reads exactly word1<TAB>word2<TAB>score
        path.write_text(
            "".join(f"{a}\t{b}\t{s!r}\n" for a, b, s in read_pairs(DATA / "word-similarity" / f"{name}.tsv"))
        )
        files.append(str(path))
    _, _, gensim = measure(cases.gensim_similarity, files)
    _, _, ours = measure(cases.embbench_similarity, list(SIMILARITY))
    same = all(abs(a - b) < 1e-12 for a, b in zip(gensim["scores"], ours["scores"], strict=True))
    note = "same Spearman on all 13" if same else "DIFFERENT Spearman"
    row("word similarity, all 13 sets, GloVe 6B 50d, protocol=gensim (vectors already in memory)", ours["seconds"],
        gensim["seconds"], "gensim evaluate_word_pairs", note)  # fmt: skip


def bench_classification(work: Path) -> None:
    features, labels = work / "onehot-mr.npy", work / "mr-labels.npy"
    cache = work / "classification-cache"
    _, _, ours = measure(cases.embbench_classification, "onehot:max_vocab=5000", "mr", cache, features, labels)
    _, _, theirs = measure(cases.nested_cv_sklearn, features, labels)
    row("classification, MR (10,605 sentences), one-hot 5,000 words, nested CV (5 x 3 folds, 4 C values)",
        ours["seconds"], theirs["seconds"], "scikit-learn LogisticRegressionCV on dense features",
        f"accuracy {ours['accuracy']:.4f} vs {theirs['accuracy']:.4f}")  # fmt: skip


def bench_interval(work: Path) -> None:
    for pairs in (30, 3_000):
        _, _, ours = measure(cases.similarity_interval, pairs, False)
        _, _, theirs = measure(cases.similarity_interval, pairs, True)
        same = "same interval" if np.allclose(ours["interval"], theirs["interval"], atol=1e-12) else "DIFFERENT"
        row(f"bootstrap interval of Spearman, {pairs:,} pairs, 1,000 resamples", ours["seconds"], theirs["seconds"],
            "scipy spearmanr per resample",
            f"{same}; loading the compiled kernel, once per process, took {ours['load_seconds']:.2f} s")  # fmt: skip
    _, mb, ours = measure(cases.similarity_interval, 1_000_000, False)
    row("bootstrap interval of Spearman, 1,000,000 pairs, 1,000 resamples", ours["seconds"], None, "",
        f"peak RSS {mb:.0f} MiB")  # fmt: skip


def bench_weat(work: Path) -> None:
    seconds, _, result = measure(cases.embbench_weat, 100_000)
    wefe = work / "wefe.json"
    if wefe.exists():
        data = json.loads(wefe.read_text())
        other = data["seconds"]
        note = (f"WEFE: {data['ms_per_permutation']:.0f} ms per permutation; embbench ran {result['tests_run']} tests "
                f"x 100,000 permutations in the time WEFE needs for {data['permutations']:,} of one test")  # fmt: skip
        label = f"WEAT 1-10 ({result['tests_run']} run, max_missing=0.3), 100,000 true permutations each (embbench)"
        row(f"{label} vs WEAT 1 with 1,000 (WEFE)", seconds, other,
            "WEFE 1.0.1 WEAT, p_value_iterations=1000", note)  # fmt: skip
    else:
        row("WEAT 1-10, 100,000 true permutations each", seconds, None, "WEFE not run (tox -e bench-wefe)", "")


def bench_debias(work: Path) -> None:
    cache = work / "debias-cache"
    shutil.rmtree(cache, ignore_errors=True)
    seconds, mb, _ = measure(cases.embbench_debias, cache, work / "embbench_debias.npy")
    wefe = work / "wefe_debias.json"
    if not wefe.exists():
        row("hard debiasing, GloVe 6B 50d", seconds, None, "WEFE not run (tox -e bench-wefe)", f"peak RSS {mb:.0f} MiB")
        return
    ours, theirs = np.load(work / "embbench_debias.npy"), np.load(work / "wefe_debias.npy")
    cosine = np.sum(ours * theirs, axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
    note = (f"cosine between the two results per word: min {np.nanmin(cosine):.6f}, median {np.nanmedian(cosine):.6f},"
            f" {np.mean(cosine > 0.9999):.2%} above 0.9999; peak RSS {mb:.0f} MiB")  # fmt: skip
    row("hard debiasing (Bolukbasi 2016), GloVe 6B 50d, bundled lists", seconds,
        json.loads(wefe.read_text())["seconds"], "WEFE 1.0.1 HardDebias", note)  # fmt: skip


def bench_suite(work: Path) -> None:
    cache, folder = work / "suite-cache", work / "suite-run"
    for path in (cache, folder):
        shutil.rmtree(path, ignore_errors=True)
    folder.mkdir(parents=True)
    cold_s, _, cold = measure(cases.default_suite, folder, cache, False)
    warm_s, *_ = measure(cases.default_suite, folder, cache, False)
    rerun_s, *_ = measure(cases.default_suite, folder, cache, True)
    row(f"default suite, cold ({cold['pairs']} pairs: trains every provider, then writes the board), `embbench run`,"
        f" {os.cpu_count()} worker processes", cold_s, None, "",
        f"peak RSS of the largest process {cold['peak_mb']:.0f} MiB")  # fmt: skip
    row("default suite, warm rerun (finished pairs skipped)", warm_s, None, "", f"{100 * warm_s / cold_s:.1f}% of cold")
    row("default suite, --rerun with warm caches (fits and embeddings reused)", rerun_s, None, "",
        f"{100 * rerun_s / cold_s:.1f}% of cold")  # fmt: skip
    PROFILE.write_text(profile_markdown(cold["breakdown"], cold_s))


def bench_board(work: Path) -> None:
    results = work / "suite-run" / "leaderboards" / "default" / "results"
    if not results.exists():
        measure(cases.default_suite, results.parents[2], work / "suite-cache", False)
    seconds, mb, result = measure(cases.default_board, results, work / "board")
    row(f"leaderboard of the default suite ({result['records']} records: family means, paired tests, rank intervals,"
        " common items, the page)", seconds, None, "", f"peak RSS {mb:.0f} MiB")  # fmt: skip


def profile_markdown(breakdown: dict, wall: float) -> str:
    """The cold run's time per provider and per task family (core-seconds summed from its records)."""
    lines = [f"Cold default suite, {wall:.0f} s wall on {os.cpu_count()} cores; seconds summed from the records "
             "(the fit once per provider), so the rows add up to the cores' busy time, not the wall time."]  # fmt: skip
    for key, title in (("providers", "provider"), ("families", "task family")):
        lines += [
            "",
            f"| {title} | pairs | fit | embed | score | interval | total |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [f"| {r['name']} | {r['pairs']} | {r['fit']:.1f} | {r['embed']:.1f} | {r['score']:.1f} | "
                  f"{r['interval']:.1f} | {r['total']:.1f} |" for r in breakdown[key]]  # fmt: skip
    return "\n".join(lines) + "\n"


def bench_scale(work: Path) -> None:
    path = work / "scale-2.2Mx300.txt"
    if not path.exists():
        measure(cases.write_scale_file, path, 2_200_000, 300)
    cache = work / "scale-cache"
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir()
    seconds, mb, result = measure(cases.scale_run, path, cache, 1000)
    row(f"scale: {result['words']:,} x {result['dim']} text file ({path.stat().st_size / 2**30:.1f} GiB): load, "
        "2,000 similarity pairs, 1,000 analogies over the whole vocabulary", seconds, None, "",
        f"peak RSS {mb:.0f} MiB; load {result['load_seconds']:.0f} s, similarity {result['similarity_seconds']:.1f} s, "
        f"analogy {result['analogy_seconds']:.0f} s")  # fmt: skip


def bench_retrieval(work: Path) -> None:
    for documents in (100_000, 1_000_000):
        found = {tool: measure(cases.search_case, tool, documents)
                 for tool in ("embbench", "floor", "sentence-transformers", "faiss")}  # fmt: skip
        ours, floor = found["embbench"][2], found["floor"][2]["seconds"]
        agree = ours["top1"] == found["faiss"][2]["top1"] == found["sentence-transformers"][2]["top1"]
        same = "same top-1 ids" if agree else "DIFFERENT top-1 ids"
        note = f"{ours['seconds'] / floor:.2f}x the matrix-product floor ({floor:.2f} s)"
        note += f"; peak RSS {found['embbench'][1]:.0f} MiB"
        for tool in ("sentence-transformers", "faiss"):
            row(f"exact top-100 search, 1,000 queries x {documents:,} documents (384 dims)", ours["seconds"],
                found[tool][2]["seconds"], {"faiss": "FAISS IndexFlatIP", "sentence-transformers":
                "sentence-transformers semantic_search"}[tool], f"{same}; {note}")  # fmt: skip
    _, _, ours = measure(cases.ndcg_case, "embbench")
    _, _, theirs = measure(cases.ndcg_case, "pytrec_eval")
    same = (
        "same means"
        if abs(ours["ndcg"] - theirs["ndcg"]) < 1e-9 and abs(ours["map"] - theirs["map"]) < 1e-9
        else "DIFFERENT"
    )
    row("nDCG@10 and MAP@100 of 20,000 queries x 100 retrieved documents, graded judgements", ours["seconds"],
        theirs["seconds"], "pytrec_eval", same)  # fmt: skip


def bench_sts(work: Path) -> None:
    published = json.loads((ROOT / "tests" / "data" / "mteb-all-MiniLM-L6-v2-sts.json").read_text())["cosine_spearman"]
    for card in sorted((DATA / "sts").glob("*.toml")):
        _, _, ours = measure(cases.embbench_sts, card.stem)
        _, _, theirs = measure(cases.st_sts, DATA / "sts" / f"{card.stem}.tsv")
        mteb = f"; MTEB publishes {published[card.stem]:.6f}" if card.stem in published else ""
        row(f"STS {card.stem}, all-MiniLM-L6-v2 (`bert`), embedding included", ours["seconds"], theirs["seconds"],
            "sentence-transformers encode + scipy", f"cosine Spearman {ours['cosine_spearman']:.6f} vs"
            f" {theirs['cosine_spearman']:.6f}{mteb}")  # fmt: skip


def bench_mteb(work: Path) -> None:
    from embbench.integrations.mteb import mteb_name

    for path in (work / "mteb-results", work / "mteb-ours", work / "mteb-cache"):
        shutil.rmtree(path, ignore_errors=True)
    _, _, theirs = measure(cases.mteb_sts_suite, work / "mteb-results")
    _, _, ours = measure(cases.embbench_sts_suite, work / "mteb-ours", work / "mteb-cache")
    gap = max(abs(ours["scores"][name] - theirs["scores"][mteb_name(name)]) for name in cases.STS_TASKS)
    row("the six STS tasks (stsb, sick-r, sts13-16), all-MiniLM-L6-v2, cold: `embbench run -p bert`",
        ours["seconds"], theirs["seconds"], "mteb.evaluate, MTEB 2 tasks over the same files",
        f"cosine Spearman equal to within {gap:.1e} on all six; embbench embeds each distinct sentence"
        " once")  # fmt: skip


def bench_startup(work: Path) -> None:
    floor = cases.command_seconds([sys.executable, "-c", "pass"])
    for args, what in ((["--help"], "`embbench --help`"), (["list", "tasks"], "`embbench list tasks` (every plugin and"
                                                                                " task card loaded)")):  # fmt: skip
        seconds = cases.command_seconds([sys.executable, "-m", "embbench.cli", *args])
        row(f"start-up: {what}, median of 7 runs", seconds, None, "", f"the interpreter alone takes {floor:.3f} s")


BENCHES = {"startup": bench_startup, "mteb": bench_mteb, "sts": bench_sts, "retrieval": bench_retrieval,
           "load": bench_load, "analogy": bench_analogy, "similarity": bench_similarity, "interval": bench_interval,
           "classification": bench_classification, "weat": bench_weat, "debias": bench_debias, "suite": bench_suite,
           "board": bench_board, "scale": bench_scale}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated: " + ",".join(BENCHES))
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / ".work")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    store = args.out.with_suffix(".json")  # rows of earlier runs, so --only refreshes some and keeps the rest
    saved = json.loads(store.read_text()) if store.exists() else {}
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print("\n".join(HEADER))
    for name in args.only.split(","):
        ROWS.clear()
        BENCHES[name](args.work)
        saved[name] = {"rows": list(ROWS), "machine": machine}
    store.write_text(json.dumps(saved, indent=2))
    lines = [row for name in BENCHES if name in saved for row in saved[name]["rows"]]
    machines = sorted({saved[name]["machine"] for name in saved})
    intro = (f"Measured by `python benchmarks/run.py` on {', '.join(machines)}; each operation in its own process, "
             "embbench and the alternative in the same run.")  # fmt: skip
    args.out.write_text(intro + "\n\n" + "\n".join(HEADER + lines) + "\n")


if __name__ == "__main__":
    main()
