"""Template tags for GOV.UK form markup, the error summary and pagination."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms, template
from django.core.paginator import Page
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString

from byconsent.ui.forms import GovukDateWidget

register = template.Library()

# Widget classes in the order they are tested: subclasses before their parents (Password/Email/Number are inputs).
WIDGET_KINDS: tuple[tuple[type[forms.Widget], str], ...] = (
    (forms.HiddenInput, "hidden"),
    (forms.CheckboxSelectMultiple, "checkboxes"),
    (forms.RadioSelect, "radios"),
    (GovukDateWidget, "date_parts"),
    (forms.Select, "select"),
    (forms.CheckboxInput, "checkbox"),
    (forms.Textarea, "textarea"),
    (forms.PasswordInput, "password"),
    (forms.FileInput, "file"),
    (forms.DateInput, "date"),
    (forms.widgets.Input, "input"),
)

# GOV.UK class of the input element for each kind, and its error modifier.
INPUT_CLASSES: dict[str, tuple[str, str]] = {
    "input": ("govuk-input", "govuk-input--error"),
    "date": ("govuk-input govuk-input--width-10", "govuk-input--error"),
    "password": ("govuk-input govuk-password-input__input govuk-js-password-input-input", "govuk-input--error"),
    "textarea": ("govuk-textarea", "govuk-textarea--error"),
    "select": ("govuk-select", "govuk-select--error"),
    "file": ("govuk-file-upload", "govuk-file-upload--error"),
    "checkbox": ("govuk-checkboxes__input", ""),
}

# Kinds made of several inputs: they are grouped in a fieldset whose legend is the label.
FIELDSET_KINDS = frozenset({"radios", "checkboxes", "date_parts"})


def widget_kind(widget: forms.Widget) -> str:
    for widget_class, kind in WIDGET_KINDS:
        if isinstance(widget, widget_class):
            return kind
    return "input"


def first_input_id(bound_field: BoundField) -> str:
    """The id of the element a link to this field must focus: the first radio, checkbox or date part, else the input.

    Django gives option i of a RadioSelect/CheckboxSelectMultiple and part i of a MultiWidget the id "<id>_<i>".
    """
    widget = bound_field.field.widget
    base_id = widget.attrs.get("id") or bound_field.auto_id
    if not base_id:
        return ""
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.MultiWidget):
        return f"{base_id}_0"
    return str(base_id)


@dataclass
class Option:
    """One radio button or checkbox."""

    id: str
    name: str
    value: str
    label: str
    checked: bool


@dataclass
class FieldView:
    """Everything a GOV.UK field template needs, worked out once in Python."""

    bound_field: BoundField
    kind: str
    input_id: str
    hint_id: str
    error_id: str
    described_by: str
    widget_html: SafeString | str = ""
    max_length: int | None = None
    options: list[Option] = field(default_factory=list)
    date_parts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def in_fieldset(self) -> bool:
        return self.kind in FIELDSET_KINDS


def described_by_ids(bound_field: BoundField, hint_id: str, error_id: str, extra: Iterable[str] = ()) -> str:
    ids = [*extra]
    if bound_field.help_text:
        ids.append(hint_id)
    if bound_field.errors:
        ids.append(error_id)
    return " ".join(ids)


def character_count_limit(bound_field: BoundField, kind: str) -> int | None:
    """GOV.UK's character count for a textarea with a max_length, whether or not it has help text."""
    max_length = getattr(bound_field.field, "max_length", None)
    return max_length if kind == "textarea" and max_length else None


def render_widget(bound_field: BoundField, kind: str, described_by: str, max_length: int | None) -> SafeString:
    base_class, error_class = INPUT_CLASSES.get(kind, INPUT_CLASSES["input"])
    classes = [bound_field.field.widget.attrs.get("class", ""), base_class]
    if bound_field.errors and error_class:
        classes.append(error_class)
    attrs: dict[str, Any] = {"class": " ".join(c for c in classes if c)}
    if described_by:
        attrs["aria-describedby"] = described_by
    if max_length:
        # GOV.UK: no maxlength on a counted textarea. Browsers would cut text off silently; the count and the
        # server's validation tell people instead.
        attrs["maxlength"] = False
        attrs["class"] += " govuk-js-character-count"
    if kind == "password":
        attrs.update({"spellcheck": "false", "autocapitalize": "none"})
    return bound_field.as_widget(attrs=attrs)


def choice_options(bound_field: BoundField) -> list[Option]:
    options = []
    for subwidget in bound_field.subwidgets:
        data = subwidget.data
        options.append(
            Option(
                id=str(data["attrs"].get("id", "")),
                name=str(data["name"]),
                value="" if data["value"] is None else str(data["value"]),
                label=str(data["label"]),
                checked=bool(data["selected"]),
            )
        )
    return options


def date_part_views(bound_field: BoundField) -> list[dict[str, Any]]:
    """Day, month and year boxes for GovukDateWidget, with their own ids, names, labels and current values."""
    widget = bound_field.field.widget
    assert isinstance(widget, GovukDateWidget)
    labels = widget.part_labels()
    context = widget.get_context(bound_field.html_name, bound_field.value(), {"id": bound_field.auto_id})
    parts = []
    for index, subwidget in enumerate(context["widget"]["subwidgets"]):
        attrs = subwidget["attrs"]
        error_class = " govuk-input--error" if bound_field.errors else ""
        parts.append(
            {
                "id": attrs.get("id", ""),
                "name": subwidget["name"],
                "value": subwidget["value"] or "",
                "label": labels[index],
                "class": f"{attrs.get('class', 'govuk-input')}{error_class}",
                "inputmode": attrs.get("inputmode", "numeric"),
            }
        )
    return parts


@register.simple_tag
def govuk_field(bound_field: BoundField) -> FieldView:
    """Work out the GOV.UK markup pieces for one bound field: `{% govuk_field field as g %}`."""
    kind = widget_kind(bound_field.field.widget)
    base_id = bound_field.auto_id or bound_field.html_name
    hint_id, error_id = f"{base_id}-hint", f"{base_id}-error"
    max_length = character_count_limit(bound_field, kind)
    extra = [f"{base_id}-info"] if max_length else []
    described_by = described_by_ids(bound_field, hint_id, error_id, extra)
    view = FieldView(bound_field, kind, first_input_id(bound_field), hint_id, error_id, described_by)
    view.max_length = max_length
    if kind in ("radios", "checkboxes"):
        view.options = choice_options(bound_field)
    elif kind == "date_parts":
        view.date_parts = date_part_views(bound_field)
    elif kind != "hidden":
        # A fieldset carries aria-describedby itself; a lone input carries it on the input.
        view.widget_html = render_widget(bound_field, kind, described_by, max_length)
    return view


@dataclass(frozen=True)
class ErrorSummaryEntry:
    message: str
    target_id: str


def forms_in(value: Any) -> list[forms.BaseForm]:
    """Flatten a form, a formset or a list of either into forms (formsets contribute each of their forms)."""
    if value is None or value == "":
        return []
    if isinstance(value, forms.BaseForm):
        return [value]
    if isinstance(value, forms.BaseFormSet):
        return list(value.forms)
    if isinstance(value, Iterable) and not isinstance(value, str):
        return [form for item in value for form in forms_in(item)]
    return []


def first_visible_field_id(form: forms.BaseForm) -> str:
    for bound_field in form.visible_fields():
        target = first_input_id(bound_field)
        if target:
            return target
    return "main-content"


def entries_for_formset(formset: forms.BaseFormSet) -> list[ErrorSummaryEntry]:
    """Errors about the formset as a whole ("Submit at most 3 forms") point at its first form's first field."""
    if not formset.is_bound or not formset.forms:
        return []
    target = first_visible_field_id(formset.forms[0])
    return [ErrorSummaryEntry(str(message), target) for message in formset.non_form_errors()]


def entries_for_form(form: forms.BaseForm) -> list[ErrorSummaryEntry]:
    if not form.is_bound:
        return []
    fallback_id = first_visible_field_id(form)
    # Non-field errors, and errors on hidden fields that nobody can see or fix directly, point at the first field.
    entries = [ErrorSummaryEntry(str(message), fallback_id) for message in form.non_field_errors()]
    for bound_field in form.hidden_fields():
        entries += [ErrorSummaryEntry(str(message), fallback_id) for message in bound_field.errors]
    for bound_field in form.visible_fields():
        target = first_input_id(bound_field) or fallback_id
        entries += [ErrorSummaryEntry(str(message), target) for message in bound_field.errors]
    return entries


@register.simple_tag
def error_summary_entries(form: Any = None, more_forms: Any = None) -> list[ErrorSummaryEntry]:
    """Error summary links for a form and/or a list of forms and formsets, in page order."""
    entries: list[ErrorSummaryEntry] = []
    for value in (form, more_forms):
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, forms.BaseFormSet):
                entries += entries_for_formset(item)
            entries += [entry for each_form in forms_in(item) for entry in entries_for_form(each_form)]
    return entries


@register.simple_tag
def pagination_pages(page: Page) -> list[int | str]:
    """Page numbers around the current page, with the paginator's ellipsis where numbers are left out."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1))
