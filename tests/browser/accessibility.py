"""Accessibility checks every browser test runs on every page it visits: `check_page(page, name)`.

How axe-core gets into the page: the pages are served with their real Content Security Policy (script-src 'self'
plus a nonce, no 'unsafe-inline'), and we keep it that way so that the tests also catch CSP violations. A
<script> tag added by the test would be blocked, so axe's source is run with `page.evaluate(...)`, which goes
through the DevTools protocol and is not subject to the page's CSP. No `bypass_csp` anywhere.

Pages opened with JavaScript disabled cannot run axe (its timers never fire there). For those, check_page renders
the same HTML, with every <script> removed, in a scratch JavaScript-enabled context and audits that: the DOM is the
one a reader without JavaScript gets.
"""

from __future__ import annotations

import json
import re
import weakref
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Route

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
AXE_LOCATIONS = (
    REPO_ROOT / "var" / "test-assets" / "axe.min.js",  # copied there by scripts/build_assets.sh
    REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js",
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SCRIPT_TAG = re.compile(r"<script\b[^>]*>.*?</script>", re.IGNORECASE | re.DOTALL)

# Contexts created with java_script_enabled=False (see new_context_without_javascript).
_contexts_without_javascript: weakref.WeakSet[BrowserContext] = weakref.WeakSet()


@cache
def axe_source() -> str:
    for location in AXE_LOCATIONS:
        if location.is_file():
            return location.read_text(encoding="utf-8")
    searched = " or ".join(map(str, AXE_LOCATIONS))
    raise FileNotFoundError(f"axe-core not found at {searched}: run scripts/build_assets.sh")


def new_context_without_javascript(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(java_script_enabled=False, **options)
    _contexts_without_javascript.add(context)
    return context


def javascript_disabled(page: Page) -> bool:
    return page.context in _contexts_without_javascript


def run_axe(page: Page) -> list[dict[str, Any]]:
    page.evaluate(axe_source())
    return page.evaluate(
        """async (tags) => {
            const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
            const results = await axe.run(document, options);
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                targets: v.nodes.map(n => n.target.join(" ")),
                summaries: v.nodes.map(n => n.failureSummary),
            }));
        }""",
        AXE_TAGS,
    )


def run_axe_on_scriptless_copy(page: Page) -> list[dict[str, Any]]:
    """Audit what a no-JavaScript reader gets: the page's HTML without scripts, in a context where axe can run."""
    html = SCRIPT_TAG.sub("", page.content())
    browser = page.context.browser
    assert browser is not None
    scratch = browser.new_context(viewport=page.viewport_size)
    try:
        copy = scratch.new_page()

        def serve_copy(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        copy.route(page.url, serve_copy)
        copy.goto(page.url)
        return run_axe(copy)
    finally:
        scratch.close()


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}\n  {violation['helpUrl']}")
        for target, summary in zip(violation["targets"], violation["summaries"], strict=True):
            lines.append(f"    at {target}\n      {summary.replace(chr(10), chr(10) + '      ')}")
    return "\n".join(lines)


def broken_error_summary_links(page: Page) -> list[str]:
    """Hrefs in any GOV.UK error summary whose #id does not exist on the page."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(".govuk-error-summary a"))
            .map(a => a.getAttribute("href") || "")
            .filter(href => !href.startsWith("#") || !document.getElementById(decodeURIComponent(href.slice(1))))"""
    )


def save_screenshot(page: Page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_page(page: Page, name: str) -> None:
    """Screenshot the page, then assert: axe finds no WCAG 2.2 AA or best-practice violation, and every error
    summary link points at an element that exists."""
    save_screenshot(page, name)
    violations = run_axe_on_scriptless_copy(page) if javascript_disabled(page) else run_axe(page)
    assert not violations, (
        f"axe found {len(violations)} accessibility violation(s) on {name} ({page.url}):\n"
        f"{describe_violations(violations)}\nScreenshot: test-artifacts/screenshots/{name}.png"
    )
    broken = broken_error_summary_links(page)
    assert not broken, f"error summary links on {name} point at ids that do not exist: {json.dumps(broken)}"
