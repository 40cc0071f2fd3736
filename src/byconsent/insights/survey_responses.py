"""A response provider reading the surveys app's questionnaires (read only; the surveys app is not changed).

Closed questions are single choice, agreement scale and 0-10 rating questions; demographic questions (stored
encrypted by the surveys app) become the breakdowns, with the respondent's area. Answers are shown by their labels.
"""

from __future__ import annotations

from typing import Any

from byconsent.insights.responses import ResponseProvider, ResponseSource, ResponseTable

CLOSED_TYPES = ("single_choice", "likert", "rating")


def _sources(user: Any) -> list[ResponseSource]:
    from byconsent.core.policy import Action, scope
    from byconsent.surveys.models import Questionnaire

    questionnaires = scope(user, Action.ANALYSE, Questionnaire.objects.select_related("area"))
    return [ResponseSource(f"survey:{q.pk}", str(q.title), q.area) for q in questionnaires]


def _load(user: Any, identifier: str) -> ResponseTable:
    from byconsent.core.policy import Action, can
    from byconsent.surveys.models import Question, Questionnaire, Response
    from byconsent.surveys.selectors import display_answer

    questionnaire = Questionnaire.objects.filter(pk=int(identifier) if identifier.isdigit() else 0).first()
    if questionnaire is None or not can(user, Action.ANALYSE, questionnaire):
        raise LookupError("no such questionnaire")
    # One question per key across versions (keys stay the same across versions; the latest wording wins).
    by_key: dict[str, Any] = {}
    for question in Question.objects.filter(page__version__questionnaire=questionnaire,
                                            type__in=CLOSED_TYPES).order_by("page__version__number", "id"):
        by_key[question.key] = question
    closed = {k: q for k, q in by_key.items() if not q.is_demographic}
    demographic = {k: q for k, q in by_key.items() if q.is_demographic}
    ids: list[str] = []
    areas: list[str | None] = []
    questions: dict[str, list[str | None]] = {k: [] for k in closed}
    demographics: dict[str, list[str | None]] = {k: [] for k in demographic}
    responses = (Response.objects.filter(questionnaire=questionnaire).select_related("area", "demographics")
                 .order_by("id"))
    for response in responses.iterator(chunk_size=500):
        ids.append(response.reference)
        areas.append(response.area.code if response.area else None)
        answers = response.answers or {}
        for key, question in closed.items():
            questions[key].append(display_answer(question, answers) or None)
        private = getattr(response, "demographics", None)
        data = (private.data if private is not None else None) or {}
        for key, question in demographic.items():
            demographics[key].append(display_answer(question, {**answers, **data}) or None)
    return ResponseTable(name=str(questionnaire.title), respondent_ids=ids, questions=questions,
                         demographics=demographics, areas=areas,
                         question_labels={k: str(q.text) for k, q in closed.items()})


def provider() -> ResponseProvider:
    return ResponseProvider("survey", "Surveys and consultations", _sources, _load)
