"""Neighbourhood content: permissions, audit, photo consent, crime import and priority import/export."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from byconsent.core.audit import entries_for
from byconsent.core.models import Role
from byconsent.insights import services as crime
from byconsent.neighbourhoods import selectors, services
from byconsent.neighbourhoods.models import Priority, TeamMember
from tests.shared_data import shared_path

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CITY = "police-uk_2022-01-city-of-london-street.csv"


def test_team_member_needs_engagement_role_in_the_area(area_tree, staff):
    with pytest.raises(PermissionDenied):
        services.save_team_member(staff["officer"], area=area_tree["north_ward"], name="PC Jones",
                                  role_title="Police Constable")
    with pytest.raises(PermissionDenied):
        services.save_team_member(staff["south"], area=area_tree["north_ward"], name="PC Jones",
                                  role_title="Police Constable")
    member = services.save_team_member(staff["engagement"], area=area_tree["north_ward"], name="PC Jones",
                                       role_title="Police Constable", contact_email="north@police.example")
    assert entries_for(member).get().action == "neighbourhood.team_member_added"


def test_photo_only_with_consent_and_withdrawal_deletes_it(area_tree, staff, client):
    with pytest.raises(ValidationError):
        services.save_team_member(staff["engagement"], area=area_tree["north_ward"], name="PC Jones",
                                  role_title="PC", photo=PNG)
    with pytest.raises(ValidationError):
        services.save_team_member(staff["engagement"], area=area_tree["north_ward"], name="PC Jones",
                                  role_title="PC", photo=b"<svg onload=alert(1)>", photo_consent=True)
    member = services.save_team_member(staff["engagement"], area=area_tree["north_ward"], name="PC Jones",
                                       role_title="PC", photo=PNG, photo_consent=True)
    assert member.shows_photo and member.photo_consent_on == timezone.localdate()
    response = client.get(f"/neighbourhoods/team/{member.pk}/photo/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    services.save_team_member(staff["engagement"], member, photo_consent=False)
    member.refresh_from_db()
    assert member.photo is None and not member.shows_photo
    assert client.get(f"/neighbourhoods/team/{member.pk}/photo/").status_code == 404


def test_team_privacy_export_erase_and_retention(area_tree, staff):
    from byconsent.neighbourhoods import privacy

    person = staff["officer"]
    services.save_team_member(staff["engagement"], area=area_tree["north_ward"], name="PC Officer",
                              role_title="PC", contact_email=person.email)
    assert privacy.export_team(person)[0]["name"] == "PC Officer"
    assert privacy.erase_team(person) == 1 and not TeamMember.objects.exists()
    old = services.save_team_member(staff["engagement"], area=area_tree["north_ward"], name="PC Gone",
                                    role_title="PC", left_on=datetime.date(2020, 1, 1))
    assert privacy.expire_team(timezone.now() - datetime.timedelta(days=365)) == 1
    assert not TeamMember.objects.filter(pk=old.pk).exists()


def test_meeting_needs_a_place_and_a_sensible_time(area_tree, staff):
    start = timezone.now() + datetime.timedelta(days=7)
    with pytest.raises(ValidationError):
        services.save_meeting(staff["engagement"], area=area_tree["north_ward"], title="Ward meeting",
                              starts_at=start)
    with pytest.raises(ValidationError):
        services.save_meeting(staff["engagement"], area=area_tree["north_ward"], title="Ward meeting",
                              starts_at=start, ends_at=start - datetime.timedelta(hours=1), location="Hall")
    meeting = services.save_meeting(staff["engagement"], area=area_tree["north_ward"], title="Ward meeting",
                                    starts_at=start, location="Village hall")
    again = services.save_meeting(staff["engagement"], area=area_tree["north_ward"], title="Ward meeting",
                                  starts_at=start, location="Village hall")
    assert again.pk == meeting.pk
    listings = selectors.meeting_listings(area_tree["north_ward"])
    assert [item.title for item in listings] == ["Ward meeting"]
    assert selectors.meeting_listings(area_tree["south_ward"]) == []


def test_priorities_import_is_idempotent_and_cleans_html(area_tree, staff):
    text = ('[{"issue": "<p>Speeding</p><script>alert(1)</script>", "issue-date": "2025-10-28T00:00:00", '
            '"action": "<p>Checks</p>", "action-date": null}]')
    report = services.import_priorities(staff["engagement"], area_tree["north_ward"], text)
    assert (report.created, report.updated) == (1, 0)
    assert services.import_priorities(staff["engagement"], area_tree["north_ward"], text).created == 0
    priority = Priority.objects.get()
    assert "<script>" not in priority.issue and "<p>Speeding</p>" in priority.issue
    exported = selectors.priorities_for_export(area_tree["north_ward"])
    assert exported == [{"issue": priority.issue, "issue-date": "2025-10-28T00:00:00", "action": "<p>Checks</p>",
                         "action-date": None}]
    bad = services.import_priorities(staff["engagement"], area_tree["north_ward"], '[{"issue": ""}]')
    assert not bad.ok and bad.errors[0].startswith("Item 1:")
    with pytest.raises(PermissionDenied):
        services.import_priorities(staff["south"], area_tree["north_ward"], text)


def test_public_figures_come_from_the_one_street_crime_import(area_tree, staff, make_user):
    """The real City of London file, imported once through the analysis workspace: the neighbourhood page's table
    counts the rows placed in the ward, through disclosure control exactly as before."""
    cache.clear()
    text = shared_path("domain-data", CITY).read_text(encoding="utf-8")
    ward = area_tree["north_ward"]
    ward.zone_codes = ["E01032739", "E01032740"]
    ward.save()
    with pytest.raises(PermissionDenied):  # a force-wide file needs the analyst or engagement role at force level
        crime.import_street_crime(staff["engagement"], file_name=CITY, csv_text=text)
    analyst = make_user(Role.ANALYST, area_tree["force"])
    crime_import = crime.import_street_crime(analyst, file_name=CITY, csv_text=text)
    assert crime_import.rows_read == 593 and crime_import.rows_without_location == 37
    assert crime_import.rows_outside_areas == 593 - 37 - 371 - 65
    again = crime.import_street_crime(analyst, file_name=CITY, csv_text=text)
    assert again.rows_imported == 0 and again.rows_already_present == 593
    table = selectors.crime_table(ward)
    assert table is not None and table.grand_total == 371 + 65 and table.source == "City of London Police"
    published = {crime_type: total for crime_type, _values, total in table.rows}
    assert published["Violence and sexual offences"] == 78 + 12  # 78 in one zone, 12 in the other
    assert published["Robbery"] is None  # 2 + 0 robberies: below the threshold, hidden
    assert selectors.crime_table(area_tree["south_ward"]) is None
    assert selectors.crime_figures_held() == [("City of London Police", datetime.date(2022, 1, 1))]


def test_public_table_follows_a_republished_month_and_hides_small_cells(area_tree, make_user):
    """Counts below the threshold and anything that would reveal them are hidden; a re-published month replaces
    the earlier figures instead of adding to them."""
    cache.clear()
    analyst = make_user(Role.ANALYST, area_tree["force"])
    header = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
              "Last outcome category,Context\n")

    def rows(burglaries: int, robberies: int) -> str:
        line = "{},2026-{:02d},X,X,,,On or near A,S0100000{},A,{},,\n"
        return (header + "".join(line.format(f"b{n}", 1, 1, "Burglary") for n in range(burglaries))
                + "".join(line.format(f"r{n}", 1, 2, "Robbery") for n in range(robberies))
                + "".join(line.format(f"B{n}", 2, 1, "Burglary") for n in range(25))
                + "".join(line.format(f"R{n}", 2, 2, "Robbery") for n in range(15)))

    crime.import_street_crime(analyst, file_name="a.csv", csv_text=rows(30, 3))
    table = selectors.crime_table(area_tree["north_ward"])
    assert table is not None and [m.month for m in table.months] == [1, 2]
    published = {crime_type: (values, total) for crime_type, values, total in table.rows}
    assert published["Robbery"][0][0] is None  # 3 robberies in January: hidden
    # ...and it cannot be worked out from its column (January total) or its row (robbery total).
    assert None in (published["Burglary"][0][0], table.month_totals[0])
    assert None in (published["Robbery"][0][1], published["Robbery"][1])
    crime.import_street_crime(analyst, file_name="b.csv", csv_text=rows(20, 12))  # January re-published
    table = selectors.crime_table(area_tree["north_ward"])
    published = {crime_type: (values, total) for crime_type, values, total in table.rows}
    assert published["Burglary"][0] == [20, 25] and published["Robbery"][0] == [12, 15]
    assert table.month_totals == [32, 40] and table.grand_total == 72


def test_find_by_postcode_or_place_name(area_tree):
    from byconsent.core.models import PostcodeArea

    PostcodeArea.objects.create(postcode="ZZ1", area=area_tree["north_ward"])
    assert selectors.find_neighbourhood("zz1 1aa").area == area_tree["north_ward"]
    assert selectors.find_neighbourhood("south ward").area == area_tree["south_ward"]
    result = selectors.find_neighbourhood("ward")
    assert result.area is None and len(result.matches) == 2
    assert selectors.find_neighbourhood("Atlantis").matches == []


def test_priority_follows_a_ledger_action(area_tree, staff):
    from byconsent.actions import services as ledger

    action = ledger.create_action(staff["officer"], area=area_tree["north_ward"], title="Speed checks",
                                  owner=staff["officer"], due_on=timezone.localdate())
    priority = services.save_priority(staff["engagement"], area=area_tree["north_ward"], issue="Speeding",
                                      issue_date=timezone.localdate(), ledger_action=action)
    assert priority.ledger_action == action
    with pytest.raises(ValidationError):
        services.save_priority(staff["south"], area=area_tree["south_ward"], issue="x",
                               issue_date=timezone.localdate(), ledger_action=action)
