"""Crime counts imported through the neighbourhood pages before there was one import are not lost: migration 0002
copies them to the workspace's records, and re-importing their month from data.police.uk replaces them."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from byconsent.insights import services as crime
from byconsent.insights.models import CrimeImport, CrimeRecord
from byconsent.neighbourhoods import selectors

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("neighbourhoods", "0001_initial")]
AFTER = [("neighbourhoods", "0003_remove_crime_counts")]
JANUARY = datetime.date(2026, 1, 1)


def test_old_counts_are_copied_then_replaced_by_a_real_import(area_tree, make_user):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    OldImport = old.get_model("neighbourhoods", "CrimeImport")
    OldCount = old.get_model("neighbourhoods", "CrimeCount")
    admin = make_user("administrator", area_tree["force"])
    OldImport.objects.create(filename="2026-01-x-street.csv", source="X Police", months=["2026-01"], rows=40,
                             placed=40, created_by_id=admin.pk)
    ward, south = area_tree["north_ward"], area_tree["south_ward"]
    OldCount.objects.create(area_id=ward.pk, month=JANUARY, crime_type="Burglary", count=25, source="X Police")
    OldCount.objects.create(area_id=south.pk, month=JANUARY, crime_type="Robbery", count=15, source="X Police")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    copied = CrimeImport.objects.get()
    assert copied.area == area_tree["force"] and copied.created_by == admin and copied.rows_imported == 40
    assert "2026-01-x-street.csv" in copied.file_name
    assert CrimeRecord.objects.filter(area=ward, crime_type="Burglary", falls_within="X Police").count() == 25
    assert CrimeRecord.objects.filter(area=south, crime_type="Robbery", month=JANUARY).count() == 15
    cache.clear()
    table = selectors.crime_table(ward)
    assert table is not None and table.grand_total == 25 and table.source == "X Police"

    # January is re-published by data.police.uk: the full rows replace the copied counts instead of adding to them.
    text = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
            "Last outcome category,Context\n"
            + "".join(f"b{n},2026-01,X Police,X Police,,,On or near A,S01000001,A,Burglary,Under investigation,\n"
                      for n in range(12)))
    report = crime.import_street_crime(admin, file_name="2026-01-x-street.csv", csv_text=text)
    assert report.rows_imported == 12
    assert CrimeRecord.objects.filter(falls_within="X Police").count() == 12
    assert set(CrimeRecord.objects.values_list("last_outcome", flat=True)) == {"Under investigation"}


def test_months_already_held_and_several_force_files_are_not_copied(area_tree, make_user):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    OldCount = old.get_model("neighbourhoods", "CrimeCount")
    ward = area_tree["north_ward"]
    held = CrimeImport.objects.create(area=area_tree["force"], file_name="2026-01-x-street.csv")
    for n in range(3):  # January was imported in the workspace as well (insights' tables are not rolled back)
        CrimeRecord.objects.create(crime_import=held, fingerprint=f"held{n}", month=JANUARY, falls_within="X Police",
                                 crime_type="Burglary", area_id=ward.pk)
    february = datetime.date(2026, 2, 1)
    OldCount.objects.create(area_id=ward.pk, month=JANUARY, crime_type="Burglary", count=25, source="X Police")
    OldCount.objects.create(area_id=ward.pk, month=february, crime_type="Burglary", count=7, source="X Police")
    OldCount.objects.create(area_id=ward.pk, month=february, crime_type="Robbery", count=9, source="X Police / Y")

    MigrationExecutor(connection).migrate(AFTER)
    assert CrimeRecord.objects.filter(month=JANUARY).count() == 3  # not 3 + 25
    assert CrimeRecord.objects.filter(month=february, falls_within="X Police").count() == 7
    assert not CrimeRecord.objects.filter(falls_within__contains=" / ").exists()
