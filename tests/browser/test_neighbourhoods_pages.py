"""Neighbourhood pages in a real browser: finding a neighbourhood (postcode, place name, list), the page itself with
its team, priorities, meetings and crime figures, and the staff pages that edit it; axe on every page."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from byconsent.core.models import PostcodeArea, Role
from byconsent.insights import services as crime
from byconsent.neighbourhoods import services
from tests.browser.accessibility import check_page
from tests.browser.signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
CRIME_CSV = "\n".join(
    ["Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
     "Last outcome category,Context"]
    + [f"x{i},2026-0{1 + i % 3},Test Police,Test Police,,,On or near A,S01000001,A,"
       f"{'Burglary' if i % 4 else 'Anti-social behaviour'},," for i in range(90)]
    + [",2026-01,Test Police,Test Police,,,No Location,,,Anti-social behaviour,,"])


def test_public_neighbourhood_pages(live_server, page, page_without_javascript, area_tree, make_user):
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"], email="admin@example.test")
    ward = area_tree["north_ward"]
    PostcodeArea.objects.create(postcode="ZZ1", area=ward)
    services.save_team_member(admin, area=ward, name="PC Dana Jones", role_title="Police Constable",
                              contact_email="northward@police.example", photo_consent=True,
                              photo=b"\x89PNG\r\n\x1a\n" + bytes.fromhex(
                                  "0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
                                  "0000050001e226059b0000000049454e44ae426082"))
    services.save_priority(admin, area=ward, issue="<p>Speeding on Mill Road</p>", issue_date=datetime.date(2026, 1, 5),
                           action="<p>Weekly speed checks</p>", set_with="North Ward meeting, January 2026")
    services.save_meeting(admin, area=ward, title="Ward surgery", starts_at=timezone.now() + datetime.timedelta(days=2),
                          location="Library", access_notes="Step-free access")
    crime_import = crime.import_street_crime(admin, file_name="test.csv", csv_text=CRIME_CSV)
    assert crime_import.rows_imported == 91 and crime_import.rows_without_location == 1

    page.goto(f"{live_server.url}/neighbourhoods/")
    check_page(page, "neighbourhoods-index")
    page.get_by_label("Postcode or place name").fill("ZZ1 1AA")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("North Ward")
    main = page.locator("main")
    for text in ["PC Dana Jones", "Speeding on Mill Road", "Ward surgery", "Burglary"]:
        expect(main).to_contain_text(text)
    expect(page.get_by_role("img", name="Photo of PC Dana Jones")).to_be_visible()
    check_page(page, "neighbourhoods-detail")

    page.goto(f"{live_server.url}/neighbourhoods/?q=ward")
    expect(page.locator("main")).to_contain_text("South Ward")
    check_page(page, "neighbourhoods-search-results")
    page.goto(f"{live_server.url}/neighbourhoods/?q=Atlantis")
    expect(page.locator(".govuk-error-summary")).to_contain_text("We could not find that postcode or place")
    check_page(page, "neighbourhoods-search-error")

    nojs = page_without_javascript
    nojs.goto(f"{live_server.url}/neighbourhoods/")
    nojs.get_by_text("Northtown").first.click()
    nojs.get_by_role("link", name="North Ward").click()
    expect(nojs.get_by_role("heading", level=1)).to_have_text("North Ward")
    check_page(nojs, "neighbourhoods-detail-no-js")
    nojs.goto(f"{live_server.url}/neighbourhoods/{area_tree['north_town'].code}/")
    check_page(nojs, "neighbourhoods-local-area-no-js")


def test_staff_edit_neighbourhood_page(live_server, page, area_tree, make_user):
    engagement = make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"], email="engage@example.test")
    ward = area_tree["north_ward"]
    sign_in(page, live_server.url, engagement.email, PASSWORD)
    page.goto(f"{live_server.url}/staff/neighbourhoods/")
    check_page(page, "neighbourhoods-staff-index")
    page.goto(f"{live_server.url}/staff/neighbourhoods/{ward.code}/")
    check_page(page, "neighbourhoods-staff-area")

    page.get_by_role("link", name="Add a team member").click()
    page.get_by_label("Name", exact=True).fill("PC Sam Lee")
    page.get_by_label("Role", exact=True).fill("Police Constable")
    check_page(page, "neighbourhoods-team-form")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("PC Sam Lee")

    page.get_by_role("link", name="Add a meeting").click()
    page.get_by_label("Title").fill("Street meeting")
    day = timezone.localdate() + datetime.timedelta(days=4)
    page.get_by_label("Day").fill(str(day.day))
    page.get_by_label("Month").fill(str(day.month))
    page.get_by_label("Year").fill(str(day.year))
    page.get_by_label("Starts at").fill("18:30")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say where the meeting is")
    check_page(page, "neighbourhoods-meeting-errors")
    page.locator("#id_location").fill("Corner of Mill Road")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Street meeting")

    page.get_by_role("link", name="Add a priority").click()
    check_page(page, "neighbourhoods-priority-form")
    # Crime figures are imported on the analysis workspace's screen: a force-level engagement officer is sent there.
    page.goto(f"{live_server.url}/staff/neighbourhoods/")
    expect(page.get_by_role("link", name="Import crime figures from data.police.uk")).to_have_attribute(
        "href", "/staff/insights/crime/")
