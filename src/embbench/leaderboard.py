"""Leaderboards: a providers x tasks pivot of main scores with a mean-rank column, in several formats."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from embbench.errors import EmbbenchError
from embbench.results import MIN_COVERAGE, Record

MEAN_RANK = "mean rank"
FORMATS = ("md", "csv", "json", "html", "latex")


LOW_MARK = "*"


@dataclass(frozen=True)
class Leaderboard:
    """Main scores (providers x tasks, plus mean rank) and the coverage behind each score."""

    scores: pd.DataFrame
    coverage: pd.DataFrame
    min_coverage: float = MIN_COVERAGE

    def cells(self, digits: int = 3) -> pd.DataFrame:
        """Scores as text: ``–`` where there is none, ``*`` after a score that covers too few of its items."""
        text = self.scores.map(lambda v: "–" if pd.isna(v) else f"{v:.{digits}f}")
        low = self.coverage.reindex_like(self.scores).lt(self.min_coverage) & self.scores.notna()
        return text.where(~low, text + LOW_MARK)

    def footnote(self) -> str:
        return (
            f"{LOW_MARK} scored on fewer than {self.min_coverage:.0%} of the task's items (coverage is in each record);"
            " – no score. Mean rank over the tasks each provider has a score for (lower is better)."
        )


def check_unique_cells(records: list[Record]) -> None:
    """Two records for one (provider label, task label) cell are an error naming both files, never a silent pick."""
    seen: dict[tuple[str, str], Record] = {}
    for record in records:
        cell = (record.provider_label, record.task_label)
        if cell in seen:
            other = seen[cell]
            same = "the same configuration" if other.key == record.key else "different configurations"
            raise EmbbenchError(
                f"two records of {cell[0]} × {cell[1]} ({same}): {other.path or other.key} and"
                f" {record.path or record.key}; remove one, or rerun them together so their labels differ"
            )
        seen[cell] = record


def leaderboard(records: list[Record], min_coverage: float = MIN_COVERAGE) -> Leaderboard:
    """Providers (rows) x tasks (columns) of main scores, plus the mean rank over each provider's tasks.

    Ranks are per task (1 = best, ties share the lower rank), in each task's own direction.
    """
    check_unique_cells(records)
    rows = [(r.provider_label, r.task_label, r.main_value, r.higher_is_better, r.coverage) for r in records]
    if not rows:
        raise EmbbenchError("no result records to tabulate")
    frame = pd.DataFrame(rows, columns=["provider", "task", "score", "higher", "coverage"])
    providers, tasks = sorted(frame["provider"].unique()), sorted(frame["task"].unique())

    def table(values: str) -> pd.DataFrame:
        wide = frame.pivot_table(index="provider", columns="task", values=values, aggfunc="first", dropna=False)
        return wide.reindex(index=providers, columns=tasks)

    scores = table("score")
    direction = frame.groupby("task")["higher"].first()
    ranks = pd.DataFrame({t: scores[t].rank(ascending=not direction[t], method="min") for t in tasks})
    scores[MEAN_RANK] = ranks.mean(axis=1)
    scores = scores.sort_values(MEAN_RANK, na_position="last")
    return Leaderboard(scores, table("coverage").reindex(index=scores.index), min_coverage)


def to_markdown(board: Leaderboard) -> str:
    cells = board.cells()
    header = ["provider", *cells.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * len(cells.columns)) + "|"]
    for provider, row in cells.iterrows():
        lines.append("| " + " | ".join([str(provider), *row]) + " |")
    return "\n".join(lines) + f"\n\n{board.footnote()}\n"


def to_html(board: Leaderboard) -> str:
    """One static HTML file (inline CSS, no scripts, no server)."""
    cells = board.cells()
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ["provider", *cells.columns])
    body = "".join(
        "<tr><th>" + html.escape(str(p)) + "</th>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
        for p, row in cells.iterrows()
    )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:.3em .6em}td{text-align:right;font-variant-numeric:tabular-nums}"
        "thead th{background:#f3f3f3}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>embbench leaderboard</title><style>{style}</style>"
        f"</head><body><h1>embbench leaderboard</h1><p>Main score of each task.</p><table><thead><tr>{head}</tr>"
        f"</thead><tbody>{body}</tbody></table><p>{html.escape(board.footnote())}</p></body></html>\n"
    )


def _latex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                          ("$", r"\$"), ("{", r"\{"), ("}", r"\}")):  # fmt: skip
        text = text.replace(char, escaped)
    return text


def to_latex(board: Leaderboard) -> str:
    cells = board.cells()
    header = " & ".join(_latex_escape(str(c)) for c in ["provider", *cells.columns])
    rows = [" & ".join([_latex_escape(str(p)), *row]) + r" \\" for p, row in cells.iterrows()]
    spec = "l" + "r" * len(cells.columns)
    return "\n".join([rf"\begin{{tabular}}{{{spec}}}", r"\toprule", header + r" \\", r"\midrule", *rows,
                      r"\bottomrule", r"\end{tabular}", f"% {board.footnote()}", ""])  # fmt: skip


def _number(value: object) -> float | None:
    return None if pd.isna(value) else float(value)


def to_json(board: Leaderboard) -> str:
    """One object per provider: the task scores and mean rank, and ``coverage`` (task -> items scored / items)."""
    data = [
        {
            "provider": p,
            **{c: _number(v) for c, v in row.items()},
            "coverage": {t: _number(v) for t, v in board.coverage.loc[p].items()},
        }
        for p, row in board.scores.iterrows()
    ]
    return json.dumps(data, indent=2) + "\n"


WRITERS: dict[str, Callable[[Leaderboard], str]] = {
    "md": to_markdown,
    "csv": lambda board: board.scores.to_csv(float_format="%.6g"),
    "json": to_json,
    "html": to_html,
    "latex": to_latex,
}
SUFFIX = {"md": "md", "csv": "csv", "json": "json", "html": "html", "latex": "tex"}


def write_leaderboard(
    records: list[Record], out_dir: Path, formats: list[str], min_coverage: float = MIN_COVERAGE
) -> list[Path]:
    """Write ``leaderboard.<ext>`` in each format; returns the paths written."""
    for fmt in formats:
        if fmt not in WRITERS:
            raise EmbbenchError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})", "--format")
    board = leaderboard(records, min_coverage)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = out_dir / f"leaderboard.{SUFFIX[fmt]}"
        path.write_text(WRITERS[fmt](board), encoding="utf-8")
        paths.append(path)
    return paths
