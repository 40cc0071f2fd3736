"""data.police.uk street crime: a task with per-line errors, LSOA codes mapped to areas, monthly counts by type."""

from __future__ import annotations

from datetime import date

import pytest

from byconsent.insights import selectors, services
from byconsent.insights.crime import parse_street_csv
from byconsent.insights.models import CrimeImport, CrimeRecord
from byconsent.insights.tasks import crime_import_task
from tests.shared_data import shared_path


def import_file(analyst, area, text, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        crime_import = services.start_crime_import(analyst, area=area, file_name="street.csv", csv_text=text)
    crime_import_task.call(crime_import.task_id)
    crime_import.refresh_from_db()
    return crime_import


def test_the_real_city_of_london_file(analyst, area_tree, django_capture_on_commit_callbacks):
    text = shared_path("domain-data", "police-uk_2022-01-city-of-london-street.csv").read_text(encoding="utf-8")
    area_tree["north_ward"].zone_codes = ["E01000001", "E01000002"]
    area_tree["north_ward"].save()
    crime_import = import_file(analyst, area_tree["force"], text, django_capture_on_commit_callbacks)
    assert crime_import.status == CrimeImport.Status.DONE and crime_import.errors == []
    assert crime_import.rows_read == 593 and crime_import.rows_imported == 593
    assert crime_import.rows_without_location == 37
    asb = CrimeRecord.objects.filter(crime_type="Anti-social behaviour")
    assert asb.filter(crime_id="").count() == 78
    assert CrimeRecord.objects.filter(location="No Location", longitude__isnull=True, area__isnull=True).count() == 37
    mapped = CrimeRecord.objects.filter(area=area_tree["north_ward"])
    assert mapped.exists() and set(mapped.values_list("lsoa_code", flat=True)) <= {"E01000001", "E01000002"}
    # The same file again adds nothing.
    again = import_file(analyst, area_tree["force"], text, django_capture_on_commit_callbacks)
    assert again.rows_imported == 0 and again.rows_already_present == 593
    assert CrimeRecord.objects.count() == 593
    summary = selectors.crime_summary(analyst, area_tree["north"])
    assert summary.months == [date(2022, 1, 1)]
    assert sum(summary.totals.values()) == mapped.count()


def test_unreadable_lines_are_listed_by_number_and_the_rest_imported(analyst, area_tree,
                                                                       django_capture_on_commit_callbacks):
    text = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
            "Last outcome category,Context\n"
            "abc,2022-01,X,X,-0.1,51.5,On or near A,S01000001,Ward,Burglary,Under investigation,\n"
            "def,January,X,X,-0.1,51.5,On or near B,S01000001,Ward,Burglary,,\n"
            ",2022-01,X,X,north,51.5,On or near C,S01000002,Ward,,,\n"
            ",2022-01,X,X,,,No Location,,,Anti-social behaviour,,\n")
    crime_import = import_file(analyst, area_tree["force"], text, django_capture_on_commit_callbacks)
    assert crime_import.status == CrimeImport.Status.DONE_WITH_ERRORS
    assert crime_import.errors[0].startswith("Line 3: month 'January'")
    assert crime_import.errors[1].startswith("Line 4:") and "crime type" in crime_import.errors[1]
    assert crime_import.rows_imported == 2
    assert CrimeRecord.objects.get(crime_id="abc").area == area_tree["north_ward"]


def test_a_file_of_the_wrong_shape_says_so():
    parsed = parse_street_csv("Date,Type\n2022-01,x\n")
    assert parsed.rows == [] and "missing column" in parsed.errors[0]


def test_importing_needs_the_analyse_role(make_user, area_tree):
    from django.core.exceptions import PermissionDenied

    officer = make_user("engagement_officer", area_tree["force"])
    with pytest.raises(PermissionDenied):
        services.start_crime_import(officer, area=area_tree["force"], file_name="x.csv", csv_text="")


def test_every_month_of_the_crime_data_is_listed_and_contributions_sit_beside_it(analyst, area_tree):
    from byconsent.core.models import Contribution
    from byconsent.insights.models import CrimeImport, CrimeRecord

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
