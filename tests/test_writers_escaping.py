"""Labels with characters that mean something in an output format read back exactly from every format: the
Markdown table (parsed by markdown-it, as GitHub renders it), the LaTeX table (parsed by pylatexenc), and the
page (read in Chromium). Labels are fuzzed with Hypothesis."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embbench import run
from embbench.publish.board import build_board
from embbench.publish.writers import to_latex, to_markdown, write_leaderboard
from embbench.records.record import Record, load_records

HOSTILE = [
    "a|b", r"back\slash", "**bold**", "***", "_x_", "`code`", "[link](http://x)", "<b>tag</b>", "&amp;", "~~gone~~",
    "$x^2$", "50% ~ {set} #1 & co", "--dash---", "</script><!--<script>", "line\u2028break", "'quoted' \"twice\"",
    "ü ∑ 🙂", "x\\|y", "<!--", "]]>", "${x}",
]  # fmt: skip
LABELS = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn")), min_size=1, max_size=24
).filter(lambda text: text == text.strip() and not text.endswith(" (new)"))


@pytest.fixture(scope="module")
def records(tmp_path_factory, registry, cache_dir) -> list[Record]:
    folder = tmp_path_factory.mktemp("escaping") / "results"
    run(["glove", "pca:base=glove,dim=10"], ["mc30", "rg65"], folder, registry=registry, cache_dir=cache_dir)
    return load_records(folder)


def relabelled(records: list[Record], first: str, second: str) -> list[Record]:
    names = {"glove": first}
    return [r.model_copy(update={"provider_label": names.get(r.provider_label, second)}) for r in records]


class TableText(HTMLParser):
    """The text of each row's cells in rendered HTML, as a reader sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def markdown_first_column(text: str) -> list[str]:
    from markdown_it import MarkdownIt

    parser = TableText()
    parser.feed(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text))
    assert all(len(row) == len(parser.rows[0]) for row in parser.rows), "a row has another number of cells"
    return [row[0] for row in parser.rows[1:]]


def latex_first_column(text: str) -> list[str]:
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    # LaTeX's own text symbols that pylatexenc's table lacks, or reads as another character
    symbols = {"textless": "<", "textgreater": ">", "textbar": "|", "textquotedbl": '"', "textasciicircum": "^"}
    context = get_default_latex_context_db().filter_context()
    context.add_context_category("text symbols", macros=[MacroTextSpec(k, v) for k, v in symbols.items()],
                                 prepend=True)  # fmt: skip
    reader = LatexNodes2Text(latex_context=context, math_mode="verbatim", strict_latex_spaces=True)
    body = text.split("\\midrule\n", 1)[1].split("\\bottomrule", 1)[0]
    rows = [line.removesuffix(r" \\") for line in body.split("\n") if line]  # LaTeX's lines: split at \n only
    return [reader.latex_to_text(re.split(r"(?<!\\) & ", row)[0]) for row in rows]


def check_read_back(records: list[Record], registry, first: str, second: str) -> None:
    board = build_board(relabelled(records, first, second), registry=registry)
    assert sorted(markdown_first_column(to_markdown(board))) == sorted([first, second])
    assert sorted(latex_first_column(to_latex(board))) == sorted([first, second])


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_read_back_from_markdown_and_latex(records, registry, label) -> None:
    check_read_back(records, registry, label, "plain")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.tuples(LABELS, LABELS).filter(lambda pair: pair[0] != pair[1]))
def test_fuzzed_labels_read_back_from_markdown_and_latex(records, registry, pair) -> None:
    check_read_back(records, registry, *pair)


def test_hostile_labels_read_back_from_the_page_in_chromium(records, registry, tmp_path: Path) -> None:
    """Every hostile label at once on one page: the page renders every row, each label exactly, in the table and
    the details panel, with no console error."""
    from playwright.sync_api import sync_playwright

    from embbench.publish.screenshot import launch

    labelled = []
    for i, label in enumerate(HOSTILE):
        labelled += [r.model_copy(update={"provider_label": label, "key": f"{r.key}-{i}"}) for r in records
                     if r.provider_label == "glove"]  # fmt: skip
    write_leaderboard(labelled, tmp_path, ["html"], registry=registry)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((tmp_path / "leaderboard.html").as_uri())
        page.wait_for_selector("#board tbody tr")
        shown = page.eval_on_selector_all("#board tbody tr th", "cells => cells.map(c => c.textContent)")
        keys = page.eval_on_selector_all("#board tbody tr", "rows => rows.map(r => r.dataset.provider)")
        row = keys.index("</script><!--<script>")  # the rows' order on the page, by rank
        page.locator("#board tbody tr").nth(row).locator("td[data-task='rg65']").click()
        heading = page.text_content("#details h3")
        browser.close()
    assert sorted(shown) == sorted(HOSTILE) and sorted(keys) == sorted(HOSTILE)
    assert heading == "</script><!--<script> × rg65"
    assert not errors, errors
