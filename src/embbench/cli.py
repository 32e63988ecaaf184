"""The ``embbench`` command line: list, plugins, run, show, reproduce, leaderboard."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from embbench._util.bundled import bundled_dir
from embbench.catalogue import Kind
from embbench.errors import ConfigErrors, EmbbenchError, log
from embbench.records import MIN_COVERAGE
from embbench.running import ExecutorName

if TYPE_CHECKING:
    from embbench._util.progress import Progress
    from embbench.config import Suite
    from embbench.plugins import Registry
    from embbench.records.record import Record

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="Compare embeddings: any provider on any task.",
)
out = Console(width=None if sys.stdout.isatty() else 200)  # piped tables are not folded to 80 columns
err = Console(stderr=True, soft_wrap=True)  # messages stay one line each, whatever the width
DEFAULT_SUITE = bundled_dir("suites") / "default.toml"
DEFAULT_RESULTS = Path("results") / "default"  # bare `embbench run`: its records, and its board in board/
MinCoverage = Annotated[
    float, typer.Option(min=0.0, max=1.0, help="leaderboards mark (*) a score covering fewer of its items than this")
]
HIDDEN_IN_TABLE = {"options", "source", "sha256", "citation", "card"}  # long; shown with --json
TasksDirs = Annotated[
    list[Path] | None,
    typer.Option("--tasks-dir", help="a folder of task cards (TOML beside their data) to add; repeat for more"),
]


def _emit(rows: list[dict[str, Any]], as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    columns = [c for c in (rows[0] if rows else ["name"]) if c not in HIDDEN_IN_TABLE]
    table = Table(title=title)
    for column in columns:
        table.add_column(column, no_wrap=column == "name", overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if row[c] is None else str(row[c])) for c in columns))  # as written, never markup
    out.print(table)


@app.command("list")
def list_command(
    kind: Annotated[Kind, typer.Argument(help="what to list")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    tasks_dir: TasksDirs = None,
) -> None:
    """List registered providers, tasks (task types, and the named tasks of the task cards) or datasets."""
    from embbench.catalogue import describe
    from embbench.plugins import Registry

    rows = describe(kind, Registry.load(task_dirs=tasks_dir or []))
    if kind is Kind.tasks and not as_json:
        print_tasks(rows)
        return
    _emit(rows, as_json, kind.value)


LIST_WIDTH = 100


def print_tasks(rows: list[dict[str, Any]]) -> None:
    """The named tasks grouped by family (a heading row each, in board order), then the task types apart: a type
    takes your own file (``word-similarity:path=pairs.tsv``). Fits ``LIST_WIDTH`` columns."""
    from embbench.contract import family_place

    def ordered(card: bool) -> list[dict[str, Any]]:
        chosen = (r for r in rows if bool(r["card"]) is card)
        return sorted(chosen, key=lambda r: (family_place(r["family"]), r["name"]))

    def table(title: str, first: str, first_width: int) -> Table:
        made = Table(title=title, title_justify="left", width=min(out.width, LIST_WIDTH))
        made.add_column(first, no_wrap=True, min_width=first_width)
        made.add_column("main score", no_wrap=True)
        made.add_column("description", ratio=1, overflow="fold")
        return made

    named = ordered(card=True)
    tasks = table("named tasks, by family", "family / task", max(len(r[k]) for r in named for k in ("name", "family")))
    for i, row in enumerate(named):
        if i == 0 or named[i - 1]["family"] != row["family"]:
            tasks.add_row(Text(row["family"], style="bold"), "", "", end_section=False)
        tasks.add_row(Text(f"  {row['name']}"), Text(row["main_score"]), Text(row["description"]))
    out.print(tasks)
    types = ordered(card=False)
    kinds = table("task types: each takes your own file (TYPE:path=FILE)", "type", max(len(r["name"]) for r in types))
    for row in types:
        kinds.add_row(Text(row["name"]), Text(row["main_score"]), Text(row["description"]))
    out.print(kinds)


@app.command()
def plugins(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Installed plugins with their versions, and any that failed to load with the error."""
    from embbench.plugins import Registry

    registry = Registry.load()
    rows = [
        {"name": p.name, "distribution": p.distribution, "version": p.version, "status": "error" if p.error else "ok",
         "error": p.error}
        for p in registry.plugins
    ]  # fmt: skip
    _emit(rows, as_json, "plugins")


def check_folders(*folders: tuple[Path | None, str]) -> None:
    """Each (folder, option) this command writes into is writable, checked before any work starts."""
    from embbench._util.files import check_writable_folder

    for path, option in folders:
        check_writable_folder(path, option)


def _progress(what: str) -> Progress:
    """Progress on stderr: a live bar on a terminal, a line every few seconds elsewhere."""
    from embbench._util.progress import Progress

    return Progress(what, err)


@dataclass
class RunPlan:
    """What ``embbench run`` was asked to do, resolved: the specs, and where records and the board go."""

    suite: Suite
    results: Path
    leaderboard: Path | None


def resolve_run(
    provider: list[str] | None, task: list[str] | None, suite: Path | None, results: Path | None,
    leaderboard: Path | None, against: bool = False,
) -> RunPlan:  # fmt: skip
    """The suite file and the -p/-t specs together; with none of them, the built-in default suite into
    results/default with its board in results/default/board (records kept elsewhere get a board only when asked;
    the committed board in leaderboards/default is rewritten only when named). ``against``: the tasks are a
    published board's, added later."""
    from embbench.config import Suite, as_spec, load_suite

    if against:
        providers = [as_spec(p, f"-p {p}") for p in provider or []]
        if not providers:
            raise EmbbenchError("give the providers to add to the board (-p)", "--against")
        return RunPlan(Suite(providers, []), results or Path("results"), leaderboard or Path("leaderboards/against"))
    default = not (provider or task or suite)
    plan = load_suite(suite or DEFAULT_SUITE) if (suite or default) else Suite([], [])
    plan.providers += [as_spec(p, f"-p {p}") for p in provider or []]
    plan.tasks += [as_spec(t, f"-t {t}") for t in task or []]
    if not plan.providers or not plan.tasks:
        raise EmbbenchError("give at least one provider (-p) and one task (-t), or --suite FILE", "embbench run")
    if default and results is None:
        results, leaderboard = DEFAULT_RESULTS, leaderboard or DEFAULT_RESULTS / "board"
    return RunPlan(plan, results or Path("results"), leaderboard)


@dataclass
class RunReport:
    """What a run tells its user as it goes (the progress bar, redo notes) and at its end (failures, workers)."""

    progress: Progress
    failures: list[str] = field(default_factory=list)
    workers: list[int] = field(default_factory=list)

    def options(self, **settings: Any) -> Any:
        """``RunOptions`` with ``settings`` and this report's callbacks."""
        from embbench.running.runner import RunOptions

        return RunOptions(
            **settings, on_start=self.progress.set_total, on_record=self.advance,
            on_note=lambda note: self.progress.print(f"redo {note}"), on_failure=self.failed,
            on_workers=self.workers.append,
        )  # fmt: skip

    def advance(self, record: Record) -> None:
        self.progress.advance(f"{record.provider_label} × {record.task_label}")

    def failed(self, record: Record, kept: Record) -> None:
        self.failures.append(f"ERROR: {record.provider_label} × {record.task_label}: {record.error}"
                             f" (kept the ok record of {kept.created})")  # fmt: skip

    def where(self, executor: ExecutorName) -> str:
        if executor is ExecutorName.ray:
            return "Ray"
        return f"{self.workers[0]} worker processes" if self.workers and self.workers[0] else "this process"


def print_summary(records: list[Record], report: RunReport, results: Path, seconds: float, where: str) -> bool:
    """The run's one summary line, then its errors and kept-record failures; whether anything failed."""
    counts = {s: sum(r.status == s for r in records) for s in ("ok", "skipped", "error")}
    err.print(f"{len(records)} pairs: {counts['ok']} ok, {counts['skipped']} skipped, {counts['error']} error ->"
              f" {results} ({seconds:.1f} s, {where})")  # fmt: skip
    for record in records:
        if record.status == "error":
            print(f"ERROR: {record.provider_label} × {record.task_label}: {record.error}", file=sys.stderr)
    for failure in report.failures:
        print(failure, file=sys.stderr)
    return bool(counts["error"] or report.failures)


def print_profile(records: list[Record]) -> None:
    """Where this run's time went, per provider and per task family."""
    from embbench.running.timings import breakdown

    titles = {"providers": "seconds per provider (this run)", "families": "seconds per task family (this run)"}
    tables = breakdown(records)
    if not tables["providers"]:
        err.print("profile: nothing was computed in this run (every pair's record still holds)")
        return
    for key, rows in tables.items():
        _emit([{k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()} for row in rows], False,
              titles[key])  # fmt: skip


@app.command("run")
def run_command(
    provider: Annotated[list[str] | None, typer.Option("-p", "--provider", help="PROVIDER[:key=value,...]")] = None,
    task: Annotated[list[str] | None, typer.Option("-t", "--task", help="TASK[:key=value,...]")] = None,
    suite: Annotated[Path | None, typer.Option(help="TOML file with providers = [...] and tasks = [...]")] = None,
    results: Annotated[Path | None, typer.Option(help="folder for result records [default: results]")] = None,
    leaderboard: Annotated[Path | None, typer.Option(help="also write the leaderboard to this folder")] = None,
    min_coverage: MinCoverage = MIN_COVERAGE,
    rerun: Annotated[bool, typer.Option(help="run pairs that already have a record that still holds")] = False,
    raise_errors: Annotated[
        bool, typer.Option("--raise", help="stop at the first failing pair, with traceback")
    ] = False,
    cache: Annotated[
        Path | None, typer.Option(help="cache folder [default: $EMBBENCH_CACHE or ~/.cache/embbench]")
    ] = None,
    embedding_cache: Annotated[
        bool, typer.Option(help="reuse embeddings of the same texts across tasks and runs")
    ] = True,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="worker processes (fits and pairs side by side) [default: all cores]")
    ] = None,
    executor: Annotated[
        ExecutorName, typer.Option(help="local (this process; worker processes with --jobs), process, or ray")
    ] = ExecutorName.local,
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address [default: start a local one]")] = None,
    profile: Annotated[
        bool, typer.Option(help="print where the time went: fit, embed, score, interval per provider and family")
    ] = False,
    against: Annotated[
        Path | None,
        typer.Option(
            help="a published board: run the -p providers on exactly its tasks, and write one board of"
            " both (new rows marked) [default --leaderboard: leaderboards/against]"
        ),
    ] = None,
    tasks_dir: TasksDirs = None,
) -> None:
    """Run every provider on every task. With no arguments: the built-in default suite, its records into
    results/default and its board into results/default/board. The run ends with the board's headline.

    A pair whose record still holds is skipped; one whose inputs, dataset or code version changed is redone,
    and the reason is printed. A failure never replaces a finished ok record. With --against BOARD, the new
    providers run on the board's own tasks (refused, naming each difference, when this installation's tasks
    or data differ from the published ones), and the board gets their rows beside the published ones.
    """
    from embbench.plugins import Registry
    from embbench.running.runner import run

    if against is not None and (task or suite):
        raise EmbbenchError("runs the board's own tasks: give only providers (-p)", "--against")
    plan = resolve_run(provider, task, suite, results, leaderboard, against is not None)
    from embbench._util.files import cache_folder

    check_folders((plan.results, "--results"), (plan.leaderboard, "--leaderboard"))
    cache = cache_folder(cache)
    registry = Registry.load(task_dirs=tasks_dir or [])
    published = None
    if against is not None:
        from embbench.contract import Context
        from embbench.running.against import published_tasks

        published = published_tasks(against, registry, Context(cache, registry))
        plan.suite.tasks = published.tasks
    for plugin in registry.plugins:
        if plugin.error:
            err.print(f"WARNING: plugin '{plugin.name}' is left out: {plugin.error}", markup=False, highlight=False)
    with _progress("pairs") as progress:
        report = RunReport(progress)
        options = report.options(
            results_dir=plan.results, rerun=rerun, raise_errors=raise_errors, cache_dir=cache,
            embedding_cache=embedding_cache, jobs=jobs or os.cpu_count() or 1, executor=executor,
            ray_address=ray_address,
        )  # fmt: skip
        start = time.perf_counter()
        records = run(plan.suite.providers, plan.suite.tasks, registry=registry, options=options)
    failed = print_summary(records, report, plan.results, time.perf_counter() - start, report.where(executor))
    if profile:
        print_profile(records)
    board_of = records
    if published is not None:
        from embbench.running.against import check_new

        check_new(published.records, records)
        board_of = published.records + records
    elif plan.leaderboard:
        from embbench.publish.results import board_records

        board_of = board_records([plan.results], registry)
    print_board(board_of, plan.leaderboard, min_coverage, registry, {r.provider_label for r in records}
                if published is not None else ())  # fmt: skip
    if failed:
        raise typer.Exit(1)


def print_board(
    records: list[Record], folder: Path | None, min_coverage: float, registry: Registry, new: Any = ()
) -> None:
    """The board's headline on stderr (first places, and each family's best), and its files when a folder is given."""
    from embbench.publish.board import build_board
    from embbench.publish.writers import headline, write_board

    if not records:
        return
    board = build_board(records, min_coverage, registry, new)
    for line in headline(board):
        err.print(line, markup=False, highlight=False)
    if folder is not None:
        for path in write_board(board, folder, ["md", "csv", "json", "html"]):
            err.print(f"wrote {path}", markup=False, highlight=False)


@app.command()
def show(
    record: Annotated[Path, typer.Argument(help="a result record (.json) in a results folder")],
    top: Annotated[int, typer.Option(min=0, help="how many hardest and easiest items to show")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """A record: scores, interval, coverage, identity, environment and timings, and its hardest and easiest items."""
    from embbench.records.record import read_record
    from embbench.records.view import record_view

    view = record_view(read_record(record), top)
    if as_json:
        print(json.dumps(view, indent=2, default=str))
        return
    for key, value in view["record"].items():
        out.print(f"[bold]{key}[/bold]: {value}", highlight=False)
    for title in ("hardest", "easiest"):
        if view.get(title):
            _emit(view[title], False, f"{title} items (loss: higher is worse)")


@app.command()
def reproduce(
    results: Annotated[Path, typer.Argument(help="the results folder of a published board")],
    sample: Annotated[int | None, typer.Option(min=1, help="rerun this many records, drawn at random")] = None,
    seed: Annotated[int, typer.Option(help="seed of the --sample draw")] = 0,
    cache: Annotated[Path | None, typer.Option(help="cache folder [default: a fresh temporary one]")] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="worker processes [default: all cores]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    tasks_dir: TasksDirs = None,
) -> None:
    """Rerun a board's ok records from scratch and report, per cell, whether it reproduces within its tolerance,
    with the environment differences where it does not. Exits 1 when a cell does not reproduce."""
    from embbench.plugins import Registry
    from embbench.records.record import load_records
    from embbench.running.reproduce import reproduce_records

    with _progress("cells") as progress:
        rows = reproduce_records(
            load_records(results), sample=sample, seed=seed, cache_dir=cache, jobs=jobs or os.cpu_count() or 1,
            registry=Registry.load(task_dirs=tasks_dir or []), on_start=progress.set_total,
            on_record=lambda r: progress.advance(f"{r.provider_label} × {r.task_label}"),
        )  # fmt: skip
    _emit(rows, as_json, "reproduction")
    failed = [r for r in rows if not r["reproduced"]]
    err.print(f"{len(rows) - len(failed)} of {len(rows)} cells reproduce within their tolerance")
    if failed:
        raise typer.Exit(1)


@app.command("leaderboard")
def leaderboard_command(
    results: Annotated[
        list[Path] | None, typer.Option(help="folder of result records (repeat to merge folders) [default: results]")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="folder to write the leaderboard files into")] = Path(
        "leaderboards"
    ),
    formats: Annotated[
        str, typer.Option("--format", help="comma-separated: md,csv,json,html,latex")
    ] = "md,csv,json,html",
    min_coverage: MinCoverage = MIN_COVERAGE,
    ci: Annotated[bool, typer.Option("--ci", help="show each score's 95% interval in the Markdown table")] = False,
    screenshot: Annotated[
        bool, typer.Option(help="also save leaderboard.png of the HTML page (needs Playwright and Chromium)")
    ] = False,
    with_records: Annotated[
        bool, typer.Option("--records", help="also write OUT/records: the records and one bundle of their items")
    ] = False,
    maps: Annotated[
        bool,
        typer.Option(
            "--maps",
            help="with --site: maps of each provider's embeddings of labelled tasks, from"
            " the embedding cache of the run (nothing is rerun)",
        ),
    ] = False,
    cache: Annotated[
        Path | None, typer.Option(help="cache folder, for --maps [default: $EMBBENCH_CACHE or ~/.cache/embbench]")
    ] = None,
    site: Annotated[
        Path | None,
        typer.Option(
            help="also write a static site here: the page, a page per task and per provider,"
            " the records and their items, index.json"
        ),
    ] = None,
    tasks_dir: TasksDirs = None,
) -> None:
    """Publish a leaderboard: family means, Borda count, mean rank with its 95% rank interval, the bias rank
    apart, intervals, paired tests against each task's best, a common-items view, and an interactive page. With
    --records, OUT/records holds the records and their per-item outputs (items-bundle.parquet), so anyone can
    rebuild the board, or add their own provider's records to it with its full statistics."""
    from embbench.plugins import Registry
    from embbench.publish.results import board_records
    from embbench.publish.writers import write_leaderboard

    check_folders((out_dir, "--out"), (site, "--site"))
    from embbench._util.files import cache_folder

    cache = cache_folder(cache) if maps else cache
    registry = Registry.load(task_dirs=tasks_dir or [])
    records = board_records(results or [Path("results")], registry)
    formats_asked = [f.strip() for f in formats.split(",") if f.strip()]
    for path in write_leaderboard(records, out_dir, formats_asked, min_coverage, ci=ci, registry=registry):
        out.print(f"wrote {path}")
    if with_records:
        from embbench.records.bundle import publish_records

        out.print(f"wrote {publish_records(records, out_dir / 'records')}")
    if site is not None:
        from embbench.publish.board import build_board
        from embbench.publish.projector import board_maps
        from embbench.publish.site import write_site

        board = build_board(records, min_coverage, registry)
        written = write_site(board, records, site, board_maps(board, records, registry, cache) if maps else None)
        out.print(f"wrote the site: {len(written)} files under {site}")
    if screenshot:
        from embbench.publish.screenshot import screenshot as take

        if "html" not in formats_asked:
            raise EmbbenchError("a screenshot needs the html format", "--screenshot")
        out.print(f"wrote {take(out_dir / 'leaderboard.html', out_dir / 'leaderboard.png')}")


@app.command("mteb")
def mteb_command(
    provider: Annotated[list[str], typer.Option("-p", "--provider", help="an embbench provider spec; repeat for more")],
    task: Annotated[
        list[str], typer.Option("-t", "--task", help="an MTEB task name, or an embbench sts or retrieval task")
    ],
    output: Annotated[Path, typer.Option(help="folder for MTEB's result files")] = Path("mteb-results"),
    cache: Annotated[Path | None, typer.Option(help="embbench's cache folder [default: EMBBENCH_CACHE]")] = None,
    tasks_dir: TasksDirs = None,
) -> None:
    """Run MTEB's own evaluation with embbench providers as MTEB models (through embbench's embedding cache). A
    task is an MTEB task (its data from the Hugging Face hub) or an embbench sts or retrieval task, run by MTEB
    over the same local file. `embbench leaderboard --results OUTPUT` puts the results on a board."""
    from embbench._util.files import cache_folder
    from embbench.integrations.mteb import run_mteb
    from embbench.plugins import Registry

    check_folders((output, "--output"))
    cache = cache_folder(cache)
    registry = Registry.load(task_dirs=tasks_dir or [])
    _emit(run_mteb(provider, task, output, cache_dir=cache, registry=registry), False, "MTEB")


new_app = typer.Typer(help="Start a new package from a template.", no_args_is_help=True)
app.add_typer(new_app, name="new")


@new_app.command("plugin")
def new_plugin_command(
    name: Annotated[str, typer.Argument(help="the plugin's name (my-model); its distribution is embbench-NAME")],
    provider: Annotated[bool, typer.Option("--provider", help="a provider skeleton (with neither: both)")] = False,
    task: Annotated[bool, typer.Option("--task", help="a task skeleton (with neither: both)")] = False,
    target: Annotated[Path | None, typer.Option("--out", help="folder to write [default: embbench-NAME]")] = None,
) -> None:
    """Write a ready plugin package: pyproject with the entry point, a provider and/or task skeleton using only
    embbench's public surface, tests that run embbench's conformance checks, and a README with the commands."""
    from embbench.scaffold import new_plugin

    both = not (provider or task)
    for path in new_plugin(name, target or Path(f"embbench-{name}"), provider or both, task or both):
        out.print(f"wrote {path}")


class ExportFormat(StrEnum):
    mteb = "mteb"


@app.command()
def export(
    results: Annotated[Path, typer.Argument(help="folder of result records")],
    target: Annotated[Path, typer.Argument(metavar="OUT", help="folder to write into")],
    format: Annotated[ExportFormat, typer.Option("--format", help="the format to write")] = ExportFormat.mteb,
) -> None:
    """Write records in another tool's format. mteb: MTEB TaskResult files, OUT/<model>/<revision>/<Task>.json
    with the model's model_meta.json, the layout of MTEB's results repository (a submission there is a copy)."""
    from embbench.integrations.mteb_results import export_mteb
    from embbench.records.record import load_records

    check_folders((target, "OUT"))
    written = export_mteb(load_records(results), target)
    out.print(f"wrote {len(written)} MTEB result files under {target}")


@app.command()
def compare(
    base: Annotated[Path, typer.Argument(help="results folder of the baseline")],
    new: Annotated[Path | None, typer.Argument(help="results folder to compare with it")] = None,
    providers: Annotated[
        tuple[str, str] | None, typer.Option(help="compare two providers of one folder: BASE NEW (labels)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    fail_on_regression: Annotated[
        bool, typer.Option(help="exit 1 when NEW is significantly worse than BASE on any task")
    ] = False,
    tasks_dir: TasksDirs = None,
) -> None:
    """Per task: the delta of NEW against BASE on the items both scored, its 95% interval, the paired one-sided
    p that NEW is worse (Holm over tasks) and a regression flag."""
    from embbench.plugins import Registry
    from embbench.publish.compare import compare as compare_records
    from embbench.publish.compare import to_markdown
    from embbench.records.record import load_records

    if (new is None) == (providers is None):
        raise EmbbenchError("give two results folders (BASE NEW), or one folder and --providers A B", "compare")
    registry = Registry.load(task_dirs=tasks_dir or [])
    rows = compare_records(load_records(base), load_records(new) if new else [], providers, registry)
    print(json.dumps(rows, indent=2, default=str) if as_json else to_markdown(rows))
    regressions = [f"{r['provider']} × {r['task']}" for r in rows if r["regression"]]
    if regressions:
        err.print(f"{len(regressions)} regression(s): {', '.join(regressions)}")
        if fail_on_regression:
            raise typer.Exit(1)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the workers are stopped and what has finished is kept."""


SIGNALLED: set[int] = set()  # the signals this process was stopped by (typer may hand back only an exit code)


def _terminate(signum: int, frame: Any) -> None:
    SIGNALLED.add(signum)
    raise Terminated


def aborted(args: list[str], why: str = "aborted") -> str:
    """The line printed on Ctrl-C or SIGTERM: a run keeps what it finished, and says so."""
    command = next((a for a in args if not a.startswith("-")), "")
    return f"{why} (records finished so far are kept; a rerun does the rest)" if command == "run" else why


def _interrupted(args: list[str]) -> int:
    """Say what a stopped command kept; the exit code tells Ctrl-C (130) from SIGTERM (143)."""
    if signal.SIGTERM in SIGNALLED:
        print(aborted(args, "terminated (SIGTERM)"), file=sys.stderr)
        return 143
    print(aborted(args), file=sys.stderr)
    return 130


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors become ``ERROR: where: what`` lines and exit code 2, without a traceback."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("WARNING: %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    args = sys.argv[1:] if argv is None else argv
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(args=argv, standalone_mode=False)
    except ConfigErrors as exc:
        for error in exc.errors:
            print(f"ERROR: {error}", file=sys.stderr)
        return 2
    except EmbbenchError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    except typer.Exit as exc:
        code = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return _interrupted(args)
    except Exception as exc:
        # Usage errors: click's ClickException, or its copy inside typer >= 0.26 (not a click subclass).
        if callable(getattr(exc, "format_message", None)) and isinstance(getattr(exc, "exit_code", None), int):
            print(f"ERROR: {exc.format_message()} (see embbench --help)", file=sys.stderr)
            return exc.exit_code
        if "--raise" in args or os.environ.get("EMBBENCH_TRACEBACK"):
            raise  # asked for on purpose
        print(f"ERROR: unexpected {type(exc).__name__}: {exc} (a bug in embbench or a plugin;"
              " EMBBENCH_TRACEBACK=1 shows where)", file=sys.stderr)  # fmt: skip
        return 70
    if code == 130:  # typer's answer to Ctrl-C (and to SIGTERM, raised as one)
        return _interrupted(args)
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
