"""Free-text answers of public submissions are recorded by the worker in batches, never lost, never twice."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from byconsent.core.models import Contribution
from byconsent.core.periodic import run_periodic_jobs
from byconsent.surveys import services, tasks
from byconsent.surveys.models import Response, TextAnswer

pytestmark = pytest.mark.django_db

ANSWERS = {"safe": "agree", "priorities": ["asb"], "postcode": "NT1 1AA"}


def submit(client: Any, survey: Any, token: str, comments: str) -> Any:
    body = {"submission_token": token * 16, "answers": {**ANSWERS, "comments": comments}}
    response = client.post(reverse("surveys:submit_json", args=[survey.slug]), json.dumps(body),
                           content_type="application/json")
    assert response.status_code == 201, response.content
    return response


@pytest.fixture(autouse=True)
def no_task_scheduled_yet(monkeypatch: Any) -> None:
    monkeypatch.setattr(tasks, "_drain_covers_until", [0.0])


def drain_tasks() -> Any:
    return DBTaskResult.objects.filter(task_path="byconsent.surveys.tasks.record_pending_text_answers_task")


def test_a_burst_of_submissions_asks_the_worker_once_and_one_run_records_them_all(
        client: Any, survey: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for token, text in zip("abcde", ["One", "Two", "Three", "Four", "Five"], strict=True):
            submit(client, survey, token, text)
    assert drain_tasks().count() == 1  # one task for the burst, not one per submission
    assert drain_tasks().get().run_after is not None  # it waits a moment so the burst is in one batch
    assert Response.objects.filter(text_pending=True).count() == 5 and not TextAnswer.objects.exists()

    assert services.record_pending_text_answers(batch_size=2) == 5  # several batches, one call
    assert sorted(Contribution.objects.values_list("text", flat=True)) == ["Five", "Four", "One", "Three", "Two"]
    assert not Response.objects.filter(text_pending=True).exists()
    assert services.record_pending_text_answers() == 0  # a second run records nothing twice
    assert TextAnswer.objects.count() == 5


def test_after_the_quiet_spell_the_next_submission_asks_again(
        client: Any, survey: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, survey, "a", "First")
    monkeypatch.setattr(tasks, "_drain_covers_until", [0.0])  # as if the delay had passed
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, survey, "b", "Second")
    assert drain_tasks().count() == 2


def test_the_periodic_job_records_what_a_lost_task_left_pending(client: Any, survey: Any) -> None:
    submit(client, survey, "a", "Left behind")  # no on-commit here: as if the process died before asking
    assert Response.objects.get().text_pending
    results = run_periodic_jobs()
    assert results["surveys.pending_text_answers"] == 1
    assert Contribution.objects.get().text == "Left behind"


def test_one_response_at_a_time_still_works_and_clears_the_mark(client: Any, survey: Any) -> None:
    submit(client, survey, "a", "Single")
    assert services.record_text_answers(Response.objects.get().pk) == 1
    assert not Response.objects.get().text_pending
    assert services.record_pending_text_answers() == 0


def test_one_response_that_cannot_be_recorded_holds_up_no_other(client: Any, survey: Any, monkeypatch: Any) -> None:
    for token, text in zip("abc", ["First", "Broken", "Third"], strict=True):
        submit(client, survey, token, text)
    real = services._record_text_answers

    def fails_on_broken(response: Any, *args: Any) -> int:
        if response.answers.get("comments") == "Broken":
            raise RuntimeError("as if the row could not be written")
        return real(response, *args)

    monkeypatch.setattr(services, "_record_text_answers", fails_on_broken)
    assert services.record_pending_text_answers(batch_size=1) == 2
    assert sorted(Contribution.objects.values_list("text", flat=True)) == ["First", "Third"]
    assert list(Response.objects.filter(text_pending=True).values_list("answers__comments", flat=True)) == ["Broken"]
    monkeypatch.setattr(services, "_record_text_answers", real)
    assert services.record_pending_text_answers() == 1  # tried again on the next run
