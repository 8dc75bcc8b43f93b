"""Playwright (Python) driving Debian's chromium, for the few browser tests of the main flows."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


@contextmanager
def browser_page(*, locale: str = "zh-CN", mobile: bool = False) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        viewport = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 800}
        context = browser.new_context(locale=locale, viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            yield page
            # Let the page's last requests finish before the test database is emptied under the server.
            page.wait_for_load_state("networkidle", timeout=5000)
        finally:
            context.close()
            browser.close()


def log_in(page: object, base_url: str, username: str, password: str, *, then: str = "/") -> None:
    """Log in through the real login page and land on ``then``."""
    page.goto(f"{base_url}/login/")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base_url}/")  # type: ignore[attr-defined]
    if then != "/":
        page.goto(f"{base_url}{then}")  # type: ignore[attr-defined]
