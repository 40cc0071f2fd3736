"""GOV.UK Frontend form rendering through Django's template-based form rendering.

Settings: FORM_RENDERER = "byconsent.ui.forms.GovukFormRenderer". Then `{{ form }}` renders every field with its
label, hint (help_text), error message and the GOV.UK markup for its widget, and `{{ form.field.as_field_group }}`
renders one field. Put `{% include "ui/components/error_summary.html" with form=form %}` at the top of the page.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy as _


class GovukFormRenderer(DjangoTemplates):
    """Django's own template engine (so the stock widget templates stay available) with GOV.UK form templates.

    DjangoTemplates rather than TemplatesSetting: it needs no "django.forms" in INSTALLED_APPS, and still finds
    templates in every installed app's templates/ folder, including ours.
    """

    form_template_name = "ui/forms/form.html"
    formset_template_name = "ui/forms/formset.html"
    field_template_name = "ui/forms/field.html"


class GovukDateWidget(forms.MultiWidget):
    """GOV.UK's date input: separate day, month and year boxes, returned to the form as "YYYY-MM-DD".

    Use with forms.DateField(widget=GovukDateWidget()). Invalid combinations (31 February) reach the field as an
    impossible date string, so DateField reports its usual "Enter a valid date" error against the first box.
    """

    part_names = ("day", "month", "year")

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        day_month = {"inputmode": "numeric", "class": "govuk-input govuk-date-input__input govuk-input--width-2"}
        year = {"inputmode": "numeric", "class": "govuk-input govuk-date-input__input govuk-input--width-4"}
        super().__init__([forms.TextInput(day_month), forms.TextInput(day_month), forms.TextInput(year)], attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        if isinstance(value, str) and value.count("-") == 2:
            year, month, day = value.split("-")
            return [day, month, year]
        return [None, None, None]

    # The stubs say a MultiWidget returns a list; what the field receives is up to the widget, and DateField wants
    # one string it can parse.
    def value_from_datadict(self, data: Any, files: Any, name: str) -> str | None:  # type: ignore[override]
        day, month, year = (part.strip() if part else "" for part in super().value_from_datadict(data, files, name))
        if not (day or month or year):
            return None
        return f"{year}-{month}-{day}"

    def part_labels(self) -> list[str]:
        return [str(_("Day")), str(_("Month")), str(_("Year"))]
