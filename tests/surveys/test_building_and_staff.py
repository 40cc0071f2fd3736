"""Building and versioning questionnaires, permissions, staff entry, moderation, reports, exports and privacy."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from byconsent.core.models import AuditEntry, Contribution, ModerationState
from byconsent.surveys import reports, services
from byconsent.surveys.models import Response, TextAnswer, new_token

pytestmark = pytest.mark.django_db


def record(officer: Any, survey: Any, answers: dict[str, Any], channel: str = "paper") -> Response:
    return services.record_staff_response(officer, survey, channel=channel, answers=answers,
                                          submission_token=new_token())


def test_changing_shape_after_responses_makes_a_new_version(officer: Any, survey: Any) -> None:
    first = survey.current_version
    page = first.pages.first()
    services.add_question(officer, page, key="extra", type="short_text", text="Extra (still v1)")
    assert survey.current_version == first
    response = record(officer, survey, {"safe": "agree"})
    question = page.questions.get(key="safe")
    services.update_question(officer, question, text="I feel safe")
    survey.refresh_from_db()
    assert survey.current_version.number == 2
    response.refresh_from_db()
    assert response.version == first
    assert first.pages.first().questions.get(key="safe").text == "I feel safe where I live"
    assert survey.current_version.pages.first().questions.get(key="safe").text == "I feel safe"
    assert AuditEntry.objects.filter(action="questionnaire.versioned").count() == 1


def test_question_keys_are_unique_per_version(officer: Any, survey: Any) -> None:
    with pytest.raises(ValueError, match="short name"):
        services.add_question(officer, survey.current_version.pages.first(), key="safe", type="short_text",
                              text="Again")


def test_only_staff_of_the_area_may_build(area_tree: dict[str, Any], make_user: Any, survey: Any) -> None:
    south = make_user(role="engagement_officer", area=area_tree["south"])
    analyst = make_user(role="analyst", area=area_tree["force"])
    with pytest.raises(PermissionDenied):
        services.add_page(south, survey, title="Nope")
    with pytest.raises(PermissionDenied):
        services.create_questionnaire(analyst, title="x", slug="x", area=area_tree["force"])


def test_staff_pages_hide_other_areas(area_tree: dict[str, Any], make_user: Any, client_for: Any,
                                      survey: Any) -> None:
    south = client_for(make_user(role="engagement_officer", area=area_tree["south"]))
    assert south.get(reverse("surveys:staff_detail", args=[survey.pk])).status_code == 404
    assert south.get(reverse("surveys:staff_list")).status_code == 200
    public = client_for(make_user())
    assert public.get(reverse("surveys:staff_list")).status_code == 403


def test_builder_screens(officer: Any, client_for: Any, survey: Any) -> None:
    client = client_for(officer)
    assert client.get(reverse("surveys:staff_detail", args=[survey.pk])).status_code == 200
    created = client.post(reverse("surveys:staff_create"), {"title": "Pulse", "slug": "pulse",
                                                            "area": survey.area.pk})
    assert created.status_code == 302
    from byconsent.surveys.models import Questionnaire

    new = Questionnaire.objects.get(slug="pulse")
    client.post(reverse("surveys:staff_page_add", args=[new.pk]), {"title": "Page one"})
    page = new.current_version.pages.get()
    bad = client.post(reverse("surveys:staff_question_add", args=[new.pk, page.pk]),
                      {"text": "Pick", "key": "pick", "type": "single_choice"})
    assert b"Enter at least one option" in bad.content
    client.post(reverse("surveys:staff_question_add", args=[new.pk, page.pk]),
                {"text": "Pick", "key": "pick", "type": "multiple_choice", "options": "Red\nBlue\nNone of these*",
                 "required": "on", "allow_other": "on"})
    question = page.questions.get()
    assert question.options[2] == {"value": "none_of_these", "label": "None of these", "exclusive": True}
    assert question.settings == {"allow_other": True}
    client.post(reverse("surveys:staff_page_add", args=[new.pk]), {"title": "Page two"})
    second = new.current_version.pages.get(title="Page two")
    client.post(reverse("surveys:staff_question_add", args=[new.pk, second.pk]),
                {"text": "Why?", "key": "why", "type": "long_text", "c-count": "1", "c-question_0": "pick",
                 "c-op_0": "equals", "c-value_0": "red"})
    assert second.questions.get(key="why").show_if == [{"question": "pick", "op": "equals", "value": "red"}]
    form = client.get(reverse("surveys:staff_question_edit", args=[new.pk, question.pk]))
    assert b"None of these*" in form.content
    client.post(reverse("surveys:staff_add_demographics", args=[new.pk]))
    assert new.current_version.pages.filter(is_demographic=True).count() == 1
    client.post(reverse("surveys:staff_set_open", args=[new.pk]), {"open": "yes"})
    new.refresh_from_db()
    assert new.is_open


def test_staff_entry_of_a_paper_response(officer: Any, client_for: Any, survey: Any) -> None:
    client = client_for(officer)
    url = reverse("surveys:staff_entry", args=[survey.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"submission_token" in page.content
    token = new_token()
    scan = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 scanned form")
    data = {"submission_token": token, "channel": "paper", "original": scan, "a-safe": "agree",
            "a-priorities": ["asb"], "a-comments": "Handwritten comment", "a-speed_where": "should be dropped",
            "a-age_band": "75_plus"}
    assert client.post(url, data).status_code == 302
    scan.seek(0)
    assert client.post(url, data).status_code == 302  # pressed twice: still one response
    response = Response.objects.get()
    assert response.channel == "paper" and response.recorded_by == officer
    assert response.original.name.endswith(".pdf")
    assert "speed_where" not in response.answers  # hidden by the logic
    assert response.demographics.data == {"age_band": "75_plus"}
    assert Contribution.objects.get().channel == "paper"
    download = client.get(reverse("surveys:staff_original", args=[survey.pk, response.pk]))
    assert download.status_code == 200
    bad = client.post(url, {"submission_token": new_token(), "channel": "paper",
                            "original": SimpleUploadedFile("x.pdf", b"MZ nope")})
    assert b"The file must be a PDF, PNG or JPEG" in bad.content


def test_moderation_approve_reject_redact_and_restricted(officer: Any, client_for: Any, survey: Any) -> None:
    record(officer, survey, {"safe": "agree", "comments": "PC Smith was rude to me"})
    record(officer, survey, {"safe": "agree", "comments": "More patrols near Jane's house please"})
    restricted, ordinary = TextAnswer.objects.order_by("id")
    assert restricted.moderation_state == ModerationState.RESTRICTED
    assert ordinary.moderation_state == ModerationState.PENDING
    with pytest.raises(ValueError, match="never be published"):
        services.moderate_answer(officer, restricted, ModerationState.APPROVED)
    client = client_for(officer)
    queue = client.get(reverse("surveys:staff_moderation", args=[survey.pk]))
    assert b"More patrols" in queue.content and b"PC Smith" not in queue.content
    url = reverse("surveys:staff_moderate_answer", args=[survey.pk, ordinary.pk])
    client.post(url, {"redact": "1", "r-phrase": "Jane's house", "r-reason": "identifies a person"})
    client.post(url, {"decide": "1", "state": "approved"})
    ordinary.refresh_from_db()
    assert ordinary.moderation_state == ModerationState.APPROVED
    assert ordinary.published_text == "More patrols near [redacted] please"
    assert ordinary.contribution.moderation_state == ModerationState.APPROVED
    assert ordinary.redactions[0]["reason"] == "identifies a person"
    page = client.post(url, {"decide": "1", "state": "rejected"})
    assert b"Give a reason for not publishing" in page.content


def test_moderation_needs_the_right_role(area_tree: dict[str, Any], make_user: Any, officer: Any,
                                         survey: Any) -> None:
    record(officer, survey, {"safe": "agree", "comments": "Fine"})
    analyst = make_user(role="analyst", area=area_tree["force"])
    with pytest.raises(PermissionDenied):
        services.moderate_answer(analyst, TextAnswer.objects.get(), ModerationState.APPROVED)


def test_summary_report_and_xlsx(officer: Any, client_for: Any, survey: Any) -> None:
    record(officer, survey, {"safe": "agree", "priorities": ["asb", "speeding"], "score": 9})
    record(officer, survey, {"safe": "disagree", "priorities": ["asb"], "comments": "Hello"})
    result = reports.summary(survey)
    assert result.total == 2
    safe = next(item for item in result.questions if item.question.key == "safe")
    assert ["Agree", 1, "50%"] in safe.rows
    priorities = next(item for item in result.questions if item.question.key == "priorities")
    assert ["Anti-social behaviour", 2, "100%"] in priorities.rows
    client = client_for(officer)
    page = client.get(reverse("surveys:staff_report", args=[survey.pk]))
    assert page.status_code == 200 and b"<svg" in page.content and b"govuk-table" in page.content
    xlsx = client.get(reverse("surveys:staff_report_xlsx", args=[survey.pk]))
    assert xlsx.content[:2] == b"PK"


def test_exports_have_one_column_per_option(officer: Any, survey: Any, tmp_path: Path) -> None:
    record(officer, survey, {"safe": "agree", "priorities": ["asb", "other"], "priorities__other": "=cmd()",
                             "rank": ["b", "a"], "grid": {"listening": "good"}, "age_band": "16_24"})
    record(officer, survey, {"safe": "agree", "priorities": ["speeding"], "speed_where": "Main Road"})
    target = tmp_path / "out.csv"
    assert reports.write_csv(survey, target) == 2
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    header = list(rows[0].keys())
    assert header[:6] == ["reference", "submitted_on", "channel", "version", "area", "publication"]
    assert {"priorities__asb", "priorities__speeding", "priorities__none", "priorities__other",
            "priorities__other_text", "rank__a",
            "grid__listening", "grid__acting", "speed_where"} <= set(header)
    assert "age_band" not in header  # special-category answers never leave in exports
    first = rows[0]
    assert first["priorities__asb"] == "1" and first["priorities__speeding"] == "0"
    assert first["priorities__other"] == "1" and first["priorities__other_text"] == "'=cmd()"  # no formula
    assert first["rank__b"] == "1" and first["grid__listening"] == "good" and first["speed_where"] == ""
    dictionary = (tmp_path / "out-data-dictionary.csv").read_text(encoding="utf-8-sig")
    assert "priorities__asb" in dictionary and "Anti-social behaviour" in dictionary
    assert reports.write_json(survey, tmp_path / "out.json") == 2
    data = json.loads((tmp_path / "out.json").read_text())
    assert len(data["responses"]) == 2 and data["data_dictionary"][0]["column"] == "reference"
    assert reports.write_xlsx(survey, tmp_path / "out.xlsx") == 2
    load_workbook = pytest.importorskip("openpyxl").load_workbook  # until openpyxl is in pyproject.toml

    book = load_workbook(tmp_path / "out.xlsx", read_only=True)
    assert book.sheetnames == ["Responses", "Data dictionary"]
    sheet_rows = list(book["Responses"].iter_rows(values_only=True))
    assert list(sheet_rows[0]) == header and len(sheet_rows) == 3
    assert sheet_rows[1][header.index("priorities__asb")] == 1
    assert sheet_rows[1][header.index("priorities__other_text")] == "=cmd()"  # a string cell, never a formula


def test_export_task_through_the_worker(officer: Any, client_for: Any, survey: Any,
                                        django_capture_on_commit_callbacks: Any) -> None:
    from byconsent.core.models import TaskProgress

    record(officer, survey, {"safe": "agree"})
    client = client_for(officer)
    from byconsent.surveys.tasks import export_task

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        started = client.post(reverse("surveys:staff_export", args=[survey.pk, "csv"]))
    assert len(callbacks) == 1
    progress = TaskProgress.objects.get()
    export_task.call(progress.pk)
    progress.refresh_from_db()
    assert started["Location"] == reverse("core:task_detail", args=[progress.pk])
    assert progress.status == TaskProgress.Status.DONE, progress.message
    assert progress.outcome["rows"] == 1
    download = client.get(progress.outcome["links"][0])
    assert download.status_code == 200
    assert client.get(reverse("surveys:staff_export_download", args=[survey.pk, "..hidden"])).status_code == 404


def test_privacy_export_erase_and_retention(make_user: Any, officer: Any, survey: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from byconsent.surveys.models import Draft
    from byconsent.surveys.privacy import _erase_responses, _expire_drafts, _export_responses

    person = make_user()
    draft = services.start_draft(survey, user=person)
    services.save_page(draft, survey.current_version.pages.first(), {"safe": "agree", "priorities": ["asb"]})
    response = services.submit(draft, publication="with_name", published_name="Pat", link_account=True)
    assert _export_responses(person)[0]["reference"] == response.reference
    assert _erase_responses(person) == 1
    response.refresh_from_db()
    assert response.respondent is None and response.published_name == "" and response.publication == "anonymous"
    old = services.start_draft(survey)
    Draft.objects.filter(pk=old.pk).update(updated_on=timezone.localdate() - timedelta(days=100))
    assert _expire_drafts(timezone.now() - timedelta(days=90)) == 1
    assert Draft.objects.filter(pk=draft.pk).exists()


def test_page_logic_number_limits_and_ordering_from_the_builder(officer: Any, client_for: Any, survey: Any) -> None:
    client = client_for(officer)
    page = survey.current_version.pages.get(title="More")
    client.post(reverse("surveys:staff_page_edit", args=[survey.pk, page.pk]),
                {"title": "More", "c-count": "1", "c-question_0": "safe", "c-op_0": "equals", "c-value_0": "agree"})
    page.refresh_from_db()
    assert page.show_if == [{"question": "safe", "op": "equals", "value": "agree"}]
    first = survey.current_version.pages.get(title="Your views")
    client.post(reverse("surveys:staff_question_add", args=[survey.pk, first.pk]),
                {"text": "How many?", "key": "how_many", "type": "number", "minimum": "1", "maximum": "9.5"})
    assert first.questions.get(key="how_many").settings == {"min": 1, "max": 9.5}
    keys = list(first.questions.order_by("position").values_list("key", flat=True))
    question = first.questions.get(key="how_many")
    client.post(reverse("surveys:staff_move_question", args=[survey.pk, question.pk]), {"direction": "up"})
    assert list(first.questions.order_by("position").values_list("key", flat=True)) == \
        keys[:-2] + ["how_many", keys[-2]]
    page_detail = client.get(reverse("surveys:staff_detail", args=[survey.pk]))
    assert "Shown only if the answer to “I feel safe where I live” is “Agree”" in page_detail.content.decode()
