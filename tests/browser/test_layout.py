"""The base layout in a real browser: landmarks, skip link, language switcher, no-JavaScript use, narrow screens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.accessibility import check_page

INFORMATION_PAGES = {
    "accessibility": ("/accessibility/", "Accessibility statement"),
    "privacy": ("/privacy/", "Privacy notice"),
    "cookies": ("/cookies/", "Cookies"),
}


def sign_in_as(context: BrowserContext, base_url: str, user: Any) -> None:
    """Give the browser a signed-in session without going through the sign-in pages (tested elsewhere)."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_home_page_renders_accessibly(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_title(re.compile(r" – ByConsent$"))
    expect(page.get_by_role("navigation", name="Menu").get_by_role("link", name="Home")).to_have_attribute(
        "aria-current", "page"
    )
    check_page(page, "home")


@pytest.mark.parametrize("name", INFORMATION_PAGES)
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_information_page_renders_accessibly(page: Page, name: str) -> None:
    path, heading = INFORMATION_PAGES[name]
    page.goto(path)
    expect(page).to_have_title(f"{heading} – ByConsent")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    expect(page.get_by_role("banner")).to_contain_text("ByConsent")
    expect(page.get_by_role("contentinfo").get_by_role("link", name="Cookies")).to_have_attribute("href", "/cookies/")
    check_page(page, f"info-{name}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_skip_link_moves_focus_to_main_content(page: Page) -> None:
    page.goto("/accessibility/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()  # visually hidden until focused
    check_page(page, "skip-link-focused")
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_language_switcher_changes_page_language_and_back(page: Page) -> None:
    page.goto("/privacy/")
    expect(page.locator("html")).to_have_attribute("lang", "en-gb")
    page.get_by_role("button", name="Cymraeg").click()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page).to_have_url(re.compile(r"/privacy/$"))
    # The current language is shown as text, not offered as a button.
    expect(page.get_by_role("button", name="Cymraeg")).to_have_count(0)
    check_page(page, "privacy-cy")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en-gb")
    check_page(page, "privacy-en-again")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_work_without_javascript(page_without_javascript: Page) -> None:
    page = page_without_javascript
    page.goto("/cookies/")
    expect(page.locator("body")).not_to_have_class(re.compile(r"js-enabled"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cookies")
    check_page(page, "cookies-no-js")
    # Following a footer link and switching language are plain links and forms: no script needed.
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility statement").click()
    expect(page).to_have_title("Accessibility statement – ByConsent")
    page.get_by_role("button", name="Gàidhlig").click()
    expect(page.locator("html")).to_have_attribute("lang", "gd")
    check_page(page, "accessibility-no-js-gd")


@pytest.mark.parametrize("name", INFORMATION_PAGES)
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_layout_reflows_on_a_320_pixel_screen(narrow_page: Page, name: str) -> None:
    narrow_page.goto(INFORMATION_PAGES[name][0])
    overflow = narrow_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px on a 320px screen"
    check_page(narrow_page, f"info-{name}-320px")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_link_shows_only_for_staff_and_sign_out_is_a_form(
    browser_context_factory: Any, live_server: Any, make_user: Any, area_tree: dict[str, Any]
) -> None:
    from byconsent.core.models import Role

    navigation_links = {}
    for who, user in {"public": make_user(), "staff": make_user(Role.LOCAL_OFFICER, area_tree["north"])}.items():
        context = browser_context_factory()
        sign_in_as(context, live_server.url, user)
        page = context.new_page()
        page.goto("/accessibility/")
        menu = page.get_by_role("navigation", name="Menu")
        expect(menu.get_by_role("button", name="Sign out")).to_be_visible()
        navigation_links[who] = menu.get_by_role("link").all_inner_texts()
        check_page(page, f"signed-in-{who}")
    assert "Staff" not in navigation_links["public"]
    assert "Staff" in navigation_links["staff"]

    menu.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Menu").get_by_role("link", name="Sign in")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_printed_pages_drop_the_navigation_and_show_where_links_go(page: Page) -> None:
    page.goto("/privacy/")
    chrome = [page.locator(".govuk-service-navigation__wrapper"), page.locator(".app-language-switcher")]
    for part in chrome:
        expect(part).to_be_visible()
    page.emulate_media(media="print")
    for part in chrome:
        expect(part).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    link_text_after = page.evaluate(
        "getComputedStyle(document.querySelector('main a[href^=\"https://ico.org.uk\"]'), '::after').content"
    )
    assert "https://ico.org.uk/make-a-complaint/" in link_text_after
    check_page(page, "privacy-print")
