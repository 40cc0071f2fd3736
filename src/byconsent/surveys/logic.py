"""Show/hide logic on earlier answers, and the pages and questions a given set of answers makes visible.

A condition is {"question": "<key>", "op": "<op>", "value": ...}. A page's or question's `show_if` is either
- a list of conditions, ALL of which must hold (what every questionnaire stored before "any" existed), or
- {"match": "any", "conditions": [...]}: it shows when AT LEAST ONE condition holds ({"match": "all", ...} is the
  same as the plain list).
No conditions at all always shows. `make_show_if` writes the shortest form (a plain list unless "any" matters).

Hidden questions are never asked, never required, and their answers are dropped if an earlier change hides them,
so the record never holds an answer to a question that was not shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

OPERATORS = {
    "equals": gettext_lazy("is"),
    "not_equals": gettext_lazy("is not"),
    "includes": gettext_lazy("includes"),
    "answered": gettext_lazy("has been answered"),
    "not_answered": gettext_lazy("has not been answered"),
}
NEEDS_VALUE = ("equals", "not_equals", "includes")


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


MATCH_ALL, MATCH_ANY = "all", "any"
ShowIf = Sequence[dict[str, Any]] | dict[str, Any] | None


def conditions_of(show_if: ShowIf) -> list[dict[str, Any]]:
    """The conditions of a stored `show_if`, whichever form it was stored in."""
    if isinstance(show_if, dict):
        return [c for c in show_if.get("conditions") or [] if isinstance(c, dict)]
    return [c for c in show_if or [] if isinstance(c, dict)]


def match_of(show_if: ShowIf) -> str:
    """"any" when one condition is enough, else "all" (a plain list always means all)."""
    if isinstance(show_if, dict) and show_if.get("match") == MATCH_ANY:
        return MATCH_ANY
    return MATCH_ALL


def make_show_if(conditions: Sequence[dict[str, Any]], match: str = MATCH_ALL) -> list[dict[str, Any]] | dict[
        str, Any]:
    """What to store: a plain list for "all" (and for a single condition, where "any" means the same), else the
    {"match": "any", "conditions": [...]} form."""
    cleaned = [{"question": str(c["question"]), "op": str(c.get("op") or "equals"),
                "value": "" if c.get("op") in ("answered", "not_answered") else c.get("value", "")}
               for c in conditions if c.get("question")]
    if match == MATCH_ANY and len(cleaned) > 1:
        return {"match": MATCH_ANY, "conditions": cleaned}
    return cleaned


def shows(show_if: ShowIf, answers: dict[str, Any]) -> bool:
    conditions = conditions_of(show_if)
    if not conditions:
        return True
    if match_of(show_if) == MATCH_ANY:
        return any(condition_holds(c, answers) for c in conditions)
    return all(condition_holds(c, answers) for c in conditions)


def referenced_keys(show_if: ShowIf) -> list[str]:
    """The short names of the questions the conditions read."""
    return [str(c.get("question", "")) for c in conditions_of(show_if)]


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


def describe(condition: dict[str, Any], questions: dict[str, Any] | None = None) -> str:
    """One condition in words. With `questions` (short name -> Question) it uses the question's wording and the
    option's label: the answer to “Do you drive?” is “Yes”."""
    op = OPERATORS.get(condition.get("op", "equals"), condition.get("op", ""))
    key = str(condition.get("question", ""))
    question = (questions or {}).get(key)
    raw = condition.get("value", "")
    if question is not None:
        labels = question.option_labels() if hasattr(question, "option_labels") else {}
        value = "" if condition.get("op") in ("answered", "not_answered") else f" “{labels.get(str(raw), raw)}”"
        return _("the answer to “%(question)s” %(op)s%(value)s") % {"question": question.text, "op": op,
                                                                      "value": value}
    value = "" if condition.get("op") in ("answered", "not_answered") else f" “{raw}”"
    return f"{key} {op}{value}"


def describe_all(show_if: ShowIf, questions: dict[str, Any] | None = None) -> str:
    """Every condition in words, joined by "and" or "or" as the match says ("" when there are none)."""
    parts = [describe(c, questions) for c in conditions_of(show_if)]
    joiner = _(" or ") if match_of(show_if) == MATCH_ANY else _(" and ")
    return joiner.join(parts)
