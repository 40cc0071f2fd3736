"""Import from CSV and XLSX: column mapping, preview with line numbers, duplicates, background task with progress."""

from __future__ import annotations

import io

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byconsent.core.models import PostcodeArea, Role, TaskProgress
from byconsent.people import importing
from byconsent.people.models import ConsentRecord, ImportJob, Organisation, Person
from byconsent.people.tabular import TableError, read_table
from byconsent.people.tasks import import_task

CSV = """Name,E-mail,Post code,Phone,Interests,Consent
Aisha Khan,aisha@example.test,EH1 1YZ,0131 496 0001,Youth; Road safety,yes
Bob Brown,not-an-email,EH1 1YZ,,,
,nobody@example.test,,,,
Aisha Khan,AISHA@example.test,EH1 1YZ,,,yes
Cara Doyle,cara@example.test,XX,,,
Dan Evans,dan@example.test,,,,no
"""


@pytest.fixture
def officer(make_user, area_tree):
    return make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])


def _xlsx(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("People")
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if hasattr(value, "year"):
                sheet.write_datetime(r, c, value, date_format)
            else:
                sheet.write(r, c, value)
    workbook.close()
    return buffer.getvalue()


def test_xlsx_is_read_with_the_standard_library():
    import datetime

    content = _xlsx([["Name", "Email", "Joined", "Count", "Ok"],
                     ["Zoë Ng", "zoe@example.test", datetime.datetime(2026, 3, 4), 7, True],
                     [], ["Yan", "", None, 2.5, False]])
    headers, rows = read_table("people.xlsx", content)
    assert headers == ["Name", "Email", "Joined", "Count", "Ok"]
    assert rows == [["Zoë Ng", "zoe@example.test", "2026-03-04", "7", "TRUE"], ["Yan", "", "", "2.5", "FALSE"]]


def test_unreadable_files_say_why():
    with pytest.raises(TableError, match="Excel"):
        read_table("x.xlsx", b"PK\x03\x04 not really a zip")
    with pytest.raises(TableError, match="empty"):
        read_table("x.csv", b"")


def test_columns_are_guessed_and_rows_checked_with_line_numbers(officer, area_tree, make_person):
    existing = make_person(full_name="Dan Evans", email="dan@example.test")
    job = importing.create_job(officer, kind="people", filename="list.csv", content=CSV.encode(),
                               area=area_tree["north"])
    assert job.mapping == {"full_name": 0, "email": 1, "postcode": 2, "phone": 3, "interests": 4, "consent": 5}
    importing.save_mapping(officer, job, job.mapping)
    preview = importing.preview(job)
    errors = {r.line: r.errors for r in preview.errors}
    assert errors == {3: ["'not-an-email' is not an email address"], 4: ["no name"],
                      6: ["'XX' is not a postcode"]}
    duplicates = {r.line: (r.duplicate_reason, r.duplicate_of) for r in preview.duplicates}
    assert duplicates == {5: ("same email address as line 2", None), 7: ("same email address", existing.pk)}
    assert preview.importable == 1


def test_the_import_task_imports_good_rows_records_consent_and_reports_the_rest(officer, area_tree):
    PostcodeArea.objects.create(postcode="EH11YZ", area=area_tree["north_ward"])
    job = importing.create_job(officer, kind="people", filename="list.csv", content=CSV.encode(),
                               area=area_tree["north"])
    from byconsent.people.models import Purpose

    purpose = Purpose.objects.get(slug="consultation-alerts")
    importing.save_mapping(officer, job, job.mapping, purpose=purpose, lawful_basis="consent",
                           consent_wording="Tick to hear about consultations", consent_source="paper")
    progress = importing.start_import(officer, job)
    import_task.call(progress.pk)
    progress = TaskProgress.objects.get(pk=progress.pk)
    assert progress.status == "done", progress.message
    assert progress.outcome["created"] == 2
    assert "errors" not in progress.outcome  # core's task page would read that as "nothing was imported"
    job.refresh_from_db()
    assert any(line.startswith("Line 3:") for line in job.outcome["lines left out"])
    aisha = Person.objects.get(email="aisha@example.test")
    assert aisha.area == area_tree["north_ward"] and aisha.postcode == "EH11YZ"
    assert sorted(aisha.interests.values_list("name", flat=True)) == ["Road safety", "Youth"]
    consent = ConsentRecord.objects.get(person=aisha)
    assert consent.wording == "Tick to hear about consultations" and consent.source == "paper"
    dan = Person.objects.get(email="dan@example.test")
    assert dan.area == area_tree["north"] and not ConsentRecord.objects.filter(person=dan).exists()  # said no
    job.refresh_from_db()
    assert job.status == "done" and job.rows == []  # the upload is not kept


def test_consent_import_needs_wording_and_a_consent_column(officer, area_tree):
    from byconsent.people.models import Purpose

    job = importing.create_job(officer, kind="people", filename="list.csv", content=b"Name\nA\n",
                               area=area_tree["north"])
    purpose = Purpose.objects.get(slug="consultation-alerts")
    with pytest.raises(Exception, match="words"):
        importing.save_mapping(officer, job, {"full_name": 0}, purpose=purpose, lawful_basis="consent")
    with pytest.raises(Exception, match="agreed"):
        importing.save_mapping(officer, job, {"full_name": 0}, purpose=purpose, lawful_basis="consent",
                               consent_wording="Yes please")


def test_organisations_import(officer, area_tree):
    content = _xlsx([["Organisation", "Type", "Email", "Website"],
                     ["Central Mosque", "Faith group", "info@mosque.test", "https://mosque.test"],
                     ["Hill School", "school", "", ""], ["Mystery", "spaceship", "", ""]])
    job = importing.create_job(officer, kind="organisations", filename="orgs.xlsx", content=content,
                               area=area_tree["north"])
    assert job.mapping == {"name": 0, "kind": 1, "email": 2, "website": 3}
    importing.save_mapping(officer, job, job.mapping)
    result = importing.run_import(job, officer)
    assert result["created"] == 2
    assert job.outcome["lines left out"] == ["Line 4: type 'spaceship' is not a known organisation type"]
    assert Organisation.objects.get(name="Central Mosque").kind == "faith_group"


def test_the_import_screens(officer, area_tree, client_for):
    client = client_for(officer)
    upload = SimpleUploadedFile("list.csv", CSV.encode(), content_type="text/csv")
    response = client.post(reverse("people:import_start"), {"kind": "people", "area": area_tree["north"].pk,
                                                            "file": upload})
    job = ImportJob.objects.get()
    assert response.url == reverse("people:import_mapping", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert "Aisha Khan" in page and "Match the columns" in page
    fields = {k: str(v) for k, v in job.mapping.items()}
    response = client.post(reverse("people:import_mapping", args=[job.pk]), {**fields, "purpose": "",
                                                                             "lawful_basis": "consent",
                                                                             "consent_source": "paper"})
    assert response.url == reverse("people:import_preview", args=[job.pk])
    preview = client.get(response.url).content.decode()
    assert "Line 3" in preview and "is not an email address" in preview and "Import 2 rows" in preview
    response = client.post(reverse("people:import_preview", args=[job.pk]))
    assert response.url.startswith("/staff/tasks/")


def test_a_local_officer_cannot_import(make_user, area_tree, client_for):
    officer = make_user(Role.LOCAL_OFFICER, area_tree["north"])
    assert client_for(officer).get(reverse("people:import_start")).status_code == 403


cell_text = st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"], exclude_characters="\x00"),
                    max_size=30).map(str.strip)
tables = st.integers(min_value=1, max_value=5).flatmap(
    lambda width: st.tuples(st.lists(cell_text.filter(bool), min_size=width, max_size=width),
                            st.lists(st.lists(cell_text, min_size=width, max_size=width), max_size=8)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_xlsx_round_trip(table):
    headers, rows = table
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for r, row in enumerate([headers, *rows]):
        for c, value in enumerate(row):
            if value:
                sheet.write_string(r, c, value)
    workbook.close()
    read_headers, read_rows = read_table("t.xlsx", buffer.getvalue())
    assert read_headers == headers
    assert read_rows == [row for row in rows if any(cell.strip() for cell in row)]


header_text = cell_text.map(lambda text: text.replace(",", "").replace(";", "").replace("\t", "").strip()).filter(bool)
csv_tables = st.integers(min_value=2, max_value=5).flatmap(
    lambda width: st.tuples(st.lists(header_text, min_size=width, max_size=width),
                            st.lists(st.lists(cell_text, min_size=width, max_size=width), max_size=8)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_tables, st.sampled_from([",", ";", "\t"]))
def test_csv_round_trip_with_any_common_delimiter(table, delimiter):
    """Column names hold no delimiter (a one-column file, or names with commas in a semicolon file, are
    ambiguous); the data may hold anything."""
    import csv as csv_module

    headers, rows = table
    buffer = io.StringIO()
    csv_module.writer(buffer, delimiter=delimiter).writerows([headers, *rows])
    read_headers, read_rows = read_table("t.csv", buffer.getvalue().encode("utf-8"))
    assert read_headers == headers
    assert read_rows == [row for row in rows if any(cell.strip() for cell in row)]


def test_windows_encoded_csv_is_read():
    headers, rows = read_table("t.csv", "Name;Town\nZoë;Dùn Èideann\n".encode("cp1252"))
    assert headers == ["Name", "Town"] and rows == [["Zoë", "Dùn Èideann"]]
