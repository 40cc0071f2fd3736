"""Show/hide logic, answer validation for each question type, redaction."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from byconsent.surveys.forms import PageForm, sniff_file_type
from byconsent.surveys.logic import condition_holds, describe, prune_hidden, shows
from byconsent.surveys.models import Question, redact


def test_conditions() -> None:
    answers = {"a": "yes", "m": ["x", "y"], "blank": ""}
    assert condition_holds({"question": "a", "op": "equals", "value": "yes"}, answers)
    assert not condition_holds({"question": "a", "op": "not_equals", "value": "yes"}, answers)
    assert condition_holds({"question": "m", "op": "includes", "value": "y"}, answers)
    assert condition_holds({"question": "m", "op": "not_equals", "value": "z"}, answers)
    assert condition_holds({"question": "blank", "op": "not_answered"}, answers)
    assert not condition_holds({"question": "missing", "op": "answered"}, answers)
    assert not condition_holds({"question": "missing", "op": "equals", "value": ""}, answers)
    assert shows([], answers)
    assert describe({"question": "a", "op": "equals", "value": "yes"}) == "a is “yes”"


class FakePage(SimpleNamespace):
    def __init__(self, show_if: list[Any], questions: list[Any]) -> None:
        super().__init__(show_if=show_if, questions=SimpleNamespace(all=lambda: questions))


def test_prune_hidden_cascades() -> None:
    q1 = SimpleNamespace(key="a", show_if=[])
    q2 = SimpleNamespace(key="b", show_if=[{"question": "a", "op": "equals", "value": "yes"}])
    q3 = SimpleNamespace(key="c", show_if=[{"question": "b", "op": "answered"}])
    pages = [FakePage([], [q1, q2, q3])]
    assert prune_hidden(pages, {"a": "yes", "b": "1", "c": "2"}) == {"a": "yes", "b": "1", "c": "2"}
    # Changing "a" hides "b", which in turn hides "c".
    assert prune_hidden(pages, {"a": "no", "b": "1", "c": "2"}) == {"a": "no"}


def test_redaction_merges_spans() -> None:
    text = "Call John Smith on 0123"
    assert redact(text, [{"start": 5, "end": 15}]) == "Call [redacted] on 0123"
    assert redact(text, [{"start": 5, "end": 10}, {"start": 8, "end": 15}, {"start": 19, "end": 23}]) \
        == "Call [redacted] on [redacted]"


def q(**kwargs: Any) -> Question:
    defaults = {"key": "q", "text": "Q", "required": True, "options": [], "settings": {}, "show_if": []}
    return Question(**{**defaults, **kwargs})


@pytest.mark.django_db
@pytest.mark.parametrize(("question", "data", "message"), [
    (q(type="number", settings={"min": 0, "max": 10}), {"q": "11"}, "“Q” must be 10 or less"),
    (q(type="number"), {"q": "lots"}, "“Q” must be a number"),
    (q(type="postcode"), {"q": "not a postcode"}, "Enter a real postcode"),
    (q(type="date"), {"q_0": "31", "q_1": "2", "q_2": "2025"}, "must be a real date"),
    (q(type="short_text", settings={"max_length": 5}), {"q": "toolong"}, "5 characters or fewer"),
    (q(type="ranking", options=[{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]),
     {"q__a": "1", "q__b": "1"}, "Give each option a different rank"),
    (q(type="grid", options=[{"value": "y", "label": "Y"}], settings={"rows": [{"value": "r", "label": "Row"}]}),
     {}, "Select an answer for “Row”"),
])
def test_validation_messages(question: Question, data: dict[str, str], message: str) -> None:
    form = PageForm([question], data)
    assert not form.is_valid()
    assert any(message in error for errors in form.errors.values() for error in errors), form.errors


@pytest.mark.django_db
def test_rating_and_number_values() -> None:
    form = PageForm([q(type="rating", key="r"), q(type="number", key="n")], {"r": "0", "n": "2.5"})
    assert form.is_valid(), form.errors
    assert form.answers() == {"r": 0, "n": 2.5}


def test_file_type_is_sniffed_from_content() -> None:
    assert sniff_file_type(b"%PDF-1.7 ...") == "pdf"
    assert sniff_file_type(b"\x89PNG\r\n\x1a\n....") == "png"
    assert sniff_file_type(b"MZ\x90\x00") is None


@pytest.mark.django_db
def test_file_upload_rejects_disguised_and_large_files() -> None:
    question = q(type="file", settings={"max_size_mb": 1, "file_types": ["pdf"]})
    fake = SimpleUploadedFile("report.pdf", b"MZ this is an exe", content_type="application/pdf")
    form = PageForm([question], {}, {"q": fake})
    assert not form.is_valid() and "The file must be a PDF" in str(form.errors)
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 1))
    form = PageForm([question], {}, {"q": big})
    assert not form.is_valid() and "smaller than 1 MB" in str(form.errors)
    good = SimpleUploadedFile("ok.pdf", b"%PDF-1.4 hello")
    form = PageForm([question], {}, {"q": good})
    assert form.is_valid(), form.errors
    assert form.uploads()["q"].checked_type == "pdf"
