"""GOV.UK form rendering and components in a real browser, with and without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.accessibility import check_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.browser.form_urls"),
]


def submit_empty_form(page: Page) -> None:
    page.goto("/test/form/")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title("Error: Every widget – ByConsent")


def test_form_with_errors_is_accessible_and_summary_links_focus_the_field(page: Page) -> None:
    page.goto("/test/form/")
    check_page(page, "form-empty")
    submit_empty_form(page)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary so it is read out first
    check_page(page, "form-errors")
    summary.locator('a[href="#id_colour_0"]').click()
    expect(page.locator("#id_colour_0")).to_be_focused()


def test_character_count_tells_people_how_far_over_the_limit_they_are(page: Page) -> None:
    page.goto("/test/form/")
    page.locator("#id_story").fill("x" * 203)
    expect(page.locator(".govuk-character-count__status")).to_have_text("You have 3 characters too many")
    check_page(page, "form-character-count-over")


def test_form_works_and_shows_errors_without_javascript(page_without_javascript: Page) -> None:
    page = page_without_javascript
    submit_empty_form(page)
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator("#id_name-error")).to_contain_text("Error: This field is required.")
    check_page(page, "form-errors-no-js")


def test_components_are_accessible_and_pagination_keeps_its_place(page: Page) -> None:
    page.goto("/test/components/?page=5")
    expect(page.get_by_role("navigation", name="Pagination").locator("[aria-current=page]")).to_have_text("5")
    check_page(page, "components")
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"page=6$"))
    # The table beside the chart scrolls on a narrow screen instead of widening the page.
    page.set_viewport_size({"width": 320, "height": 640})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    check_page(page, "components-320px")
