"""Side-by-side benchmarks: embbench against the tool a user would otherwise use, in one run on one machine.

    python benchmarks/run.py [--only load,analogy,similarity,weat,suite,scale] [--work DIR]

Each operation runs in a fresh process (time and peak memory are its own); results are printed as a
markdown table and written to benchmarks/results.md, which the README quotes. WEFE needs numpy<=1.26, so its
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
DATA = ROOT / "src" / "embbench" / "data"
SIMILARITY = ("ws353", "ws353-sim", "ws353-rel", "simlex999", "men", "rw", "simverb3500", "mturk287", "mturk771",
              "rg65", "mc30", "yp130", "semeval17")  # fmt: skip
ROWS: list[str] = []
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
    cache, results = work / "suite-cache", work / "suite-results"
    for folder in (cache, results):
        shutil.rmtree(folder, ignore_errors=True)
    cold_s, cold_mb, n = measure(cases.default_suite, results, cache, False)
    warm_s, *_ = measure(cases.default_suite, results, cache, False)
    rerun_s, *_ = measure(cases.default_suite, results, cache, True)
    row(f"default suite, cold ({n} pairs: trains every provider)", cold_s, None, "", f"peak RSS {cold_mb:.0f} MiB")
    row("default suite, warm rerun (finished pairs skipped)", warm_s, None, "", f"{100 * warm_s / cold_s:.1f}% of cold")
    row("default suite, --rerun with warm caches (fits and embeddings reused)", rerun_s, None, "",
        f"{100 * rerun_s / cold_s:.1f}% of cold")  # fmt: skip


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


BENCHES = {"load": bench_load, "analogy": bench_analogy, "similarity": bench_similarity, "weat": bench_weat,
           "debias": bench_debias, "suite": bench_suite, "scale": bench_scale}  # fmt: skip


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
