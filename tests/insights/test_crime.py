"""data.police.uk street crime, the one import of the platform: a task with per-line errors, LSOA codes mapped to
areas, the same file twice adds nothing, a re-published month replaces that force's month, monthly counts."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from byconsent.core.audit import entries_for
from byconsent.core.models import Role
from byconsent.insights import selectors, services
from byconsent.insights.crime import parse_street_csv
from byconsent.insights.models import CrimeImport, CrimeRecord
from byconsent.insights.tasks import crime_import_task
from tests.shared_data import shared_path

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
          "Last outcome category,Context\n")
JANUARY = date(2022, 1, 1)


def city_of_london() -> str:
    return shared_path("domain-data", "police-uk_2022-01-city-of-london-street.csv").read_text(encoding="utf-8")


def import_file(analyst, area, text, django_capture_on_commit_callbacks, name="street.csv"):
    with django_capture_on_commit_callbacks(execute=False):
        crime_import = services.start_crime_import(analyst, area=area, file_name=name, csv_text=text)
    outcome = crime_import_task.call(crime_import.task_id)
    crime_import.refresh_from_db()
    crime_import.outcome = outcome
    return crime_import


@pytest.fixture
def city_zones(area_tree):
    area_tree["north_ward"].zone_codes = ["E01000001", "E01000002"]
    area_tree["north_ward"].save()
    area_tree["north_town"].zone_codes = ["E01000001", "E01000003"]  # the ward is deeper: it wins for E01000001
    area_tree["north_town"].save()
    return area_tree


def test_the_parser_reads_the_real_city_of_london_file():
    parsed = parse_street_csv(city_of_london())
    assert parsed.errors == [] and parsed.lines_read == len(parsed.rows) == 593
    assert parsed.without_location == 37  # "No Location": no coordinates and no LSOA
    assert parsed.without_crime_id == 78  # anti-social behaviour has no crime id
    assert parsed.months == [JANUARY] and parsed.forces == ["City of London Police"]
    no_location = [row for row in parsed.rows if not row.lsoa_code]
    assert {row.location for row in no_location} == {"No Location"}
    assert all(row.longitude is None and row.latitude is None for row in no_location)
    assert len({row.fingerprint for row in parsed.rows}) == 593  # identical rows still get their own fingerprint


def test_the_real_file_is_placed_in_areas_and_importing_it_twice_adds_nothing(
        analyst, city_zones, django_capture_on_commit_callbacks):
    text = city_of_london()
    rows = parse_street_csv(text).rows
    crime_import = import_file(analyst, city_zones["force"], text, django_capture_on_commit_callbacks)
    assert crime_import.status == CrimeImport.Status.DONE and crime_import.errors == []
    assert crime_import.rows_read == 593 and crime_import.rows_imported == 593
    assert crime_import.rows_without_location == 37
    placed_codes = {"E01000001", "E01000002", "E01000003"}
    assert crime_import.rows_outside_areas == sum(1 for r in rows if r.lsoa_code and r.lsoa_code not in placed_codes)
    assert "E01000005" in crime_import.outcome["codes in none of your areas"]
    assert CrimeRecord.objects.filter(crime_type="Anti-social behaviour", crime_id="").count() == 78
    assert CrimeRecord.objects.filter(location="No Location", longitude__isnull=True, area__isnull=True).count() == 37
    ward, town = city_zones["north_ward"], city_zones["north_town"]
    assert set(CrimeRecord.objects.filter(area=ward).values_list("lsoa_code", flat=True)) == {"E01000001",
                                                                                              "E01000002"}
    assert set(CrimeRecord.objects.filter(area=town).values_list("lsoa_code", flat=True)) == {"E01000003"}
    # The same file again adds nothing and removes nothing.
    again = import_file(analyst, city_zones["force"], text, django_capture_on_commit_callbacks)
    assert again.rows_imported == 0 and again.rows_already_present == 593
    assert again.outcome["removed (no longer in a re-published month)"] == 0
    assert CrimeRecord.objects.count() == 593
    summary = selectors.crime_summary(analyst, city_zones["north"])
    assert summary.months == [JANUARY]
    assert sum(summary.totals.values()) == sum(1 for r in rows if r.lsoa_code in placed_codes)


def test_a_republished_month_replaces_that_forces_month(analyst, city_zones, django_capture_on_commit_callbacks):
    text = city_of_london()
    lines = text.splitlines(keepends=True)
    import_file(analyst, city_zones["force"], text, django_capture_on_commit_callbacks)
    other_force = HEADER + ",2022-01,Other Police,Other Police,,,On or near B,E01000001,B,Robbery,,\n"
    import_file(analyst, city_zones["force"], other_force, django_capture_on_commit_callbacks)
    # data.police.uk re-issues January: one outcome updated, one row withdrawn.
    changed_line = next(i for i, line in enumerate(lines)
                        if "E01000002" in line and "Status update unavailable" in line)
    removed_line = next(i for i, line in enumerate(lines) if "E01000001" in line and i != changed_line)
    republished = list(lines)
    republished[changed_line] = lines[changed_line].replace("Status update unavailable", "Local resolution")
    del republished[removed_line]
    second = "".join(republished)
    crime_import = import_file(analyst, city_zones["force"], second, django_capture_on_commit_callbacks)
    assert crime_import.rows_imported == 1 and crime_import.rows_already_present == 591
    assert crime_import.outcome["removed (no longer in a re-published month)"] == 2 == crime_import.rows_removed
    assert CrimeImport.objects.order_by("pk").first().rows_removed == 0

    expected = parse_street_csv(second).rows
    city = CrimeRecord.objects.filter(falls_within="City of London Police", month=JANUARY)
    assert sorted(city.values_list("fingerprint", flat=True)) == sorted(r.fingerprint for r in expected)
    assert Counter(city.values_list("last_outcome", flat=True)) == Counter(r.last_outcome for r in expected)
    ward_rows = [r for r in expected if r.lsoa_code in {"E01000001", "E01000002"}]
    counts = selectors.crime_counts(city_zones["north_ward"])
    by_type = Counter(r.crime_type for r in ward_rows) + Counter({"Robbery": 1})  # the other force's row stays
    assert {name: months[JANUARY] for name, months in counts.counts.items()} == dict(by_type)
    assert counts.forces == ["City of London Police", "Other Police"]
    assert CrimeRecord.objects.filter(falls_within="Other Police").count() == 1


def test_reimporting_places_rows_again_when_zone_codes_changed(analyst, area_tree,
                                                                 django_capture_on_commit_callbacks):
    text = HEADER + "a,2022-01,X,X,-0.1,51.5,On or near A,S01000009,Ward,Burglary,,\n"
    import_file(analyst, area_tree["force"], text, django_capture_on_commit_callbacks)
    assert CrimeRecord.objects.get().area is None
    area_tree["south_ward"].zone_codes = ["s01000009"]
    area_tree["south_ward"].save()
    again = import_file(analyst, area_tree["force"], text, django_capture_on_commit_callbacks)
    assert again.rows_imported == 0 and again.outcome["placed again in another area"] == 1
    assert CrimeRecord.objects.get().area == area_tree["south_ward"]


def test_unreadable_lines_are_listed_by_number_and_the_rest_imported(analyst, area_tree,
                                                                       django_capture_on_commit_callbacks):
    text = (HEADER
            + "abc,2022-01,X,X,-0.1,51.5,On or near A,S01000001,Ward,Burglary,Under investigation,\n"
            + "def,January,X,X,-0.1,51.5,On or near B,S01000001,Ward,Burglary,,\n"
            + ",2022-01,X,X,north,51.5,On or near C,S01000002,Ward,,,\n"
            + ",2022-01,X,X,,,No Location,,,Anti-social behaviour,,\n"
            + "ghi,2022-01,,,,,On or near D,S01000001,Ward,Burglary,,\n")
    crime_import = import_file(analyst, area_tree["force"], text, django_capture_on_commit_callbacks)
    assert crime_import.status == CrimeImport.Status.DONE_WITH_ERRORS
    assert crime_import.errors[0] == "Line 3: month 'January' is not YYYY-MM"
    assert crime_import.errors[1].startswith("Line 4:") and "crime type" in crime_import.errors[1]
    assert "longitude/latitude" in crime_import.errors[1]
    assert crime_import.errors[2] == "Line 6: 'Falls within' is empty"
    assert crime_import.rows_imported == 2 and crime_import.rows_without_location == 1
    assert CrimeRecord.objects.get(crime_id="abc").area == area_tree["north_ward"]


def test_a_file_of_the_wrong_shape_changes_nothing(analyst, area_tree, django_capture_on_commit_callbacks):
    parsed = parse_street_csv("Type,Date,Outcome\nPerson search,2019-06-01,Arrest\n")
    assert parsed.rows == [] and "missing column(s): Month, Falls within, LSOA code, Crime type" in parsed.errors[0]
    import_file(analyst, area_tree["force"], HEADER + "a,2022-01,X,X,,,On or near A,S01000001,W,Burglary,,\n",
                django_capture_on_commit_callbacks)
    wrong = import_file(analyst, area_tree["force"], "Date,Type\n2022-01,x\n", django_capture_on_commit_callbacks)
    assert wrong.status == CrimeImport.Status.DONE_WITH_ERRORS and wrong.rows_imported == 0
    assert wrong.outcome["errors"] == wrong.errors and "not a data.police.uk" in wrong.errors[0]
    assert CrimeRecord.objects.count() == 1  # nothing of January was removed


def test_importing_needs_the_analyst_or_engagement_role_at_force_level(make_user, area_tree, analyst,
                                                                        django_capture_on_commit_callbacks):
    division_analyst = make_user(Role.ANALYST, area_tree["north"])
    division_officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    local_officer = make_user(Role.LOCAL_OFFICER, area_tree["force"])
    for actor, area in [(division_analyst, area_tree["north"]), (division_analyst, area_tree["north_ward"]),
                        (division_officer, area_tree["north"]), (local_officer, area_tree["force"])]:
        with pytest.raises(PermissionDenied):
            services.start_crime_import(actor, area=area, file_name="x.csv", csv_text="")
        assert not services.may_import_crime(actor)
    assert not CrimeImport.objects.exists()
    # An engagement officer for the whole force imports for the neighbourhood pages.
    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])
    assert services.may_import_crime(officer) and list(services.crime_import_forces(officer)) == [area_tree["force"]]
    by_officer = import_file(officer, area_tree["force"], HEADER + (
        "o,2022-02,X,X,,,On or near A,S01000001,W,Robbery,,\n"), django_capture_on_commit_callbacks)
    assert by_officer.status == CrimeImport.Status.DONE and by_officer.rows_imported == 1
    assert entries_for(by_officer).get(action="insights.crime_imported").actor == officer
    # Choosing an area beneath the force still imports for the whole force.
    crime_import = import_file(analyst, area_tree["north_ward"], HEADER + (
        "a,2022-01,X,X,,,On or near A,S01000001,W,Burglary,,\n"), django_capture_on_commit_callbacks,
        name="2022-01-x-street.csv")
    assert crime_import.area == area_tree["force"]
    entry = entries_for(crime_import).get(action="insights.crime_imported")
    assert entry.actor == analyst and entry.after["file"] == "2022-01-x-street.csv"
    assert entry.after["imported"] == 1 and entry.after["months"] == "2022-01" and entry.after["forces"] == "X"


def test_every_month_of_the_crime_data_is_listed_and_contributions_sit_beside_it(analyst, area_tree):
    from byconsent.core.models import Contribution

    crime_import = CrimeImport.objects.create(area=area_tree["force"])
    for n, month in enumerate([date(2025, 11, 1), date(2026, 2, 1)]):
        CrimeRecord.objects.create(crime_import=crime_import, fingerprint=str(n), month=month, crime_type="Robbery",
                                   area=area_tree["north_ward"])
    Contribution.objects.create(channel="comment", area=area_tree["north_ward"], text="x", created_on=date(2025, 12, 9))
    Contribution.objects.create(channel="comment", area=area_tree["north_ward"], text="y", created_on=date(2024, 1, 1))
    summary = selectors.crime_summary(analyst, area_tree["north"])
    assert summary.months == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert summary.contributions == {date(2025, 12, 1): 1}
    assert summary.totals == {date(2025, 11, 1): 1, date(2025, 12, 1): 0, date(2026, 1, 1): 0, date(2026, 2, 1): 1}


def test_counts_cover_the_latest_months_of_the_area_only(area_tree):
    crime_import = CrimeImport.objects.create(area=area_tree["force"])
    for n in range(8):
        CrimeRecord.objects.create(crime_import=crime_import, fingerprint=f"n{n}", month=date(2025, 1 + n, 1),
                                   crime_type="Burglary", falls_within="X", area=area_tree["north_ward"])
    CrimeRecord.objects.create(crime_import=crime_import, fingerprint="s", month=date(2025, 12, 1),
                               crime_type="Robbery", falls_within="X", area=area_tree["south_ward"])
    counts = selectors.crime_counts(area_tree["north"], latest_months=6)
    assert counts.months == [date(2025, m, 1) for m in range(3, 9)]
    assert counts.counts == {"Burglary": {date(2025, m, 1): 1 for m in range(3, 9)}}
    assert selectors.latest_crime_months() == [("X", date(2025, 12, 1))]


def test_a_failed_import_changes_nothing_and_says_so(analyst, area_tree, monkeypatch):
    text = HEADER + "a,2022-01,X,X,,,On or near A,S01000001,W,Burglary,,\n"
    services.import_street_crime(analyst, file_name="first.csv", csv_text=text)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(CrimeRecord.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        services.import_street_crime(analyst, file_name="second.csv", csv_text=HEADER + (
            "b,2022-01,X,X,,,On or near B,S01000001,W,Robbery,,\n"))
    assert CrimeImport.objects.get(file_name="second.csv").status == CrimeImport.Status.FAILED
    assert list(CrimeRecord.objects.values_list("crime_id", flat=True)) == ["a"]  # January was not half replaced


def test_a_forces_month_is_read_through_its_own_index(area_tree):
    """Each import reads (and replaces) the rows of one force's month: that must not scan the whole table."""
    from django.db import connection

    crime_import = CrimeImport.objects.create(area=area_tree["force"])
    CrimeRecord.objects.bulk_create([
        CrimeRecord(crime_import=crime_import, fingerprint=f"f{n}", month=date(2021, 1 + n % 12, 1),
                    crime_type="Burglary", falls_within=f"Force {n % 7}") for n in range(300)])
    month = CrimeRecord.objects.filter(falls_within="Force 3", month=JANUARY)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a small table would be scanned anyway
    index = next(i.name for i in CrimeRecord._meta.indexes if i.fields == ["falls_within", "month"])
    assert index in month.values_list("pk", "fingerprint", "area_id").explain()


def test_a_file_naming_another_force_never_touches_that_forces_records(make_user, area_tree,
                                                                       django_capture_on_commit_callbacks):
    """Found in review: a force's analyst importing a one-row file whose "Falls within" names another force used
    to replace that force's whole month."""
    from byconsent.core.models import Area

    other = Area.objects.create(code="B", name="B force", level=0, zone_codes=["E01000009"])
    other_analyst = make_user(Role.ANALYST, other)
    month_of_b = HEADER + "".join(f"b{n},2022-01,B Police,B Police,,,On or near B,E01000009,B,Burglary,,\n"
                                  for n in range(30))
    import_file(other_analyst, other, month_of_b, django_capture_on_commit_callbacks)
    assert CrimeRecord.objects.filter(falls_within="B Police", area=other).count() == 30

    analyst_here = make_user(Role.ANALYST, area_tree["force"])
    one_row = HEADER + "x1,2022-01,B Police,B Police,,,On or near X,E01000001,X,Robbery,,\n"
    import_file(analyst_here, area_tree["force"], one_row, django_capture_on_commit_callbacks)
    assert CrimeRecord.objects.filter(falls_within="B Police", area=other).count() == 30  # untouched
    assert CrimeRecord.objects.filter(falls_within="B Police", crime_import__area=area_tree["force"]).count() == 1
