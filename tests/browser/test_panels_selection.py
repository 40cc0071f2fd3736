"""Selection and running screens in a real browser: feasibility preview, the selection task with progress, the
result with the published seed and draw file, a replacement, sessions, payments, recommendations, the public page
and youth safeguarding. axe on every page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from byconsent.core.models import Role
from byconsent.panels import services
from byconsent.panels.models import Selection, Volunteer
from tests.panels.conftest import BALANCED, SHARES, address_csv, register_pool

from .accessibility import check_page
from .signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def pooled_panel(area_tree, make_user):
    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    panel = services.create_panel(officer, area=area_tree["north_town"], name="Northtown Police Panel",
                                  kind="mini_public", purpose="Advise on priorities.", panel_size=4, reserve_size=8,
                                  quota_tolerance=0)
    services.set_census_shares(officer, panel, SHARES)
    services.build_quotas_from_census(officer, panel)
    register_pool(panel, officer, BALANCED)
    return panel, officer


def test_select_replace_and_run_the_panel(live_server, page, pooled_panel):
    from byconsent.panels.tasks import select_task

    panel, officer = pooled_panel
    sign_in(page, live_server.url, officer.email, PASSWORD)
    page.goto(live_server.url + reverse("panels:staff_detail", args=[panel.pk]))
    check_page(page, "panels-detail-pool")
    page.click("text=Run a selection")
    check_page(page, "panels-select")
    assert "A panel can meet every quota" in page.content()
    page.fill("#id_seed", "2027-03-01 lottery 4 11 19 23 38 45")
    page.click("button:has-text('Start the selection')")
    check_page(page, "panels-selection-running")
    assert page.locator("#selection-progress").is_visible()
    selection = Selection.objects.get()
    select_task.call(selection.task_id)
    page.wait_for_selector("text=The selection has finished.")  # the script polls; the page never reloads itself
    page.click("#selection-status a")
    check_page(page, "panels-selection-result")
    assert "How anyone can check the draw" in page.content()
    with page.expect_download() as download:
        page.click("text=Download the panels list")
    assert download.value.suggested_filename.endswith(".json")

    member = panel.volunteers.filter(status=Volunteer.Status.SELECTED).first()
    page.click(f"a[href='{reverse('panels:staff_replace', args=[panel.pk, member.pk])}']")
    check_page(page, "panels-replace")
    page.click("button:has-text('Record the drop-out')")
    check_page(page, "panels-replace-errors")
    page.fill("#id_reason", "Moved away")
    page.click("button:has-text('Record the drop-out')")
    check_page(page, "panels-selection-after-replacement")
    assert "every quota is still met" in page.content()

    page.goto(live_server.url + reverse("panels:staff_volunteers", args=[panel.pk]))
    check_page(page, "panels-volunteers")
    page.goto(live_server.url + reverse("panels:staff_volunteer", args=[panel.pk, member.pk]))
    check_page(page, "panels-volunteer")
    reserve = panel.volunteers.filter(status=Volunteer.Status.RESERVE).first()
    page.goto(live_server.url + reverse("panels:staff_volunteer", args=[panel.pk, reserve.pk]))
    check_page(page, "panels-volunteer-reserve")
    page.click("button:has-text('Withdraw')")
    check_page(page, "panels-volunteer-withdraw-error")
    page.goto(live_server.url + reverse("panels:staff_answers", args=[panel.pk, reserve.pk]))
    check_page(page, "panels-answers")

    page.goto(live_server.url + reverse("panels:staff_sessions", args=[panel.pk]))
    check_page(page, "panels-sessions")
    page.fill("#id_title", "First meeting")
    page.fill("#id_date_0", "3")
    page.fill("#id_date_1", "3")
    page.fill("#id_date_2", "2027")
    page.fill("#id_time", "18:30")
    page.click("button:has-text('Add session')")
    page.click("text=First meeting")
    check_page(page, "panels-session")
    page.locator("input[name=attended]").first.check()
    page.click("button:has-text('Save attendance')")
    assert panel.sessions.get().attendance.filter(attended=True).count() == 1

    page.goto(live_server.url + reverse("panels:staff_payments", args=[panel.pk]))
    check_page(page, "panels-payments")
    page.click("button:has-text('Record payment')")
    check_page(page, "panels-payments-errors")

    page.goto(live_server.url + reverse("panels:staff_recommendations", args=[panel.pk]))
    check_page(page, "panels-recommendations")
    page.fill("#id_text", "Publish response times for each ward every month.")
    page.click("button:has-text('Add')")
    page.click("text=Respond")
    check_page(page, "panels-recommendation")
    page.fill("#id_response", "We will publish them from April.")
    page.check("#id_publish")
    page.click("button:has-text('Save')")

    page.goto(live_server.url + reverse("panels:staff_detail", args=[panel.pk]))
    page.click("button:has-text('Email members and reserves')")
    check_page(page, "panels-detail-confirmations-sent")
    page.click("text=Letters for members and reserves without an email address")
    check_page(page, "panels-confirmation-letters")
    page.goto(live_server.url + reverse("panels:staff_status", args=[panel.pk]))
    check_page(page, "panels-status")
    page.goto(live_server.url + reverse("panels:public_detail", args=[panel.slug]))
    check_page(page, "panels-public-detail-selected")
    assert "We will publish them from April." in page.content()
    assert "hidden" in page.content()


def test_infeasible_selection_shows_the_relaxation(live_server, page, area_tree, make_user):
    from byconsent.panels.tasks import select_task

    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    panel = services.create_panel(officer, area=area_tree["north_town"], name="Tight panel", kind="standing",
                                  purpose="p", panel_size=4, quota_tolerance=0)
    services.set_census_shares(officer, panel, SHARES)
    services.build_quotas_from_census(officer, panel)
    register_pool(panel, officer, [("Female", "16-39")] * 3 + [("Female", "40+")] * 3)
    sign_in(page, live_server.url, officer.email, PASSWORD)
    page.goto(live_server.url + reverse("panels:staff_quotas", args=[panel.pk]) + "?check=1")
    check_page(page, "panels-quotas-infeasible")
    assert "The smallest change that makes a panel possible" in page.content()
    selection = services.start_selection(officer, panel, seed="x")
    select_task.call(selection.task_id)
    page.goto(live_server.url + reverse("panels:staff_selection", args=[panel.pk, selection.pk]))
    check_page(page, "panels-selection-infeasible")
    page.goto(live_server.url + reverse("panels:staff_quotas", args=[panel.pk]) + "?check=1")
    page.click("button:has-text('Apply the suggested change')")
    check_page(page, "panels-quotas-relaxed")
    assert services.check_feasibility(panel).feasible


def test_youth_safeguarding_page(live_server, page, area_tree, make_user):
    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    panel = services.create_panel(officer, area=area_tree["north_town"], name="Youth co-design", kind="youth",
                                  purpose="Co-design the youth engagement plan.", panel_size=2,
                                  safeguarding_lead=officer)
    services.set_census_shares(officer, panel, "category,value,share\nage,13-15,0.5\nage,16-18,0.5\n")
    services.build_quotas_from_census(officer, panel)
    services.create_round(officer, panel, address_csv(4), sample_size=2, seed="y")
    ethics = make_user(Role.ETHICS_PANEL, area_tree["force"])
    sign_in(page, live_server.url, ethics.email, PASSWORD)
    page.goto(live_server.url + reverse("panels:staff_safeguarding", args=[panel.pk]))
    check_page(page, "panels-safeguarding")
    page.goto(live_server.url + reverse("panels:register", args=[panel.slug]))
    check_page(page, "panels-register-youth")
    page.check("input[name=is_under_16][value=yes]")
    page.click("button:has-text('Volunteer')")
    check_page(page, "panels-register-youth-errors")
