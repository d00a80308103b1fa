"""A real Chromium (Debian's, driven by Playwright) against the app on a real uvicorn.

The browser is started once per test run; each test gets a fresh context (no cookies) and
one page whose base URL is the test's ``live_server``. JavaScript errors on the page fail
the test.

Playwright's sync API leaves its own event loop marked as running in the main thread
between calls, so no asyncio test can run while the browser is open: the browser tests are
moved to the end of the run (``pytest_collection_modifyitems`` below).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from microblog import passwords

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 5_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last (see the module docstring)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium for the whole run."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. "
            "Install it with `make system-deps` (apt-get install chromium); "
            "Playwright's own browser downloads are not used.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its cheapest for the server in this process: sign-ups take 0.2 s otherwise."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, live_server: str) -> Iterator[NewPage]:
    """Opens pages on the live server, each in a new browser context (no cookies) made with
    the given options (e.g. ``java_script_enabled=False``)."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        # The 4xx answers the flows provoke are logged by Chromium as failed loads; anything
        # else logged as an error is a problem.
        if message.type == "error" and "status of 4" not in message.text:
            problems.append(f"console error: {message.text}")

    def make(**options: Any) -> Page:
        context = browser.new_context(
            base_url=live_server, viewport={"width": 900, "height": 1000}, **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        tab = context.new_page()
        tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        tab.on("console", console)
        return tab

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
    assert not problems, f"JavaScript errors in the page: {problems}"


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A page in a new browser context on the live server."""
    return new_page()


@pytest.fixture
def api(live_server: str) -> Iterator[httpx.Client]:
    """An HTTP client on the live server, to set data up fast through the JSON API."""
    with httpx.Client(base_url=live_server, timeout=10) as client:
        yield client
