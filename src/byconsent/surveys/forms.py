"""Forms: one page of a questionnaire built from its questions, and the staff builder forms.

A PageForm has one field per visible question (grids and rankings have one per row / option). `answers()` turns
its cleaned data into the values stored in the draft: see models.py for the shape of each type's answer.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from byconsent.core.models import Area, Channel
from byconsent.core.postcodes import find_area, normalise_postcode, outward_code
from byconsent.surveys import logic
from byconsent.surveys.models import Publication, Question, QuestionType
from byconsent.ui.forms import GovukDateWidget

OTHER = "other"
DEFAULT_LIKERT = [
    {"value": "strongly_agree", "label": _("Strongly agree")},
    {"value": "agree", "label": _("Agree")},
    {"value": "neither", "label": _("Neither agree nor disagree")},
    {"value": "disagree", "label": _("Disagree")},
    {"value": "strongly_disagree", "label": _("Strongly disagree")},
]
DEFAULT_MAX_SIZE_MB = 10
# Content signatures ("magic bytes"): the type is decided by what the file holds, never by its name.
FILE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "docx": (b"PK\x03\x04",),
}
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
DEFAULT_FILE_TYPES = ["pdf", "png", "jpeg", "docx"]


def sniff_file_type(head: bytes) -> str | None:
    for kind, signatures in FILE_SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            return kind
    return None


def choices_for(question: Question) -> list[tuple[str, str]]:
    options = question.options or (DEFAULT_LIKERT if question.type == QuestionType.LIKERT else [])
    choices = [(str(o["value"]), str(o["label"])) for o in options]
    if question.settings.get("allow_other"):
        choices.append((OTHER, str(_("Other"))))
    return choices


def rating_choices(question: Question) -> list[tuple[str, str]]:
    low = question.settings.get("low_label") or _("Not at all likely")
    high = question.settings.get("high_label") or _("Extremely likely")
    return [(str(i), f"{i} – {low}" if i == 0 else f"{i} – {high}" if i == 10 else str(i)) for i in range(11)]


def _required_message(question: Question) -> str:
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT, QuestionType.RATING):
        return str(_("Select an answer to “%(q)s”") % {"q": question.text})
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return str(_("Select at least one answer to “%(q)s”") % {"q": question.text})
    if question.type == QuestionType.FILE:
        return str(_("Choose a file for “%(q)s”") % {"q": question.text})
    return str(_("Enter an answer to “%(q)s”") % {"q": question.text})


class PageForm(forms.Form):
    """The visible questions of one page, in GOV.UK style, with specific error messages."""

    def __init__(self, questions: list[Question], *args: Any, answers: dict[str, Any] | None = None,
                 staff_entry: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = [q for q in questions if q.type != QuestionType.INFO]
        self.info_blocks = [q for q in questions if q.type == QuestionType.INFO]
        self.staff_entry = staff_entry
        self.area_found: Area | None = None
        answers = answers or {}
        for question in self.questions:
            self._add_fields(question, answers)

    def _add_fields(self, q: Question, answers: dict[str, Any]) -> None:
        # Staff entering a paper form record what is there: a blank required answer stays blank.
        required = q.required and not q.is_demographic and not self.staff_entry
        errors = {"required": _required_message(q)}
        common: dict[str, Any] = {"label": q.text, "help_text": q.hint, "required": required,
                                  "error_messages": errors}
        value = answers.get(q.key)
        key = q.key
        if q.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
            max_length = int(q.settings.get("max_length") or (500 if q.type == QuestionType.SHORT_TEXT else 5000))
            errors["max_length"] = str(_("“%(q)s” must be %(n)s characters or fewer") % {"q": q.text,
                                                                                           "n": max_length})
            widget = forms.Textarea(attrs={"rows": 6}) if q.type == QuestionType.LONG_TEXT else forms.TextInput()
            self.fields[key] = forms.CharField(max_length=max_length, widget=widget, **common)
            self.initial[key] = value or ""
        elif q.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT):
            self.fields[key] = forms.ChoiceField(choices=choices_for(q), widget=forms.RadioSelect, **common)
            self.initial[key] = value
            self._add_other(q, answers)
        elif q.type == QuestionType.MULTIPLE_CHOICE:
            self.fields[key] = forms.MultipleChoiceField(choices=choices_for(q), widget=forms.CheckboxSelectMultiple,
                                                         **common)
            self.initial[key] = value or []
            self._add_other(q, answers)
        elif q.type == QuestionType.RATING:
            self.fields[key] = forms.ChoiceField(choices=rating_choices(q), widget=forms.RadioSelect, **common)
            self.initial[key] = None if value is None else str(value)
        elif q.type == QuestionType.NUMBER:
            errors["invalid"] = str(_("“%(q)s” must be a number") % {"q": q.text})
            low, high = q.settings.get("min"), q.settings.get("max")
            if low is not None:
                errors["min_value"] = str(_("“%(q)s” must be %(n)s or more") % {"q": q.text, "n": low})
            if high is not None:
                errors["max_value"] = str(_("“%(q)s” must be %(n)s or less") % {"q": q.text, "n": high})
            self.fields[key] = forms.DecimalField(
                min_value=None if low is None else Decimal(str(low)),
                max_value=None if high is None else Decimal(str(high)),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "govuk-input--width-10"}),
                **common)
            self.initial[key] = value
        elif q.type == QuestionType.DATE:
            errors["invalid"] = str(_("“%(q)s” must be a real date, like 27 3 2025") % {"q": q.text})
            self.fields[key] = forms.DateField(widget=GovukDateWidget(), **common)
            self.initial[key] = value
        elif q.type == QuestionType.POSTCODE:
            errors["max_length"] = str(_("Enter a real postcode, like SW1A 1AA"))
            self.fields[key] = forms.CharField(
                max_length=12, widget=forms.TextInput(attrs={"autocomplete": "postal-code",
                                                             "class": "govuk-input--width-10"}),
                **common)
            self.initial[key] = value or ""
        elif q.type == QuestionType.FILE:
            max_mb = int(q.settings.get("max_size_mb") or DEFAULT_MAX_SIZE_MB)
            kinds = q.settings.get("file_types") or DEFAULT_FILE_TYPES
            hint = _("%(types)s, up to %(mb)s MB.") % {"types": ", ".join(k.upper() for k in kinds), "mb": max_mb}
            common["help_text"] = f"{q.hint} {hint}".strip()
            common["required"] = required and not value
            self.fields[key] = forms.FileField(**common)
        elif q.type == QuestionType.RANKING:
            choices = [("", "")] + [(str(i), str(i)) for i in range(1, len(q.options) + 1)]
            ranks = {str(v): i for i, v in enumerate(value or [], start=1)}
            for option in q.options:
                name = f"{key}__{option['value']}"
                label = _("%(option)s: rank") % {"option": option["label"]}
                self.fields[name] = forms.ChoiceField(
                    label=label, choices=choices, required=required,
                    error_messages={"required": str(_("Give “%(o)s” a rank") % {"o": option["label"]})})
                self.initial[name] = str(ranks.get(str(option["value"]), ""))
        elif q.type == QuestionType.GRID:
            columns = [(str(o["value"]), str(o["label"])) for o in q.options]
            for row in q.settings.get("rows", []):
                name = f"{key}__{row['value']}"
                self.fields[name] = forms.ChoiceField(
                    label=row["label"], choices=columns, widget=forms.RadioSelect, required=required,
                    error_messages={"required": str(_("Select an answer for “%(r)s”") % {"r": row["label"]})})
                self.initial[name] = (value or {}).get(str(row["value"]))

    def _add_other(self, q: Question, answers: dict[str, Any]) -> None:
        if q.settings.get("allow_other"):
            name = f"{q.key}__other"
            self.fields[name] = forms.CharField(label=_("If you chose “Other”, please specify"), max_length=500,
                                                required=False)
            self.initial[name] = answers.get(name, "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for q in self.questions:
            key = q.key
            if q.type == QuestionType.MULTIPLE_CHOICE and data.get(key):
                exclusive = {str(o["value"]) for o in q.options if o.get("exclusive")}
                chosen = set(data[key])
                if chosen & exclusive and len(chosen) > 1:
                    label = q.option_labels().get(next(iter(chosen & exclusive)), "")
                    self.add_error(key, _("Select “%(o)s” on its own, or untick it") % {"o": label})
            if q.settings.get("allow_other"):
                chosen_other = data.get(key) == OTHER or (isinstance(data.get(key), list) and OTHER in data[key])
                if chosen_other and not (data.get(f"{key}__other") or "").strip():
                    self.add_error(f"{key}__other", _("Say what “Other” means for “%(q)s”") % {"q": q.text})
            if q.type == QuestionType.POSTCODE and data.get(key):
                normalised = normalise_postcode(data[key])
                if normalised is None:
                    self.add_error(key, _("Enter a real postcode, like SW1A 1AA"))
                else:
                    data[key] = normalised
                    self.area_found = find_area(normalised)
            if q.type == QuestionType.RANKING:
                ranks = [data.get(f"{key}__{o['value']}") for o in q.options]
                given = [r for r in ranks if r]
                if len(given) != len(set(given)):
                    self.add_error(f"{key}__{q.options[0]['value']}", _("Give each option a different rank"))
                elif given and len(given) != len(ranks):
                    self.add_error(f"{key}__{q.options[0]['value']}", _("Rank every option, or none of them"))
            if q.type == QuestionType.FILE and data.get(key):
                self._check_file(q, data[key])
        return data

    def _check_file(self, q: Question, upload: Any) -> None:
        max_mb = int(q.settings.get("max_size_mb") or DEFAULT_MAX_SIZE_MB)
        kinds = q.settings.get("file_types") or DEFAULT_FILE_TYPES
        if upload.size > max_mb * 1024 * 1024:
            self.add_error(q.key, _("The file must be smaller than %(mb)s MB") % {"mb": max_mb})
            return
        upload.seek(0)
        kind = sniff_file_type(upload.read(16))
        upload.seek(0)
        if kind not in kinds:
            self.add_error(q.key, _("The file must be a %(types)s") % {"types": ", ".join(k.upper() for k in kinds)})
            return
        upload.checked_type = kind

    def answers(self) -> dict[str, Any]:
        """Cleaned data as stored values; an empty optional answer is left out (None means remove it)."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for q in self.questions:
            key = q.key
            value: Any = data.get(key)
            if q.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT, QuestionType.SINGLE_CHOICE,
                          QuestionType.LIKERT):
                value = (value or "").strip() or None
            elif q.type == QuestionType.MULTIPLE_CHOICE:
                value = list(value or []) or None
            elif q.type == QuestionType.RATING:
                value = int(value) if value not in (None, "") else None
            elif q.type == QuestionType.NUMBER:
                value = None if value is None else (int(value) if value == value.to_integral_value() else float(value))
            elif q.type == QuestionType.DATE:
                value = value.isoformat() if isinstance(value, datetime.date) else None
            elif q.type == QuestionType.POSTCODE:
                # Keep only the outward code ("AB1"): enough for the area, not enough to find a house.
                value = outward_code(value) if value else None
            elif q.type == QuestionType.RANKING:
                ranks = {str(o["value"]): data.get(f"{key}__{o['value']}") for o in q.options}
                value = [v for v, r in sorted(ranks.items(), key=lambda item: int(item[1] or 0)) if r] or None
            elif q.type == QuestionType.GRID:
                value = {str(r["value"]): data[f"{key}__{r['value']}"] for r in q.settings.get("rows", [])
                         if data.get(f"{key}__{r['value']}")} or None
            elif q.type == QuestionType.FILE:
                continue  # stored by the service as an UploadedFile; the answer records its id
            out[key] = value
            if q.settings.get("allow_other"):
                chosen = data.get(key)
                other = (data.get(f"{key}__other") or "").strip()
                keep = chosen == OTHER or (isinstance(chosen, list) and OTHER in chosen)
                out[f"{key}__other"] = other if keep and other else None
        return out

    def uploads(self) -> dict[str, Any]:
        return {q.key: self.cleaned_data[q.key] for q in self.questions
                if q.type == QuestionType.FILE and self.cleaned_data.get(q.key)}


class StartForm(forms.Form):
    easy_read = forms.BooleanField(label=_("Use the Easy Read layout (larger text, one idea per line)"),
                                   required=False)


class ResumeEmailForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), help_text=_("We will send the link to this address once and "
                                                                   "keep it only with your unfinished answers."),
                             error_messages={"required": _("Enter your email address"),
                                             "invalid": _("Enter an email address like name@example.com")})


class ReceiptEmailForm(ResumeEmailForm):
    pass


class SubmitForm(forms.Form):
    """On the check-your-answers page: publication choice (when asked) and nothing else."""

    publication = forms.ChoiceField(label=_("May we publish your response?"), choices=Publication.choices,
                                    widget=forms.RadioSelect, required=False,
                                    help_text=_("We never publish anything that could identify you unless you ask us "
                                                "to use your name, and we read every response before publishing it."))
    published_name = forms.CharField(label=_("Name to publish"), max_length=200, required=False)

    def __init__(self, *args: Any, ask_publication: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not ask_publication:
            del self.fields["publication"]
            del self.fields["published_name"]
        else:
            self.fields["publication"].required = True
            self.fields["publication"].error_messages["required"] = _("Select whether we may publish your response")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("publication") == Publication.WITH_NAME and not (data.get("published_name") or "").strip():
            self.add_error("published_name", _("Enter the name to publish, or choose to publish without your name"))
        return data


# ---- staff ------------------------------------------------------------------------------------------------------

class QuestionnaireForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, error_messages={"required": _("Enter a title")})
    slug = forms.SlugField(label=_("Web address name"), max_length=80,
                           help_text=_("Lower-case letters, numbers and hyphens, like police-plan-2026"),
                           error_messages={"required": _("Enter a web address name"),
                                           "invalid": _("Use only lower-case letters, numbers and hyphens")})
    introduction = forms.CharField(label=_("Introduction"), widget=forms.Textarea, required=False)
    area = forms.ModelChoiceField(label=_("Area that owns it"), queryset=Area.objects.none(),
                                  error_messages={"required": _("Select an area")})
    ask_publication = forms.BooleanField(label=_("Ask respondents whether we may publish their answers"),
                                         required=False)

    def __init__(self, *args: Any, areas: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if areas is not None:
            self.fields["area"].queryset = areas  # type: ignore[attr-defined]


MAX_FILE_SIZE_MB = 25
FILE_TYPE_LABELS = {"pdf": "PDF", "png": "PNG image", "jpeg": "JPEG image", "gif": "GIF image",
                    "docx": "Word document (DOCX)"}
CONDITION_TESTS = [
    ("equals", _("is")),
    ("not_equals", _("is not")),
    ("includes", _("includes (multiple choice)")),
    ("answered", _("has been answered")),
    ("not_answered", _("has not been answered")),
]


def condition_values(question: Question) -> list[tuple[str, str]]:
    """The answers a condition on this question can test for (empty: the value is typed in)."""
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.LIKERT):
        return choices_for(question)
    if question.type == QuestionType.RATING:
        return [(str(i), str(i)) for i in range(11)]
    return []


class ConditionsForm(forms.Form):
    """Any number of conditions on earlier answers, and whether all or any of them must hold.

    Works without JavaScript: "Add another condition" and "Remove" send the form, which comes back with a row more
    or less and nothing lost. Only questions on earlier pages can be chosen; once a choice question is chosen, its
    answer is picked from the question's own options (the form comes back with them when the question changes)."""

    match = forms.ChoiceField(
        label=_("When there is more than one condition"), widget=forms.RadioSelect, required=False,
        choices=[(logic.MATCH_ALL, _("Show it only if all of them are true")),
                 (logic.MATCH_ANY, _("Show it if any one of them is true"))])
    count = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=50)

    def __init__(self, data: Any = None, *, earlier: list[Question], rows: list[dict[str, Any]] | None = None,
                 match: str = logic.MATCH_ALL) -> None:
        super().__init__(data, prefix="c", initial={"match": match})
        self.earlier = {q.key: q for q in earlier}
        if data is not None:
            rows = self.posted_rows(data)
        rows = list(rows or [])
        self.size = max(1, len(rows))
        self.initial["count"] = self.size
        question_choices = [("", str(_("Choose an earlier question")))] + [
            (q.key, f"{q.text} ({q.key})") for q in earlier]
        for i in range(self.size):
            row = rows[i] if i < len(rows) else {}
            n = i + 1
            key = str(row.get("question") or "")
            question = self.earlier.get(key)
            choices = question_choices
            if key and question is None and data is None:
                # A stored condition that reads a question which is no longer earlier (moved, or made before the
                # builder checked): shown as it is, so saving refuses it instead of silently dropping it.
                choices = [*question_choices, (key, str(_("%(key)s (not on an earlier page)") % {"key": key}))]
            self.fields[f"question_{i}"] = forms.ChoiceField(
                label=_("Condition %(n)s: the answer to") % {"n": n}, choices=choices, required=False,
                error_messages={"invalid_choice": _(
                    "Condition %(n)s: choose a question from an earlier page. A condition cannot use the question "
                    "itself, or a question on this page or a later one") % {"n": n}})
            self.fields[f"op_{i}"] = forms.ChoiceField(label=_("Condition %(n)s: test") % {"n": n},
                                                       choices=CONDITION_TESTS, required=False)
            values = condition_values(question) if question is not None else []
            if values:
                self.fields[f"value_{i}"] = forms.ChoiceField(
                    label=_("Condition %(n)s: answer") % {"n": n}, required=False,
                    choices=[("", str(_("Choose an answer")))] + values,
                    error_messages={"invalid_choice": _("Condition %(n)s: choose one of the answers to “%(q)s”") % {
                        "n": n, "q": question.text if question else ""}})
            else:
                self.fields[f"value_{i}"] = forms.CharField(
                    label=_("Condition %(n)s: answer") % {"n": n}, required=False, max_length=200,
                    help_text=_("Choose the question and press “Update the answers to choose from” to pick from its "
                                "options; leave blank for “has been answered”") if question is None else "",
                    error_messages={"max_length": _("Condition %(n)s: the answer must be 200 characters or fewer")
                                    % {"n": n}})
            self.initial[f"question_{i}"] = row.get("question", "")
            self.initial[f"op_{i}"] = row.get("op") or "equals"
            self.initial[f"value_{i}"] = "" if row.get("value") is None else str(row.get("value"))
        self.conditions: list[dict[str, Any]] = []

    @classmethod
    def from_show_if(cls, show_if: Any, earlier: list[Question]) -> ConditionsForm:
        return cls(earlier=earlier, rows=logic.conditions_of(show_if), match=logic.match_of(show_if))

    @staticmethod
    def posted_rows(data: Any) -> list[dict[str, Any]]:
        try:
            count = max(0, min(50, int(data.get("c-count") or 0)))
        except (TypeError, ValueError):
            count = 0
        return [{"question": data.get(f"c-question_{i}", ""), "op": data.get(f"c-op_{i}", "equals"),
                 "value": data.get(f"c-value_{i}", "")} for i in range(count)]

    @staticmethod
    def posted_match(data: Any) -> str:
        return logic.MATCH_ANY if data.get("c-match") == logic.MATCH_ANY else logic.MATCH_ALL

    @property
    def offers_conditions(self) -> bool:
        """False on the first page (nothing earlier to depend on), unless a stored condition needs showing."""
        return bool(self.earlier) or any(self[f"question_{i}"].value() for i in range(self.size))

    def rows(self) -> list[dict[str, Any]]:
        """The rows to show, each with its three bound fields."""
        return [{"number": i + 1, "index": i, "question": self[f"question_{i}"], "op": self[f"op_{i}"],
                 "value": self[f"value_{i}"]} for i in range(self.size)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        conditions = []
        for i in range(self.size):
            n = i + 1
            key = data.get(f"question_{i}") or ""
            op = data.get(f"op_{i}") or "equals"
            value = (data.get(f"value_{i}") or "").strip()
            if f"question_{i}" in self.errors:
                continue
            if not key:
                if value:
                    self.add_error(f"question_{i}", _("Condition %(n)s: choose the question it is about, or remove "
                                                      "the condition") % {"n": n})
                continue
            question = self.earlier[key]
            if op in logic.NEEDS_VALUE and not value and f"value_{i}" not in self.errors:
                message = _("Condition %(n)s: choose the answer to look for") if condition_values(question) else \
                    _("Condition %(n)s: enter the answer to look for, or choose “has been answered”")
                self.add_error(f"value_{i}", message % {"n": n})
            if op == "includes" and question.type != QuestionType.MULTIPLE_CHOICE:
                self.add_error(f"op_{i}", _("Condition %(n)s: “includes” is for multiple-choice questions; use “is”")
                               % {"n": n})
            conditions.append({"question": key, "op": op,
                               "value": "" if op in ("answered", "not_answered") else value})
        self.conditions = conditions
        return data

    def show_if(self) -> list[dict[str, Any]] | dict[str, Any]:
        return logic.make_show_if(self.conditions, self.cleaned_data.get("match") or logic.MATCH_ALL)


def conditions_action(data: Any) -> tuple[list[dict[str, Any]], str] | None:
    """When the press was "Add another condition", "Remove" or "Update the answers", the rows to show next (and the
    match); None for a real save."""
    rows = ConditionsForm.posted_rows(data)
    if "c-add" in data:
        return [*rows, {}], ConditionsForm.posted_match(data)
    if "c-remove" in data:
        try:
            index = int(data.get("c-remove"))
        except (TypeError, ValueError):
            index = -1
        return [r for i, r in enumerate(rows) if i != index], ConditionsForm.posted_match(data)
    if "c-refresh" in data:
        return rows, ConditionsForm.posted_match(data)
    return None


def initial_from_post(form_class: type[forms.Form], data: Any) -> dict[str, Any]:
    """A form's POSTed values as `initial`, to show them again without error messages (after "Add another")."""
    initial: dict[str, Any] = {}
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.MultipleChoiceField):
            initial[name] = data.getlist(name)
        elif isinstance(field, forms.BooleanField):
            initial[name] = bool(data.get(name))
        elif name in data:
            initial[name] = data.get(name)
    return initial


class PageEditForm(forms.Form):
    title = forms.CharField(label=_("Page title"), max_length=200, error_messages={"required": _("Enter a title")})
    introduction = forms.CharField(label=_("Introduction"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


def _number(value: Any) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class QuestionEditForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=500, error_messages={"required": _("Enter the question")})
    key = forms.SlugField(label=_("Short name for exports"), max_length=60,
                          help_text=_("Like priority_1; it stays the same across versions"),
                          error_messages={"required": _("Enter a short name"),
                                          "invalid": _("Use only letters, numbers, hyphens and underscores")})
    type = forms.ChoiceField(label=_("Type of answer"), choices=QuestionType.choices)
    hint = forms.CharField(label=_("Hint"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    options = forms.CharField(
        label=_("Options"), widget=forms.Textarea(attrs={"rows": 5}), required=False,
        help_text=_("One per line. For a grid these are the columns. End a line with * to make it exclusive "
                    "(like “None of these”). For an agreement scale, leave blank for the standard five points "
                    "(Strongly agree to Strongly disagree) or enter your own labels."))
    rows = forms.CharField(label=_("Grid rows"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           help_text=_("One per line (grids only)"))
    allow_other = forms.BooleanField(label=_("Add “Other, please specify”"), required=False)
    max_length = forms.IntegerField(
        label=_("Most characters allowed"), required=False, min_value=1, max_value=20000,
        help_text=_("Short and long text only. Leave blank for 500 (short) or 5,000 (long)"),
        error_messages={"invalid": _("Most characters allowed must be a whole number, like 1000"),
                        "min_value": _("Most characters allowed must be between 1 and 20,000"),
                        "max_value": _("Most characters allowed must be between 1 and 20,000")})
    minimum = forms.DecimalField(label=_("Smallest number allowed"), required=False,
                                 help_text=_("Number questions only"),
                                 error_messages={"invalid": _("Smallest number allowed must be a number, like 0")})
    maximum = forms.DecimalField(label=_("Largest number allowed"), required=False,
                                 help_text=_("Number questions only"),
                                 error_messages={"invalid": _("Largest number allowed must be a number, like 100")})
    low_label = forms.CharField(label=_("Label for 0"), required=False, max_length=60,
                                help_text=_("Rating 0 to 10 only. Leave blank for “Not at all likely”"),
                                error_messages={"max_length": _("Label for 0 must be 60 characters or fewer")})
    high_label = forms.CharField(label=_("Label for 10"), required=False, max_length=60,
                                 help_text=_("Rating 0 to 10 only. Leave blank for “Extremely likely”"),
                                 error_messages={"max_length": _("Label for 10 must be 60 characters or fewer")})
    file_types = forms.MultipleChoiceField(
        label=_("Types of file allowed"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(kind, FILE_TYPE_LABELS.get(kind, kind.upper())) for kind in FILE_SIGNATURES],
        help_text=_("File upload only. The type is checked from the file's content, not its name. Leave all unticked "
                    "for PDF, PNG, JPEG and Word"))
    max_size_mb = forms.IntegerField(
        label=_("Largest file size, in MB"), required=False, min_value=1, max_value=MAX_FILE_SIZE_MB,
        help_text=_("File upload only. Leave blank for %(mb)s MB") % {"mb": DEFAULT_MAX_SIZE_MB},
        error_messages={"invalid": _("Largest file size must be a whole number of MB, like 10"),
                        "min_value": _("Largest file size must be between 1 and %(mb)s MB") % {"mb": MAX_FILE_SIZE_MB},
                        "max_value": _("Largest file size must be between 1 and %(mb)s MB") % {"mb": MAX_FILE_SIZE_MB}})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("type")
        if kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING,
                    QuestionType.GRID) and not (data.get("options") or "").strip():
            self.add_error("options", _("Enter at least one option, one per line"))
        if kind == QuestionType.GRID and not (data.get("rows") or "").strip():
            self.add_error("rows", _("Enter at least one row, one per line"))
        low, high = data.get("minimum"), data.get("maximum")
        if kind == QuestionType.NUMBER and low is not None and high is not None and low >= high:
            self.add_error("maximum", _("Largest number allowed must be more than the smallest number allowed"))
        return data

    SECTIONS = [
        ("", ["text", "key", "type", "hint", "required"]),
        (_("Choices, agreement scales, rankings and grids"), ["options", "rows", "allow_other"]),
        (_("Text answers"), ["max_length"]),
        (_("Numbers"), ["minimum", "maximum"]),
        (_("Rating 0 to 10"), ["low_label", "high_label"]),
        (_("File upload"), ["file_types", "max_size_mb"]),
    ]

    def sections(self) -> list[tuple[str, list[Any]]]:
        """The fields under headings, one heading per kind of setting (the builder's question form)."""
        return [(str(heading), [self[name] for name in names]) for heading, names in self.SECTIONS]

    def question_fields(self, existing: Question | None = None) -> dict[str, Any]:
        """The cleaned form as the service's fields (settings only for the chosen type). With the question being
        edited, options and grid rows that keep their label keep their stored value."""
        data = self.cleaned_data
        old_options = existing.options if existing is not None else []
        old_rows = (existing.settings or {}).get("rows", []) if existing is not None else []
        kind = data["type"]
        settings: dict[str, Any] = {}
        if data.get("allow_other") and kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE,
                                                QuestionType.LIKERT):
            settings["allow_other"] = True
        if kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT) and data.get("max_length"):
            settings["max_length"] = data["max_length"]
        if kind == QuestionType.NUMBER:
            for name, key in (("minimum", "min"), ("maximum", "max")):
                if data.get(name) is not None:
                    settings[key] = _number(data[name])
        if kind == QuestionType.RATING:
            for name in ("low_label", "high_label"):
                if (data.get(name) or "").strip():
                    settings[name] = data[name].strip()
        if kind == QuestionType.FILE:
            if data.get("file_types"):
                settings["file_types"] = [k for k in FILE_SIGNATURES if k in data["file_types"]]
            if data.get("max_size_mb"):
                settings["max_size_mb"] = data["max_size_mb"]
        if kind == QuestionType.GRID:
            settings["rows"] = option_lines(data.get("rows", ""), old_rows)
        return {"key": data["key"], "type": kind, "text": data["text"], "hint": data.get("hint", ""),
                "required": bool(data.get("required")), "options": option_lines(data.get("options", ""), old_options),
                "settings": settings}

    @staticmethod
    def initial_for(question: Question) -> dict[str, Any]:
        settings = question.settings or {}
        return {"text": question.text, "key": question.key, "type": question.type, "hint": question.hint,
                "required": question.required,
                "options": "\n".join(o["label"] + ("*" if o.get("exclusive") else "") for o in question.options),
                "rows": "\n".join(r["label"] for r in settings.get("rows", [])),
                "allow_other": bool(settings.get("allow_other")), "max_length": settings.get("max_length"),
                "minimum": settings.get("min"), "maximum": settings.get("max"),
                "low_label": settings.get("low_label", ""), "high_label": settings.get("high_label", ""),
                "file_types": settings.get("file_types", []), "max_size_mb": settings.get("max_size_mb")}


def option_value(label: str, index: int) -> str:
    value = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40]
    return value or f"option_{index + 1}"


def option_lines(text: str, existing: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Options typed one per line; a trailing * makes an option exclusive. An option whose label was already there
    keeps its stored value, so answers, exports and conditions keep meaning the same thing."""
    known = {str(o["label"]).strip().lower(): str(o["value"]) for o in existing or []}
    options = []
    taken: set[str] = set()
    for index, line in enumerate(line.strip() for line in (text or "").splitlines()):
        if not line:
            continue
        exclusive = line.endswith("*")
        label = line.rstrip("*").strip()
        value = known.get(label.lower()) or option_value(label, index)
        if value in taken:
            value = f"{value}_{index + 1}"
        taken.add(value)
        options.append({"value": value, "label": label, "exclusive": exclusive})
    return options


class StaffEntryForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("How did the response reach us?"), widget=forms.RadioSelect,
        choices=[(c.value, c.label) for c in (Channel.PAPER, Channel.PHONE, Channel.EMAIL, Channel.FOCUS_GROUP)],
        error_messages={"required": _("Select how the response reached us")})
    original = forms.FileField(label=_("Scan of the original, or the email as received"), required=False,
                               help_text=_("PDF, PNG or JPEG, up to 20 MB"))

    def clean_original(self) -> Any:
        upload = self.cleaned_data.get("original")
        if upload:
            if upload.size > 20 * 1024 * 1024:
                raise ValidationError(_("The file must be smaller than 20 MB"))
            kind = sniff_file_type(upload.read(16))
            upload.seek(0)
            if kind not in ("pdf", "png", "jpeg"):
                raise ValidationError(_("The file must be a PDF, PNG or JPEG"))
        return upload


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel file"), help_text=_(
        "One row per response; a header row with the questions' short names (as in the export), and a 'channel' "
        "column (paper, phone, email or focus_group)."), error_messages={"required": _("Choose a file")})


class ModerateAnswerForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect,
        choices=[("approved", _("Approve for publication")), ("rejected", _("Do not publish")),
                 ("restricted", _("Hold back: possible crime report, allegation or risk"))],
        error_messages={"required": _("Select a decision")})
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500,
                             help_text=_("Required when you do not publish or hold back"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("state") in ("rejected", "restricted") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for not publishing"))
        return data


class RedactForm(forms.Form):
    phrase = forms.CharField(label=_("Text to hide"), max_length=1000,
                             help_text=_("Copy it exactly from the answer; every occurrence is hidden"),
                             error_messages={"required": _("Enter the text to hide")})
    reason = forms.CharField(label=_("Reason"), max_length=500,
                             error_messages={"required": _("Give a reason for the redaction")})
