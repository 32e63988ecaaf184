"""Task cards: the bundled tasks are TOML cards beside their data; users and plugins add folders of them; a bad
card is an error naming its file and key; a plugin's own family gets its own column group on the board and page."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from embbench import Items, Provider, Register, Task, TaskOutput, hookimpl, run
from embbench.cards import card_files, read_card
from embbench.plugins import Registry
from embbench.publish.board import build_board
from embbench.publish.writers import write_leaderboard
from embbench.records.record import load_records

ROOT = Path(__file__).parents[1]
MC30 = ROOT / "tasks" / "word-similarity" / "mc30.tsv"


def test_every_bundled_card_declares_what_publishing_needs(registry) -> None:
    """Each named task of the bundled cards has a description and a dataset whose source, licence and citation are
    stated; its family and main score are its type's, declared once by the type (no card repeats them); every task
    type declares a family."""
    cards = [read_card(path) for path in card_files(ROOT / "tasks")]
    named = [card for card in cards if card.type]
    assert len(named) == 38 and {c.name for c in named} <= set(registry.tasks)
    for card in named:
        task = registry.make_task(card.name)
        assert task.card == card.path and (card.family, card.main_score) == (None, None), card.name
        assert task.family == type(task).family != "other" and task.main_score == type(task).main_score
        assert card.description and card.dataset and card.dataset.licence and card.dataset.citation, card.name
    types = {e.obj for e in registry.tasks.values()}
    assert all(t.family != "other" for t in types), "every built-in task type declares its family"


def write_card(folder: Path, name: str, text: str, data: Path | None = MC30) -> Path:
    """A card in ``folder`` over a copy of ``data`` (with its real sha256 unless the text gives one)."""
    folder.mkdir(parents=True, exist_ok=True)
    if data is not None and "[data]" not in text:
        (folder / data.name).write_bytes(data.read_bytes())
        sha = hashlib.sha256(data.read_bytes()).hexdigest()
        text += f'\n[data]\nfile = "{data.name}"\nrows = 30\nsha256 = "{sha}"\nsource = "a copy of mc30"\n'
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_folder_of_cards_adds_named_tasks_to_list_and_run(tmp_path: Path) -> None:
    """``--tasks-dir`` adds the folder's cards: listed with their family, run in worker processes (which load the
    folder too), and the record stores the card's family."""
    cards = tmp_path / "cards"
    write_card(cards / "pairs", "my-pairs", 'type = "word-similarity"\nfamily = "my pairs"\ndescription = "mine"\n')
    listed = run_cli("list", "tasks", "--json", "--tasks-dir", str(cards))
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["my-pairs"]["family"] == "my pairs" and rows["my-pairs"]["description"] == "mine"
    assert rows["my-pairs"]["card"] == str(cards / "pairs" / "my-pairs.toml")
    results = tmp_path / "results"
    ran = run_cli("run", "-p", "glove", "-p", "pca:base=glove,dim=10", "-t", "my-pairs", "-t", "mc30", "--tasks-dir",
                  str(cards), "--results", str(results), "--jobs", "2")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    records = {(r.provider_label, r.task_label): r for r in load_records(results)}
    mine, bundled = records["glove", "my-pairs"], records["glove", "mc30"]
    assert mine.family == "my pairs" and bundled.family == "word similarity"
    assert mine.scores == bundled.scores and mine.dataset_sha256 == bundled.dataset_sha256  # the same data
    missing = run_cli("list", "tasks", "--tasks-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "nowhere: not a folder of task cards" in missing.stderr


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ('type = "word-similarty"\n', "type", "unknown task type 'word-similarty' (did you mean 'word-similarity'?)"),
        ('type = "word-similarity"\n[options]\nrestrict_vocab = "many"\n', "options",
         "option 'restrict_vocab': Input should be a valid integer"),
        ('type = "word-similarity"\n[options]\nrestrict = 5\n', "options.restrict", "unknown option 'restrict' for task"
         " type 'word-similarity' (did you mean 'restrict_vocab'?)"),
        ('type = "word-similarity"\ncolour = "red"\n', "colour", "unknown key"),
        ('type = "word-similarity"\nmain_score = "pearson"\n', "main_score", "'pearson' is not the main score"),
        ('description = "nothing"\n', "type", "a card needs a task type, a [data] table, or both"),
        ('type = "word-similarity"\n[data]\nfile = "mc30.tsv"\nsha256 = "abc"\n', "data.sha256", "String should match"),
    ],
)  # fmt: skip
def test_a_bad_card_is_an_error_naming_its_file_and_key(tmp_path: Path, text: str, key: str, message: str) -> None:
    card = write_card(tmp_path / "cards", "bad", text, data=None if "[data]" in text or "description" in text
                      else MC30)  # fmt: skip
    result = run_cli("list", "tasks", "--tasks-dir", str(tmp_path / "cards"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"ERROR: {card}: {key}: " in result.stderr and message in result.stderr, result.stderr


def test_data_that_differs_from_its_card_is_an_error_naming_the_card(tmp_path: Path) -> None:
    card = write_card(tmp_path / "cards", "edited", 'type = "word-similarity"\n')
    (tmp_path / "cards" / "mc30.tsv").write_text("word1\tword2\tscore\ncar\tautomobile\t3.9\n", encoding="utf-8")
    result = run_cli("run", "-p", "glove", "-t", "edited", "--tasks-dir", str(tmp_path / "cards"), "--results",
                     str(tmp_path / "results"))  # fmt: skip
    assert result.returncode == 2 and f"ERROR: {card}: data.sha256: the data file mc30.tsv has sha256" in result.stderr
    assert not (tmp_path / "results").exists()  # checked before anything ran


class Spelling(Task):
    """A plugin task of its own family: the share of a card's words the provider covers (one item per word)."""

    name = "spelling"
    family = "spelling"
    main_score = "covered"
    score_column = "known"

    def evaluate(self, provider: Provider) -> TaskOutput:
        words = ["cat", "dog", "house", "qzxv", "tree", "xkcdq"]
        known = provider.embed_words(words).covered
        items: Items = {"id": np.array(words, dtype=object), "covered": np.ones(len(words), dtype=bool),
                        "known": known.astype(float), "loss": 1.0 - known}  # fmt: skip
        return TaskOutput({"covered": float(known.mean())}, len(words), len(words), items=items)


class SpellingPlugin:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def register_tasks(self, register: Register) -> None:
        register(Spelling)

    @hookimpl
    def register_task_cards(self, register: Register) -> None:
        register(self.folder)


@pytest.fixture(scope="module")
def spelling_board(tmp_path_factory, cache_dir) -> tuple[Registry, Path]:
    folder = tmp_path_factory.mktemp("spelling")
    write_card(folder / "cards", "spelling-en", 'type = "spelling"\ndescription = "six English strings"\n', data=None)
    registry = Registry.load(extra=[SpellingPlugin(folder / "cards")])
    run(["glove", "pca:base=glove,dim=10"], ["spelling-en", "mc30"], folder / "results", registry=registry,
        cache_dir=cache_dir)  # fmt: skip
    write_leaderboard(load_records(folder / "results"), folder, ["html", "json", "md"], registry=registry)
    return registry, folder


def test_a_plugin_family_gets_its_own_column_group_and_family_mean(spelling_board) -> None:
    """The family comes from the task (and its record), not from a list of built-in types: its column is grouped
    under it, every provider gets its family mean, and the mean-of-a-column score gives an interval."""
    registry, folder = spelling_board
    records = load_records(folder / "results")
    assert {r.task_label: r.family for r in records} == {"spelling-en": "spelling", "mc30": "word similarity"}
    board = build_board(records, registry=registry)
    assert [(c.task, c.family) for c in board.columns] == [("mc30", "word similarity"), ("spelling-en", "spelling")]
    assert board.quality_families() == ["word similarity", "spelling"]
    for aggregate in board.aggregates.values():
        assert set(aggregate["families"]) == {"word similarity", "spelling"} and aggregate["tasks_ranked"] == 2
    spelling = next(r for r in records if r.task_label == "spelling-en" and r.provider_label == "glove")
    assert spelling.scores["covered"] == pytest.approx(4 / 6) and spelling.ci95 is not None
    assert "spelling mean" in (folder / "leaderboard.md").read_text(encoding="utf-8")


def test_the_page_filters_a_plugin_family(spelling_board) -> None:
    from playwright.sync_api import sync_playwright

    from embbench.publish.screenshot import launch

    _, folder = spelling_board
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto((folder / "leaderboard.html").as_uri())
        page.wait_for_selector("#board tbody tr")
        options = page.eval_on_selector_all("#family option", "os => os.map(o => o.value)")
        assert options == ["all", "word similarity", "spelling"]
        page.select_option("#family", "spelling")
        shown = page.eval_on_selector_all("#board thead th[data-family]", "hs => hs.map(h => h.dataset.key)")
        assert shown == ["spelling-en"]
        browser.close()


@pytest.mark.slow
def test_a_wheel_carries_the_cards_and_suites(tmp_path: Path) -> None:
    """An installed wheel reads the same cards and suites as the source tree (hatch force-includes both)."""
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w",
                            str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True)  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("embbench-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert {"embbench/_bundled/tasks/word-similarity/ws353.toml", "embbench/_bundled/tasks/word-similarity/ws353.tsv",
            "embbench/_bundled/suites/default.toml"} <= names  # fmt: skip
    probe = ("from embbench.plugins import Registry; from embbench.cli import DEFAULT_SUITE; r = Registry.load();"
             " print(r.tasks['ws353'].card.path); print(r.dataset('sotu').path); print(DEFAULT_SUITE)")  # fmt: skip
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(tmp_path / "site")})  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    for line in shown.stdout.splitlines():
        assert Path(line).is_file() and Path(line).is_relative_to(tmp_path / "site" / "embbench" / "_bundled"), line
