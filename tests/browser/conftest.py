"""Real-browser tests: Debian's chromium driven by Playwright against pytest-django's live_server.

Every test here is marked `@pytest.mark.browser` and `@pytest.mark.django_db(transaction=True)` (live_server runs
Django in a thread, which only sees committed data). Without /usr/bin/chromium the tests fail, unless
BYCONSENT_ALLOW_SKIP_BROWSER=1 is set, so CI can never skip them silently.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

from tests.browser.accessibility import REPO_ROOT, new_context_without_javascript
from tests.browser.servers import asgi_server, asgi_server_env, task_worker  # noqa: F401  (fixtures for every test)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build_assets.sh"

# Playwright's sync API keeps an event loop in the main thread; Django would then refuse database calls made by the
# test itself (creating users, say) as "unsafe from an async context". The test is synchronous, so this is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is not installed (Debian: apt-get install chromium); browser tests cannot run"
    if os.environ.get("BYCONSENT_ALLOW_SKIP_BROWSER") == "1":
        pytest.skip(message + " (skipped because BYCONSENT_ALLOW_SKIP_BROWSER=1)")
    pytest.fail(message + ". Set BYCONSENT_ALLOW_SKIP_BROWSER=1 to skip them on purpose.", pytrace=False)


@pytest.fixture(scope="session")
def built_assets() -> None:
    """The compiled CSS and GOV.UK JavaScript the pages load; the build skips work when it is up to date."""
    result = subprocess.run(["sh", str(BUILD_SCRIPT)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"scripts/build_assets.sh failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright, built_assets: None) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def is_reportable(message: ConsoleMessage) -> bool:
    """CSP violations are console errors starting "Refused to ..."; other console noise (a closed event stream)
    is not the page's fault."""
    text = message.text
    return message.type == "error" and ("Content Security Policy" in text or text.startswith("Refused to"))


def watch_for_errors(context: BrowserContext, errors: list[str]) -> BrowserContext:
    """Record CSP violations and uncaught exceptions on every page of the context; tests assert there are none."""

    def on_console(message: ConsoleMessage) -> None:
        if is_reportable(message):
            errors.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def on_page(page: Page) -> None:
        page.on("pageerror", lambda error: errors.append(f"{page.url}: uncaught exception: {error}"))

    context.on("console", on_console)
    context.on("page", on_page)
    return context


@pytest.fixture
def console_errors() -> Iterator[list[str]]:
    errors: list[str] = []
    yield errors
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)


@pytest.fixture
def browser_context_factory(
    browser: Browser, live_server: object, console_errors: list[str]
) -> Iterator[Callable[..., BrowserContext]]:
    """make(**options) -> a new context (closed after the test); base_url is the live server unless given."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("base_url", str(live_server))
        options.setdefault("viewport", {"width": 1024, "height": 768})
        if options.get("java_script_enabled") is False:
            del options["java_script_enabled"]
            context = new_context_without_javascript(browser, **options)
        else:
            context = browser.new_context(**options)
        contexts.append(watch_for_errors(context, console_errors))
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def context(browser_context_factory: Callable[..., BrowserContext]) -> BrowserContext:
    return browser_context_factory()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def page_without_javascript(browser_context_factory: Callable[..., BrowserContext]) -> Page:
    return browser_context_factory(java_script_enabled=False).new_page()


@pytest.fixture
def narrow_page(browser_context_factory: Callable[..., BrowserContext]) -> Page:
    """A 320 CSS-pixel-wide screen: WCAG 1.4.10 reflow (the same width as 1280 px at 400% zoom)."""
    return browser_context_factory(viewport={"width": 320, "height": 640}).new_page()
