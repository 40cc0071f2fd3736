"""Recording a concern, a decision and an action in a real browser, then reading the public "You said, we did"
pages they produce; axe on every page."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from byconsent.actions import services
from byconsent.actions.models import Action, Concern, Decision
from byconsent.core.models import Channel, ModerationState, Role
from byconsent.core.services import record_contribution
from tests.browser.accessibility import check_page
from tests.browser.signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def test_record_decision_and_action_then_public_pages(live_server, page, area_tree, make_user):
    officer = make_user(Role.LOCAL_OFFICER, area_tree["north_town"], email="officer@example.test")
    ward = area_tree["north_ward"]
    said = record_contribution(channel=Channel.ONLINE_SURVEY, text="Cars speed on Mill Road every night",
                               area=ward)
    said.moderation_state = ModerationState.APPROVED
    said.save()
    record_contribution(channel=Channel.PHONE, text="Mill Road needs speed checks", area=ward)

    sign_in(page, live_server.url, officer.email, PASSWORD)
    page.goto(f"{live_server.url}/staff/actions/")
    check_page(page, "actions-staff-home")

    # a concern from the searchable list
    page.get_by_role("link", name="Record a concern").first.click()
    page.get_by_label("Words in what people said").fill("Mill Road")
    page.get_by_role("button", name="Search contributions").click()
    check_page(page, "actions-concern-new")
    page.locator("input[name=contribution]").first.check()
    page.locator("input[name=contribution]").nth(1).check()
    page.get_by_label("Area", exact=True).select_option(label="North Ward")
    page.get_by_label("What people raised").fill("Speeding on Mill Road")
    page.get_by_role("button", name="Save concern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Speeding on Mill Road")
    check_page(page, "actions-concern-detail")
    concern = Concern.objects.get()
    assert concern.contributions.count() == 2

    # a decision that does not do all people asked needs reasons
    page.get_by_role("link", name="Record a decision about this").click()
    page.get_by_label("Area", exact=True).select_option(label="Northtown")
    page.get_by_label("Who decided").fill("Northtown community meeting")
    today = timezone.localdate()
    page.get_by_label("Day").fill(str(today.day))
    page.get_by_label("Month").fill(str(today.month))
    page.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Partly adopted").check()
    page.get_by_label("The decision in plain words").fill("Speed checks every week; no camera.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Give the reasons")
    check_page(page, "actions-decision-errors")
    page.locator("#id_reasons").fill("A camera costs more than this year's budget allows.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Northtown community meeting")
    check_page(page, "actions-decision-detail")
    decision = Decision.objects.get()
    assert decision.concerns.get() == concern

    # an action to carry it out
    page.get_by_role("link", name="Record an action to carry it out").click()
    page.get_by_label("Area", exact=True).select_option(label="North Ward")
    page.get_by_label("What we will do").fill("Weekly speed checks on Mill Road")
    page.get_by_label("Owner").select_option(label=str(officer))
    due = today + datetime.timedelta(days=30)
    page.get_by_label("Day").fill(str(due.day))
    page.get_by_label("Month").fill(str(due.month))
    page.get_by_label("Year").fill(str(due.year))
    check_page(page, "actions-action-new")
    page.get_by_role("button", name="Save action").click()
    check_page(page, "actions-action-detail")
    action = Action.objects.get()
    assert action.decision == decision

    page.get_by_label("In progress").check()
    page.get_by_label("Progress (per cent)").first.fill("25")
    page.get_by_label("Public update").fill("The first checks took place on Monday evening.")
    page.get_by_role("button", name="Save status").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Status saved")
    action.refresh_from_db()
    assert action.status == "in_progress" and action.progress == 25

    for path, name in [("/staff/actions/concerns/", "actions-concern-list"),
                       ("/staff/actions/decisions/", "actions-decision-list"),
                       ("/staff/actions/actions/", "actions-action-list"),
                       (f"/staff/actions/actions/{action.pk}/edit/", "actions-action-edit"),
                       ("/staff/actions/measures/", "actions-measures")]:
        page.goto(live_server.url + path)
        check_page(page, name)

    # public pages are generated from the ledger
    page.goto(f"{live_server.url}/you-said-we-did/")
    expect(page.locator("main")).to_contain_text("Speeding on Mill Road")
    check_page(page, "ysyd-index")
    page.get_by_role("link", name="Speeding on Mill Road").first.click()
    expect(page.locator("main")).to_contain_text("Cars speed on Mill Road every night")
    expect(page.locator("main")).not_to_contain_text("Mill Road needs speed checks")  # not approved
    expect(page.locator("main")).to_contain_text("A camera costs more")
    check_page(page, "ysyd-concern")
    page.goto(f"{live_server.url}/you-said-we-did/actions/{action.pk}/")
    expect(page.locator("main")).to_contain_text("The first checks took place on Monday evening.")
    check_page(page, "ysyd-action")
    page.goto(f"{live_server.url}/you-said-we-did/decisions/{decision.pk}/")
    check_page(page, "ysyd-decision")
    page.goto(f"{live_server.url}/you-said-we-did/area/{area_tree['north'].code}/")
    check_page(page, "ysyd-area")


def test_letters_page_and_public_pages_without_javascript(live_server, page, page_without_javascript, area_tree,
                                                          make_user):
    officer = make_user(Role.LOCAL_OFFICER, area_tree["north_town"], email="officer2@example.test")
    person = make_user(email="paper@no-email.invalid")
    person.full_name = "Pat Paper"
    person.save()
    said = record_contribution(channel=Channel.PAPER, text="Litter at the bus station", area=area_tree["north_ward"],
                               contributor=person, wants_feedback=True)
    concern = services.create_concern_from_contributions(officer, area_tree["north_ward"], "Litter", [said.pk])
    services.record_decision(officer, area=area_tree["north_ward"], forum="Ward panel", decided_on=timezone.localdate(),
                             outcome="adopted", summary="Extra patrols at the bus station.", concerns=[concern])
    services.run_feedback_batch()

    sign_in(page, live_server.url, officer.email, PASSWORD)
    page.goto(f"{live_server.url}/staff/actions/letters/")
    expect(page.locator("main")).to_contain_text("Pat Paper")
    check_page(page, "actions-letters")
    page.get_by_role("button", name="Mark the ticked letters as printed").click()
    expect(page.locator("main")).to_contain_text("There are no letters waiting.")

    nojs = page_without_javascript
    nojs.goto(f"{live_server.url}/you-said-we-did/")
    nojs.get_by_label("Show one area").select_option(label="– – Northtown")
    nojs.get_by_role("button", name="Show").click()
    expect(nojs.get_by_role("heading", level=1)).to_contain_text("Northtown")
    check_page(nojs, "ysyd-area-no-js")


def test_source_page_and_narrow_screen(live_server, narrow_page, area_tree):
    from django.contrib.contenttypes.models import ContentType

    from byconsent.core.models import Area, RoleAssignment, User

    admin = User.objects.create_user(email="admin@example.test", password=None)
    RoleAssignment.objects.create(user=admin, role=Role.ADMINISTRATOR, area=area_tree["force"])
    source = area_tree["north_town"]  # any model can be a source of contributions; an area stands in here
    items = [record_contribution(channel=Channel.ONLINE_SURVEY, text=f"More patrols in the park, please ({i})",
                                 area=area_tree["north_ward"], source=source) for i in range(12)]
    services.create_concern_from_contributions(admin, area_tree["north_ward"], "Patrols in the park",
                                               [c.pk for c in items])
    type_id = ContentType.objects.get_for_model(Area).pk
    narrow_page.goto(f"{live_server.url}/you-said-we-did/from/{type_id}/{source.pk}/")
    expect(narrow_page.get_by_role("heading", level=1)).to_contain_text("Northtown")
    expect(narrow_page.locator("main")).to_contain_text("12 of the things people said here")
    check_page(narrow_page, "ysyd-source-narrow")
    assert narrow_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    narrow_page.goto(f"{live_server.url}/you-said-we-did/")
    check_page(narrow_page, "ysyd-index-narrow")
    assert narrow_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
