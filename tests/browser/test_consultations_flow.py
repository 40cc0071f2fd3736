"""Consultations in a real browser: staff take one from draft to open and to published feedback, the public find
it on the hub and its page, sign up for alerts and read the results. Every page is checked with axe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from byconsent.consultations import services
from byconsent.consultations.models import AlertSubscription, Consultation, State
from byconsent.core.models import PostcodeArea
from tests.surveys.conftest import officer, survey  # noqa: F401

from .accessibility import check_page
from .signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def consultation(area_tree: dict[str, Any], officer: Any, survey: Any) -> Consultation:  # noqa: F811
    now = timezone.now()
    return services.create(
        officer, slug="police-plan", title="Police plan 2026", summary="Help set our priorities",
        area=area_tree["north"], areas=[area_tree["north_town"]], audiences=["residents"],
        interests=["road_safety"], questionnaire=survey, opens_at=now, closes_at=now + timedelta(weeks=3),
        contact_email="engage@example.test", owning_team="Engagement team")


def test_staff_take_a_consultation_through_its_life(page: Any, live_server: Any, officer: Any,  # noqa: F811
                                                    consultation: Consultation) -> None:
    sign_in(page, live_server.url, officer.email, PASSWORD)
    page.goto(f"{live_server.url}/staff/consultations/")
    check_page(page, "consultations-staff-list")
    page.get_by_role("link", name="Police plan 2026").click()
    check_page(page, "consultations-staff-detail-draft")
    expect(page.locator("#readiness-problems")).to_contain_text("Say why we are asking")
    page.get_by_role("button", name="Send for review").click()
    page.get_by_role("button", name="Open now").click()
    expect(page.locator(".govuk-error-summary, .govuk-notification-banner").first).to_be_visible()
    check_page(page, "consultations-staff-detail-not-ready")
    page.get_by_label("Proposals are still at a formative stage").check()
    page.get_by_label("We give enough information").check()
    page.get_by_label("People have adequate time").check()
    page.get_by_label("Why the consultation is open for less than 6 weeks").fill("Budget deadline")
    page.get_by_label("We will conscientiously consider").check()
    page.get_by_role("button", name="Save checklist").click()
    page.get_by_role("link", name="Edit details, dates, areas and questionnaire").click()
    check_page(page, "consultations-staff-edit")
    page.get_by_label("Why we are asking").fill("The law says we must ask before setting the plan.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Open now").click()
    expect(page.locator("main")).to_contain_text("Now: Open")
    check_page(page, "consultations-staff-detail-open")
    page.get_by_role("link", name="Documents").click()
    page.get_by_label("Document title").fill("The draft plan")
    page.locator("#id_file").set_input_files(
        files=[{"name": "plan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 plan"}])
    page.get_by_role("button", name="Add").click()
    check_page(page, "consultations-staff-documents")
    consultation.refresh_from_db()
    assert consultation.state == State.OPEN and consultation.transitions.count() == 2


def test_public_hub_item_alerts_and_results(page: Any, live_server: Any, officer: Any,  # noqa: F811
                                            consultation: Consultation, area_tree: dict[str, Any]) -> None:
    services.update(officer, consultation, gunning_formative=True, gunning_information=True, gunning_time=True,
                    gunning_consider=True, short_period_reason="Deadline", why_asking="Because")
    services.transition(officer, consultation, State.IN_REVIEW)
    services.transition(officer, consultation, State.OPEN)
    PostcodeArea.objects.create(postcode="NT2", area=area_tree["north_ward"])
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Consultations").first.click()
    check_page(page, "consultations-hub")
    page.get_by_label("Postcode").fill("NT2 3AB")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results-heading")).to_contain_text("1 consultation found")
    check_page(page, "consultations-hub-results")
    page.get_by_label("Postcode").fill("rubbish")
    page.get_by_role("button", name="Search").click()
    check_page(page, "consultations-hub-error")
    page.goto(f"{live_server.url}/consultations/police-plan/")
    check_page(page, "consultations-detail")
    expect(page.get_by_role("link", name="Respond online")).to_be_visible()
    page.goto(f"{live_server.url}/consultations/alerts/")
    page.get_by_role("button", name="Sign up").click()
    check_page(page, "consultations-alerts-error")
    page.get_by_label("Email address").fill("me@example.test")
    page.get_by_label("Road safety").check()
    page.get_by_role("button", name="Sign up").click()
    check_page(page, "consultations-alerts-sent")
    token = AlertSubscription.objects.get().token
    page.goto(f"{live_server.url}/consultations/alerts/confirm/{token}/")
    check_page(page, "consultations-alerts-confirm")
    page.get_by_role("button", name="Yes, send me alerts").click()
    check_page(page, "consultations-alerts-confirmed")
    assert AlertSubscription.objects.get().confirmed_at is not None
    services.transition(officer, consultation, State.CLOSED)
    services.transition(officer, consultation, State.ANALYSING)
    services.update(officer, consultation, you_said="Speeding matters", we_did="Speed checks every week")
    services.transition(officer, consultation, State.FEEDBACK_PUBLISHED)
    page.goto(f"{live_server.url}/consultations/police-plan/")
    page.get_by_role("link", name="We asked, you said, we did").click()
    expect(page.locator("main")).to_contain_text("Speed checks every week")
    check_page(page, "consultations-results")
    token = services.preview_token(officer, consultation)
    page.goto(f"{live_server.url}/consultations/preview/{token}/")
    check_page(page, "consultations-preview")
