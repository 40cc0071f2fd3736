"""The self-service details pages in a real browser: magic-link sign-in, change details, withdraw consent, see
everything, ask to be forgotten. Every page is checked with axe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .accessibility import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _latest_link(email: str) -> str:
    from byconsent.core.models import NotificationRecord

    body = NotificationRecord.objects.filter(recipient=email).latest("created_at").body
    match = re.search(r"(/my-details/sign-in/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def resident(area_tree: dict[str, Any]) -> Any:
    from byconsent.people.models import ConsentRecord, Person, Purpose

    person = Person.objects.create(full_name="Rhona Resident", email="rhona@example.test", postcode="EH11YZ",
                                   address="1 High Street", area=area_tree["north_ward"])
    ConsentRecord.objects.create(person=person, purpose=Purpose.objects.get(slug="consultation-alerts"),
                                 source="web_form", wording="Email me when you consult on my area")
    return person


def test_a_resident_signs_in_by_link_and_manages_their_details(page: Page, resident: Any) -> None:
    from byconsent.people.consent import may_contact
    from byconsent.people.models import ErasureRequest, Person

    page.goto("/")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Your details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("See and change your details")
    check_page(page, "people-portal-start")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "people-portal-start-error")
    page.get_by_label("Email address").fill("rhona@example.test")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    check_page(page, "people-portal-check-email")

    link = _latest_link("rhona@example.test")
    page.goto(link)
    check_page(page, "people-portal-continue")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    check_page(page, "people-portal-home")

    page.get_by_role("link", name="Change your details").first.click()
    check_page(page, "people-portal-details")
    page.get_by_label("Phone number").fill("07700 900111")
    page.get_by_label("Postcode").fill("not a postcode")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a real postcode")
    check_page(page, "people-portal-details-error")
    page.get_by_label("Postcode").fill("eh1 1yz")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your details are saved")
    assert Person.objects.get(pk=resident.pk).phone == "07700 900111"

    page.goto("/my-details/equality/")
    check_page(page, "people-portal-equality")
    page.get_by_role("radio", name="Prefer not to say").first.check()
    page.get_by_role("button", name="Save").click()

    page.goto("/my-details/consent/")
    check_page(page, "people-portal-consent")
    page.get_by_role("button", name=re.compile("Stop this")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("we will not contact you")
    assert not may_contact(resident, "consultation-alerts", "email")

    page.goto("/my-details/everything/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Everything we hold about you")
    check_page(page, "people-portal-everything")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download it all as a file (JSON)").click()
    assert download.value.suggested_filename == "my-details.json"

    page.goto("/my-details/forget-me/")
    check_page(page, "people-portal-forget")
    page.get_by_role("button", name="Forget me").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "people-portal-forget-error")
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Forget me").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We have your request")
    check_page(page, "people-portal-forget-done")
    assert ErasureRequest.objects.get().status == "pending"


def test_a_used_link_is_refused_and_works_without_javascript(page_without_javascript: Page, resident: Any) -> None:
    page = page_without_javascript
    page.goto("/my-details/sign-in/")
    page.get_by_label("Email address").fill("rhona@example.test")
    page.get_by_role("button", name="Send me a link").click()
    link = _latest_link("rhona@example.test")
    page.goto(link)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    check_page(page, "people-portal-home-no-js")
    page.get_by_role("button", name="Sign out").click()
    response = page.goto(link)
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work any more")
    check_page(page, "people-portal-link-used")
