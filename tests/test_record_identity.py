"""Trustworthy records: identity (versions, input fingerprints), staleness with reasons, no lost work,
distinct labels, exact word lookups, explicit coverage, per-item outputs, environment and reproduction."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from scipy import stats

from embbench import Provider, RunOptions, run
from embbench.config import parse_spec
from embbench.contract import Context
from embbench.errors import ConfigErrors, EmbbenchError
from embbench.hookspecs import hookimpl
from embbench.plugins import Registry
from embbench.publish.board import build_board
from embbench.records.items import read_items
from embbench.records.record import load_records
from embbench.running.planning import Planned, assign_labels, plan
from embbench.stats.bootstrap import bootstrap_ci
from embbench.tasks._embedding import embed_checked
from embbench.tasks.similarity import WordSimilarity

PAIRS = "word1\tword2\tscore\ncat\tdog\t9\ncar\tbanana\t1\nking\tqueen\t8\ncat\tcar\t3\n"


def vector_file(path: Path, rows: dict[str, list[float]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{w} {' '.join(map(str, v))}\n" for w, v in rows.items()), encoding="utf-8")
    return path


SMALL = {"cat": [1, 0, 0.2], "dog": [0.9, 0.1, 0.1], "car": [0, 1, 0.1], "banana": [0.1, 0.2, 1],
         "king": [0.5, 0.5, 0], "queen": [0.4, 0.6, 0.1]}  # fmt: skip


@pytest.fixture
def pairs(tmp_path: Path) -> str:
    path = tmp_path / "pairs.tsv"
    path.write_text(PAIRS)
    return f"word-similarity:path={path}"


def test_replaced_vector_file_is_redone_and_says_why(tmp_path, pairs, registry, cache_dir) -> None:
    vec = vector_file(tmp_path / "v.txt", SMALL)
    notes: list[str] = []
    first = run([f"glove:path={vec}"], [pairs], tmp_path / "r", registry=registry, cache_dir=cache_dir)[0]
    assert first.provider_inputs["vector file"] == __import__("hashlib").sha256(vec.read_bytes()).hexdigest()
    same = run([f"glove:path={vec}"], [pairs], tmp_path / "r", registry=registry, cache_dir=cache_dir,
               on_note=notes.append)[0]  # fmt: skip
    assert same.created == first.created and notes == []
    vector_file(vec, {**SMALL, "car": [1, 0, 0.3]})  # same path, same size class, new content
    again = run([f"glove:path={vec}"], [pairs], tmp_path / "r", registry=registry, cache_dir=cache_dir,
                on_note=notes.append)[0]  # fmt: skip
    assert notes == ["glove(path=v.txt) × word-similarity(path=pairs.tsv): stale: vector file changed"]
    assert again.scores["spearman"] != first.scores["spearman"]  # the new file was read, not the old cache
    assert again.provider_inputs != first.provider_inputs


def test_changed_task_version_is_redone(tmp_path, pairs, registry, cache_dir, monkeypatch) -> None:
    first = run(["glove"], [pairs], tmp_path, registry=registry, cache_dir=cache_dir)[0]
    assert first.task_version == WordSimilarity.version and first.schema_version == 2
    notes: list[str] = []
    monkeypatch.setattr(WordSimilarity, "version", WordSimilarity.version + 1)
    again = run(["glove"], [pairs], tmp_path, registry=registry, cache_dir=cache_dir, on_note=notes.append)[0]
    assert notes == [f"glove × word-similarity(path=pairs.tsv): stale: task version {first.task_version} -> "
                     f"{first.task_version + 1}"]  # fmt: skip
    assert again.task_version == first.task_version + 1 and again.created >= first.created


def test_a_changed_base_version_redoes_its_transforms(tmp_path, pairs, registry, cache_dir, monkeypatch) -> None:
    """A transform's identity holds its base's class version: a fix to the base redoes the transform's records
    (and its cached fit), though the transform's own version and the base's files are unchanged."""
    vec = vector_file(tmp_path / "v.txt", SMALL)
    spec = f"postprocess:base=glove:path={vec},method=center"
    first = run([spec], [pairs], tmp_path / "r", registry=registry, cache_dir=cache_dir)[0]
    glove = type(registry.make_provider("glove"))
    assert first.status == "ok" and first.provider_inputs["base version"] == f"glove {glove.version}"
    monkeypatch.setattr(glove, "version", glove.version + 1)
    notes: list[str] = []
    again = run([spec], [pairs], tmp_path / "r", registry=registry, cache_dir=cache_dir, on_note=notes.append)[0]
    assert notes == [
        "postprocess(base=glove(path=v.txt), method=center) × word-similarity(path=pairs.tsv): "
        "stale: base version changed"
    ]  # a base's path is shortened as a provider's own path is
    assert again.provider_inputs["base version"] == f"glove {glove.version}"
    assert again.provenance["from_cache"] is False  # the transform was fitted again, not taken from its cache


def test_replaced_fasttext_bin_is_used_under_the_same_path(tmp_path, registry, cache_dir) -> None:
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model
    from gensim.test.utils import common_texts

    path = tmp_path / "model.bin"
    vectors = []
    for seed in (1, 2):
        model = FastText(common_texts, vector_size=8, min_count=1, epochs=2, seed=seed, workers=1, bucket=1000)
        save_facebook_model(model, str(path))
        provider = registry.make_provider(f"fasttext:path={path}")
        provider.fit(Context(cache_dir, registry))
        vectors.append(provider.embed(["computer"])[0])
        np.testing.assert_allclose(vectors[-1], model.wv["computer"], rtol=1e-6)
    assert not np.allclose(vectors[0], vectors[1])


def test_fingerprints_are_remembered_by_stat_and_redone_when_the_file_changes(tmp_path, monkeypatch) -> None:
    import embbench._util.hashing as hashing

    calls = []
    real = hashing.sha256_file
    monkeypatch.setattr(hashing, "sha256_file", lambda p: calls.append(p) or real(p))
    monkeypatch.setattr(hashing, "_MEMO", {})
    path = tmp_path / "f.txt"
    path.write_text("one")
    first = hashing.fingerprint(path, tmp_path / "memo")
    monkeypatch.setattr(hashing, "_MEMO", {})  # a new process: only the memo folder remains
    assert hashing.fingerprint(path, tmp_path / "memo") == first and len(calls) == 1
    path.write_text("two")
    assert hashing.fingerprint(path, tmp_path / "memo") != first and len(calls) == 2


def test_moved_vector_file_is_a_planning_error_and_keeps_the_record(tmp_path, pairs, registry, cache_dir) -> None:
    vec = vector_file(tmp_path / "v.txt", SMALL)
    first = run([f"glove:path={vec}"], [pairs], tmp_path / "r", registry=registry, cache_dir=cache_dir)[0]
    vec.rename(tmp_path / "moved.txt")
    with pytest.raises(ConfigErrors, match="provider 'glove' option 'path': vector file not found"):
        run([f"glove:path={vec}"], [pairs], tmp_path / "r", registry=registry, cache_dir=cache_dir, rerun=True)
    assert load_records(tmp_path / "r") == [first]
    result = run_cli("run", "-p", f"glove:path={vec}", "-t", pairs, "--results", str(tmp_path / "r"), "--rerun")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"ERROR: provider 'glove' option 'path': vector file not found: {vec}" in result.stderr


def test_a_failing_rerun_keeps_the_finished_ok_record(tmp_path, pairs, registry, cache_dir) -> None:
    vec = vector_file(tmp_path / "v.txt", SMALL)
    first = run([f"glove:path={vec}"], [pairs], tmp_path / "r", registry=registry, cache_dir=cache_dir)[0]
    vec.write_text("cat 1 2 3\ndog 1 x 3\n")  # now unreadable: the fit fails
    failures = []
    kept = run([f"glove:path={vec}"], [pairs], tmp_path / "r", registry=registry, cache_dir=cache_dir,
               on_failure=lambda failed, old: failures.append((failed, old)))[0]  # fmt: skip
    assert kept == first and load_records(tmp_path / "r") == [first]
    assert kept.reused and not first.reused  # equal records; only the rerun says it kept this one
    assert failures[0][0].status == "error" and "is not a number" in failures[0][0].error
    result = run_cli("run", "-p", f"glove:path={vec}", "-t", pairs, "--results", str(tmp_path / "r"))
    assert result.returncode == 1 and "(kept the ok record of" in result.stderr
    assert load_records(tmp_path / "r") == [first]


def test_two_files_with_one_name_get_distinct_labels(tmp_path, pairs, registry, cache_dir) -> None:
    a, b = vector_file(tmp_path / "a" / "vec.txt", SMALL), vector_file(tmp_path / "b" / "vec.txt", SMALL)
    specs = [f"glove:path={a}", f"glove:path={b}", f"postprocess:base=[glove:path={a}]",
             f"postprocess:base=glove:path={b}"]  # fmt: skip
    records = run(specs, [pairs], tmp_path / "r", registry=registry, cache_dir=cache_dir)
    assert sorted(r.provider_label for r in records) == [
        "glove(path=a/vec.txt)", "glove(path=b/vec.txt)",
        "postprocess(base=glove(path=a/vec.txt))", "postprocess(base=glove(path=b/vec.txt))"]  # fmt: skip
    assert len(build_board(records).providers) == 4


def test_labels_fall_back_to_a_short_hash() -> None:
    class Fake:
        def __init__(self, value):
            self.options = type("O", (), {"model_dump": lambda self, mode: {"x": value}})()

    planned = [Planned(parse_spec("p:path=same"), Fake(1)), Planned(parse_spec("p:path=same"), Fake(2))]
    assign_labels(planned)
    assert planned[0].label != planned[1].label and planned[0].label.startswith("p(path=same) #")


def test_same_labels_from_different_configurations_are_an_error(tmp_path, pairs, registry, cache_dir) -> None:
    a, b = vector_file(tmp_path / "a" / "vec.txt", SMALL), vector_file(tmp_path / "b" / "vec.txt", SMALL)
    run([f"glove:path={a}"], [pairs], tmp_path / "r1", registry=registry, cache_dir=cache_dir)
    run([f"glove:path={b}"], [pairs], tmp_path / "r2", registry=registry, cache_dir=cache_dir)
    for path in (tmp_path / "r2").iterdir():
        shutil.copy(path, tmp_path / "r1")
    with pytest.raises(EmbbenchError, match=r"glove\(path=vec.txt\) × word-similarity\(path=pairs.tsv\).* and "):
        build_board(load_records(tmp_path / "r1"))


def test_word_tasks_look_up_whole_vocabulary_entries(tmp_path, registry, cache_dir, glove) -> None:
    entries = {"short-term": [1, 0], "short": [0, 1], "term": [0, 1], "new_york": [1, 1], "new": [0, 1],
               "york": [1, 0], "Paris": [2, 0], "long": [1, 0.1]}  # fmt: skip
    vec = vector_file(tmp_path / "v.txt", entries)
    provider = registry.make_provider(f"glove:path={vec}").fit(Context(cache_dir, registry))
    words, covered = provider.embed_words(["short-term", "new_york", "Paris", "paris", "long-term"])
    assert covered.all()
    np.testing.assert_allclose(words, [[1, 0], [1, 1], [2, 0], [2, 0], [0.5, 0.55]])  # long-term: pooled pieces
    # sentences keep pooling tokens
    np.testing.assert_array_equal(provider.embed(["short-term"])[0], [0, 1])
    # on GloVe 6B, a hyphenated entry is its own vector, not the mean of its parts
    vectors = glove.word_vectors()
    row = vectors.index["short-term"]
    np.testing.assert_array_equal(glove.embed_words(["short-term"]).vectors[0], vectors.dense_rows([row])[0])


def test_a_zero_vector_is_a_vector(registry, cache_dir, tmp_path) -> None:
    class Relu(Provider):
        name = "relu"

        def embed(self, texts):
            return np.array([[0.0, 0.0] if len(t) % 2 else [1.0, 2.0] for t in texts], dtype=np.float32)

    class Plugin:
        @hookimpl
        def register_providers(self, register):
            register(Relu)

    registry = Registry.load(extra=[Plugin()])
    provider = registry.make_provider("relu")
    vectors, covered = embed_checked(provider, ["odd", "even"])
    assert covered.all() and not vectors[0].any()
    path = tmp_path / "texts.tsv"
    path.write_text("label\ttext\n" + "".join(f"{c}\t{c} text {i}{'x' * (i % 2)}\n" for c in "ab" for i in range(6)))
    record = run(["relu"], [f"classification:path={path},folds=2,inner_folds=2"], tmp_path / "r", registry=registry,
                 cache_dir=cache_dir)[0]  # fmt: skip
    assert record.status == "ok" and record.coverage == 1.0


def test_items_are_stored_beside_the_record_and_give_its_interval(tmp_path, registry, cache_dir) -> None:
    record = run(["glove"], ["rg65"], tmp_path, registry=registry, cache_dir=cache_dir)[0]
    items = read_items(record)
    assert record.items_file and (tmp_path / record.items_file).is_file()
    assert list(items.columns[:3]) == ["id", "word1", "word2"] and len(items) == record.n_items == 65
    covered = items[items["covered"]]
    assert stats.spearmanr(covered["gold"], covered["cosine"]).statistic == pytest.approx(record.main_value)
    gold, cosine = covered["gold"].to_numpy(), covered["cosine"].to_numpy()
    expected = bootstrap_ci(lambda rows: stats.spearmanr(gold[rows], cosine[rows]).statistic, len(covered))
    assert record.ci95 == pytest.approx(expected)
    (tmp_path / record.items_file).write_bytes(b"damaged")
    with pytest.raises(EmbbenchError, match="does not match the sha256"):
        read_items(load_records(tmp_path)[0])


def test_show_prints_the_hardest_items(tmp_path, registry, cache_dir) -> None:
    record = run(["glove"], ["msr:restrict_vocab=30000"], tmp_path, registry=registry, cache_dir=cache_dir)[0]
    result = run_cli("show", str(record.path), "--top", "3", "--json")
    assert result.returncode == 0, result.stderr
    view = json.loads(result.stdout)
    assert view["record"]["main_value"] == record.main_value
    assert view["record"]["timings"] == record.timings and set(record.timings) == {"fit", "embed", "score", "interval"}
    assert [row["loss"] for row in view["hardest"]] == [1.0] * 3 and [r["loss"] for r in view["easiest"]] == [0.0] * 3
    assert all(row["predicted_3cosadd"] != row["id"].split()[3] for row in view["hardest"])
    table = run_cli("show", str(record.path))
    assert "hardest items" in table.stdout and "easiest items" in table.stdout
    published = tmp_path / "published"
    published.mkdir()
    (published / record.path.name).write_text(record.path.read_text())  # a record without its items file
    alone = run_cli("show", str(published / record.path.name), "--json")
    assert alone.returncode == 0 and "is missing" in json.loads(alone.stdout)["record"]["items_file"]


def test_records_carry_their_environment(tmp_path, pairs, registry, cache_dir) -> None:
    import sklearn

    record = run(["glove"], [pairs], tmp_path, registry=registry, cache_dir=cache_dir)[0]
    environment = record.environment
    assert environment["packages"]["numpy"] == np.__version__
    assert environment["packages"]["scikit-learn"] == sklearn.__version__
    assert environment["python"] and environment["cpu"] and isinstance(environment["blas"], list)


def test_categorization_reports_the_mean_over_seeds(tmp_path, registry, cache_dir) -> None:
    from sklearn.cluster import KMeans

    from embbench.tasks._clustering_metrics import purity

    record = run(["glove"], ["essli2008:seeds=3"], tmp_path, registry=registry, cache_dir=cache_dir)[0]
    items = read_items(record)
    glove = Context(cache_dir, registry).make_provider("glove")
    points = glove.embed_words(list(items["id"])).vectors
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    k = items["category"].nunique()
    runs = [purity(items["category"].to_numpy(), KMeans(k, n_init=10, random_state=s).fit_predict(points))
            for s in range(3)]  # fmt: skip
    assert record.main_value == pytest.approx(np.mean(runs))
    assert record.scores["purity_std"] == pytest.approx(np.std(runs))
    assert record.tolerance == pytest.approx(max(1e-4, 3 * np.sqrt(2) * np.std(runs, ddof=1) / np.sqrt(3)))


def test_reproduce_reruns_a_board_and_flags_what_differs(tmp_path, registry, cache_dir) -> None:
    results = tmp_path / "board"
    run(["glove"], ["mc30", "rg65"], results, registry=registry, cache_dir=cache_dir)
    result = run_cli("reproduce", str(results), "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["reproduced"] for r in rows] == [True, True] and all(r["difference"] == 0 for r in rows)
    path = next(p for p in results.glob("*mc30*.json"))
    data = json.loads(path.read_text())
    data["scores"]["spearman"] += 0.05
    data["environment"]["packages"]["numpy"] = "0.0.1"
    path.write_text(json.dumps(data))
    result = run_cli("reproduce", str(results), "--json", "--sample", "2")
    assert result.returncode == 1
    by_task = {r["task"]: r for r in json.loads(result.stdout)}
    assert by_task["mc30"]["reproduced"] is False and by_task["rg65"]["reproduced"] is True
    assert by_task["mc30"]["difference"] == pytest.approx(0.05)
    assert f"numpy 0.0.1 -> {np.__version__}" in by_task["mc30"]["environment_differences"]


def test_reproduce_reruns_exactly_the_published_pairs_on_worker_processes(tmp_path, registry, cache_dir) -> None:
    """Providers with different task lists are rerun together (jobs=2), each on its own published tasks only; a
    record whose config holds an unset base (``pca`` on its corpus: ``base: null``) reruns as it was made."""
    from embbench.running.reproduce import reproduce_records

    results = tmp_path / "board"
    run(["glove"], ["mc30", "rg65"], results, registry=registry, cache_dir=cache_dir)
    run(["pca:base=glove,dim=25", "pca:dim=10"], ["mc30"], results, registry=registry, cache_dir=cache_dir)
    rerun: list = []
    records = load_records(results)
    assert next(r for r in records if r.provider_label == "pca(dim=10)").provider_config["base"] is None
    rows = reproduce_records(records, jobs=2, on_record=rerun.append)
    assert sorted(r.key for r in rerun) == sorted(r.key for r in records) and len(records) == 4
    published = {("glove", "mc30"), ("glove", "rg65"), ("pca(base=glove, dim=25)", "mc30"), ("pca(dim=10)", "mc30")}
    assert {(r["provider"], r["task"]) for r in rows} == published and all(r["reproduced"] for r in rows)


def test_word_task_options_belong_to_word_tasks(registry) -> None:
    with pytest.raises(EmbbenchError, match="unknown option 'protocol' for task 'mr'"):
        registry.make_task("mr:protocol=gensim")
    assert registry.make_task("ws353:protocol=gensim").options.protocol == "gensim"


def test_plan_fingerprints_inputs_and_identity_follows_content(tmp_path, registry, cache_dir) -> None:
    vec = vector_file(tmp_path / "v.txt", SMALL)
    context = Context(cache_dir, registry)
    (first,), _ = plan(registry, [parse_spec(f"glove:path={vec}")], [parse_spec("mc30")], context)
    vector_file(vec, {**SMALL, "cat": [0, 0, 1]})
    (second,), _ = plan(registry, [parse_spec(f"glove:path={vec}")], [parse_spec("mc30")], context)
    assert first.identity != second.identity  # the embedding cache folder follows the file's content


def test_run_settings_are_one_dataclass(tmp_path, pairs, registry, cache_dir) -> None:
    options = RunOptions(results_dir=tmp_path / "r", cache_dir=cache_dir, executor="nope")
    with pytest.raises(EmbbenchError, match="unknown executor 'nope'"):
        run(["glove"], [pairs], registry=registry, options=options)
    assert not (tmp_path / "r").exists()


def test_items_are_parquet_readable_by_pandas(tmp_path, registry, cache_dir) -> None:
    record = run(["glove"], ["bolukbasi-direct-bias"], tmp_path, registry=registry, cache_dir=cache_dir)[0]
    frame = pd.read_parquet(tmp_path / record.items_file)
    assert frame.loc[frame["covered"], "cosine"].mean() == pytest.approx(record.main_value)


def test_records_carry_phase_timings_and_run_profile_prints_them(tmp_path) -> None:
    result = run_cli("run", "-p", "glove", "-t", "essli2008:seeds=2", "-t", "mc30", "--results", str(tmp_path),
                     "--profile", "--no-embedding-cache")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "seconds per provider (this run)" in result.stdout and "seconds per task family" in result.stdout
    assert "categorization" in result.stdout and "word similarity" in result.stdout
    records = {r.task: r for r in load_records(tmp_path)}
    timings = records["essli2008"].timings
    assert set(timings) == {"fit", "embed", "score", "interval"} and timings["interval"] > 0
    assert timings["embed"] > 0  # the words went through the (timing) embedding layer
    assert sum(timings.values()) - timings["fit"] == pytest.approx(records["essli2008"].seconds, abs=0.01)
    again = run_cli("run", "-p", "glove", "-t", "essli2008:seeds=2", "-t", "mc30", "-t", "rg65", "--results",
                    str(tmp_path), "--profile")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "categorization" not in again.stdout and "│ glove │ 1 " in again.stdout  # only rg65 ran this time
    kept = run_cli("run", "-p", "glove", "-t", "mc30", "--results", str(tmp_path), "--profile")
    assert "profile: nothing was computed in this run" in kept.stderr and "seconds per" not in kept.stdout
