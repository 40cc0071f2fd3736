"""Whole-questionnaire JSON submission: validation, logic, idempotency, closed questionnaires."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from byconsent.surveys.models import Response

pytestmark = pytest.mark.django_db

GOOD = {"safe": "agree", "priorities": ["speeding"], "speed_where": "Main Road", "comments": "Thanks",
        "rank": ["b", "a"], "grid": {"listening": "good"}, "when": "2025-02-03", "postcode": "NT1 1AA",
        "age_band": "16_24"}


def post(client: Any, survey: Any, body: dict[str, Any]) -> Any:
    return client.post(reverse("surveys:submit_json", args=[survey.slug]), json.dumps(body),
                       content_type="application/json")


def test_submit_validates_and_is_idempotent(client: Any, survey: Any) -> None:
    token = "a" * 32
    first = post(client, survey, {"submission_token": token, "answers": GOOD, "publication": "anonymous"})
    assert first.status_code == 201, first.content
    again = post(client, survey, {"submission_token": token, "answers": GOOD})
    assert again.status_code == 200 and again.json() == first.json()
    response = Response.objects.get()
    assert response.answers["rank"] == ["b", "a"] and response.answers["when"] == "2025-02-03"
    assert response.answers["postcode"] == "NT1" and response.area.code == "WN"
    assert response.demographics.data == {"age_band": "16_24"} and response.publication == "anonymous"


def test_errors_and_logic(client: Any, survey: Any) -> None:
    bad = post(client, survey, {"submission_token": "b" * 32, "answers": {"priorities": ["speeding", "none"]}})
    assert bad.status_code == 400
    errors = bad.json()["errors"]
    assert "safe" in errors and "speed_where" in errors and "priorities" in errors
    hidden = post(client, survey, {"submission_token": "c" * 32, "answers": {
        "safe": "agree", "priorities": ["asb"], "speed_where": "dropped"}})
    assert hidden.status_code == 201
    assert "speed_where" not in Response.objects.get().answers
    assert post(client, survey, {"answers": {}}).status_code == 400


def test_closed(client: Any, survey: Any, officer: Any) -> None:
    from byconsent.surveys import services

    services.set_open(officer, survey, False)
    assert post(client, survey, {"submission_token": "d" * 32, "answers": GOOD}).status_code == 410


def test_visibility_is_decided_on_cleaned_answers_as_on_the_pages(client: Any, officer: Any, area_tree: Any) -> None:
    """A blank answer is no answer: the page shown when a question "has not been answered" applies, and its
    required question must be answered."""
    from byconsent.surveys import services

    q = services.create_questionnaire(officer, title="Blank", slug="blank", area=area_tree["north_town"])
    first = services.add_page(officer, q, title="Name")
    services.add_question(officer, first, key="nickname", type="short_text", text="What should we call you?")
    second = services.add_page(officer, q, title="Why not",
                               show_if=[{"question": "nickname", "op": "not_answered", "value": ""}])
    services.add_question(officer, second, key="why_not", type="short_text", text="Why not?", required=True)
    services.set_open(officer, q, True)
    q.refresh_from_db()
    blank = post(client, q, {"submission_token": "c" * 32, "answers": {"nickname": "   "}})
    assert blank.status_code == 400 and "why_not" in blank.json()["errors"]
    named = post(client, q, {"submission_token": "d" * 32, "answers": {"nickname": "Sam", "why_not": "ignored"}})
    assert named.status_code == 201
    assert Response.objects.get().answers == {"nickname": "Sam"}  # the hidden page's answer is dropped
