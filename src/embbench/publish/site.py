"""A board as a static site that can be served as it is (GitHub Pages, any web server, or file://): the page, one
page per task and per provider, the records with their items bundle, and a machine-readable index. Every link
is relative and nothing is fetched from elsewhere."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from embbench._util.atomic import atomic_write
from embbench.publish.board import Board, Cell, Column
from embbench.publish.page import render_page
from embbench.publish.writers import footnote, to_json
from embbench.records.bundle import BUNDLE, publish_records
from embbench.records.items import readable_columns
from embbench.records.record import Record

STYLE = """body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;
text-align:left;vertical-align:top}td.num{text-align:right;font-variant-numeric:tabular-nums}nav a{margin-right:.8rem}
.best{font-weight:600}small{color:#666}"""
HARDEST = 10


def slug(label: str) -> str:
    """A file name for a label: its letters, digits, dots and dashes, the rest as dashes."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-") or "x"


def _names(labels: list[str]) -> dict[str, str]:
    """A distinct file name per label (a counter after repeats)."""
    names: dict[str, str] = {}
    for label in labels:
        name, n = slug(label), 1
        while name in names.values():
            n += 1
            name = f"{slug(label)}-{n}"
        names[label] = name
    return names


def _num(value: Any, digits: int = 4) -> str:
    return "–" if value is None or (isinstance(value, float) and not np.isfinite(value)) else f"{value:.{digits}f}"


def _value(value: Any) -> str:
    """An item's output as a reader wants it: numbers to 4 decimals, the rest as written."""
    if isinstance(value, float | np.floating) and not isinstance(value, bool):
        return _num(float(value))
    return html.escape(str(value))


def _page(title: str, body: str, up: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width,initial-scale=1"><title>{html.escape(title)}</title><style>{STYLE}'
            f'</style></head><body><nav><a href="{up}index.html">the board</a><a href="{up}index.json">index.json'
            f"</a></nav><h1>{html.escape(title)}</h1>{body}</body></html>\n")  # fmt: skip


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    return f"<table><tr>{head}</tr>" + "".join("<tr>" + "".join(rows_) + "</tr>" for rows_ in rows) + "</table>"


def _task_page(board: Board, column: Column, providers: dict[str, str]) -> str:
    cells = [(p, board.cell(p, column.task)) for p in board.providers if board.cell(p, column.task) is not None]
    rows = []
    for provider, cell in cells:
        ci = cell.record.ci95
        if cell.best:
            test = "the best"
        elif cell.p_vs_best is not None:
            test = f"{_num(cell.p_vs_best)} ({html.escape(cell.test or column.test)})"
        else:
            test = html.escape(cell.test or "–")
        rows.append([f'<td><a href="../providers/{providers[provider]}.html">{html.escape(provider)}</a></td>',
                     f'<td class="num{" best" if cell.best else ""}">{_num(cell.score)}</td>',
                     f'<td class="num">{f"{_num(ci[0])} – {_num(ci[1])}" if ci else "–"}</td>',
                     f'<td class="num">{_num(cell.record.coverage, 3)}</td>', f"<td>{test}</td>",
                     f"<td>{'yes' if cell.top_tier else ''}</td>"])  # fmt: skip
    body = (f"<p>{html.escape(column.family)} · {html.escape(column.metric)} "
            f"({'higher' if column.higher_is_better else 'lower'} is better) · paired test: "
            f"{html.escape(column.test or '–')} · common items: {column.common_items or '–'}</p>"
            + _table(["provider", "score", "95% interval", "coverage", "p vs best (Holm)", "top tier"], rows)
            + _hardest(cells, column))  # fmt: skip
    return _page(column.task, body, "../")


def _hardest(cells: list[tuple[str, Cell]], column: Column) -> str:
    """The items with the highest loss on average over the providers that scored them, each provider's output."""
    with_items = [(p, c.items) for p, c in cells if c.items is not None and "loss" in c.items]
    if not with_items:
        return "<p><small>No per-item outputs to show.</small></p>"
    losses: dict[str, list[float]] = {}
    for _, items in with_items:
        for item, loss in zip(items["id"].astype(str), np.asarray(items["loss"], dtype=float), strict=True):
            if np.isfinite(loss):
                losses.setdefault(item, []).append(loss)
    hardest = sorted(losses, key=lambda i: (-float(np.mean(losses[i])), i))[:HARDEST]
    output = column.scorer.score_column if column.scorer is not None and column.scorer.score_column else "loss"
    first = with_items[0][1]
    shown = [name for name in readable_columns(first) if name not in ("loss", output)][:3]
    position = {p: {item: row for row, item in enumerate(items["id"].astype(str))} for p, items in with_items}
    rows = []
    for item in hardest:
        row = position[with_items[0][0]].get(item)
        texts = [html.escape(str(first[name][row])) if row is not None else "" for name in shown]
        values = []
        for provider, items in with_items:
            at = position[provider].get(item)
            values.append(_value(items[output][at]) if at is not None else "–")
        rows.append([f"<td>{t}</td>" for t in texts] + [f'<td class="num">{v}</td>' for v in values])
    header = [html.escape(n) for n in shown] + [f"{html.escape(p)}<br><small>{output}</small>" for p, _ in with_items]
    return "<h2>The hardest items</h2>" + _table(header, rows)


def _maps_section(entries: list[dict[str, Any]], providers: dict[str, str], tasks: dict[str, str]) -> str:
    """A provider's maps: per labelled task, each map with its parameters, faithfulness and stability, and the
    share of nearest neighbours it has in common with every other provider."""
    from embbench.publish.projector import svg

    parts = ["<h2>Maps of its embeddings</h2>"]
    for entry in entries:
        task = html.escape(entry["task"])
        parts.append(f'<h3><a href="../tasks/{tasks[entry["task"]]}.html">{task}</a> ({entry["items"]:,} items)</h3>')
        if "note" in entry:
            parts.append(f"<p><small>No map: {html.escape(entry['note'])}.</small></p>")
            continue
        for drawn in entry["maps"]:
            facts = {
                **drawn.parameters,
                **{k: round(v, 4) for k, v in drawn.faithfulness.items()},
                "procrustes_disparity_across_seeds": round(drawn.stability, 6),
                "points": len(entry["keep"]),
            }
            rows = [[f"<th>{html.escape(k)}</th>", f"<td>{html.escape(str(v))}</td>"] for k, v in facts.items()]
            picture = svg(drawn.points, entry["labels"], f"{drawn.method} of {task}")
            parts.append(f"<h4>{drawn.method.upper()}</h4>{picture}" + _table(["", ""], rows))
        shared = entry.get("shared_neighbours", {})
        if shared:
            rows = [[f'<td><a href="{providers[other]}.html">{html.escape(other)}</a></td>',
                     f'<td class="num">{_num(value, 3)}</td>'] for other, value in sorted(shared.items())]  # fmt: skip
            parts.append(_table(["beside", "share of each item's 10 nearest neighbours in common"], rows))
    return "".join(parts)


def _provider_page(
    board: Board, provider: str, tasks: dict[str, str], records: list[Record], names: dict[str, str],
    maps: list[dict[str, Any]],
) -> str:  # fmt: skip
    meta = board.metadata.get(provider, {})
    facts = _table(["", ""], [[f"<th>{html.escape(k)}</th>", f"<td>{html.escape(str(v))}</td>"]
                               for k, v in meta.items()])  # fmt: skip
    own = [r for r in records if r.provider_label == provider]
    provenance = own[0].provenance if own else {}
    rows = []
    for record in sorted(own, key=lambda r: r.task_label):
        link = (f'<a href="../records/{html.escape(record.path.name)}">record</a>'
                if record.path is not None else "from MTEB")  # fmt: skip
        task = f'<a href="../tasks/{tasks[record.task_label]}.html">{html.escape(record.task_label)}</a>'
        rows.append([f"<td>{task}</td>",
                     f"<td>{record.status}</td>", f'<td class="num">{_num(record.main_value)}</td>',
                     f"<td>{html.escape(record.main_score)}</td>", f"<td>{link}</td>"])  # fmt: skip
    body = ("<h2>Metadata</h2>" + facts + "<h2>Provenance</h2><pre>"
            + html.escape(json.dumps(provenance, indent=1, default=str)) + "</pre><h2>Records</h2>"
            + _table(["task", "status", "score", "metric", ""], rows))  # fmt: skip
    if maps:
        body += _maps_section(maps, names, tasks)
    return _page(provider, body, "../")


def write_site(
    board: Board, records: list[Record], folder: Path, maps: dict[str, list[dict[str, Any]]] | None = None
) -> list[Path]:
    """Write the site of ``board`` (made from ``records``) into ``folder``; ``maps``: per provider, the maps of
    its embeddings its page shows (``projector.provider_maps``)."""
    tasks = _names([c.task for c in board.columns])
    providers = _names(board.providers)
    nav = ("<nav><b>Tasks</b> " + " ".join(f'<a href="tasks/{tasks[c.task]}.html">{html.escape(c.task)}</a>'
                                          for c in board.columns)
           + "<br><b>Providers</b> " + " ".join(f'<a href="providers/{providers[p]}.html">{html.escape(p)}</a>'
                                               for p in board.providers)
           + f'<br><a href="index.json">index.json</a> <a href="leaderboard.json">leaderboard.json</a> '
             f'<a href="records/{BUNDLE}">the items bundle</a></nav>')  # fmt: skip
    written = [atomic_write(folder / "index.html", render_page(board.to_dict(), footnote(board), nav)),
               atomic_write(folder / "leaderboard.json", to_json(board))]  # fmt: skip
    for column in board.columns:
        page = _task_page(board, column, providers)
        written.append(atomic_write(folder / "tasks" / f"{tasks[column.task]}.html", page))
    for provider in board.providers:
        written.append(atomic_write(folder / "providers" / f"{providers[provider]}.html",
                                    _provider_page(board, provider, tasks, records, providers,
                                                   (maps or {}).get(provider, []))))  # fmt: skip
    publish_records(records, folder / "records")
    index = {"board": "leaderboard.json", "page": "index.html", "records": "records/", "bundle": f"records/{BUNDLE}",
             "tasks": [{"task": c.task, "family": c.family, "metric": c.metric, "higher_is_better": c.higher_is_better,
                        "page": f"tasks/{tasks[c.task]}.html"} for c in board.columns],
             "providers": [{"provider": p, "page": f"providers/{providers[p]}.html", **board.aggregates[p]}
                           for p in board.providers]}  # fmt: skip
    written.append(atomic_write(folder / "index.json", json.dumps(index, indent=1, default=str) + "\n"))
    return written
