"""Reliability: bad input gets a located error (never a traceback), degenerate input a skip that says why, damaged
caches are rebuilt, concurrent loads all succeed, unreadable records are skipped by name; and fuzzing (Hypothesis)
of every user-file reader shows that nothing but a located EmbbenchError ever comes out."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import loaded, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embbench import run
from embbench.config import load_suite, parse_spec
from embbench.contract import Context, Provider, Task, TaskOutput
from embbench.errors import EmbbenchError
from embbench.hookspecs import hookimpl
from embbench.plugins import Registry
from embbench.providers._vectors import load_vectors
from embbench.records.record import load_records
from embbench.tasks._readers import read_labelled
from embbench.tasks.analogy import read_questions
from embbench.tasks.similarity import read_pairs

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SMALL = "cat 1 0 0.2\ndog 0.9 0.1 0.1\ncar 0 1 0.1\nbanana 0.1 0.2 1\nking 0.5 0.5 0\nqueen 0.4 0.6 0.1\n"


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and result.returncode in (1, 2), result.stderr


def test_folder_options_naming_files_fail_before_any_work(tmp_path) -> None:
    taken = tmp_path / "file.txt"
    taken.write_text("x")
    result = run_cli("run", "-p", "glove", "-t", "mc30", "--results", str(taken))
    no_traceback(result)
    assert f"ERROR: --results: {taken} is a file, not a folder" in result.stderr
    result = run_cli("run", "-p", "glove", "-t", "mc30", "--results", str(taken / "sub"))
    assert f"ERROR: --results: {taken} is a file, not a folder" in result.stderr
    (tmp_path / "r").mkdir()
    result = run_cli("leaderboard", "--results", str(tmp_path / "r"), "--out", str(taken))
    no_traceback(result)
    assert "ERROR: --out:" in result.stderr


def test_a_missing_record_is_a_located_error(tmp_path) -> None:
    result = run_cli("show", str(tmp_path / "nothing.json"))
    no_traceback(result)
    assert f"ERROR: {tmp_path / 'nothing.json'}: cannot read the record: No such file or directory" in result.stderr


def test_suite_folder_and_non_utf8_suite_are_located_errors(tmp_path) -> None:
    result = run_cli("run", "--suite", str(tmp_path))
    no_traceback(result)
    assert f"ERROR: {tmp_path}: is a folder, not a file" in result.stderr
    latin = tmp_path / "suite.toml"
    latin.write_bytes('providers = ["glove"]\n# caf\xe9\ntasks = ["mc30"]\n'.encode("latin-1"))
    result = run_cli("run", "--suite", str(latin))
    assert f"ERROR: {latin}:2: not UTF-8 text" in result.stderr
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('providers = "glove"\ntasks = [3]\n')
    with pytest.raises(EmbbenchError, match=r"at providers: Input should be a valid list"):
        load_suite(wrong)


def test_bom_and_crlf_datasets_keep_every_item(tmp_path, registry, context, glove) -> None:
    plain = tmp_path / "plain.tsv"
    plain.write_text("cat\tdog\t9\ncar\tbanana\t1\nking\tqueen\t8\n")
    excel = tmp_path / "excel.tsv"
    excel.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes().replace(b"\n", b"\r\n"))
    assert read_pairs(excel) == read_pairs(plain) and len(read_pairs(excel)) == 3
    categories = tmp_path / "cats.tsv"
    categories.write_bytes(b"\xef\xbb\xbfword\tcategory\r\ncat\tanimal\r\ndog\tanimal\r\n")
    assert read_labelled(categories, ("word", "category")) == [("cat", "animal"), ("dog", "animal")]


def test_weat_and_bias_files_are_validated_with_json_paths(tmp_path, registry, context) -> None:
    weat = tmp_path / "weat.json"
    test = {"first_target": ["a", "b"], "second_target": {"words": ["c", "d"]},
            "first_attribute": {"words": ["e", "f"]}, "second_attribute": {"words": ["g"]}}  # fmt: skip
    weat.write_text(json.dumps([test]))
    task = registry.make_task(f"weat:path={weat}")
    with pytest.raises(EmbbenchError) as info:
        task.load(context)
    assert info.value.where == str(weat)
    assert "at [0].first_target: Input should be a valid dictionary" in info.value.what
    assert "at [0].second_attribute.words: List should have at least 2 items" in info.value.what
    bias = tmp_path / "bias.json"
    bias.write_text(json.dumps({"gender": {"definitional_pairs": [["she", "he", "it"]], "professions": ["nurse"]}}))
    with pytest.raises(EmbbenchError, match=r"at gender\.definitional_pairs\[0\]: Tuple should have at most 2 items"):
        registry.make_task(f"direct-bias:path={bias}").load(context)


def test_professions_as_plain_words_are_words(tmp_path, registry, context, glove) -> None:
    pairs = [["woman", "man"], ["girl", "boy"], ["she", "he"], ["mother", "father"]]
    scores = []
    for professions in (["nurse", "engineer", "teacher"], [["nurse", 0.1], ["engineer", 0.2], ["teacher", 0]]):
        path = tmp_path / f"bias{len(scores)}.json"
        path.write_text(json.dumps({"gender": {"definitional_pairs": pairs, "professions": professions}}))
        task = registry.make_task(f"direct-bias:path={path}")
        task.load(context)
        assert task.neutral_ == ["nurse", "engineer", "teacher"]
        scores.append(task.evaluate(glove).scores["direct_bias"])
    assert scores[0] == scores[1]


def test_degenerate_inputs_are_skipped_records_that_say_why(tmp_path, registry, cache_dir) -> None:
    two = tmp_path / "two.tsv"
    two.write_text("cat\tdog\t9\ncar\tbanana\t1\n")
    weat = tmp_path / "same.json"
    same = {"words": ["doctor", "nurse", "engineer"]}
    test = {"first_target": same, "second_target": same, "first_attribute": {"words": ["he", "man"]},
            "second_attribute": {"words": ["she", "woman"]}}  # fmt: skip
    weat.write_text(json.dumps([test]))
    records = run(["glove"], [f"word-similarity:path={two}", f"weat:path={weat}"], tmp_path / "r", registry=registry,
                  cache_dir=cache_dir)  # fmt: skip
    by_type = {r.task_config.get("path"): r for r in records}
    assert by_type[str(two)].status == "skipped" and "a rank correlation needs at least 3" in by_type[str(two)].error
    assert (by_type[str(two)].n_items, by_type[str(two)].n_scored, by_type[str(two)].coverage) == (2, 2, 1.0)
    assert by_type[str(weat)].status == "skipped"
    assert "first_target and second_target are identical" in by_type[str(weat)].error


class NoValueTask(Task):
    """A plugin task that returns no value for its main score."""

    name = "no-value"
    main_score = "accuracy"

    def evaluate(self, provider: Provider) -> TaskOutput:
        return TaskOutput({"accuracy": None}, n_items=3, n_scored=3)


class NoValuePlugin:
    @hookimpl
    def register_tasks(self, register) -> None:
        register(NoValueTask)


def test_an_undefined_main_score_is_a_skipped_record_never_an_empty_ok(tmp_path, cache_dir) -> None:
    """Constant human scores, constant cosines (one-hot words are orthogonal: every pair's cosine is 0) and a task
    that returns no main value are skipped with the reason, not ok records without a number."""
    flat = tmp_path / "flat.tsv"
    flat.write_text("cat\tdog\t5\ncar\tbanana\t5\nsun\tmoon\t5\n")
    registry = Registry.load(extra=[NoValuePlugin()])
    records = run(["glove", "onehot:max_vocab=5000"], [f"word-similarity:path={flat}", "mc30", "no-value"],
                  tmp_path / "r", registry=registry, cache_dir=cache_dir)  # fmt: skip
    by_pair = {(r.provider, r.task_config.get("path") or r.task): r for r in records}
    assert by_pair["glove", str(flat)].status == "skipped"
    assert (
        by_pair["glove", str(flat)].error
        == "all 3 covered pairs have the same human score (5), so a rank correlation is undefined"
    )
    assert by_pair["onehot", "mc30"].status == "skipped"
    assert "covered pairs have the same cosine (0)" in by_pair["onehot", "mc30"].error
    onehot = by_pair["onehot", "mc30"]  # a skipped record still says how many items it covered
    assert onehot.n_items == 30 and 3 <= onehot.n_scored < 30 and onehot.coverage == onehot.n_scored / 30
    assert by_pair["glove", "mc30"].status == "ok" and by_pair["glove", "mc30"].main_value is not None
    assert by_pair["glove", "no-value"].status == "skipped"
    assert by_pair["glove", "no-value"].error == "the task gave no value for its main score 'accuracy'"
    assert (by_pair["glove", "no-value"].n_items, by_pair["glove", "no-value"].coverage) == (3, 1.0)
    assert all(r.main_value is not None for r in records if r.status == "ok")


def test_a_damaged_vector_cache_is_reported_and_rebuilt(tmp_path, caplog) -> None:
    path = tmp_path / "v.txt"
    path.write_text(SMALL)
    first = np.array(load_vectors(path, cache_dir=tmp_path / "cache")[0].matrix)  # a copy: the cache is damaged next
    entry = next((tmp_path / "cache" / "vectors").iterdir())
    data = (entry / "vectors.npy").read_bytes()
    (entry / "vectors.npy").write_bytes(data[: len(data) - 8])  # truncated
    again, _ = load_vectors(path, cache_dir=tmp_path / "cache")
    assert "is damaged" in caplog.text and "rebuilding it" in caplog.text
    np.testing.assert_array_equal(np.asarray(again.matrix), first)
    caplog.clear()
    load_vectors(path, cache_dir=tmp_path / "cache")
    assert caplog.text == ""  # rebuilt once, whole since


def test_a_damaged_embedding_cache_entry_is_recomputed(tmp_path, registry, caplog) -> None:
    from embbench.running.embedding_cache import CachingProvider

    glove = Context(tmp_path, registry).make_provider("glove")
    cached = CachingProvider(glove, tmp_path / "emb")
    texts = [f"word {i} king" for i in range(80)]
    first = cached.embed(texts)
    (entry,) = (tmp_path / "emb").iterdir()
    entry.write_bytes(entry.read_bytes()[:100])
    np.testing.assert_array_equal(cached.embed(texts), first)
    assert "is damaged" in caplog.text


def test_tasks_sharing_sentences_embed_each_distinct_sentence_once(tmp_path, registry, context, glove) -> None:
    """The embedding cache is keyed by text: STS Benchmark's test pairs come from the SemEval STS years, so the
    sentences sts14 shares with stsb come from the cache, and the provider embeds only the others."""
    from embbench.running.embedding_cache import CachingProvider

    stsb, sts14 = loaded(registry, context, "stsb"), loaded(registry, context, "sts14")
    cached = CachingProvider(glove, tmp_path / "emb")
    stsb.evaluate(cached)
    first, stsb_texts = cached.texts_embedded, _sentences(stsb)
    assert first == len(stsb_texts)
    sts14_result = sts14.evaluate(cached)
    sts14_texts = _sentences(sts14)
    shared = stsb_texts & sts14_texts
    assert len(shared) > 100 and cached.texts_embedded - first == len(sts14_texts - shared)
    assert sts14_result.scores == sts14.evaluate(glove).scores  # the same numbers as without the cache
    again = CachingProvider(glove, tmp_path / "emb")  # a later run: everything from the cache, the same vectors
    texts = sorted(sts14_texts)
    np.testing.assert_array_equal(again.embed(texts), glove.embed(texts))
    assert again.texts_embedded == 0


def _sentences(task) -> set[str]:
    return set(task.columns_["sentence1"]) | set(task.columns_["sentence2"])


def test_work_folders_of_dead_processes_are_removed(tmp_path) -> None:
    from embbench._util.atomic import work_folder

    target = tmp_path / "entry"
    stale = tmp_path / "entry.tmp-999999999-abc"  # no such process
    stale.mkdir()
    mine = tmp_path / f"entry.tmp-{os.getpid()}-def"
    mine.mkdir()
    work_folder(target)
    assert not stale.exists() and mine.exists()


def _load(path: str, cache: str) -> list[float]:
    vectors, _ = load_vectors(path, cache_dir=Path(cache))
    return np.asarray(vectors.matrix).ravel().tolist()


def test_concurrent_loads_of_one_new_file_all_succeed(tmp_path) -> None:
    path = tmp_path / "v.txt"
    rng = np.random.default_rng(0)
    path.write_text("".join(f"w{i} " + " ".join(f"{v:.5f}" for v in rng.normal(size=20)) + "\n" for i in range(20000)))
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        loaded = pool.starmap(_load, [(str(path), str(tmp_path / "cache"))] * 3)
    assert loaded[0] == loaded[1] == loaded[2]
    assert len(list((tmp_path / "cache" / "vectors").iterdir())) == 1  # one entry, no leftovers


class SlowCountingProvider(Provider):
    """Takes a while to embed, and leaves one line in ``log`` per call."""

    name = "slow-counting"

    def __init__(self, log: Path) -> None:
        super().__init__()
        self.log = log

    def embed(self, texts):
        with open(self.log, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        time.sleep(0.5)
        return np.ones((len(texts), 3), dtype=np.float32)


def _embed(folder: str, log: str) -> float:
    from embbench.running.embedding_cache import CachingProvider

    return float(
        CachingProvider(SlowCountingProvider(Path(log)), Path(folder)).embed([f"t{i}" for i in range(100)]).sum()
    )


def test_processes_needing_the_same_embeddings_at_once_compute_them_once(tmp_path) -> None:
    log = tmp_path / "calls.log"
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        sums = pool.starmap(_embed, [(str(tmp_path / "embeddings"), str(log))] * 3)
    assert sums == [300.0] * 3
    assert len(log.read_text().splitlines()) == 1  # the other two waited for it and read it from the cache


def _critical_sections(target: str, inside: str, rounds: int) -> int:
    """Enter ``built_once(target)`` ``rounds`` times; count the times another process was inside at once."""
    from embbench._util.atomic import built_once

    overlaps = 0
    for _ in range(rounds):
        with built_once(Path(target)):
            try:
                os.close(os.open(inside, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                overlaps += 1
                continue
            time.sleep(0.01)
            os.unlink(inside)
    return overlaps


def test_entry_locks_exclude_each_other_and_leave_no_files(tmp_path, monkeypatch) -> None:
    """Each holder removes its lock file before letting go; a process that was waiting on the removed file must
    not then share the section with one that locked the new file."""
    locks = tmp_path / "tmp"
    locks.mkdir()
    monkeypatch.setenv("TMPDIR", str(locks))  # the spawned processes' temporary folder
    args = (str(tmp_path / "entry"), str(tmp_path / "inside"), 40)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert pool.starmap(_critical_sections, [args] * 4) == [0] * 4
    assert list((locks / "embbench-locks").iterdir()) == []


def test_fasttext_caches_hold_no_pickles(registry, cache_dir) -> None:
    from gensim.test.utils import datapath

    Context(cache_dir, registry).make_provider(f"fasttext:path={datapath('lee_fasttext.bin')}")
    folders = list((cache_dir / "fitted" / "fasttext").iterdir())
    assert folders
    for folder in folders:
        suffixes = {p.suffix for p in folder.iterdir()}
        assert suffixes <= {".npy", ".json", ".txt"}, suffixes
        for array in folder.glob("*.npy"):
            np.load(array, allow_pickle=False)


def test_unreadable_records_are_skipped_by_name_and_outputs_never_read_back(tmp_path, registry, cache_dir) -> None:
    results = tmp_path / "results"
    run(["glove"], ["mc30", "rg65"], results, registry=registry, cache_dir=cache_dir)
    for record in results.glob("*.json"):
        assert stat.S_IMODE(record.stat().st_mode) & 0o044 == 0o044  # readable by others, not 0600
    broken = results / "glove__ws353__0123456789abcdef.json"
    broken.write_text("{not json")
    out = results / "board"  # inside the results folder
    for _ in range(2):
        made = run_cli("leaderboard", "--results", str(results), "--out", str(out), "--format", "md,json")
        assert made.returncode == 0, made.stderr
        assert f"WARNING: skipped {broken}" in made.stderr
    assert len(load_records(results)) == 2


@FUZZ
@given(st.text(max_size=60))
def test_fuzz_spec_strings(text) -> None:
    try:
        spec = parse_spec(text)
    except EmbbenchError as exc:
        assert exc.where
        return
    assert spec.name


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_dataset_readers(tmp_path, data) -> None:
    path = tmp_path / "data.tsv"
    path.write_bytes(data)
    for reader in (read_pairs, read_questions, lambda p: read_labelled(p, ("word", "category"))):
        try:
            reader(path)
        except EmbbenchError as exc:
            assert str(path) in str(exc)


@FUZZ
@given(
    st.lists(st.lists(st.sampled_from(["w", "x", "1", "-2.5", "nan", "", "3e2", "é", "\t"]), max_size=6), max_size=6)
)
def test_fuzz_vector_files(tmp_path, rows) -> None:
    path = tmp_path / "v.txt"
    path.write_text("\n".join(" ".join(row) for row in rows), encoding="utf-8")
    try:
        vectors, _ = load_vectors(path, cache_dir=tmp_path / "cache")
    except EmbbenchError as exc:
        assert str(path) in str(exc)
        return
    assert np.isfinite(np.asarray(vectors.matrix)).all() and len(vectors.words) == len(set(vectors.words))


@FUZZ
@given(st.text(max_size=120))
def test_fuzz_suite_files(tmp_path, text) -> None:
    path = tmp_path / "suite.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_suite(path)
    except EmbbenchError as exc:
        assert str(path) in str(exc)
