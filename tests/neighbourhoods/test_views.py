"""Neighbourhood pages through the test client: public pages, finding a neighbourhood, staff editing."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from byconsent.core.models import PostcodeArea, Role, TaskProgress
from byconsent.neighbourhoods import services
from byconsent.neighbourhoods.models import Meeting, Priority, TeamMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_content(area_tree, staff):
    ward = area_tree["north_ward"]
    services.save_team_member(staff["engagement"], area=ward, name="PC Dana Jones", role_title="Police Constable",
                              contact_email="northward@police.example", contact_phone="101")
    services.save_team_member(staff["engagement"], area=ward, name="PCSO Sam Lee", role_title="PCSO",
                              photo=b"\x89PNG\r\n\x1a\n0000", photo_consent=True)
    services.save_priority(staff["engagement"], area=ward, issue="<p>Speeding on Mill Road</p>",
                           issue_date=datetime.date(2026, 1, 10), action="<p>Weekly checks</p>",
                           set_with="North Ward community meeting")
    services.save_meeting(staff["engagement"], area=ward, title="North Ward surgery",
                          starts_at=timezone.now() + datetime.timedelta(days=3), location="Library")
    return ward


def test_public_neighbourhood_page(page_content, client):
    page = client.get(f"/neighbourhoods/{page_content.code}/").content.decode()
    for text in ["PC Dana Jones", "northward@police.example", "Speeding on Mill Road", "North Ward surgery",
                 "Photo of PCSO Sam Lee"]:
        assert text in page
    assert "Photo of PC Dana Jones" not in page  # no consent, no photo


def test_find_by_postcode_redirects_and_list_is_there(area_tree, page_content, client):
    PostcodeArea.objects.create(postcode="ZZ1", area=page_content)
    response = client.get("/neighbourhoods/", {"q": "ZZ1 1AA"})
    assert response.status_code == 302 and response["Location"] == f"/neighbourhoods/{page_content.code}/"
    page = client.get("/neighbourhoods/").content.decode()
    assert "Northtown" in page and "South Ward" in page
    page = client.get("/neighbourhoods/", {"q": "Nowhere at all"}).content.decode()
    assert "We could not find that postcode or place" in page


def test_priorities_export_in_police_uk_shape(page_content, client):
    data = client.get(f"/neighbourhoods/{page_content.code}/priorities.json").json()
    assert data == [{"issue": "<p>Speeding on Mill Road</p>", "issue-date": "2026-01-10T00:00:00",
                     "action": "<p>Weekly checks</p>", "action-date": None}]


def test_staff_pages(page_content, staff, staff_client):
    client = staff_client(staff["engagement"])
    code = page_content.code
    member = TeamMember.objects.first()
    for path in ["/staff/neighbourhoods/", f"/staff/neighbourhoods/{code}/", f"/staff/neighbourhoods/{code}/team/new/",
                 f"/staff/neighbourhoods/{code}/team/{member.pk}/", f"/staff/neighbourhoods/{code}/priorities/new/",
                 f"/staff/neighbourhoods/{code}/priorities/{Priority.objects.first().pk}/",
                 f"/staff/neighbourhoods/{code}/meetings/new/",
                 f"/staff/neighbourhoods/{code}/meetings/{Meeting.objects.first().pk}/"]:
        assert client.get(path).status_code == 200, path
    assert client.get("/staff/neighbourhoods/crime-import/").status_code == 404  # one import screen: insights


def test_staff_refused_outside_their_area_and_role(page_content, staff, staff_client):
    assert staff_client(staff["south"]).get(f"/staff/neighbourhoods/{page_content.code}/").status_code == 404
    assert staff_client(staff["officer"]).get("/staff/neighbourhoods/").status_code == 403


def test_add_meeting_and_member_through_the_forms(page_content, staff, staff_client):
    client = staff_client(staff["engagement"])
    code = page_content.code
    day = timezone.localdate() + datetime.timedelta(days=5)
    response = client.post(f"/staff/neighbourhoods/{code}/meetings/new/", {
        "area": page_content.pk, "title": "Street meeting", "day_0": day.day, "day_1": day.month, "day_2": day.year,
        "start_time": "18:30", "end_time": "18:00"})
    body = response.content.decode()
    assert "The meeting must end after it starts" in body and "Say where the meeting is" in body
    client.post(f"/staff/neighbourhoods/{code}/meetings/new/", {
        "area": page_content.pk, "title": "Street meeting", "day_0": day.day, "day_1": day.month, "day_2": day.year,
        "start_time": "18:30", "location": "Corner of Mill Road"})
    assert Meeting.objects.filter(title="Street meeting").exists()
    photo = SimpleUploadedFile("me.png", b"\x89PNG\r\n\x1a\n0000", content_type="image/png")
    response = client.post(f"/staff/neighbourhoods/{code}/team/new/", {
        "area": page_content.pk, "name": "PC New", "role_title": "PC", "photo": photo})
    assert "A photo can only be published when the person has agreed" in response.content.decode()


def test_priorities_import_errors_are_shown(page_content, staff, staff_client):
    client = staff_client(staff["engagement"])
    upload = SimpleUploadedFile("p.json", b'[{"issue": "x", "issue-date": "soon"}]')
    page = client.post(f"/staff/neighbourhoods/{page_content.code}/", {"file": upload}).content.decode()
    assert "Item 1: &#x27;issue-date&#x27; &#x27;soon&#x27; is not a date" in page


def test_crime_figures_are_imported_on_the_one_import_screen(area_tree, staff, staff_client, make_user,
                                                             django_capture_on_commit_callbacks):
    """The staff page links to the analysis workspace's import; what it imports appears on the public page."""
    from django.core.cache import cache

    from byconsent.insights.tasks import crime_import_task

    cache.clear()
    page = staff_client(staff["force_engagement"]).get("/staff/neighbourhoods/").content.decode()
    # Force-level engagement officers import crime files too (the neighbourhood pages show them).
    assert "No crime figures have been imported yet" in page and 'href="/staff/insights/crime/"' in page
    local = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    assert 'href="/staff/insights/crime/"' not in staff_client(local).get("/staff/neighbourhoods/").content.decode()
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    page = staff_client(admin).get("/staff/neighbourhoods/").content.decode()
    assert 'href="/staff/insights/crime/"' in page
    rows = "".join(f"x{n},2026-01,X Police,X Police,,,On or near A,S01000001,A,Burglary,,\n" for n in range(12))
    upload = SimpleUploadedFile("2026-01-x-street.csv", (
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
        "Last outcome category,Context\n" + rows + ",2026-01,X Police,X Police,,,No Location,,,Burglary,,\n").encode())
    with django_capture_on_commit_callbacks(execute=False):
        response = staff_client(admin).post("/staff/insights/crime/", {"area": area_tree["north_ward"].pk,
                                                                       "file": upload})
    progress = TaskProgress.objects.get()
    assert response.status_code == 302 and progress.task_path == "byconsent.insights.tasks.crime_import_task"
    outcome = crime_import_task.call(progress.pk)
    assert outcome["imported"] == 13 and outcome["without a location"] == 1
    public = Client().get(f"/neighbourhoods/{area_tree['north_ward'].code}/").content.decode()
    assert "Burglary" in public and "X Police" in public
    page = staff_client(admin).get("/staff/neighbourhoods/").content.decode()
    assert "X Police: up to January 2026" in page
