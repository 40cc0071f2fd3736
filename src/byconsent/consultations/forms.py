"""Forms for the public hub, alerts and the staff screens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from byconsent.consultations.models import AUDIENCES, INTERESTS, Consultation, State
from byconsent.core.models import Area
from byconsent.core.postcodes import normalise_postcode
from byconsent.surveys.models import Questionnaire
from byconsent.ui.forms import GovukDateWidget

STATUS_CHOICES = [("open", _("Open")), ("upcoming", _("Upcoming")), ("closed", _("Closed")),
                  ("feedback", _("Feedback published"))]


def _postcode(value: str) -> str:
    if value and normalise_postcode(value) is None:
        raise forms.ValidationError(_("Enter a real postcode, like SW1A 1AA"))
    return value


class HubFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=12,
                               widget=forms.TextInput(attrs={"autocomplete": "postal-code",
                                                             "class": "govuk-input--width-10"}))
    area = forms.ModelChoiceField(label=_("Area"), required=False, queryset=Area.objects.none(),
                                  empty_label=_("Anywhere"))
    status = forms.MultipleChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES,
                                       widget=forms.CheckboxSelectMultiple)
    audience = forms.MultipleChoiceField(label=_("Who it is for"), required=False, choices=AUDIENCES,
                                         widget=forms.CheckboxSelectMultiple)
    interest = forms.MultipleChoiceField(label=_("Topic"), required=False, choices=INTERESTS,
                                         widget=forms.CheckboxSelectMultiple)
    open_from = forms.DateField(label=_("Open on or after"), required=False, widget=GovukDateWidget(),
                                error_messages={"invalid": _("Enter a real date, like 27 3 2026")})
    open_to = forms.DateField(label=_("Open on or before"), required=False, widget=GovukDateWidget(),
                              error_messages={"invalid": _("Enter a real date, like 27 3 2026")})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(  # type: ignore[attr-defined]
            level__lte=Area.Level.LOCAL_AREA)

    def clean_postcode(self) -> str:
        return _postcode(self.cleaned_data.get("postcode", ""))


class AlertForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), error_messages={
        "required": _("Enter your email address"), "invalid": _("Enter an email address like name@example.com")})
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=12,
                               help_text=_("Optional. Only consultations about your area (and force-wide ones). "
                                           "We keep the area, not the postcode."),
                               widget=forms.TextInput(attrs={"autocomplete": "postal-code",
                                                             "class": "govuk-input--width-10"}))
    interests = forms.MultipleChoiceField(label=_("Topics"), required=False, choices=INTERESTS,
                                          widget=forms.CheckboxSelectMultiple,
                                          help_text=_("Leave all unticked to hear about every topic"))

    def clean_postcode(self) -> str:
        return _postcode(self.cleaned_data.get("postcode", ""))


class ConsultationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, error_messages={"required": _("Enter a title")})
    slug = forms.SlugField(label=_("Web address name"), max_length=80,
                           help_text=_("Lower-case letters, numbers and hyphens"),
                           error_messages={"required": _("Enter a web address name"),
                                           "invalid": _("Use only lower-case letters, numbers and hyphens")})
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000,
                              error_messages={"required": _("Enter a summary")})
    why_asking = forms.CharField(label=_("Why we are asking"), widget=forms.Textarea(attrs={"rows": 4}),
                                 required=False)
    can_change = forms.CharField(label=_("What your views can change"), widget=forms.Textarea(attrs={"rows": 3}),
                                 required=False)
    cannot_change = forms.CharField(label=_("What cannot change, and why"),
                                    widget=forms.Textarea(attrs={"rows": 3}), required=False)
    area = forms.ModelChoiceField(label=_("Area that owns it"), queryset=Area.objects.none(),
                                  error_messages={"required": _("Select an area")})
    areas = forms.ModelMultipleChoiceField(label=_("Areas it is about"), queryset=Area.objects.none(),
                                           required=False, widget=forms.CheckboxSelectMultiple)
    audiences = forms.MultipleChoiceField(label=_("Who it is for"), choices=AUDIENCES, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    interests = forms.MultipleChoiceField(label=_("Topics"), choices=INTERESTS, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    owning_team = forms.CharField(label=_("Team"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=50, required=False)
    opens_on = forms.DateField(label=_("Opens"), required=False, widget=GovukDateWidget(),
                               error_messages={"invalid": _("Enter a real opening date")})
    closes_on = forms.DateField(label=_("Closes"), required=False, widget=GovukDateWidget(),
                                help_text=_("It closes at the end of this day"),
                                error_messages={"invalid": _("Enter a real closing date")})
    questionnaire = forms.ModelChoiceField(label=_("Questionnaire"), queryset=Questionnaire.objects.none(),
                                           required=False)
    related = forms.ModelMultipleChoiceField(label=_("Related consultations"), queryset=Consultation.objects.none(),
                                             required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, areas: Any = None, questionnaires: Any = None, others: Any = None,
                 editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if areas is not None:
            self.fields["area"].queryset = areas  # type: ignore[attr-defined]
            self.fields["areas"].queryset = areas  # type: ignore[attr-defined]
        if questionnaires is not None:
            self.fields["questionnaire"].queryset = questionnaires  # type: ignore[attr-defined]
        if others is not None:
            self.fields["related"].queryset = others  # type: ignore[attr-defined]
        if editing:
            del self.fields["slug"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("opens_on") and data.get("closes_on") and data["closes_on"] <= data["opens_on"]:
            self.add_error("closes_on", _("The closing date must be after the opening date"))
        return data


class GunningForm(forms.ModelForm):
    class Meta:
        model = Consultation
        fields = ["gunning_formative", "gunning_information", "gunning_time", "short_period_reason",
                  "gunning_consider"]
        widgets = {"short_period_reason": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"short_period_reason": _("Needed only when it is open for less than 6 weeks")}


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Consultation
        fields = ["we_asked", "you_said", "we_did"]
        widgets = {name: forms.Textarea(attrs={"rows": 5}) for name in fields}


class TransitionForm(forms.Form):
    to_state = forms.ChoiceField(choices=State.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Document title"), max_length=200,
                            error_messages={"required": _("Enter the document's title")})
    file = forms.FileField(label=_("File"), required=False, help_text=_("PDF, up to 20 MB"))
    url = forms.URLField(label=_("Or a link"), required=False, assume_scheme="https")

    def clean(self) -> dict[str, Any]:
        from byconsent.surveys.forms import sniff_file_type

        data = super().clean() or {}
        upload = data.get("file")
        if upload:
            if upload.size > 20 * 1024 * 1024:
                self.add_error("file", _("The file must be smaller than 20 MB"))
            elif sniff_file_type(upload.read(16)) not in ("pdf", "docx"):
                self.add_error("file", _("The file must be a PDF or Word document"))
            upload.seek(0)
        elif not data.get("url") and not self.errors:
            self.add_error("file", _("Upload a file or give a link"))
        return data
