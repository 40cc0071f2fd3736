"""Show/hide logic on earlier answers, and the pages and questions a given set of answers makes visible.

A condition is {"question": "<key>", "op": "<op>", "value": ...}; a page or question shows when every one of its
conditions holds (an empty list always shows). Hidden questions are never asked, never required, and their answers
are dropped if an earlier change hides them, so the record never holds an answer to a question that was not shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

OPERATORS = {
    "equals": "is",
    "not_equals": "is not",
    "includes": "includes",
    "answered": "has been answered",
    "not_answered": "has not been answered",
}


def _answered(value: Any) -> bool:
    return value not in (None, "", [], {})


def condition_holds(condition: dict[str, Any], answers: dict[str, Any]) -> bool:
    value = answers.get(str(condition.get("question", "")))
    op = condition.get("op", "equals")
    expected = condition.get("value")
    if op == "answered":
        return _answered(value)
    if op == "not_answered":
        return not _answered(value)
    if isinstance(value, list):
        contains = str(expected) in [str(v) for v in value]
        if op in ("equals", "includes"):
            return contains
        if op == "not_equals":
            return not contains
    if op in ("equals", "includes"):
        return _answered(value) and str(value) == str(expected)
    if op == "not_equals":
        return str(value) != str(expected)
    return False


def shows(conditions: Sequence[dict[str, Any]] | None, answers: dict[str, Any]) -> bool:
    return all(condition_holds(c, answers) for c in conditions or [])


def visible_pages(pages: Iterable[Any], answers: dict[str, Any]) -> list[Any]:
    return [page for page in pages if shows(page.show_if, answers)]


def visible_questions(page: Any, answers: dict[str, Any]) -> list[Any]:
    return [q for q in page.questions.all() if shows(q.show_if, answers)]


def answer_keys(question: Any) -> list[str]:
    """Every key of `answers` that belongs to a question (its own plus "other, please specify")."""
    return [question.key, f"{question.key}__other"]


def prune_hidden(pages: Iterable[Any], answers: dict[str, Any]) -> dict[str, Any]:
    """Drop answers to questions that the other answers now hide (repeat until nothing changes: hiding one
    question can hide another that depended on it)."""
    pages = list(pages)
    current = dict(answers)
    while True:
        keep: set[str] = set()
        for page in visible_pages(pages, current):
            for question in visible_questions(page, current):
                keep.update(answer_keys(question))
        pruned = {k: v for k, v in current.items() if k in keep}
        if pruned == current:
            return pruned
        current = pruned


def describe(condition: dict[str, Any]) -> str:
    op = OPERATORS.get(condition.get("op", "equals"), condition.get("op", ""))
    value = "" if condition.get("op") in ("answered", "not_answered") else f" “{condition.get('value', '')}”"
    return f"{condition.get('question', '')} {op}{value}"
