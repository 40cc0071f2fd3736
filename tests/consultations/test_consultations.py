"""Consultation lifecycle, Gunning checklist, schedule, hub search, public pages, alerts and publishing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from byconsent.consultations import selectors, services
from byconsent.consultations.models import AlertSubscription, Consultation, State, Transition
from byconsent.core.models import AuditEntry, NotificationRecord, PostcodeArea, TaskProgress
from byconsent.core.registries import public_listings

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(area_tree: dict[str, Any], officer: Any, survey: Any) -> Consultation:
    from byconsent.surveys import services as survey_services

    survey_services.set_open(officer, survey, False)
    now = timezone.now()
    return services.create(
        officer, slug="police-plan", title="Police plan 2026", summary="Help set our priorities",
        area=area_tree["north"], why_asking="The law asks us to", areas=[area_tree["north_town"]],
        audiences=["residents"], interests=["road_safety", "drugs"], questionnaire=survey,
        opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=50))


def ready(officer: Any, consultation: Consultation) -> Consultation:
    return services.update(officer, consultation, gunning_formative=True, gunning_information=True,
                           gunning_time=True, gunning_consider=True)


def test_gunning_checklist_blocks_scheduling(officer: Any, consultation: Consultation) -> None:
    services.transition(officer, consultation, State.IN_REVIEW)
    with pytest.raises(services.TransitionError) as error:
        services.transition(officer, consultation, State.SCHEDULED)
    assert "Confirm the proposals are at a formative stage" in error.value.problems
    ready(officer, consultation)
    consultation = services.transition(officer, consultation, State.SCHEDULED, note="Approved by the head")
    assert consultation.state == State.SCHEDULED
    moves = list(Transition.objects.filter(consultation=consultation).values_list("from_state", "to_state"))
    assert moves == [("draft", "in_review"), ("in_review", "scheduled")]
    assert Transition.objects.last().actor == officer
    assert AuditEntry.objects.filter(action="consultation.transition").count() == 2


def test_short_period_needs_a_reason(officer: Any, consultation: Consultation) -> None:
    ready(officer, consultation)
    services.update(officer, consultation, closes_at=consultation.opens_at + timedelta(weeks=3))
    assert services.short_period(consultation)
    problems = services.readiness_problems(consultation)
    assert any("less than 6 weeks" in p for p in problems)
    services.update(officer, consultation, short_period_reason="Statutory budget deadline")
    assert services.readiness_problems(consultation) == []


def test_illegal_moves_and_repeat_moves(officer: Any, consultation: Consultation) -> None:
    with pytest.raises(services.TransitionError, match="cannot move"):
        services.transition(officer, consultation, State.CLOSED)
    services.transition(officer, consultation, State.IN_REVIEW)
    services.transition(officer, consultation, State.IN_REVIEW)  # a double click changes nothing
    assert Transition.objects.count() == 1


def test_other_areas_cannot_manage(area_tree: dict[str, Any], make_user: Any, consultation: Consultation,
                                   client_for: Any) -> None:
    south = make_user(role="engagement_officer", area=area_tree["south"])
    with pytest.raises(PermissionDenied):
        services.transition(south, consultation, State.IN_REVIEW)
    client = client_for(south)
    assert client.get(reverse("consultations:staff_detail", args=[consultation.pk])).status_code == 404
    assert client_for(make_user()).get(reverse("consultations:staff_list")).status_code == 403


def test_schedule_opens_and_closes_and_sends_alerts(officer: Any, consultation: Consultation, survey: Any,
                                                    area_tree: dict[str, Any],
                                                    django_capture_on_commit_callbacks: Any) -> None:
    from byconsent.consultations.tasks import send_alerts_task

    ready(officer, consultation)
    services.transition(officer, consultation, State.IN_REVIEW)
    services.transition(officer, consultation, State.SCHEDULED)
    keen = AlertSubscription.objects.create(email="keen@example.test", area=area_tree["north_ward"],
                                            interest_codes=" drugs ", confirmed_at=timezone.now())
    AlertSubscription.objects.create(email="unconfirmed@example.test")
    AlertSubscription.objects.create(email="south@example.test", area=area_tree["south_ward"],
                                     confirmed_at=timezone.now())
    AlertSubscription.objects.create(email="fraud@example.test", interest_codes=" fraud ",
                                     confirmed_at=timezone.now())
    assert services.run_schedule() == {"opened": 0, "closed": 0, "failed": 0}
    with django_capture_on_commit_callbacks(execute=False):
        result = services.run_schedule(now=timezone.now() + timedelta(days=2))
    assert result["opened"] == 1
    consultation.refresh_from_db()
    survey.refresh_from_db()
    assert consultation.state == State.OPEN and survey.is_open
    progress = TaskProgress.objects.get(task_path="byconsent.consultations.tasks.send_alerts_task")
    send_alerts_task.call(progress.pk)
    send_alerts_task.call(progress.pk)  # a retried task sends nothing twice
    sent = NotificationRecord.objects.filter(topic="consultations.alerts")
    assert list(sent.values_list("recipient", flat=True)) == [keen.email]
    call_command("consultation_schedule")
    with django_capture_on_commit_callbacks(execute=False):
        assert services.run_schedule(now=timezone.now() + timedelta(days=60))["closed"] == 1
    consultation.refresh_from_db()
    survey.refresh_from_db()
    assert consultation.state == State.CLOSED and not survey.is_open
    assert Transition.objects.filter(to_state="closed").get().actor_label == "system"


def test_preview_link(officer: Any, consultation: Consultation, client: Any) -> None:
    assert client.get(reverse("consultations:detail", args=[consultation.slug])).status_code == 404
    token = services.preview_token(officer, consultation)
    page = client.get(reverse("consultations:preview", args=[token]))
    assert page.status_code == 200 and b"This is a preview" in page.content
    assert client.get(reverse("consultations:preview", args=[token + "x"])).status_code == 404


def open_now(officer: Any, consultation: Consultation) -> Consultation:
    ready(officer, consultation)
    services.transition(officer, consultation, State.IN_REVIEW)
    return services.transition(officer, consultation, State.OPEN)


def test_hub_search_and_listing(officer: Any, consultation: Consultation, client: Any,
                                area_tree: dict[str, Any]) -> None:
    open_now(officer, consultation)
    PostcodeArea.objects.create(postcode="SS1", area=area_tree["south_ward"])
    hub = client.get(reverse("consultations:hub"))
    assert b"Police plan 2026" in hub.content and b"Open now" in hub.content
    found = client.get(reverse("consultations:hub"), {"postcode": "NT1 1AA", "status": "open"})
    assert b"1 consultation found" in found.content
    assert b"0 consultations found" in client.get(reverse("consultations:hub"), {"postcode": "SS1 1AA"}).content
    assert b"1 consultation found" in client.get(reverse("consultations:hub"), {"q": "priorities"}).content
    assert b"0 consultations found" in client.get(reverse("consultations:hub"), {"interest": "fraud"}).content
    assert b"1 consultation found" in client.get(reverse("consultations:hub"), {"audience": "residents",
                                                                                "interest": "drugs"}).content
    bad = client.get(reverse("consultations:hub"), {"postcode": "nonsense"})
    assert b"Enter a real postcode" in bad.content
    home = client.get("/", {"postcode": "NT1 1AA"})
    assert b"Police plan 2026" in home.content  # on the public home page, near the postcode
    titles = [item.title for item in public_listings(area_tree["north_ward"])]
    assert "Police plan 2026" in titles
    assert "Police plan 2026" not in [item.title for item in selectors.public_listing(area_tree["south_ward"])]
    detail = client.get(reverse("consultations:detail", args=[consultation.slug]))
    assert b"Respond online" in detail.content and b"101" in detail.content


def test_alerts_double_opt_in(client: Any) -> None:
    client.post(reverse("consultations:alerts"), {"email": "Me@Example.test", "interests": ["drugs"]})
    subscription = AlertSubscription.objects.get()
    assert subscription.email == "me@example.test" and subscription.confirmed_at is None
    record = NotificationRecord.objects.get(topic="consultations.confirm")
    assert subscription.token in record.body
    client.post(reverse("consultations:alerts_confirm", args=[subscription.token]))
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    client.post(reverse("consultations:alerts_stop", args=[subscription.token]))
    assert not AlertSubscription.objects.exists()


def test_feedback_publishing_and_results_page(officer: Any, consultation: Consultation, survey: Any,
                                              client: Any) -> None:
    from byconsent.core.models import ModerationState
    from byconsent.surveys import services as survey_services
    from byconsent.surveys.models import TextAnswer, new_token

    open_now(officer, consultation)
    for index in range(12):
        survey_services.record_staff_response(
            officer, survey, channel="paper", submission_token=new_token(),
            answers={"safe": "agree" if index < 11 else "disagree", "comments": f"Comment {index}"})
    survey_services.create_response(survey.current_version, submission_token="x", answers={
        "comments": "Publish me, from Jane Doe's street"}, demographics=None, channel="online_survey", area=None,
        publication="with_name", published_name="Sam")
    named = TextAnswer.objects.get(response__submission_token="x")
    survey_services.redact_phrase(officer, named, "Jane Doe's", "names a person")
    survey_services.moderate_answer(officer, named, ModerationState.APPROVED)
    services.transition(officer, consultation, State.CLOSED)
    services.transition(officer, consultation, State.ANALYSING)
    with pytest.raises(services.TransitionError, match="You said"):
        services.transition(officer, consultation, State.FEEDBACK_PUBLISHED)
    assert client.get(reverse("consultations:results", args=[consultation.slug])).status_code == 404
    services.update(officer, consultation, you_said="More patrols", we_did="Two more officers")
    services.transition(officer, consultation, State.FEEDBACK_PUBLISHED)
    page = client.get(reverse("consultations:results", args=[consultation.slug])).content.decode()
    assert "Two more officers" in page
    assert "Publish me, from [redacted] street" in page and "Sam" in page
    assert "Comment 3" not in page  # not consented to publication
    assert "fewer than 10" in page  # the single "disagree" is hidden


def test_staff_screens(officer: Any, client_for: Any, consultation: Consultation, area_tree: dict[str, Any],
                       survey: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(officer)
    assert client.get(reverse("consultations:staff_list")).status_code == 200
    page = client.get(reverse("consultations:staff_detail", args=[consultation.pk]))
    assert b"Confirm the proposals are at a formative stage" in page.content
    client.post(reverse("consultations:staff_detail", args=[consultation.pk]), {
        "checklist": "1", "gunning_formative": "on", "gunning_information": "on", "gunning_time": "on",
        "gunning_consider": "on"})
    consultation.refresh_from_db()
    assert consultation.gunning_consider
    client.post(reverse("consultations:staff_transition", args=[consultation.pk]), {"to_state": "in_review"})
    client.post(reverse("consultations:staff_transition", args=[consultation.pk]), {"to_state": "scheduled"})
    consultation.refresh_from_db()
    assert consultation.state == State.SCHEDULED
    bad = client.post(reverse("consultations:staff_transition", args=[consultation.pk]), {"to_state": "closed"},
                      follow=True)
    assert b"cannot move" in bad.content
    created = client.post(reverse("consultations:staff_create"), {
        "title": "Stop and search", "slug": "stop-search", "summary": "How we use it", "area": area_tree["north"].pk,
        "areas": [area_tree["north_town"].pk], "interests": ["stop_and_search"], "opens_on_0": "1",
        "opens_on_1": "3", "opens_on_2": "2030", "closes_on_0": "1", "closes_on_1": "2", "closes_on_2": "2030"})
    assert b"The closing date must be after the opening date" in created.content
    created = client.post(reverse("consultations:staff_create"), {
        "title": "Stop and search", "slug": "stop-search", "summary": "How we use it", "area": area_tree["north"].pk,
        "areas": [area_tree["north_town"].pk], "interests": ["stop_and_search"], "opens_on_0": "1",
        "opens_on_1": "3", "opens_on_2": "2030", "closes_on_0": "1", "closes_on_1": "5", "closes_on_2": "2030",
        "related": [consultation.pk]})
    new = Consultation.objects.get(slug="stop-search")
    assert created.status_code == 302 and new.interests == ["stop_and_search"]
    assert list(consultation.related.all()) == [new]
    assert timezone.localtime(new.closes_at).hour == 23
    edit = client.get(reverse("consultations:staff_edit", args=[new.pk]))
    assert edit.status_code == 200
    document = SimpleUploadedFile("plan.pdf", b"%PDF-1.4 plan")
    client.post(reverse("consultations:staff_documents", args=[new.pk]), {"title": "The plan", "file": document})
    assert new.documents.get().size > 0
    bad_doc = client.post(reverse("consultations:staff_documents", args=[new.pk]), {
        "title": "Bad", "file": SimpleUploadedFile("x.pdf", b"MZ")})
    assert b"must be a PDF or Word document" in bad_doc.content
