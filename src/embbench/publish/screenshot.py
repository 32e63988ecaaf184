"""A PNG of a leaderboard page, taken in headless Chromium through Playwright (optional: ``pip install playwright``
and a Chromium, e.g. Debian's ``chromium`` package)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from embbench.errors import EmbbenchError

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def chromium_path() -> str:
    """``$EMBBENCH_CHROMIUM``, else a ``chromium`` on the PATH; an error saying how to get one otherwise."""
    path = os.environ.get("EMBBENCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise EmbbenchError("needs Chromium (apt-get install chromium, or set EMBBENCH_CHROMIUM)", "--screenshot")
    return path


def launch(playwright: Any) -> Any:
    """A headless Chromium browser for the page (no network, no background services)."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)


def screenshot(page_path: Path, png_path: Path, width: int = 1280) -> Path:
    """Save a full-page PNG of ``page_path`` (opened from file://) at ``width`` CSS pixels."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise EmbbenchError("needs Playwright (pip install playwright)", "--screenshot") from None
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(page_path.resolve().as_uri())
        page.wait_for_selector("#board tbody tr")
        page.screenshot(path=str(png_path), full_page=True)
        browser.close()
    return png_path
