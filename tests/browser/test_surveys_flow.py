"""Answering a questionnaire as a member of the public (with and without JavaScript), resuming a draft, building a
questionnaire, entering a paper response and moderating: every page checked with axe."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from byconsent.surveys.models import Draft, Response, TextAnswer
from tests.surveys.conftest import officer, survey  # noqa: F401

from .accessibility import check_page
from .signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


def answer_first_page(page: Any) -> None:
    page.get_by_label("Agree", exact=True).check()
    page.get_by_label("Anti-social behaviour").check()
    page.get_by_label("Anything else?").fill("More foot patrols in the evening")
    page.get_by_role("button", name="Save and continue").click()


def test_answering_with_javascript(page: Any, live_server: Any, survey: Any) -> None:  # noqa: F811
    page.goto(f"{live_server.url}/surveys/{survey.slug}/")
    check_page(page, "surveys-start")
    page.get_by_role("button", name="Start now").click()
    check_page(page, "surveys-page-1")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    check_page(page, "surveys-page-1-errors")
    page.get_by_label("Anything else?").fill("Typed, then the connection dropped")
    expect(page.locator("#autosave-status")).to_contain_text("saved", timeout=15000)  # the JavaScript autosave
    assert Draft.objects.get().answers["comments"] == "Typed, then the connection dropped"
    answer_first_page(page)
    assert "Page 2 of 3" in page.locator("#progress").inner_text(), page.locator("#progress").inner_text()
    page.get_by_label("9", exact=True).check()
    page.get_by_label("Foot patrols: rank").select_option("1")
    page.get_by_label("Online: rank").select_option("2")
    page.get_by_label("Your postcode").fill("nt1 1aa")
    page.get_by_label("Day", exact=True).fill("3")
    page.get_by_label("Month", exact=True).fill("2")
    page.get_by_label("Year", exact=True).fill("2025")
    check_page(page, "surveys-page-2")
    page.get_by_role("button", name="Save and continue").click()
    check_page(page, "surveys-about-you")
    page.get_by_label("25 to 34").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("h1")).to_contain_text("Check your answers")
    check_page(page, "surveys-check")
    page.get_by_label("Publish my response without my name").check()
    page.get_by_role("button", name="Send my response").click()
    expect(page.locator("h1")).to_contain_text("Response received")
    check_page(page, "surveys-done")
    page.go_back()
    page.go_back()
    assert Response.objects.count() == 1
    response = Response.objects.get()
    assert response.publication == "anonymous" and response.answers["rank"] == ["a", "b"]


def test_answering_without_javascript_and_resuming(page_without_javascript: Any, browser_context_factory: Any,
                                                   live_server: Any, survey: Any) -> None:  # noqa: F811
    page = page_without_javascript
    page.goto(f"{live_server.url}/surveys/{survey.slug}/")
    page.get_by_label("Use the Easy Read layout").check()
    page.get_by_role("button", name="Start now").click()
    check_page(page, "surveys-nojs-page-1-easy-read")
    page.get_by_label("Agree", exact=True).check()
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.locator("h1")).to_contain_text("Your answers have been saved")
    check_page(page, "surveys-saved")
    link = page.locator("#resume-link").get_attribute("href")
    page.get_by_label("Email address").fill("not an email")
    page.get_by_role("button", name="Send me the link").click()
    check_page(page, "surveys-saved-error")
    # Another browser, no session: the link brings the answers back.
    other = browser_context_factory(java_script_enabled=False).new_page()
    other.goto(link)
    assert other.get_by_label("Agree", exact=True).is_checked()
    other.get_by_label("Speeding").check()
    other.get_by_role("button", name="Save and continue").click()
    check_page(other, "surveys-nojs-logic-page")
    other.get_by_label("Where is speeding worst?").fill("Main Road")
    other.get_by_role("button", name="Save and continue").click()
    other.get_by_role("button", name="Save and continue").click()
    other.get_by_role("button", name="Save and continue").click()
    check_page(other, "surveys-nojs-check")
    other.get_by_label("Do not publish my response").check()
    other.get_by_role("button", name="Send my response").click()
    expect(other.locator("h1")).to_contain_text("Response received")
    assert Response.objects.get().answers["speed_where"] == "Main Road"
    assert Draft.objects.get().response is not None


def test_build_enter_paper_response_and_moderate(page: Any, live_server: Any, officer: Any,  # noqa: F811
                                                 survey: Any) -> None:  # noqa: F811
    sign_in(page, live_server.url, officer.email, PASSWORD)
    page.goto(f"{live_server.url}/staff/surveys/")
    check_page(page, "surveys-staff-list")
    page.get_by_role("link", name="New questionnaire").click()
    page.get_by_role("button", name="Save").click()
    check_page(page, "surveys-staff-create-errors")
    page.get_by_label("Title").fill("Road safety")
    page.get_by_label("Web address name").fill("road-safety")
    page.get_by_label("Area that owns it").select_option(label="Northtown")
    page.get_by_role("button", name="Save").click()
    check_page(page, "surveys-staff-detail-empty")
    page.get_by_role("link", name="Add a page").click()
    check_page(page, "surveys-staff-page-form")
    page.get_by_label("Page title").fill("Roads")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Add a question to Roads").click()
    page.get_by_label("Question", exact=True).fill("Which roads worry you?")
    page.get_by_label("Short name for exports").fill("roads")
    page.get_by_label("Type of answer").select_option("multiple_choice")
    page.get_by_label("Options").fill("High Street\nRing road\nNone*")
    check_page(page, "surveys-staff-question-form")
    page.get_by_role("button", name="Save").click()
    check_page(page, "surveys-staff-detail")
    expect(page.locator("main")).to_contain_text("Which roads worry you?")

    page.goto(f"{live_server.url}/staff/surveys/{survey.pk}/enter/")
    check_page(page, "surveys-staff-entry")
    page.get_by_label("Paper").check()
    page.get_by_label("Scan of the original").set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 scan"}])
    page.get_by_label("Agree", exact=True).first.check()
    page.get_by_label("Anything else?").fill("Please visit Jane Doe's street more often")
    page.get_by_role("button", name="Save response").click()
    expect(page.locator("main")).to_contain_text("recorded")
    response = Response.objects.get()
    assert response.channel == "paper" and response.recorded_by == officer
    page.goto(f"{live_server.url}/staff/surveys/{survey.pk}/responses/")
    check_page(page, "surveys-staff-responses")

    page.goto(f"{live_server.url}/staff/surveys/{survey.pk}/moderation/")
    check_page(page, "surveys-staff-moderation")
    page.get_by_role("link", name="Moderate answer").first.click()
    check_page(page, "surveys-staff-moderate-answer")
    page.get_by_label("Text to hide").fill("Jane Doe's")
    page.get_by_label("Reason", exact=True).last.fill("names a person")
    page.get_by_role("button", name="Redact").click()
    assert "[redacted]" in page.locator("#published-text").inner_text()
    page.get_by_label("Approve for publication").check()
    page.get_by_role("button", name="Save decision").click()
    check_page(page, "surveys-staff-moderation-after")
    assert TextAnswer.objects.get().moderation_state == "approved"
    page.goto(f"{live_server.url}/staff/surveys/{survey.pk}/report/")
    check_page(page, "surveys-staff-report")
    page.goto(f"{live_server.url}/staff/surveys/{survey.pk}/import/")
    check_page(page, "surveys-staff-import")
    page.goto(f"{live_server.url}/surveys/{survey.slug}/print/")
    check_page(page, "surveys-print")
