"""Leaderboards: a providers x tasks pivot of main scores with a mean-rank column, in several formats."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from embbench.errors import EmbbenchError
from embbench.results import Record

MEAN_RANK = "mean rank"
FORMATS = ("md", "csv", "json", "html", "latex")


def pivot(records: list[Record]) -> pd.DataFrame:
    """Providers (rows) x tasks (columns) of main scores, plus the mean rank over each provider's tasks.

    Ranks are per task (1 = best, ties share the lower rank), in each task's own direction.
    """
    rows = [(r.provider_label, r.task_label, r.main_value, r.higher_is_better) for r in records]
    if not rows:
        raise EmbbenchError("no result records to tabulate")
    frame = pd.DataFrame(rows, columns=["provider", "task", "score", "higher"])
    table = frame.pivot_table(index="provider", columns="task", values="score", aggfunc="last", dropna=False)
    tasks = sorted(frame["task"].unique())
    table = table.reindex(index=sorted(frame["provider"].unique()), columns=tasks)
    direction = frame.groupby("task")["higher"].first()
    ranks = pd.DataFrame({t: table[t].rank(ascending=not direction[t], method="min") for t in tasks})
    table[MEAN_RANK] = ranks.mean(axis=1)
    return table.sort_values(MEAN_RANK, na_position="last")


def _cell(value: object, digits: int = 3) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def to_markdown(table: pd.DataFrame) -> str:
    header = ["provider", *table.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * len(table.columns)) + "|"]
    for provider, row in table.iterrows():
        lines.append("| " + " | ".join([str(provider), *(_cell(v) for v in row)]) + " |")
    return "\n".join(lines) + "\n"


def to_html(table: pd.DataFrame) -> str:
    """One static HTML file (inline CSS, no scripts, no server)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ["provider", *table.columns])
    body = "".join(
        "<tr><th>" + html.escape(str(p)) + "</th>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
        for p, row in table.iterrows()
    )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:.3em .6em}td{text-align:right;font-variant-numeric:tabular-nums}"
        "thead th{background:#f3f3f3}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>embbench leaderboard</title><style>{style}</style>"
        f"</head><body><h1>embbench leaderboard</h1><p>Main score of each task; mean rank over tasks (lower is "
        f"better).</p><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>\n"
    )


def _latex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                          ("$", r"\$"), ("{", r"\{"), ("}", r"\}")):  # fmt: skip
        text = text.replace(char, escaped)
    return text


def to_latex(table: pd.DataFrame) -> str:
    header = " & ".join(_latex_escape(str(c)) for c in ["provider", *table.columns])
    rows = [" & ".join([_latex_escape(str(p)), *(_cell(v) for v in row)]) + r" \\" for p, row in table.iterrows()]
    spec = "l" + "r" * len(table.columns)
    return "\n".join([rf"\begin{{tabular}}{{{spec}}}", r"\toprule", header + r" \\", r"\midrule", *rows,
                      r"\bottomrule", r"\end{tabular}", ""])  # fmt: skip


def to_json(table: pd.DataFrame) -> str:
    data = [
        {"provider": p, **{c: (None if pd.isna(v) else float(v)) for c, v in row.items()}}
        for p, row in table.iterrows()
    ]
    return json.dumps(data, indent=2) + "\n"


WRITERS: dict[str, Callable[[pd.DataFrame], str]] = {
    "md": to_markdown,
    "csv": lambda t: t.to_csv(float_format="%.6g"),
    "json": to_json,
    "html": to_html,
    "latex": to_latex,
}
SUFFIX = {"md": "md", "csv": "csv", "json": "json", "html": "html", "latex": "tex"}


def write_leaderboard(records: list[Record], out_dir: Path, formats: list[str]) -> list[Path]:
    """Write ``leaderboard.<ext>`` in each format; returns the paths written."""
    for fmt in formats:
        if fmt not in WRITERS:
            raise EmbbenchError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})", "--format")
    table = pivot(records)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = out_dir / f"leaderboard.{SUFFIX[fmt]}"
        path.write_text(WRITERS[fmt](table), encoding="utf-8")
        paths.append(path)
    return paths
