"""Leaderboards in several formats, all from one ``Board`` (see ``embbench.publish.board``).

Markdown, CSV and LaTeX are tables of main scores with family means, Borda count, mean rank with its 95% rank
interval, and the bias rank; JSON carries everything (intervals, coverage, p-values, the common-items view,
metadata); HTML is one self-contained interactive page.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from embbench._util.atomic import atomic_write
from embbench.errors import EmbbenchError
from embbench.plugins import Registry
from embbench.publish.board import Board, Cell, build_board, well_covered
from embbench.records import MIN_COVERAGE
from embbench.records.record import Record

FORMATS = ("md", "csv", "json", "html", "latex")
SUFFIX = {"md": "md", "csv": "csv", "json": "json", "html": "html", "latex": "tex"}
LOW_MARK, TIER_MARK = "*", "†"
CSV_COLUMNS = ("provider", "task", "family", "metric", "higher_is_better", "score", "ci_low", "ci_high", "coverage",
               "p_vs_best", "top_tier", "common_score", "mean_rank", "borda", "bias_rank")  # fmt: skip


class Entry(NamedTuple):
    """A table entry as plain text, and whether it is shown bold; each writer escapes it for its own format."""

    text: str
    bold: bool = False


def cell_entry(board: Board, cell: Cell | None, ci: bool = False, digits: int = 3) -> Entry:
    """A score: ``–`` for none, bold for the task's best, † for the top tier (not significantly worse than the
    best), * for a score on too few of its items, and the interval with ``ci``."""
    if cell is None or cell.score is None:
        return Entry("–")
    text = f"{cell.score:.{digits}f}"
    if cell.top_tier and not cell.best:
        text += TIER_MARK
    if not well_covered(cell, board.min_coverage):
        text += LOW_MARK
    if ci and cell.record.ci95:
        low, high = cell.record.ci95
        text += f" [{low:.{digits}f}, {high:.{digits}f}]"
    return Entry(text, bool(cell.best))


def _rank_text(value: float | None, interval: list[int] | None = None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" + (f" (place {interval[0]}–{interval[1]})" if interval else "")


def table(board: Board, ci: bool = False) -> tuple[list[str], list[list[Entry]]]:
    """Header and rows shared by the Markdown and LaTeX writers, as plain text."""
    families = [f for f in board.quality_families() if any(f in a["families"] for a in board.aggregates.values())]
    quality = [c for c in board.columns if not c.bias]
    bias = [c for c in board.columns if c.bias]
    bias_rank = ["bias rank ↓"] if bias else []  # no column of dashes when no bias task was run
    header = ["provider", "mean rank ↓ (95% interval of place)", "Borda ↑", *(f"{f} mean" for f in families),
              *(c.header for c in quality), *bias_rank, *(c.header for c in bias)]  # fmt: skip
    rows = []
    for p in board.providers:
        a = board.aggregates[p]
        cells = {c.task: cell_entry(board, board.cell(p, c.task), ci) for c in board.columns}
        label = f"{p} (new)" if board.metadata[p].get("new") else p
        means = [f"{a['families'][f]:.3f}" if f in a["families"] else "–" for f in families]
        plain = [label, _rank_text(a["mean_rank"], a["rank_interval"]), str(a["borda"]), *means]
        bias_entries = [Entry(_rank_text(a["bias_rank"])), *(cells[c.task] for c in bias)] if bias else []
        rows.append([*map(Entry, plain), *(cells[c.task] for c in quality), *bias_entries])
    return header, rows


def footnote(board: Board) -> str:
    return (
        f"Bold: the task's best, among the scores on at least {board.min_coverage:.0%} of its items (among all"
        f" scores, each marked {LOW_MARK}, where none covers that many); {TIER_MARK}: not"
        " significantly worse than the best (one-sided paired test on the items both scored, Holm-corrected per"
        f" task, α = 0.05); {LOW_MARK}: scored on fewer than {board.min_coverage:.0%} of the task's items; –: no"
        " score. Mean rank over the quality tasks each provider"
        " has a score for, with its 95% interval of places (bootstrap over items and tasks); bias tasks (lower is"
        " less biased) are ranked apart and never enter the quality rank."
    )


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$])")


def markdown_escape(text: str) -> str:
    """Text that a Markdown table cell shows as it is: each character that starts inline markup there (emphasis,
    code, links, HTML and entities, GitHub's strikethrough and math, the cell's own ``|``) is backslash-escaped,
    and a line break, which a cell cannot hold, is a space."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", re.sub(r"\r\n|\r|\n", " ", text))


def _markdown_entry(entry: Entry) -> str:
    text = markdown_escape(entry.text)
    return f"**{text}**" if entry.bold else text


def to_markdown(board: Board, ci: bool = False) -> str:
    header, rows = table(board, ci)
    lines = ["| " + " | ".join(map(markdown_escape, header)) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]  # fmt: skip
    lines += ["| " + " | ".join(map(_markdown_entry, row)) + " |" for row in rows]
    return "\n".join(lines) + f"\n\n{markdown_escape(footnote(board))}\n"


def to_csv(board: Board) -> str:
    """One row per (provider, task) with every number, plus the provider's aggregates."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for p in board.providers:
        a = board.aggregates[p]
        for column in board.columns:
            cell = board.cell(p, column.task)
            if cell is None:
                continue
            ci = cell.record.ci95 or [None, None]
            writer.writerow([p, column.task, column.family, column.metric, column.higher_is_better, cell.score, *ci,
                             cell.record.coverage, cell.p_vs_best, cell.top_tier, cell.common_score, a["mean_rank"],
                             a["borda"], a["bias_rank"]])  # fmt: skip
    return buffer.getvalue()


def to_json(board: Board) -> str:
    return json.dumps(board.to_dict(), indent=1, default=str) + "\n"


LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#", "$": r"\$",
                 "{": r"\{", "}": r"\}", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "<": r"\textless{}",
                 ">": r"\textgreater{}", "|": r"\textbar{}", "`": r"\textasciigrave{}", "'": r"\textquotesingle{}",
                 '"': r"\textquotedbl{}", "†": r"\textdagger{}", "↑": r"$\uparrow$", "↓": r"$\downarrow$",
                 "–": r"\textendash{}", "\n": " ", "\r": " "}  # fmt: skip


def latex_escape(text: str) -> str:
    """Text that LaTeX typesets as it is: each special character as its text command, in one pass (an escape
    is never escaped again), and a ``-`` or ``,`` before another kept apart, so that no run of them becomes a
    dash or a quotation mark."""
    return re.sub(r"(-(?=-)|,(?=,))", r"\1{}", "".join(LATEX_SPECIAL.get(char, char) for char in text))


def _latex_entry(entry: Entry) -> str:
    text = latex_escape(entry.text)
    return rf"\textbf{{{text}}}" if entry.bold else text


def to_latex(board: Board) -> str:
    header, rows = table(board)
    lines = [rf"\begin{{tabular}}{{l{'r' * (len(header) - 1)}}}", r"\toprule",
             " & ".join(map(latex_escape, header)) + r" \\", r"\midrule",
             *(" & ".join(map(_latex_entry, row)) + r" \\" for row in rows),
             r"\bottomrule", r"\end{tabular}", f"% {latex_escape(footnote(board))}", ""]  # fmt: skip
    return "\n".join(lines)


def to_html(board: Board) -> str:
    from embbench.publish.page import render_page

    return render_page(board.to_dict(), footnote(board))


WRITERS: dict[str, Callable[[Board], str]] = {
    "md": to_markdown, "csv": to_csv, "json": to_json, "html": to_html, "latex": to_latex,
}  # fmt: skip


def write_leaderboard(
    records: list[Record],
    out_dir: Path,
    formats: list[str],
    min_coverage: float = MIN_COVERAGE,
    ci: bool = False,
    registry: Registry | None = None,
    new: Iterable[str] = (),
) -> list[Path]:
    """Write ``leaderboard.<ext>`` in each format (the providers in ``new`` marked as added); returns the paths
    written."""
    check_formats(formats)
    return write_board(build_board(records, min_coverage, registry or Registry.load(), new), out_dir, formats, ci)


def check_formats(formats: list[str]) -> None:
    """Each format is one a board is written in, and there is at least one."""
    if not formats:
        raise EmbbenchError("no format given (choose from md, csv, json, html, latex)", "--format")
    for fmt in formats:
        if fmt not in WRITERS:
            raise EmbbenchError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})", "--format")


def write_board(board: Board, out_dir: Path, formats: list[str], ci: bool = False) -> list[Path]:
    """Write a built board as ``leaderboard.<ext>`` in each format; returns the paths written."""
    check_formats(formats)
    writers = {**WRITERS, "md": lambda b: to_markdown(b, ci)}
    return [atomic_write(out_dir / f"leaderboard.{SUFFIX[fmt]}", writers[fmt](board)) for fmt in formats]


def headline(board: Board, top: int = 3) -> list[str]:
    """The board in a few lines, for the end of a run: the first places by mean rank, then the best providers of
    each family by its mean score (bias: the least biased)."""

    def listed(pairs: list[tuple[str, float]], digits: int) -> str:
        return ", ".join(f"{provider} {value:.{digits}f}" for provider, value in pairs[:top])

    ranked = sorted((a["mean_rank"], p) for p, a in board.aggregates.items() if a["mean_rank"] is not None)
    lines = [f"mean rank: {listed([(p, r) for r, p in ranked], 2)}"] if ranked else []
    for family in dict.fromkeys(c.family for c in board.columns):
        higher = next(c.higher_is_better for c in board.columns if c.family == family)
        means = [(p, a["families"][family]) for p, a in board.aggregates.items() if family in a["families"]]
        means.sort(key=lambda pair: -pair[1] if higher else pair[1])
        lines.append(f"{family} ({'higher' if higher else 'lower'} is better): {listed(means, 3)}")
    return lines
