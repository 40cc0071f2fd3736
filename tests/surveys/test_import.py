"""Bulk import: preview with per-row errors and line numbers, all-or-nothing commit as a task, no duplicates."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from byconsent.core.models import TaskProgress
from byconsent.surveys import importing
from byconsent.surveys.models import Response
from byconsent.surveys.tasks import import_task

pytestmark = pytest.mark.django_db

GOOD = ("channel,safe,priorities__asb,priorities__speeding,speed_where,comments,score,postcode,age_band\n"
        "paper,agree,1,0,,Lovely,9,NT1 1AA,25_34\n"
        "phone,disagree,0,1,Main Road,,3,,\n")
BAD = ("channel,safe,priorities__asb,score\n"
       "paper,agree,1,9\n"
       "carrier pigeon,maybe,2,11\n")


def test_preview_lists_every_error_with_its_line(officer: Any, survey: Any) -> None:
    preview = importing.preview(survey, "r.csv", BAD.encode())
    assert preview.rows == 1
    assert any(e.startswith("Line 3: channel must be one of") for e in preview.errors)
    assert any("Line 3: safe: “maybe” is not one of the options" in e for e in preview.errors)
    assert any("Line 3: priorities__asb must be 1, 0 or blank" in e for e in preview.errors)
    assert any("Line 3: score must be a whole number from 0 to 10" in e for e in preview.errors)
    result = importing.commit(officer, survey, preview.stored)
    assert result.errors and Response.objects.count() == 0


def test_unknown_columns_are_refused(survey: Any) -> None:
    preview = importing.preview(survey, "r.csv", b"channel,favourite_colour\npaper,blue\n")
    assert preview.errors == ["Line 1: unknown columns favourite_colour"]


def test_import_through_the_pages_and_task(officer: Any, client_for: Any, survey: Any,
                                           django_capture_on_commit_callbacks: Any) -> None:
    client = client_for(officer)
    url = reverse("surveys:staff_import", args=[survey.pk])
    page = client.post(url, {"file": SimpleUploadedFile("r.csv", GOOD.encode())})
    assert b"2 responses are ready to import" in page.content
    stored = importing.preview(survey, "r.csv", GOOD.encode()).stored
    with django_capture_on_commit_callbacks(execute=False):
        started = client.post(url, {"confirm": "1", "stored": stored})
    progress = TaskProgress.objects.get()
    assert started["Location"] == reverse("core:task_detail", args=[progress.pk])
    import_task.call(progress.pk)
    progress.refresh_from_db()
    assert progress.status == "done" and progress.outcome == {"created": 2, "skipped": 0}
    paper, phone = Response.objects.order_by("id")
    assert paper.channel == "paper" and paper.answers["priorities"] == ["asb"] and paper.area.code == "WN"
    assert paper.demographics.data == {"age_band": "25_34"} and "age_band" not in paper.answers
    assert phone.answers["speed_where"] == "Main Road"
    # Importing the same file again adds nothing.
    assert importing.commit(officer, survey, stored).skipped == 2
    assert Response.objects.count() == 2


def test_xlsx_import(officer: Any, survey: Any) -> None:
    import xlsxwriter

    pytest.importorskip("openpyxl")  # reads .xlsx uploads; until it is in pyproject.toml

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for index, line in enumerate(GOOD.strip().splitlines()):
        sheet.write_row(index, 0, [int(c) if c.isdigit() else c for c in line.split(",")])
    book.close()
    preview = importing.preview(survey, "r.xlsx", buffer.getvalue())
    assert preview.errors == [] and preview.rows == 2
    assert importing.commit(officer, survey, preview.stored).created == 2


def test_wrong_file_type(survey: Any) -> None:
    with pytest.raises(ValueError, match=r"\.csv or \.xlsx"):
        importing.preview(survey, "r.txt", b"x")
