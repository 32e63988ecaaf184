"""The leaderboard page in a real browser (headless Chromium through Playwright): it loads without console errors,
sorts, filters, opens a details panel whose numbers are the JSON's, switches to common items, and fits a phone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_cli
from playwright.sync_api import sync_playwright

from embbench import Context, run
from embbench.publish.board import build_board
from embbench.publish.screenshot import launch
from embbench.publish.writers import to_markdown, write_leaderboard
from embbench.records.record import load_records

PROVIDERS = ["glove", "pca:base=glove,dim=10", "postprocess:base=glove,method=all-but-the-top"]  # a long label too
TASKS = ["mc30", "rg65", "msr:restrict_vocab=20000", "essli2008:seeds=2", "bolukbasi-direct-bias"]


@pytest.fixture(scope="module")
def page_files(tmp_path_factory, registry, cache_dir) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("page")
    run(PROVIDERS, TASKS, folder / "results", registry=registry, cache_dir=cache_dir)
    write_leaderboard(load_records(folder / "results"), folder, ["html", "json"])
    return folder / "leaderboard.html", json.loads((folder / "leaderboard.json").read_text())


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


def open_page(browser, path: Path, width: int = 1280, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_selector("#board tbody tr")
    return page, errors


def column_values(page, task: str) -> list[str]:
    return page.eval_on_selector_all(f'#board td[data-task="{task}"]', "cells => cells.map(c => c.textContent)")


def test_page_sorts_filters_details_and_common_items(browser, page_files, tmp_path) -> None:
    path, data = page_files
    page, errors = open_page(browser, path)
    # sort by a similarity column: best first, as the JSON says
    page.click('#board thead th[data-key="rg65"]')
    order = page.eval_on_selector_all("#board tbody tr", "rows => rows.map(r => r.dataset.provider)")
    expected = sorted(data["providers"], key=lambda p: -data["cells"][p]["rg65"]["score"])
    assert order == expected
    page.click('#board thead th[data-key="rg65"]')  # again: ascending
    assert page.eval_on_selector_all("#board tbody tr", "rows => rows.map(r => r.dataset.provider)") == expected[::-1]
    # the best cell is marked, and the tooltip carries interval, coverage and p
    best = data["columns"][[c["task"] for c in data["columns"]].index("rg65")]["best"]
    assert "best" in page.get_attribute(f'#board td[data-provider="{best}"][data-task="rg65"]', "class")
    other = next(p for p in data["providers"] if p != best)
    title = page.get_attribute(f'#board td[data-provider="{other}"][data-task="rg65"]', "title")
    assert "95% CI" in title and "coverage" in title and "p vs best" in title
    # family filter: only bias columns remain
    page.select_option("#family", "bias")
    families = page.eval_on_selector_all("#board thead th[data-family]", "hs => hs.map(h => h.dataset.family)")
    assert families == ["bias"]
    page.select_option("#family", "all")
    # details panel: its numbers are the JSON's
    page.click(f'#board td[data-provider="{other}"][data-task="rg65"]')
    cell = data["cells"][other]["rg65"]
    assert page.text_content('#details [data-field="score"]') == f"{cell['score']:.4f}"
    assert page.text_content('#details [data-field="ci"]') == f"{cell['ci95'][0]:.4f} – {cell['ci95'][1]:.4f}"
    assert page.text_content('#details [data-field="p"]') == f"{cell['p_vs_best']:.4f}"
    assert cell["test"] == "Williams' t on Spearman ρ" and f"({cell['test']}, Holm)" in page.text_content("#details")
    assert "hardest items" in page.text_content("#details")
    # whole numbers read as such in its tables, and a small one keeps its digits
    page.click(f'#board td[data-provider="{other}"][data-task="msr(restrict_vocab=20000)"]')
    shown = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#details tr')]
        .filter(r => r.children.length === 2).map(r => [r.children[0].textContent, r.children[1].textContent]))""")
    assert shown["restrict_vocab"] == "20000" and shown["dim"] == str(data["metadata"][other]["dim"])
    page.click(f'#board td[data-provider="{other}"][data-task="rg65"]')
    # common items view shows each provider's score on the items every provider covers
    page.check('input[name="view"][value="common"]')
    shown = page.text_content(f'#board td[data-provider="{other}"][data-task="rg65"]')
    assert shown == f"{cell['common_score']:.3f}"
    assert page.locator('#plot-heatmap [id^="heatmap-rank-"]').count() == len(data["providers"]) * 4
    assert page.locator('#plot-bias [id^="bias-point-"]').count() == len(data["providers"])
    # the top tier's mark is on the page, as the legend explains it (the view of all items marks tiers)
    page.check('input[name="view"][value="all"]')
    tier = [(p, t) for p, row in data["cells"].items() for t, c in row.items() if c["top_tier"] and not c["best"]]
    assert tier and all(page.text_content(f'#board td[data-provider="{p}"][data-task="{t}"]').endswith("†")
                        for p, t in tier)  # fmt: skip
    assert "†: not significantly worse than the best" in page.text_content("body")
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert (tmp_path / "page.png").stat().st_size > 10_000
    assert errors == []


def test_page_fits_a_phone(browser, page_files) -> None:
    path, data = page_files
    page, errors = open_page(browser, path, width=390)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1  # the table scrolls inside its box; the page itself does not
    longest = max(data["providers"], key=len)  # the widest sticky provider cell
    for task in (data["columns"][0]["task"], data["columns"][len(data["columns"]) // 2]["task"]):
        # a cell scrolled into view is not hidden under the sticky provider column
        page.click(f'#board td[data-provider="{longest}"][data-task="{task}"]', timeout=5000)
    assert page.is_visible("#details")
    assert errors == []


PLOT_FACTS = """figure => {
  const svg = figure.querySelector('svg'), frame = svg.getBoundingClientRect();
  const rect = element => element.getBoundingClientRect();
  const labels = [...svg.querySelectorAll('[id^="NAME-label-"] text')].map(t => ({text: t.textContent, box: rect(t)}));
  const inside = b => b.left >= frame.left - 0.5 && b.top >= frame.top - 0.5 && b.right <= frame.right + 0.5
    && b.bottom <= frame.bottom + 0.5;
  const overlapping = labels.flatMap((a, i) => labels.slice(i + 1).filter(b => a.box.left < b.box.right
    && b.box.left < a.box.right && a.box.top < b.box.bottom && b.box.top < a.box.bottom)).length;
  const ticks = axis => [...svg.querySelectorAll('[id^="NAME-' + axis + 'tick_"] text')].map(t => t.textContent);
  const y = Object.fromEntries([...svg.querySelectorAll('[id^="NAME-point-"]')].map(g => {
    const b = rect(g); return [g.id.split('-').pop(), b.top + b.height / 2]; }));
  return {labels: labels.map(l => l.text), outside: labels.filter(l => !inside(l.box)).length, overlapping,
    xticks: ticks('x'), yticks: ticks('y'), y, font: Math.min(...labels.map(l => l.box.height)),
    key: Object.fromEntries([...figure.querySelectorAll('.key li')].map(li => [li.dataset.point, li.textContent])),
    caption_below: rect(figure.querySelector('figcaption')).top >= frame.bottom - 0.5};
}"""


def label_of(facts: dict, point: int) -> str:
    """The label of a plot's point: beside it, or its number's entry in the key below the plot."""
    shown = facts["labels"][point]
    return facts["key"][shown] if shown.isdigit() else shown


def plot_facts(page, name: str) -> dict:
    """What a plot shows in the browser: its labels (and where), tick labels, key, points' heights, caption."""
    return page.eval_on_selector(f"#plot-{name}", PLOT_FACTS.replace("NAME", name))


def test_the_default_boards_plots_have_ticks_labels_and_the_best_rank_on_top(browser, tmp_path) -> None:
    """The committed default board's 15 providers, looked at in Chromium at 1,400 x 1,000: each scatter plot has
    tick labels on both axes, every point is labelled (beside it, or by its number in the key below the plot),
    no two labels overlap or leave the plot, the caption is below it, rank 1 is at the top, and every plot's
    text is one size, large enough to read; the heatmap names every task in full."""
    board = Path(__file__).parents[1] / "leaderboards" / "default" / "records"
    write_leaderboard(load_records(board), tmp_path, ["html", "json"])
    data = json.loads((tmp_path / "leaderboard.json").read_text())
    page, errors = open_page(browser, tmp_path / "leaderboard.html", width=1400, height=1000)
    providers = data["providers"]
    sizes = []
    for name in ("bias", "dim"):
        facts = plot_facts(page, name)
        assert (facts["outside"], facts["overlapping"]) == (0, 0) and facts["caption_below"], facts
        assert len(facts["xticks"]) >= 3 and len(facts["yticks"]) >= 3 and all(facts["xticks"] + facts["yticks"])
        assert len(facts["labels"]) == len(facts["y"]) >= 12  # every point has a label
        named = {label_of(facts, i) for i in range(len(facts["labels"]))}
        assert named == {p for p in providers if p in named} and len(named) == len(facts["labels"])
        best, worst = (min(facts["y"], key=lambda i: data["aggregates"][providers[int(i)]]["mean_rank"] * s)
                       for s in (1, -1))  # fmt: skip
        if name == "dim":  # y is the mean rank: the best is drawn highest
            assert facts["y"][best] < facts["y"][worst]
        sizes.append(facts["font"])
    heat = page.eval_on_selector(
        "#plot-heatmap",
        """figure => {
      const frame = figure.querySelector('svg').getBoundingClientRect();
      return [...figure.querySelectorAll('[id^="heatmap-xtick_"] text, [id^="heatmap-ytick_"] text')].map(t => {
        const b = t.getBoundingClientRect();
        return [t.textContent, b.left >= frame.left - 0.5 && b.top >= frame.top - 0.5 && b.right <= frame.right + 0.5
          && b.bottom <= frame.bottom + 0.5, b.height]; });
    }""",
    )
    quality = [c["task"] for c in data["columns"] if c["family"] != "bias"]
    assert [text for text, _, _ in heat] == quality + providers and all(inside for _, inside, _ in heat)
    sizes.append(min(height for _, _, height in heat))
    page.select_option("#frontier-task", "mc30")  # one quality-against-bytes plot at a time, the task picked
    shown = page.eval_on_selector_all("#frontier figure:not([hidden])", "fs => fs.map(f => f.dataset.task)")
    assert shown == ["mc30"]
    assert min(sizes) >= 10 and max(sizes) <= 1.3 * min(sizes), sizes  # readable, and one size across plots
    page.screenshot(path=str(tmp_path / "default.png"), full_page=True)
    assert errors == []


def test_a_skipped_cell_says_why_and_how_much_it_covered(browser, tmp_path) -> None:
    """One-hot words are orthogonal, so every mc30 pair it covers has cosine 0: the committed board's cell is
    skipped, and its tooltip gives the reason and the coverage the record keeps."""
    records = Path(__file__).parents[1] / "leaderboards" / "default" / "records"
    write_leaderboard(load_records(records), tmp_path, ["html"])
    page, errors = open_page(browser, tmp_path / "leaderboard.html")
    title = page.evaluate("""() => {
      const column = [...document.querySelectorAll('#board thead th')].findIndex(th => th.dataset.key === 'mc30');
      return document.querySelector('#board tr[data-provider="onehot(max_vocab=5000)"]').children[column].title;
    }""")
    assert title == ("skipped: all 4 covered pairs have the same cosine (0), so a rank correlation is undefined"
                     " · coverage 13.3% (4 of 30 items)")  # fmt: skip
    assert errors == []


def test_leaderboard_command_saves_a_screenshot(page_files, tmp_path) -> None:
    results = page_files[0].parent / "results"
    made = run_cli("leaderboard", "--results", str(results), "--out", str(tmp_path), "--format", "html", "--screenshot")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "leaderboard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def frontier_files(tmp_path_factory, registry, cache_dir) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("frontier")
    tasks = ["bbc-retrieval", "bbc-retrieval:index=int8", "bbc-retrieval:index=binary"]
    run(["glove", "pca:base=glove,dim=10"], tasks, folder / "results", registry=registry, cache_dir=cache_dir)
    write_leaderboard(load_records(folder / "results"), folder, ["html", "json"])
    return folder / "leaderboard.html", json.loads((folder / "leaderboard.json").read_text())


def test_the_page_plots_quality_against_bytes_with_the_pareto_frontier(browser, frontier_files) -> None:
    """Each provider and index of a named task is a point (its score and interval against its index's bytes); the
    points nothing beats for fewer bytes are filled and joined; the JSON marks the same ones. The bytes axis has
    tick labels, the caption is below the plot, and the task picker shows one task's plot at a time."""
    path, data = frontier_files
    points = data["frontiers"]["bbc-retrieval"]
    assert len(points) == 6 and {p["of"] for p in points} == {"index"}
    for point in points:  # on the frontier exactly when no other point is as good for no more bytes
        dominated = any(o is not point and o["bytes"] <= point["bytes"] and o["score"] >= point["score"]
                        and (o["bytes"] < point["bytes"] or o["score"] > point["score"]) for o in points)  # fmt: skip
        assert point["frontier"] is not dominated
    page, errors = open_page(browser, path, width=1400, height=1000)
    assert page.eval_on_selector("#frontier-task", "s => s.value") == "bbc-retrieval"
    shown = page.eval_on_selector_all("#frontier figure:not([hidden])", "fs => fs.map(f => [f.id, f.dataset.task])")
    assert len(shown) == 1 and shown[0][1] == "bbc-retrieval"
    name = shown[0][0].removeprefix("plot-")
    facts = plot_facts(page, name)
    ids = page.eval_on_selector_all(f'#plot-{name} [id*="-frontier-"]', "gs => gs.map(g => g.id)")
    marked = [re.fullmatch(rf"{name}-(on|off)-frontier-(\d+)", i) for i in ids]
    drawn = sorted([label_of(facts, int(m[2])), f"{m[1]}-frontier"] for m in marked)
    assert drawn == sorted([p["label"], "on-frontier" if p["frontier"] else "off-frontier"] for p in points)
    assert page.locator(f'#plot-{name} [id^="{name}-interval-"]').count() == 6
    line = page.eval_on_selector(f'[id="{name}-frontier"] path', "p => p.getAttribute('d')")
    assert line.count("L") + 1 == sum(p["frontier"] for p in points)
    assert any(tick.endswith("B") for tick in facts["xticks"]) and facts["caption_below"]
    assert (facts["outside"], facts["overlapping"]) == (0, 0)
    assert not errors


def test_a_board_without_bias_tasks_has_no_bias_rank_or_empty_plot(browser, frontier_files) -> None:
    """No bias task was run: no column of dashes for the bias rank, on the page or in Markdown, and no plot that
    would only say "no data"."""
    path, data = frontier_files
    assert all(c["family"] != "bias" for c in data["columns"])
    page, errors = open_page(browser, path)
    headers = page.eval_on_selector_all("#board thead th", "hs => hs.map(h => h.dataset.key)")
    assert "bias_rank" not in headers and "mean_rank" in headers
    assert page.locator("#plot-bias").count() == 0 and "no data" not in page.text_content("body")
    records = load_records(path.parent / "results")
    assert "bias rank" not in to_markdown(build_board(records))
    assert not errors


def test_numbers_in_the_details_panel_never_wrap_inside(browser, tmp_path) -> None:
    """The details panel of every cell of a row of the default board: no number of its tables is split across two
    lines, and a word only at a hyphen (a ratio such as "30.8 / 410" may break at its spaces only)."""
    board = Path(__file__).parents[1] / "leaderboards" / "default" / "records"
    write_leaderboard(load_records(board), tmp_path, ["html", "json"])
    data = json.loads((tmp_path / "leaderboard.json").read_text())
    page, errors = open_page(browser, tmp_path / "leaderboard.html", width=1400, height=1000)
    split = """() => [...document.querySelectorAll('#details td')].flatMap(td => {
      const text = td.firstChild; if (!text || text.nodeType !== 3) return [];
      const tokens = td.classList.contains('num') ? /\\S+/g : /[^\\s-]+/g;
      return [...text.data.matchAll(tokens)].filter(m => { const range = document.createRange();
        range.setStart(text, m.index); range.setEnd(text, m.index + m[0].length);
        return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1; }).map(m => m[0]); })"""
    provider = "glove"
    checked = 0
    for task in data["cells"][provider]:
        if data["cells"][provider][task]["score"] is None:
            continue
        page.click(f'#board td[data-provider="{provider}"][data-task="{task}"]')
        assert page.evaluate(split) == [], task
        checked += 1
    assert checked >= 30 and errors == []


def test_a_cell_from_mteb_says_why_it_has_no_paired_test(browser, tmp_path, registry, cache_dir) -> None:
    """MTEB's result files beside embbench records: the MTEB row's cells say, in the tooltip and the details panel,
    that MTEB stores no per-item outputs, so there is no paired test or tier, rather than showing a blank."""
    import shutil

    from embbench.integrations.mteb_results import mteb_records

    shutil.copytree(Path(__file__).parent / "data" / "mteb-results", tmp_path / "mteb")
    run(["glove"], ["sts16"], tmp_path / "ours", registry=registry, cache_dir=cache_dir)
    records = load_records(tmp_path / "ours") + mteb_records(tmp_path / "mteb", registry)
    write_leaderboard(records, tmp_path / "board", ["html", "json"], registry=registry)
    page, errors = open_page(browser, tmp_path / "board" / "leaderboard.html")
    glove = page.locator('#board td[data-provider="glove"][data-task="sts16"]')
    reason = "the best score has no per-item outputs, so no paired test or tier"  # MiniLM's, from MTEB, is the best
    assert reason in glove.get_attribute("title")
    glove.click()
    assert page.text_content('#details [data-field="p"]') == f"from MTEB: {reason}"
    assert not errors


def test_the_site_serves_as_it_is_every_link_resolves_and_nothing_errs(browser, tmp_path, registry, cache_dir) -> None:
    """`embbench leaderboard --site DIR`: the page, a page per task (intervals, paired tests, hardest items with each
    provider's outputs) and per provider (metadata, provenance, records), the records with their bundle, and
    index.json; in Chromium every page loads without an error, every link is relative and resolves."""
    from urllib.parse import urlparse

    run(PROVIDERS[:2], TASKS[:3], tmp_path / "r", registry=registry, cache_dir=cache_dir)
    done = run_cli("leaderboard", "--results", str(tmp_path / "r"), "--out", str(tmp_path / "b"),
                   "--site", str(tmp_path / "site"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site"
    index = json.loads((site / "index.json").read_text())
    assert {t["task"] for t in index["tasks"]} == {"mc30", "rg65", "msr(restrict_vocab=20000)"}
    assert (site / index["bundle"]).is_file() and len(list((site / "records").glob("*.json"))) == 6
    seen, queue = set(), [site / "index.html"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        page, errors = open_page(browser, path) if path.name == "index.html" else _open_plain(browser, path)
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        assert not errors, (path, errors)
        for href in hrefs:
            assert not urlparse(href).scheme and not href.startswith("/"), href  # relative only
            target = (path.parent / href).resolve()
            assert target.is_file(), (path, href)
            if target.suffix == ".html":
                queue.append(target)
    assert (
        len([p for p in seen if p.parent.name == "tasks"]) == 3
        and len([p for p in seen if p.parent.name == "providers"]) == 2
    )
    rg65 = (site / "tasks" / "rg65.html").read_text()
    assert "The hardest items" in rg65 and "Williams" in rg65 and "95% interval" in rg65


def _open_plain(browser, path: Path):
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    return page, errors


def test_provider_pages_map_labelled_tasks_faithfully(browser, tmp_path, registry, cache_dir) -> None:
    """--maps: each provider page maps its embeddings of the labelled tasks' items from the run's embedding cache
    (nothing rerun): PCA and UMAP, each with its parameters, trustworthiness and continuity equal to
    scikit-learn's on the same sample, k-NN preservation, stability across seeds, and the neighbours it shares
    with the other provider; drawn as inline SVG, one circle per item, in Chromium without an error."""
    import re

    import numpy as np
    from sklearn.manifold import trustworthiness

    from embbench.publish.projector import SAMPLE, cached_embeddings, maps, neighbour_overlap

    results, cache = tmp_path / "r", tmp_path / "cache"
    records = run(["glove", "pca:base=glove,dim=10"], ["bless", "mc30"], results, registry=registry, cache_dir=cache)
    done = run_cli("leaderboard", "--results", str(results), "--out", str(tmp_path / "b"), "--site",
                   str(tmp_path / "site"), "--maps", "--cache", str(cache))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    page_path = tmp_path / "site" / "providers" / "glove.html"
    text = page_path.read_text()
    assert "PCA" in text and "UMAP" in text and "n_neighbors" in text and "random_state" in text
    bless = next(r for r in records if r.provider_label == "glove" and r.task_label == "bless")
    task = registry.make_task("bless")
    task.load(Context(cache, registry))
    vectors = cached_embeddings(cache, bless, task.labelled_items())
    assert vectors is not None and len(vectors) == 200 <= SAMPLE
    pca = maps(vectors)[0]
    assert pca.method == "pca" and pca.faithfulness["trustworthiness"] == pytest.approx(
        trustworthiness(vectors, pca.points, n_neighbors=10))  # fmt: skip
    assert pca.faithfulness["continuity"] == pytest.approx(trustworthiness(pca.points, vectors, n_neighbors=10))
    assert 0 <= pca.faithfulness["knn_preserved"] <= 1 and pca.stability < 1e-6
    assert f"<td>{round(pca.faithfulness['trustworthiness'], 4)}</td>" in text
    assert np.isclose(neighbour_overlap(vectors, vectors).mean(), 1.0)  # a space shares all its own neighbours
    assert re.search(r"pca\(base=glove, dim=10\)</a></td><td class=\"num\">0\.\d{3}</td>", text)
    page, errors = _open_plain(browser, page_path)
    assert page.locator("svg.map").count() == 2  # bless: PCA and UMAP; mc30 has no labels
    assert page.locator("svg.map").first.locator("circle").count() == 200
    assert not errors
