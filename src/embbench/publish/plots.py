"""The page's plots, drawn by matplotlib as inline SVG when the page is written: axes with ticks and tick labels,
every point labelled, the better rank at the top, one font size throughout, and nothing fetched by the page.

Each plot is a ``<figure>`` with its caption below it. Text stays text (``svg.fonttype = none``), so it can be
searched, read by a screen reader and checked in a browser. Artists carry ids (``label-3``, ``point-3``) that a
test finds in the page; every id is prefixed by its plot's name, so several plots share one page.
"""

from __future__ import annotations

import html
import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

FONT_SIZE = 9  # points, in every plot
STYLE = {
    "svg.fonttype": "none", "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"], "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE, "axes.labelsize": FONT_SIZE, "xtick.labelsize": FONT_SIZE,
    "ytick.labelsize": FONT_SIZE, "legend.fontsize": FONT_SIZE, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.color": "#e4e7eb", "grid.linewidth": 0.6,
}  # fmt: skip
POINT, FRONTIER = "#0969da", "#cf222e"
CELL_INCHES = 0.3  # a heatmap cell, big enough for its rank at FONT_SIZE - 1
OFFSETS = [(1, 1), (-1, 1), (1, -1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)]  # label directions tried in order
RADII = (5, 14, 26, 40)  # points from the point; beyond the first a thin line joins label and point


@dataclass
class Point:
    """A labelled point of a scatter plot; ``interval`` is drawn as an error bar, ``filled`` as a solid marker."""

    x: float
    y: float
    label: str
    interval: tuple[float, float] | None = None
    filled: bool = True
    kind: str = "point"


@contextmanager
def _figure(width: float, height: float) -> Iterator[Any]:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE), warnings.catch_warnings():
        # text stays text in the SVG, drawn by the browser's fonts: a glyph DejaVu Sans lacks (an emoji in a label)
        # only makes its label's measured box approximate, so matplotlib's warning about it is not shown
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        figure = Figure(figsize=(width, height), dpi=72)  # 1 point = 1 pixel: sizes measured as the page draws them
        FigureCanvasAgg(figure)
        yield figure


def _svg(figure: Any, name: str) -> str:
    """The figure as an ``<svg>`` element whose ids (and the references to them) start with ``name``."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.05, metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{name}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{html.escape(name)}" ', 1)


def _figure_html(name: str, svg: str, caption: str, key: list[tuple[int, str]], extra: str = "") -> str:
    """The plot with its caption below it; ``key`` names the points whose label had no free spot (numbered)."""
    listed = "".join(f'<li value="{n}" data-point="{n}">{html.escape(label)}</li>' for n, label in key)
    key_html = f'<ol class="key">{listed}</ol>' if key else ""
    return (f'<figure class="plot" id="plot-{name}"{extra}><div class="svg">{svg}</div>'
            f"<figcaption>{caption}{key_html}</figcaption></figure>")  # fmt: skip


def _overlaps(box: Any, others: list[Any]) -> bool:
    return any(box.overlaps(other) for other in others)


def place_labels(figure: Any, axes: Any, points: list[Point]) -> list[tuple[int, str]]:
    """Put each point's label beside it where it covers no other label or point and stays inside the axes, trying
    nearer spots first, then farther ones with a line to the point; a label with no free spot becomes the point's
    number, named in the key returned (number, label). Labels are placed in the points' order."""
    renderer = figure.canvas.get_renderer()
    frame = axes.get_window_extent(renderer)
    centres = [axes.transData.transform((p.x, p.y)) for p in points]
    from matplotlib.transforms import Bbox

    markers = [Bbox.from_bounds(cx - 4, cy - 4, 8, 8) for cx, cy in centres]
    labels: list[Any] = []
    key = []
    for i, point in enumerate(points):
        taken = labels + markers[:i] + markers[i + 1 :]  # its own marker is cleared by the offsets
        spot = _free_spot(axes, point, renderer, frame, taken, point.label)
        if spot is None:
            key.append((i + 1, point.label))
            spot = _free_spot(axes, point, renderer, frame, taken, str(i + 1), force=True)
        spot.set_gid(f"label-{i}")
        labels.append(_text_box(spot, renderer))
    return key


def _text_box(text: Any, renderer: Any) -> Any:
    from matplotlib.text import Text

    text.update_positions(renderer)  # an annotation's offset is applied when it is drawn
    return Text.get_window_extent(text, renderer).padded(1.5)


def _free_spot(axes: Any, point: Point, renderer: Any, frame: Any, taken: list[Any], text: str,
               force: bool = False) -> Any:  # fmt: skip
    for radius in RADII:
        for dx, dy in OFFSETS:
            arrow = {"arrowstyle": "-", "color": "#8c959f", "lw": 0.6, "shrinkA": 0, "shrinkB": 3}
            label = axes.annotate(
                text, (point.x, point.y), xytext=(dx * radius, dy * radius), textcoords="offset points",
                ha={1: "left", -1: "right", 0: "center"}[dx], va={1: "bottom", -1: "top", 0: "center"}[dy],
                arrowprops=arrow if radius > RADII[0] else None, annotation_clip=False,
            )  # fmt: skip
            box = _text_box(label, renderer)
            if frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1) and not _overlaps(box, taken):
                return label
            label.remove()
    if force:  # a number is small: beside the point even where it touches another
        return axes.annotate(text, (point.x, point.y), xytext=(4, 4), textcoords="offset points", fontsize="small")
    return None


def scatter(name: str, points: list[Point], xlabel: str, ylabel: str, caption: str, *, log_x: int | None = None,
            invert_y: bool = False, extra: str = "", frontier: bool = False,
            size: tuple[float, float] = (6.4, 4.2)) -> str:  # fmt: skip
    """A labelled scatter plot as a page figure: ``log_x`` is the base of a logarithmic x axis, ``invert_y`` puts
    the smallest value (rank 1) at the top; with ``frontier``, the filled points are joined by a line."""
    from matplotlib.ticker import EngFormatter, FuncFormatter

    with _figure(*size) as figure:
        axes = figure.add_subplot()
        for i, p in enumerate(points):
            if p.interval is not None:
                bar = axes.plot([p.x, p.x], p.interval, color=POINT, lw=1, alpha=0.6)[0]
                bar.set_gid(f"interval-{i}")
            marker = axes.plot([p.x], [p.y], "o", ms=6, color=POINT, mfc=POINT if p.filled else "white", zorder=3)[0]
            marker.set_gid(f"{p.kind}-{i}")
        if frontier:
            on = sorted((p.x, p.y) for p in points if p.filled)
            axes.plot([x for x, _ in on], [y for _, y in on], color=FRONTIER, lw=1.2, zorder=2)[0].set_gid("frontier")
        if log_x:
            axes.set_xscale("log", base=log_x)
            axes.xaxis.set_major_formatter(EngFormatter(unit="B") if log_x == 10 else FuncFormatter(
                lambda v, _: f"{v:g}"))  # fmt: skip
            low, high = axes.get_xlim()
            if sum(low <= tick <= high for tick in axes.get_xticks()) < 3:  # a narrow range: tick the points' values
                axes.set_xticks(sorted({p.x for p in points}))
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        axes.margins(0.12, 0.12)
        if invert_y:
            axes.invert_yaxis()
        key = place_labels(figure, axes, points)
        return _figure_html(name, _svg(figure, name), caption, key, extra)


def rank_heatmap(data: dict[str, Any], columns: list[dict[str, Any]]) -> str:
    """Each provider's rank on each quality task by score, as the mean rank counts it (1: the best), coloured
    from green (first) to red (last); grey: no score."""
    import numpy as np
    from matplotlib import colormaps

    providers = data["providers"]
    ranks = np.full((len(providers), len(columns)), np.nan)
    for j, column in enumerate(columns):
        scores = {p: (data["cells"].get(p, {}).get(column["task"]) or {}).get("score") for p in providers}
        known = [s for s in scores.values() if s is not None]
        for i, p in enumerate(providers):
            if scores[p] is not None:
                better = sum(s > scores[p] if column["higher_is_better"] else s < scores[p] for s in known)
                ranks[i, j] = 1 + better
    worst = np.nanmax(ranks) if np.isfinite(ranks).any() else 1
    shade = np.where(np.isnan(ranks), np.nan, (ranks - 1) / max(worst - 1, 1))
    cmap = colormaps["RdYlGn_r"].with_extremes(bad="#eaeef2")
    width = CELL_INCHES * len(columns) + 0.5
    with _figure(width, CELL_INCHES * len(providers) + 0.5) as figure:
        axes = figure.add_axes((0, 0, 1, 1))
        axes.pcolormesh(np.ma.masked_invalid(shade), cmap=cmap, vmin=0, vmax=1, edgecolors="white", linewidth=1)
        for (i, j), rank in np.ndenumerate(ranks):
            text = "–" if np.isnan(rank) else str(int(rank))
            axes.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=FONT_SIZE - 1,
                      color="#1f2328").set_gid(f"rank-{i}-{j}")  # fmt: skip
        axes.set_xlim(0, len(columns))
        axes.set_ylim(len(providers), 0)
        axes.set_aspect("equal")
        axes.grid(False)
        axes.xaxis.tick_top()
        axes.set_xticks([j + 0.5 for j in range(len(columns))], [c["task"] for c in columns], rotation=60,
                        ha="left", rotation_mode="anchor")  # fmt: skip
        axes.set_yticks([i + 0.5 for i in range(len(providers))], providers)
        axes.tick_params(length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        caption = ("Rank per quality task by score, as the mean rank counts it (1 = best, green; red = last; grey:"
                   " no score); providers in the board's order")  # fmt: skip
        return _figure_html("heatmap", _svg(figure, "heatmap"), caption, [])


def _ranked(data: dict[str, Any], provider: str, key: str) -> float | None:
    return data["aggregates"][provider][key]


def frontier_points(points: list[dict[str, Any]]) -> list[Point]:
    """A task's quality-against-bytes points as plotted: bytes, score and interval; filled on the frontier."""
    return [Point(p["bytes"], p["score"], p["label"], tuple(p["ci95"]) if p.get("ci95") else None, p["frontier"],
                  "on-frontier" if p["frontier"] else "off-frontier") for p in points]  # fmt: skip


def page_plots(data: dict[str, Any]) -> str:
    """Every plot of the page, as HTML: the rank heatmap, quality against bias and mean rank against dimension
    where the board has the data for them, and quality against bytes per named task (one shown at a time)."""
    providers = data["providers"]
    quality = [c for c in data["columns"] if c["family"] != "bias"]
    parts = [rank_heatmap(data, quality)] if quality else []
    biased = [Point(m, b, p) for p in providers if (m := _ranked(data, p, "mean_rank")) is not None
              and (b := _ranked(data, p, "bias_rank")) is not None]  # fmt: skip
    if biased:
        parts.append(scatter("bias", biased, "mean quality rank (lower is better)", "bias rank (1 = least biased, top)",
                             "Quality against bias: each provider's mean rank on the quality tasks and on the bias"
                             " tasks", invert_y=True))  # fmt: skip
    sized = [Point(d, m, p) for p in providers if (d := data["metadata"][p].get("dim"))
             and (m := _ranked(data, p, "mean_rank")) is not None]  # fmt: skip
    if sized:
        parts.append(scatter("dim", sized, "dimension (log scale)", "mean quality rank (1 = best, top)",
                             "Mean rank against dimension", log_x=2, invert_y=True))  # fmt: skip
    html_parts = [f'<h2>Plots</h2><div class="plots">{"".join(parts)}</div>'] if parts else []
    frontiers = data.get("frontiers") or {}
    if frontiers:
        first = next((t for t, points in frontiers.items() if any(p["of"] == "index" for p in points)), None)
        first = first or next(iter(frontiers))
        figures = []
        for n, (task, points) in enumerate(frontiers.items()):
            of = "search index" if points[0]["of"] == "index" else "model in memory"
            hidden = "" if task == first else " hidden"
            figures.append(scatter(
                f"frontier-{n}", frontier_points(points), f"bytes ({of}, log scale)", f"{task}: score",
                f"Quality against bytes on {html.escape(task)}: what each compression or index costs, with its 95%"
                " interval; filled points are on the Pareto frontier (nothing is as good for fewer bytes), joined by"
                " the red line", log_x=10, frontier=True, size=(9, 5.2),
                extra=f' data-task="{html.escape(task)}"{hidden}',
            ))  # fmt: skip
        options = "".join(f"<option{' selected' if t == first else ''}>{html.escape(t)}</option>" for t in frontiers)
        html_parts.append(f'<h2>Quality against bytes</h2><div id="frontier"><label>task <select id="frontier-task">'
                          f'{options}</select></label>{"".join(figures)}</div>')  # fmt: skip
    return "".join(html_parts)
