"""Playwright fixtures: Debian's Chromium, one browser per session, one context per test.

Playwright's own browser download is not used: the tests drive ``/usr/bin/chromium``.
When it is missing the browser tests fail (they are part of ``make test``), with
the command that installs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

# Playwright's sync API runs an event loop in this thread; Django's ORM, used by
# the tests to prepare data, would otherwise refuse to run next to it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium est absent ({CHROMIUM}) : installez-le avec "
            "'apt-get install -y chromium' pour lancer les tests navigateur.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Browser, live_server, transactional_db: None) -> Iterator[BrowserContext]:
    """A fresh context (cookies, storage) per test, pointed at the live server."""
    ctx = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris"
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that must load without browser errors.

    A missing stylesheet or script (HTTP error), a resource refused by the
    Content-Security-Policy or a JavaScript exception makes the test fail.
    """
    problems: list[str] = []
    page = context.new_page()
    page.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on(
        "console",
        lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"JavaScript: {e}"))
    yield page
    assert not problems, "Erreurs dans le navigateur :\n" + "\n".join(problems)


@pytest.fixture
def log_in(page: Page) -> Callable[[str, str], None]:
    """Fill the real login page (first step) and submit it."""

    def _log_in(email: str, password: str) -> None:
        page.goto("/connexion/")
        page.get_by_label("Adresse électronique").fill(email)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter", exact=True).click()

    return _log_in


# Document journeys scan with the documents tests' real clamd.
from tests.documents.conftest import clamd_server, scanner  # noqa: E402, F401
