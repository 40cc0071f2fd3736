"""The GOV.UK form renderer: markup, ids and ARIA links that assistive technology depends on."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser

import pytest
from django import forms
from django.template import Context, Template

from byconsent.ui.forms import GovukDateWidget, GovukFormRenderer
from tests.ui.forms_for_tests import WHOLE_FORM_ERROR, EveryWidgetForm

PAGE = Template('{% include "ui/components/error_summary.html" with form=form %}{{ form }}')


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.text = ""

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()


class Page(HTMLParser):
    """Every element of a rendered fragment, with its attributes and (shallow) text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in {"input", "br", "img", "meta", "link"}:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1].tag == tag:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data

    def by_id(self, element_id: str) -> Element:
        matches = [e for e in self.elements if e.attrs.get("id") == element_id]
        assert len(matches) == 1, f"expected exactly one element with id {element_id!r}, found {len(matches)}"
        return matches[0]

    def ids(self) -> set[str]:
        return {e.attrs["id"] for e in self.elements if e.attrs.get("id")}

    def with_class(self, name: str) -> list[Element]:
        return [e for e in self.elements if e.has_class(name)]

    def summary_hrefs(self) -> list[str]:
        summary_links = []
        inside = False
        for element in self.elements:
            if element.has_class("govuk-error-summary"):
                inside = True
            elif inside and element.tag == "a":
                summary_links.append(element.attrs.get("href") or "")
        return summary_links


def described_by(element: Element) -> list[str]:
    return (element.attrs.get("aria-describedby") or "").split()


def render(form: forms.Form) -> Page:
    return Page(PAGE.render(Context({"form": form})))


@pytest.fixture
def invalid_form() -> EveryWidgetForm:
    form = EveryWidgetForm(
        data={"story": "x" * 201, "age": "old", "visited_0": "31", "visited_1": "2", "visited_2": "2025"},
        renderer=GovukFormRenderer(),
    )
    assert not form.is_valid()
    return form


def test_project_settings_use_the_govuk_renderer() -> None:
    assert isinstance(EveryWidgetForm().renderer, GovukFormRenderer)


def test_every_error_summary_link_targets_an_element_that_exists(invalid_form: EveryWidgetForm) -> None:
    page = render(invalid_form)
    hrefs = page.summary_hrefs()
    assert len(hrefs) >= 10
    missing = [href for href in hrefs if href.removeprefix("#") not in page.ids()]
    assert not missing, f"links to missing ids: {missing}"


def test_error_summary_links_to_the_first_radio_checkbox_and_date_part(invalid_form: EveryWidgetForm) -> None:
    hrefs = render(invalid_form).summary_hrefs()
    assert {"#id_colour_0", "#id_topics_0", "#id_visited_0", "#id_name", "#id_story", "#id_agree"} <= set(hrefs)
    assert "#id_colour" not in hrefs and "#id_topics" not in hrefs


def test_error_for_the_whole_form_links_to_its_first_field() -> None:
    form = EveryWidgetForm(
        data={
            "name": "Ann",
            "age": "30",
            "story": "Fine",
            "colour": "red",
            "topics": ["roads"],
            "division": "north",
            "agree": "on",
            "born": "2000-01-02",
            "visited_0": "1",
            "visited_1": "2",
            "visited_2": "2025",
            "password": "secret",
        }
    )
    assert not form.is_valid() and list(form.errors) == ["__all__"]
    page = render(form)
    summary_text = " ".join(e.text for e in page.with_class("govuk-error-summary__list"))
    assert WHOLE_FORM_ERROR in summary_text
    assert page.summary_hrefs() == ["#id_name"]


def test_unbound_form_shows_no_error_summary() -> None:
    page = render(EveryWidgetForm())
    assert not page.with_class("govuk-error-summary")
    assert not page.with_class("govuk-error-message")


def test_input_is_described_by_its_hint_and_its_error(invalid_form: EveryWidgetForm) -> None:
    page = render(invalid_form)
    name_input = page.by_id("id_name")
    assert described_by(name_input) == ["id_name-hint", "id_name-error"]
    assert page.by_id("id_name-hint").text.strip() == "As you would like us to write it"
    assert name_input.has_class("govuk-input") and name_input.has_class("govuk-input--error")
    assert name_input.attrs.get("aria-invalid") == "true"


def test_error_message_starts_with_visually_hidden_error_prefix(invalid_form: EveryWidgetForm) -> None:
    page = render(invalid_form)
    message = page.by_id("id_name-error")
    assert message.has_class("govuk-error-message")
    hidden = [e for e in page.with_class("govuk-visually-hidden") if e.text.strip() == "Error:"]
    assert len(hidden) == len([e for e in page.elements if e.has_class("govuk-error-message")])
    assert message.text.split() == ["Error:", "This", "field", "is", "required."]


def test_radios_are_a_fieldset_described_by_hint_and_error(invalid_form: EveryWidgetForm) -> None:
    page = render(invalid_form)
    fieldsets = [e for e in page.elements if e.tag == "fieldset" and "id_colour-error" in described_by(e)]
    assert len(fieldsets) == 1
    assert described_by(fieldsets[0]) == ["id_colour-hint", "id_colour-error"]
    radios = [e for e in page.elements if e.has_class("govuk-radios__input")]
    assert [r.attrs["id"] for r in radios] == ["id_colour_0", "id_colour_1", "id_colour_2"]
    labels = [e for e in page.elements if e.tag == "label" and e.has_class("govuk-radios__label")]
    assert [label.attrs["for"] for label in labels] == ["id_colour_0", "id_colour_1", "id_colour_2"]


def test_checkboxes_keep_the_choices_already_ticked() -> None:
    form = EveryWidgetForm(data={"topics": ["drugs"]})
    form.is_valid()
    boxes = {e.attrs["id"]: e for e in render(form).elements if e.has_class("govuk-checkboxes__input")}
    assert "checked" in boxes["id_topics_1"].attrs and "checked" not in boxes["id_topics_0"].attrs


def test_textarea_with_max_length_and_no_help_text_gets_a_character_count(invalid_form: EveryWidgetForm) -> None:
    page = render(invalid_form)
    textarea = page.by_id("id_story")
    group = next(e for e in page.elements if e.attrs.get("data-module") == "govuk-character-count")
    assert group.attrs["data-maxlength"] == "200" and group.has_class("govuk-character-count")
    # The messages the JavaScript writes come from the template, so they are translated with the page.
    assert group.attrs["data-i18n.characters-over-limit.other"] == "You have %{count} characters too many"
    assert textarea.has_class("govuk-js-character-count") and textarea.has_class("govuk-textarea--error")
    # No maxlength: the browser would silently cut text off instead of letting the count explain the limit.
    assert "maxlength" not in textarea.attrs
    assert described_by(textarea) == ["id_story-info", "id_story-error"]
    assert " ".join(page.by_id("id_story-info").text.split()) == "You can enter up to 200 characters"


def test_text_input_with_max_length_is_not_a_character_count() -> None:
    class ShortForm(forms.Form):
        title = forms.CharField(max_length=50)

    page = render(ShortForm())
    assert not [e for e in page.elements if e.attrs.get("data-module") == "govuk-character-count"]
    assert page.by_id("id_title").attrs.get("maxlength") == "50"


def test_each_widget_gets_its_govuk_class() -> None:
    page = render(EveryWidgetForm())
    expected = {
        "id_email": "govuk-input",
        "id_age": "govuk-input",
        "id_division": "govuk-select",
        "id_agree": "govuk-checkboxes__input",
        "id_born": "govuk-input--width-10",
        "id_upload": "govuk-file-upload",
        "id_password": "govuk-password-input__input",
        "id_visited_0": "govuk-date-input__input",
    }
    wrong = {i: page.by_id(i).attrs.get("class") for i, cls in expected.items() if not page.by_id(i).has_class(cls)}
    assert not wrong
    assert page.by_id("id_token").attrs["type"] == "hidden"


def test_optional_fields_say_so_in_their_label() -> None:
    page = render(EveryWidgetForm())
    labels = {e.attrs.get("for"): " ".join(e.text.split()) for e in page.elements if e.tag == "label"}
    assert labels["id_email"] == "Email address (optional)"
    assert labels["id_name"] == "Full name"


def test_password_input_has_a_show_button_controlling_it() -> None:
    page = render(EveryWidgetForm())
    toggle = next(e for e in page.elements if e.has_class("govuk-password-input__toggle"))
    assert toggle.attrs["aria-controls"] == "id_password" and toggle.attrs.get("type") == "button"
    assert page.by_id("id_password").attrs.get("spellcheck") == "false"


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [("7", "3", "2025", datetime.date(2025, 3, 7)), (" 07 ", "03", "2025", datetime.date(2025, 3, 7))],
)
def test_date_widget_combines_day_month_and_year(day: str, month: str, year: str, expected: datetime.date) -> None:
    class VisitForm(forms.Form):
        visited = forms.DateField(widget=GovukDateWidget)

    form = VisitForm(data={"visited_0": day, "visited_1": month, "visited_2": year})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["visited"] == expected


def test_date_widget_rejects_impossible_dates_and_keeps_what_was_typed(invalid_form: EveryWidgetForm) -> None:
    assert "visited" in invalid_form.errors  # 31 February
    page = render(invalid_form)
    assert [page.by_id(f"id_visited_{i}").attrs["value"] for i in range(3)] == ["31", "2", "2025"]
    fieldset = next(e for e in page.elements if e.tag == "fieldset" and "id_visited-error" in described_by(e))
    assert fieldset.attrs.get("role") == "group"


def test_formset_errors_link_into_its_forms() -> None:
    class NameForm(forms.Form):
        name = forms.CharField()

    name_formset = forms.formset_factory(NameForm, min_num=2, validate_min=True)
    formset = name_formset(data={"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "0", "form-0-name": "Ann"})
    assert not formset.is_valid()
    page = Page(
        Template('{% include "ui/components/error_summary.html" with forms=forms %}{{ formset }}').render(
            Context({"forms": [formset], "formset": formset})
        )
    )
    # The formset's own error (too few forms) points at its first form; the empty second form's error at itself.
    assert page.summary_hrefs() == ["#id_form-0-name", "#id_form-1-name"]
    assert {"id_form-0-name", "id_form-1-name"} <= page.ids()
    summary_text = " ".join(e.text for e in page.with_class("govuk-error-summary__list"))
    assert "at least 2" in summary_text
