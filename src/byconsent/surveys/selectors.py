"""Read queries shared by views, reports and other apps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from byconsent.surveys import logic
from byconsent.surveys.forms import DEFAULT_LIKERT, OTHER, choices_for, rating_choices
from byconsent.surveys.models import Page, Question, Questionnaire, QuestionnaireVersion, QuestionType, TextAnswer


@dataclass
class AnswerRow:
    question: Question
    display: str
    page: Page


@dataclass
class Section:
    page: Page
    rows: list[AnswerRow] = field(default_factory=list)


def display_answer(question: Question, answers: dict[str, Any]) -> str:
    """An answer as a person reads it (labels, not stored values)."""
    value = answers.get(question.key)
    if value in (None, "", [], {}):
        return ""
    labels = dict(choices_for(question)) if question.type != QuestionType.RATING else dict(rating_choices(question))
    other = answers.get(f"{question.key}__other")
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT):
        return str(other) if value == OTHER and other else labels.get(str(value), str(value))
    if question.type == QuestionType.RATING:
        return str(value)
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return ", ".join(str(other) if v == OTHER and other else labels.get(str(v), str(v)) for v in value)
    if question.type == QuestionType.RANKING:
        names = question.option_labels()
        return "; ".join(f"{i}. {names.get(str(v), v)}" for i, v in enumerate(value, start=1))
    if question.type == QuestionType.GRID:
        columns = question.option_labels()
        rows = {str(r["value"]): r["label"] for r in question.settings.get("rows", [])}
        return "; ".join(f"{rows.get(k, k)}: {columns.get(str(v), v)}" for k, v in value.items())
    if question.type == QuestionType.FILE and isinstance(value, dict):
        return str(value.get("name", ""))
    if question.type == QuestionType.DATE:
        year, month, day = str(value).split("-")
        return f"{int(day)}/{int(month)}/{year}"
    return str(value)


def answer_summary(version: QuestionnaireVersion, answers: dict[str, Any]) -> list[Section]:
    sections = []
    for page in logic.visible_pages(version.pages.prefetch_related("questions"), answers):
        section = Section(page)
        for question in logic.visible_questions(page, answers):
            if question.type != QuestionType.INFO:
                section.rows.append(AnswerRow(question, display_answer(question, answers), page))
        sections.append(section)
    return sections


@dataclass
class ConditionSubject:
    """What the logic descriptions need of a question: its wording and its answers' labels."""
    text: str
    labels: dict[str, str]

    def option_labels(self) -> dict[str, str]:
        return self.labels


def condition_subjects(questions: list[Question]) -> dict[str, ConditionSubject]:
    return {q.key: ConditionSubject(q.text, dict(choices_for(q)) if q.type in (
        QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.LIKERT) else {}) for q in questions}


def printable_pages(version: QuestionnaireVersion) -> list[dict[str, Any]]:
    """Every page and question with its choices spelled out and its logic in words ("the answer to “…” is “…” or
    …"), for the paper version and the builder."""
    pages = list(version.pages.prefetch_related("questions"))
    by_key = condition_subjects([q for page in pages for q in page.questions.all()])
    out = []
    for page in pages:
        questions = []
        for question in page.questions.all():
            choices: list[tuple[str, str]] = []
            if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.LIKERT):
                choices = choices_for(question)
            elif question.type == QuestionType.RATING:
                choices = rating_choices(question)
            elif question.type == QuestionType.RANKING:
                choices = [(str(o["value"]), str(o["label"])) for o in question.options]
            questions.append({"question": question, "choices": choices,
                              "rows": question.settings.get("rows", []), "columns": question.options,
                              "conditions": logic.describe_all(question.show_if, by_key),
                              "match_any": logic.match_of(question.show_if) == logic.MATCH_ANY})
        out.append({"page": page, "questions": questions,
                    "conditions": logic.describe_all(page.show_if, by_key),
                    "match_any": logic.match_of(page.show_if) == logic.MATCH_ANY})
    return out


def logic_hints(version: QuestionnaireVersion) -> dict[str, str]:
    """For staff typing in a paper form (every question on one screen): per question key, when it applies
    ("Only answered if … or …"), from its page's conditions and its own."""
    hints: dict[str, str] = {}
    for item in printable_pages(version):
        for entry in item["questions"]:
            parts = [text for text in (item["conditions"], entry["conditions"]) if text]
            if parts:
                hints[entry["question"].key] = _("Only answered if %(when)s.") % {"when": _("; and ").join(parts)}
    return hints


def moderation_counts(questionnaire: Questionnaire) -> dict[str, int]:
    rows = TextAnswer.objects.filter(response__questionnaire=questionnaire).values("moderation_state") \
        .annotate(n=Count("id"))
    return {row["moderation_state"]: row["n"] for row in rows}


def published_answers(questionnaire: Questionnaire) -> Any:
    """Approved free-text answers from people who agreed to publication, for public pages."""
    return TextAnswer.objects.filter(response__questionnaire=questionnaire, moderation_state="approved",
                                     response__publication__in=["with_name", "anonymous"]) \
        .select_related("question", "response").order_by("question__position", "id")


def likert_labels() -> list[str]:
    return [str(o["label"]) for o in DEFAULT_LIKERT]


def none_label() -> str:
    return _("No answer")
