"""Recruitment screens in a real browser: create a panel, census shares and quotas, draw addresses, print letters,
volunteer with a code (with and without JavaScript), and phone registration. axe on every page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from byconsent.core.models import Role
from byconsent.panels.models import Panel, Volunteer
from tests.panels.conftest import address_csv

from .accessibility import check_page
from .signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


def test_staff_set_up_a_panel_and_draw_invitations(live_server, page, area_tree, make_user, tmp_path: Path):
    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    sign_in(page, live_server.url, officer.email, PASSWORD)
    page.goto(live_server.url + reverse("panels:staff_list"))
    check_page(page, "panels-staff-list-empty")
    page.click("text=New panel")
    page.click("button:has-text('Save')")
    check_page(page, "panels-new-errors")
    assert page.locator(".govuk-error-summary").is_visible()
    page.fill("#id_name", "Northtown Police Panel")
    page.check("input[name=kind][value=mini_public]")
    page.select_option("#id_area", label="Northtown")
    page.fill("#id_purpose", "Advise on local policing priorities.")
    page.fill("#id_panel_size", "4")
    page.click("button:has-text('Save')")
    check_page(page, "panels-staff-detail-new")
    panel = Panel.objects.get()

    page.click("text=Enter or import census shares")
    check_page(page, "panels-census")
    page.fill("#id_shares", "category,value,share\nsex,Female,0.5\nsex,Male,0.6\n")
    page.click("button:has-text('Save shares and build quotas')")
    check_page(page, "panels-census-errors")
    assert "add up to 1.100" in page.content()
    page.fill("#id_shares", "category,value,share\nsex,Female,0.5\nsex,Male,0.5\n")
    page.click("button:has-text('Save shares and build quotas')")
    check_page(page, "panels-quotas")
    page.click("text=Check feasibility with the current pool")
    check_page(page, "panels-quotas-feasibility")
    assert "No panel can meet every quota with this pool" in page.content()

    page.goto(live_server.url + reverse("panels:staff_census", args=[panel.pk]))
    census_file = tmp_path / "census.csv"
    census_file.write_text('"geography code","Sex: Female; measures: Value","Sex: Male; measures: Value"\n'
                           '"E01000001",60,40\n')
    page.set_input_files("#id_bulk-file", str(census_file))
    page.fill("#id_bulk-areas", "E09999999")
    page.click("button:has-text('Import and build quotas')")
    check_page(page, "panels-census-bulk-errors")
    page.goto(live_server.url + reverse("panels:staff_edit", args=[panel.pk]))
    check_page(page, "panels-edit")

    page.goto(live_server.url + reverse("panels:staff_round_new", args=[panel.pk]))
    check_page(page, "panels-round-new")
    csv_file = tmp_path / "addresses.csv"
    csv_file.write_text("address,postcode,area\n1 High St,AB1 1AA,Northtown\n,AB1 1AB,Northtown\n")
    page.set_input_files("#id_file", str(csv_file))
    page.fill("#id_sample_size", "1")
    page.click("button:has-text('Upload and draw')")
    check_page(page, "panels-round-new-errors")
    assert "Line 3: the address is empty." in page.content()
    csv_file.write_text(address_csv(40))
    page.set_input_files("#id_file", str(csv_file))
    page.fill("#id_sample_size", "8")
    page.fill("#id_oversample", "Southtown = 3")
    page.fill("#id_seed", "public-seed-1")
    page.click("button:has-text('Upload and draw')")
    check_page(page, "panels-round")
    assert "public-seed-1" in page.content()
    page.click("text=Open the invitation letters for printing")
    check_page(page, "panels-letters")
    assert page.locator("article.app-letter").count() == 8
    page.emulate_media(media="print")
    assert page.locator(".govuk-header").is_hidden()
    assert page.locator("article.app-letter").first.evaluate("e => getComputedStyle(e).breakAfter") == "page"


@pytest.fixture
def recruiting_panel(area_tree, make_user):
    from byconsent.panels import services

    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    panel = services.create_panel(officer, area=area_tree["north_town"], name="Northtown Police Panel",
                                  kind="mini_public", purpose="Advise on priorities.", panel_size=4)
    services.set_census_shares(officer, panel, "category,value,share\nsex,Female,0.5\nsex,Male,0.5\n")
    services.build_quotas_from_census(officer, panel)
    round_ = services.create_round(officer, panel, address_csv(10), sample_size=3, seed="s")
    codes = [a.display_code for a in round_.addresses.filter(drawn=True)]
    return panel, officer, codes


def test_volunteering_with_a_code(live_server, page, recruiting_panel):
    panel, _officer, codes = recruiting_panel
    page.goto(live_server.url + reverse("panels:public_list"))
    check_page(page, "panels-public-list")
    page.click(f"text={panel.name}")
    check_page(page, "panels-public-detail-recruiting")
    page.click("text=Volunteer with your code")
    check_page(page, "panels-register")
    page.fill("#id_code", "WRNG-CODE")
    page.fill("#id_full_name", "Ann Example")
    page.click("button:has-text('Volunteer')")
    check_page(page, "panels-register-errors")
    assert "That code is not right" in page.content() or "Tick the box" in page.content()
    page.fill("#id_code", codes[0])
    page.fill("#id_full_name", "Ann Example")
    page.fill("#id_email", "ann@example.test")
    page.check("input[name=answer_0][value=Female]")
    page.check("#id_consent")
    page.click("button:has-text('Volunteer')")
    check_page(page, "panels-registered")
    assert "Thank you for volunteering" in page.content()
    assert Volunteer.objects.get().email == "ann@example.test"


def test_volunteering_without_javascript(live_server, page_without_javascript, recruiting_panel):
    panel, _officer, codes = recruiting_panel
    page = page_without_javascript
    page.goto(live_server.url + reverse("panels:register", args=[panel.slug]))
    check_page(page, "panels-register-no-js")
    page.fill("#id_code", codes[1])
    page.fill("#id_full_name", "Bo Example")
    page.fill("#id_phone", "0131 000 0000")
    page.check("input[name=answer_0][value=Male]")
    page.check("#id_consent")
    page.click("button:has-text('Volunteer')")
    check_page(page, "panels-registered-no-js")
    assert Volunteer.objects.get().phone == "0131 000 0000"


def test_phone_registration_by_staff(live_server, page, recruiting_panel):
    panel, officer, codes = recruiting_panel
    sign_in(page, live_server.url, officer.email, PASSWORD)
    page.goto(live_server.url + reverse("panels:staff_register", args=[panel.pk]))
    check_page(page, "panels-staff-register")
    page.fill("#id_code", codes[2])
    page.fill("#id_full_name", "Cy Example")
    page.fill("#id_phone", "0131 111 1111")
    page.check("input[name=answer_0][value=Male]")
    page.check("#id_consent")
    page.click("button:has-text('Register')")
    check_page(page, "panels-staff-volunteers")
    assert Volunteer.objects.get().channel == Volunteer.Channel.PHONE
