"""One-request submission of a whole questionnaire as JSON, for kiosks, offline tablets at events and embeds.

POST /surveys/<slug>/responses.json with {"submission_token": "<client-made, unique>", "answers": {...},
"publication": "no"|"anonymous"|"with_name", "published_name": ""}. Answers use the stored shapes (see
models.py): a string for text and single choice, a list for multiple choice and ranking, {row: column} for a grid,
"YYYY-MM-DD" for a date, a number for rating and number. The same validation as the pages runs (required
questions, options, exclusive options, postcode, ranges), with the logic deciding which questions apply.

Responses: 201 {"reference"} when recorded; 200 {"reference"} when this submission token was already recorded
(a retry); 400 {"errors": {question: [messages]}}; 410 when the questionnaire is closed. No cookies are read, so
no CSRF token is needed; the response is anonymous and stores no address.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from byconsent.core.models import Channel
from byconsent.core.ratelimit import allow, client_key
from byconsent.surveys import logic, services
from byconsent.surveys.forms import PageForm
from byconsent.surveys.models import Publication, Question, Questionnaire, QuestionType, Response

# Per client address. Raise it (environment) for a kiosk fleet behind one address, or for load tests.
PER_MINUTE = float(os.environ.get("BYCONSENT_SURVEY_SUBMIT_PER_MINUTE", "30"))
MAX_BODY = 256 * 1024


def form_data(questions: list[Question], answers: dict[str, Any]) -> MultiValueDict[str, Any]:
    """JSON answers as the form fields the pages post."""
    data: MultiValueDict[str, Any] = MultiValueDict()
    for q in questions:
        value = answers.get(q.key)
        if value is None:
            continue
        if q.type == QuestionType.MULTIPLE_CHOICE and isinstance(value, list):
            data.setlist(q.key, [str(v) for v in value])
        elif q.type == QuestionType.RANKING and isinstance(value, list):
            for rank, option in enumerate(value, start=1):
                data[f"{q.key}__{option}"] = str(rank)
        elif q.type == QuestionType.GRID and isinstance(value, dict):
            for row, column in value.items():
                data[f"{q.key}__{row}"] = str(column)
        elif q.type == QuestionType.DATE and isinstance(value, str) and value.count("-") == 2:
            year, month, day = value.split("-")
            data[f"{q.key}_0"], data[f"{q.key}_1"], data[f"{q.key}_2"] = day, month, year
        else:
            data[q.key] = str(value)
        other = answers.get(f"{q.key}__other")
        if other is not None:
            data[f"{q.key}__other"] = str(other)
    return data


def _visible(pages: list[Any], answers: dict[str, Any]) -> list[Question]:
    return [q for page in logic.visible_pages(pages, answers) for q in logic.visible_questions(page, answers)
            if q.type != QuestionType.FILE]


def _validated_form(pages: list[Any], answers: dict[str, Any]) -> PageForm:
    """The form of the questions the answers make visible. Which questions are visible is decided on the cleaned
    answers, as on the pages (a blank "   " is no answer), so it is worked out again until it settles."""
    visible = _visible(pages, answers)
    for _round in range(len(pages) + 1):
        form = PageForm(visible, form_data(visible, answers))
        if not form.is_valid():
            return form
        settled = _visible(pages, {k: v for k, v in form.answers().items() if v is not None})
        if [q.pk for q in settled] == [q.pk for q in visible]:
            return form
        visible = settled
    return form


@csrf_exempt
@require_POST
def submit_json(request: HttpRequest, slug: str) -> JsonResponse:
    if not allow(client_key(request, "survey-submit-json"), PER_MINUTE, int(PER_MINUTE * 2)):
        return JsonResponse({"errors": {"__all__": ["Too many submissions; wait a minute"]}}, status=429)
    questionnaire = get_object_or_404(Questionnaire.objects.select_related("current_version", "area"), slug=slug)
    if len(request.body) > MAX_BODY:
        return JsonResponse({"errors": {"__all__": ["Too large"]}}, status=413)
    try:
        body = json.loads(request.body)
        token = str(body["submission_token"])
        answers = dict(body.get("answers") or {})
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"errors": {"__all__": ["Send JSON with submission_token and answers"]}}, status=400)
    if not 16 <= len(token) <= 64:
        return JsonResponse({"errors": {"submission_token": ["Use 16 to 64 characters"]}}, status=400)
    token = f"api:{token}"
    version = questionnaire.current_version
    if not questionnaire.is_open or version is None:
        existing = Response.objects.filter(submission_token=token).values_list("reference", flat=True).first()
        if existing is not None:  # a retry of a submission recorded before it closed
            return JsonResponse({"reference": existing}, status=200)
        return JsonResponse({"errors": {"__all__": ["This questionnaire is closed"]}}, status=410)
    version.questionnaire = questionnaire  # already loaded, with its area: no query for either again
    pages = services.pages_of(version)
    form = _validated_form(pages, answers)
    if not form.is_valid():
        return JsonResponse({"errors": {k: [str(m) for m in v] for k, v in form.errors.items()}}, status=400)
    cleaned = logic.prune_hidden(pages, {k: v for k, v in form.answers().items() if v is not None})
    demographic = {q.key for q in form.questions if q.is_demographic}
    demographic |= {f"{k}__other" for k in demographic}
    publication = body.get("publication") if body.get("publication") in Publication.values else Publication.NO
    # A retry of a recorded submission is validated again and then found by its token (the unique constraint),
    # which costs nothing extra for the first attempt, the common case.
    response, created = services.record_response(
        version, submission_token=token, answers={k: v for k, v in cleaned.items() if k not in demographic},
        demographics={k: v for k, v in cleaned.items() if k in demographic} or None,
        channel=Channel.ONLINE_SURVEY, area=form.area_found, publication=publication,
        published_name=str(body.get("published_name") or "")[:200], check_existing=False,
        defer_text=True)
    return JsonResponse({"reference": response.reference}, status=201 if created else 200)
