"""The public answering flow: pages, logic, save and resume, check your answers, idempotent submit."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from byconsent.core.models import Contribution, ModerationState, NotificationRecord
from byconsent.surveys.models import DemographicAnswers, Draft, Response, TextAnswer
from tests.surveys.conftest import page_ids

pytestmark = pytest.mark.django_db


def start(client: Any, survey: Any) -> Draft:
    response = client.post(reverse("surveys:start", args=[survey.slug]), {})
    assert response.status_code == 302
    draft = Draft.objects.latest("id")
    assert response["Location"] == reverse("surveys:page", args=[draft.token, page_ids(survey)[0]])
    return draft


def run_deferred() -> None:
    """What the worker does after a public submission commits: free text becomes TextAnswers and Contributions."""
    from byconsent.surveys.services import record_pending_text_answers

    record_pending_text_answers()


def page_url(draft: Draft, page_id: int) -> str:
    return reverse("surveys:page", args=[draft.token, page_id])


def test_start_page_shows_intro_and_print_links(client: Any, survey: Any) -> None:
    page = client.get(reverse("surveys:start", args=[survey.slug]))
    assert page.status_code == 200
    assert b"Start now" in page.content
    assert reverse("surveys:print", args=[survey.slug]).encode() in page.content


def test_required_questions_get_govuk_messages(client: Any, survey: Any) -> None:
    draft = start(client, survey)
    page = client.post(page_url(draft, page_ids(survey)[0]), {})
    assert page.status_code == 200
    assert "Select an answer to “I feel safe where I live”".encode() in page.content
    assert b"There is a problem" in page.content
    assert b"Error:" in page.content


def test_exclusive_option_and_other_please_specify(client: Any, survey: Any) -> None:
    draft = start(client, survey)
    url = page_url(draft, page_ids(survey)[0])
    page = client.post(url, {"safe": "agree", "priorities": ["none", "asb"]})
    assert "Select “None of these” on its own".encode() in page.content
    page = client.post(url, {"safe": "agree", "priorities": ["other"]})
    assert "Say what “Other” means".encode() in page.content
    page = client.post(url, {"safe": "agree", "priorities": ["other"], "priorities__other": "Litter"})
    assert page.status_code == 302
    draft.refresh_from_db()
    assert draft.answers["priorities__other"] == "Litter"


def test_logic_skips_hidden_page_and_prunes_answers(client: Any, survey: Any) -> None:
    ids = page_ids(survey)
    draft = start(client, survey)
    page = client.post(page_url(draft, ids[0]), {"safe": "agree", "priorities": ["speeding"]})
    assert page["Location"] == page_url(draft, ids[1])
    page = client.post(page_url(draft, ids[1]), {"speed_where": "High Street"})
    assert page["Location"] == page_url(draft, ids[2])
    # Change the earlier answer: the speeding page is now hidden and its answer dropped.
    page = client.post(page_url(draft, ids[0]) + "?return=check", {"safe": "agree", "priorities": ["asb"]})
    draft.refresh_from_db()
    assert "speed_where" not in draft.answers
    assert client.get(page_url(draft, ids[1]))["Location"] == page_url(draft, ids[2])


def answer_everything(client: Any, survey: Any, comments: str = "More patrols please") -> Draft:
    ids = page_ids(survey)
    draft = start(client, survey)
    client.post(page_url(draft, ids[0]), {"safe": "agree", "priorities": ["asb"], "comments": comments})
    page = client.post(page_url(draft, ids[2]), {
        "score": "9", "rank__a": "2", "rank__b": "1", "grid__listening": "good", "grid__acting": "poor",
        "postcode": "nt1 1aa", "age": "12", "when_0": "3", "when_1": "2", "when_2": "2025"})
    assert page.status_code == 302, page.content.decode()[:3000]
    page = client.post(page_url(draft, ids[3]), {"age_band": "25_34", "ethnicity": "other",
                                                 "ethnicity__other": "Kurdish"})
    assert page["Location"] == reverse("surveys:check", args=[draft.token])
    draft.refresh_from_db()
    return draft


def test_whole_flow_records_one_response_with_receipt(client: Any, survey: Any,
                                                      django_capture_on_commit_callbacks: Any) -> None:
    draft = answer_everything(client, survey)
    assert draft.answers["rank"] == ["b", "a"]
    assert draft.answers["grid"] == {"listening": "good", "acting": "poor"}
    assert draft.answers["postcode"] == "NT1"  # outward code only
    assert draft.answers["when"] == "2025-02-03"
    assert "age_band" not in draft.answers and draft.demographics["age_band"] == "25_34"
    check = client.get(reverse("surveys:check", args=[draft.token]))
    assert b"Check your answers" in check.content and b"Foot patrols" in check.content
    post = {"publication": "anonymous"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.post(reverse("surveys:check", args=[draft.token]), post)
        second = client.post(reverse("surveys:check", args=[draft.token]), post)
    assert len(callbacks) == 1  # the free-text task is queued once, by the submit that recorded the response
    assert first["Location"] == second["Location"] == reverse("surveys:done", args=[draft.token])
    assert Response.objects.count() == 1
    response = Response.objects.get()
    assert response.area.code == "WN"
    assert response.respondent is None and response.publication == "anonymous"
    assert "age_band" not in response.answers
    from byconsent.core.models import AuditEntry

    # Anonymous means no exact time: no audit entry (which has one) names the response.
    assert all(response.reference not in str(entry.after) for entry in AuditEntry.objects.all())
    assert DemographicAnswers.objects.get(response=response).data["ethnicity__other"] == "Kurdish"
    done = client.get(reverse("surveys:done", args=[draft.token]))
    assert response.reference.encode() in done.content
    draft.refresh_from_db()
    assert draft.answers == {} and draft.demographics is None  # no second copy once submitted
    client.post(reverse("surveys:done", args=[draft.token]), {"email": "me@example.test"})
    client.post(reverse("surveys:done", args=[draft.token]), {"email": "me@example.test"})
    assert NotificationRecord.objects.filter(topic="surveys.receipt").count() == 1


def test_demographics_are_encrypted_in_the_database(client: Any, survey: Any) -> None:
    from django.db import connection

    draft = answer_everything(client, survey)
    client.post(reverse("surveys:check", args=[draft.token]), {"publication": "no"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM surveys_demographicanswers")
        raw = cursor.fetchone()[0]
        cursor.execute("SELECT demographics FROM surveys_draft")
        draft_raw = cursor.fetchone()[0]
    assert "25_34" not in raw and "Kurdish" not in raw
    assert "25_34" not in (draft_raw or "")


def test_free_text_becomes_a_contribution(client: Any, survey: Any) -> None:
    draft = answer_everything(client, survey)
    client.post(reverse("surveys:check", args=[draft.token]), {"publication": "anonymous"})
    assert not TextAnswer.objects.exists()  # recorded by the worker, after the response commits
    run_deferred()
    run_deferred()  # a retried task records nothing twice
    answer = TextAnswer.objects.get()
    contribution = Contribution.objects.get()
    assert contribution.text == "More patrols please"
    assert contribution.channel == "online_survey" and contribution.area.code == "WN"
    assert contribution.source == answer and answer.contribution == contribution


def test_crime_report_is_restricted_and_reporting_advice_shown(client: Any, survey: Any) -> None:
    draft = answer_everything(client, survey, comments="I was attacked outside the shop last week")
    check = client.get(reverse("surveys:check", args=[draft.token]))
    assert b"999" in check.content and b"101" in check.content
    done = client.post(reverse("surveys:check", args=[draft.token]), {"publication": "anonymous"}, follow=True)
    assert b"999" in done.content
    run_deferred()
    assert TextAnswer.objects.get().moderation_state == ModerationState.RESTRICTED


def test_publication_with_name_needs_a_name(client: Any, survey: Any) -> None:
    draft = answer_everything(client, survey)
    page = client.post(reverse("surveys:check", args=[draft.token]), {"publication": "with_name"})
    assert b"Enter the name to publish" in page.content
    assert Response.objects.count() == 0


def test_missing_required_answer_blocks_submit(client: Any, survey: Any) -> None:
    draft = start(client, survey)
    page = client.post(reverse("surveys:check", args=[draft.token]), {"publication": "no"})
    assert page.status_code == 200
    assert "Answer “I feel safe where I live”".encode() in page.content
    assert Response.objects.count() == 0


def test_save_and_come_back_later(client: Any, survey: Any) -> None:
    draft = start(client, survey)
    ids = page_ids(survey)
    # An invalid page still keeps what was valid.
    page = client.post(page_url(draft, ids[0]), {"safe": "agree", "comments": "x" * 300, "save_later": "1"})
    assert page["Location"] == reverse("surveys:saved", args=[draft.token])
    draft.refresh_from_db()
    assert draft.answers == {"safe": "agree"}
    saved = client.get(reverse("surveys:saved", args=[draft.token]))
    assert reverse("surveys:resume", args=[draft.token]).encode() in saved.content
    client.post(reverse("surveys:saved", args=[draft.token]), {"email": "later@example.test"})
    record = NotificationRecord.objects.get(topic="surveys.resume")
    assert draft.token in record.body
    # A new browser (no session) resumes from the link at the first unfinished page, answers kept.
    client.logout()
    resumed = client.get(reverse("surveys:resume", args=[draft.token]), follow=True)
    assert b'value="agree" checked' in resumed.content or b'checked' in resumed.content


def test_closed_questionnaire_refuses_new_and_final_submits(client: Any, survey: Any, officer: Any) -> None:
    from byconsent.surveys import services

    draft = answer_everything(client, survey)
    services.set_open(officer, survey, False)
    assert client.post(reverse("surveys:start", args=[survey.slug]), {}).status_code == 410
    assert client.post(reverse("surveys:check", args=[draft.token]), {"publication": "no"}).status_code == 410


def test_unknown_draft_is_404(client: Any, survey: Any) -> None:
    assert client.get(reverse("surveys:resume", args=["nope"])).status_code == 404


def test_printable_and_easy_read(client: Any, survey: Any) -> None:
    page = client.get(reverse("surveys:print", args=[survey.slug]))
    assert b"Anti-social behaviour" in page.content and b"Only answer this section if" in page.content
    easy = client.get(reverse("surveys:print", args=[survey.slug]) + "?layout=easy-read")
    assert b"app-easy-read" in easy.content
    client.post(reverse("surveys:start", args=[survey.slug]), {"easy_read": "on"})
    draft = Draft.objects.latest("id")
    assert draft.easy_read
    assert b"app-easy-read" in client.get(page_url(draft, page_ids(survey)[0])).content


def test_pdf_of_the_paper_questionnaire(client: Any, survey: Any) -> None:
    pytest.importorskip("weasyprint")
    pdf = client.get(reverse("surveys:print_pdf", args=[survey.slug]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    again = client.get(reverse("surveys:print_pdf", args=[survey.slug]) + "?layout=easy-read")
    assert again.content.startswith(b"%PDF-") and again.content != pdf.content


def test_signed_in_person_may_link_response(client_for: Any, make_user: Any, survey: Any) -> None:
    person = make_user()
    client = client_for(person)
    draft = answer_everything(client, survey)
    client.post(reverse("surveys:check", args=[draft.token]), {"publication": "with_name",
                                                              "published_name": "Sam", "link_account": "yes"})
    response = Response.objects.get()
    assert response.respondent == person and response.published_name == "Sam"
    run_deferred()
    assert Contribution.objects.get().contributor == person


def test_autosave_keeps_valid_answers_without_moving_on(client: Any, survey: Any) -> None:
    draft = start(client, survey)
    page_id = page_ids(survey)[0]
    url = reverse("surveys:autosave", args=[draft.token, page_id])
    assert client.post(url, {"safe": "agree", "comments": "Half-typed thoughts"}).status_code == 204
    draft.refresh_from_db()
    assert draft.answers == {"safe": "agree", "comments": "Half-typed thoughts"}
    assert page_id not in draft.pages_done
    assert client.get(url).status_code == 405
    page = client.get(page_url(draft, page_id))
    assert b"data-autosave-url" in page.content and b"Half-typed thoughts" in page.content


def test_file_upload_question_in_the_public_flow(client: Any, officer: Any, area_tree: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from byconsent.surveys import services
    from byconsent.surveys.models import UploadedFile

    questionnaire = services.create_questionnaire(officer, title="Evidence", slug="evidence",
                                                  area=area_tree["north_town"])
    page = services.add_page(officer, questionnaire, title="Upload")
    services.add_question(officer, page, key="photo", type="file", text="A photo of the problem",
                          settings={"file_types": ["png", "jpeg"], "max_size_mb": 1})
    services.set_open(officer, questionnaire, True)
    draft = start(client, questionnaire)
    url = page_url(draft, page.pk)
    bad = client.post(url, {"photo": SimpleUploadedFile("photo.png", b"%PDF-1.4 not a png")})
    assert b"The file must be a PNG, JPEG" in bad.content
    good = client.post(url, {"photo": SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100)})
    assert good.status_code == 302
    draft.refresh_from_db()
    stored = UploadedFile.objects.get()
    assert draft.answers["photo"] == {"file": stored.pk, "name": "photo.png"} and stored.content_type == "png"
    check = client.get(reverse("surveys:check", args=[draft.token]))
    assert b"photo.png" in check.content
    client.post(reverse("surveys:check", args=[draft.token]), {})
    stored.refresh_from_db()
    assert stored.response == Response.objects.get() and stored.draft is None
