"""The interactive leaderboard page: one self-contained HTML file (inline CSS, JS and SVG; works from file://).

The page's style and script live in ``assets/`` and are inlined; the board's JSON is embedded, so every number
the page shows is the JSON's, and the plots are drawn from the same JSON (``embbench.publish.plots``).
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any


def _asset(name: str) -> str:
    return (resources.files("embbench.publish") / "assets" / name).read_text(encoding="utf-8")


SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element whatever its strings hold: ``<``, ``>`` and
    ``&`` as JSON escapes, so no string can end the element or start an HTML comment in it (``JSON.parse``
    reads the escapes back as the characters)."""
    text = json.dumps(data, default=str)
    return text.translate(str.maketrans(SCRIPT_UNSAFE))


def render_page(data: dict[str, Any], note: str, nav: str = "") -> str:
    """The page for a board's JSON data (embedded as JSON, so the numbers on the page are the JSON's); ``nav`` is
    HTML put under the title (a site's links to its task and provider pages)."""
    from embbench.publish.plots import page_plots

    payload = script_json(data)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>embbench leaderboard</title><style>{_asset("page.css")}</style></head>
<body>
<h1>embbench leaderboard</h1>{nav}
<p class="note">Click a column to sort, a score for its details. Hover a score for its interval, coverage and its
p-value against the task's best.</p>
<div class="controls">
<label>family <select id="family"></select></label>
<span role="radiogroup" aria-label="items">
<label><input type="radio" name="view" value="all" checked> all items each provider covers</label>
<label><input type="radio" name="view" value="common"> common items only</label></span>
</div>
<div class="wrap"><table id="board"></table></div>
<p class="note">{html.escape(note)}</p>
<aside id="details" class="hidden" aria-live="polite"></aside>
{page_plots(data)}
<h2>Providers</h2><div class="wrap"><table id="metadata"></table></div>
<script type="application/json" id="board-data">{payload}</script>
<script>{_asset("page.js")}</script>
</body></html>
"""
