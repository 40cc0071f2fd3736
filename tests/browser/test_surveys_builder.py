"""Building a questionnaire in the builder without JavaScript: two pages, a condition that needs ANY of two
answers, a third page moved up; then answering it as the public and seeing the condition work. Axe on every page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from byconsent.surveys.models import Questionnaire, Response
from tests.surveys.conftest import officer, survey  # noqa: F401

from .accessibility import check_page
from .signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


def press(page: Any, name: str, **options: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, **options).click()


def follow(page: Any, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=name).click()


def add_question(page: Any, page_title: str, text: str, key: str, kind: str, options: str = "") -> None:
    follow(page, f"Add a question to {page_title}")
    page.get_by_label("Question", exact=True).fill(text)
    page.get_by_label("Short name for exports").fill(key)
    page.get_by_label("Type of answer").select_option(kind)
    if options:
        page.get_by_label("Options").fill(options)
    press(page, "Save", exact=True)


def add_page(page: Any, title: str) -> None:
    follow(page, "Add a page")
    page.get_by_label("Page title").fill(title)
    press(page, "Save", exact=True)


def test_build_with_an_any_condition_reorder_and_answer(page_without_javascript: Any, page: Any,
                                                        live_server: Any, area_tree: Any,
                                                        officer: Any) -> None:  # noqa: F811
    staff = page_without_javascript
    sign_in(staff, live_server.url, officer.email, PASSWORD)
    staff.goto(f"{live_server.url}/staff/surveys/new/")
    staff.get_by_label("Title").fill("Street safety")
    staff.get_by_label("Web address name").fill("street-safety")
    staff.get_by_label("Area that owns it").select_option(label="Northtown")
    press(staff, "Save", exact=True)
    add_page(staff, "Your street")
    add_question(staff, "Your street", "Do you feel safe on your street?", "feel_safe", "single_choice", "Yes\nNo")
    add_question(staff, "Your street", "What worries you?", "worries", "multiple_choice",
                 "Speeding\nBurglary\nNone of these*")
    add_page(staff, "Tell us more")
    add_question(staff, "Tell us more", "What should we do?", "what_to_do", "long_text")
    add_page(staff, "Anything else")
    add_question(staff, "Anything else", "Anything else to tell us?", "anything_else", "short_text")
    check_page(staff, "surveys-builder-detail")

    # The logic of "Tell us more": feel_safe is No, OR worries includes Burglary.
    follow(staff, "Edit page and its logic Tell us more")
    check_page(staff, "surveys-builder-page-form")
    staff.get_by_label("Condition 1: the answer to").select_option("feel_safe")
    press(staff, "Update the answers to choose from")
    staff.get_by_label("Condition 1: answer").select_option("no")
    press(staff, "Add another condition")
    staff.get_by_label("Condition 2: the answer to").select_option("worries")
    staff.get_by_label("Condition 2: test").select_option("includes")
    press(staff, "Save", exact=True)
    expect(staff.locator(".govuk-error-summary")).to_contain_text("Condition 2: choose the answer to look for")
    check_page(staff, "surveys-builder-page-form-errors")
    staff.get_by_label("Condition 2: answer").select_option("burglary")
    staff.get_by_label("Show it if any one of them is true").check()
    press(staff, "Save", exact=True)
    expect(staff.locator("main")).to_contain_text(
        "Shown only if the answer to “Do you feel safe on your street?” is “No” or the answer to "
        "“What worries you?” includes “Burglary”")

    press(staff, "Move page up Anything else")
    check_page(staff, "surveys-builder-detail-reordered")
    questionnaire = Questionnaire.objects.get(slug="street-safety")
    titles = list(questionnaire.current_version.pages.values_list("title", flat=True))
    assert titles == ["Your street", "Anything else", "Tell us more"]
    follow(staff, "Remove page Your street")  # "Tell us more" depends on its answers: refused, naming it
    expect(staff.locator("#blockers")).to_contain_text("the page “Tell us more”")
    check_page(staff, "surveys-builder-remove-page-refused")
    follow(staff, "Back to the questionnaire")
    follow(staff, "Remove page Anything else")
    check_page(staff, "surveys-builder-remove-page")
    follow(staff, "No, keep it")
    press(staff, "Open for responses")

    # The public, with JavaScript: worried about burglary only, so "Tell us more" is asked (ANY).
    page.goto(f"{live_server.url}/surveys/street-safety/")
    check_page(page, "surveys-built-start")
    press(page, "Start now")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Burglary").check()
    check_page(page, "surveys-built-page-1")
    press(page, "Save and continue")
    expect(page.locator("h1")).to_contain_text("Anything else")
    check_page(page, "surveys-built-page-2")
    press(page, "Save and continue")
    expect(page.locator("h1")).to_contain_text("Tell us more")
    check_page(page, "surveys-built-page-3")
    page.get_by_label("What should we do?").fill("Patrol the back lanes")
    press(page, "Save and continue")
    expect(page.locator("h1")).to_contain_text("Check your answers")
    check_page(page, "surveys-built-check")
    press(page, "Send my response")
    check_page(page, "surveys-built-done")
    assert Response.objects.get().answers["what_to_do"] == "Patrol the back lanes"

    # Again: feels safe and worries only about speeding, so neither condition holds and the page is skipped.
    page.goto(f"{live_server.url}/surveys/street-safety/")
    press(page, "Start now")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Speeding").check()
    press(page, "Save and continue")
    press(page, "Save and continue")
    expect(page.locator("h1")).to_contain_text("Check your answers")
    expect(page.locator("main")).not_to_contain_text("What should we do?")


def test_who_answered_for_an_analyst(page: Any, live_server: Any, area_tree: Any, make_user: Any,
                                     officer: Any, survey: Any) -> None:  # noqa: F811
    from byconsent.surveys import services
    from byconsent.surveys.models import new_token

    for age in ["25_34"] * 11 + ["35_44"] * 2:
        services.record_staff_response(officer, survey, channel="paper", submission_token=new_token(),
                                       answers={"safe": "agree", "age_band": age})
    analyst = make_user(role="analyst", area=area_tree["north"])
    sign_in(page, live_server.url, analyst.email, PASSWORD)
    page.goto(f"{live_server.url}/staff/surveys/{survey.pk}/report/")
    expect(page.locator("#who-answered")).to_contain_text("Who answered")
    expect(page.locator("main")).to_contain_text("Insights > Who we heard from")
    check_page(page, "surveys-report-who-answered")
