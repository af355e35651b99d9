"""Real-browser tests: Debian's Chromium driven by Playwright, against pytest-django's live_server.

Import the fixture into a test module to use it (the import is what registers it):

    from tests.browser import BrowserPage, browser_page_fixture  # noqa: F401

Playwright's own browser downloads are never used: the machine's Chromium is launched, and
the test is skipped with a clear message when it is missing. Every console error and
Content-Security-Policy violation on any page is collected, so a test can assert that the
pages it visited ran cleanly under the production CSP.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response, ViewportSize, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}

# Chromium reports a CSP violation as a console error too; this listener makes each one an
# explicit, recognisable message (directive and blocked resource) even if that changes.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
"""


@dataclass
class BrowserPage:
    """A Playwright page and what went wrong on it so far."""

    page: Page
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    responses: list[tuple[str, int]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def problems(self) -> list[str]:
        """Console errors (CSP violations included) and uncaught script errors, in order seen."""
        return [*self.console_errors, *self.page_errors]

    def server_errors(self) -> list[tuple[str, int]]:
        """Every 5xx response so far, so a crash fails the test where it happened."""
        return [(url, status) for url, status in self.responses if status >= 500]

    def status_of(self, path_part: str) -> list[int]:
        """Status codes of every response whose URL contains `path_part`."""
        return [status for url, status in self.responses if path_part in url]


@pytest.fixture(name="browser_page")
def browser_page_fixture(live_server: object) -> Iterator[BrowserPage]:
    """A fresh headless Chromium page at 1280x800, pointed at the live server."""
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM}: install it with apt-get install chromium")
    # Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
    # the test's own ORM calls as "async unsafe" while the browser is open.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            context = browser.new_context(viewport=VIEWPORT)
            context.add_init_script(_REPORT_CSP_VIOLATIONS)
            page = context.new_page()
            result = BrowserPage(page=page, base_url=str(live_server))

            def on_console(message: ConsoleMessage) -> None:
                if message.type != "error":
                    return
                # Chromium asks for /favicon.ico on its own; the pages link no icon, so that
                # 404 says nothing about them.
                if str(message.location.get("url", "")).endswith("/favicon.ico"):
                    return
                result.console_errors.append(f"{page.url}: {message.text}")

            def on_response(response: Response) -> None:
                result.responses.append((response.url, response.status))

            page.on("console", on_console)
            page.on("pageerror", lambda error: result.page_errors.append(f"{page.url}: {error}"))
            page.on("response", on_response)
            try:
                yield result
            finally:
                context.close()
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
