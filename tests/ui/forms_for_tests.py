"""A form with one field of every widget the GOV.UK renderer handles, shared by renderer and browser tests."""

from __future__ import annotations

from typing import Any

from django import forms

from byconsent.ui.forms import GovukDateWidget

COLOURS = [("red", "Red"), ("green", "Green"), ("blue", "Blue")]
TOPICS = [("roads", "Road safety"), ("drugs", "Drugs"), ("asb", "Antisocial behaviour")]
DIVISIONS = [("", "Choose a division"), ("north", "North"), ("south", "South")]
WHOLE_FORM_ERROR = "Tell us at least one way to contact you"


class EveryWidgetForm(forms.Form):
    name = forms.CharField(label="Full name", help_text="As you would like us to write it")
    email = forms.EmailField(label="Email address", required=False)
    age = forms.IntegerField(label="Age")
    story = forms.CharField(label="What happened", widget=forms.Textarea, max_length=200)
    colour = forms.ChoiceField(
        label="Favourite colour", choices=COLOURS, widget=forms.RadioSelect, help_text="Choose one"
    )
    topics = forms.MultipleChoiceField(label="Topics", choices=TOPICS, widget=forms.CheckboxSelectMultiple)
    division = forms.ChoiceField(label="Division", choices=DIVISIONS)
    agree = forms.BooleanField(label="I agree to the terms", help_text="You must agree to continue")
    born = forms.DateField(label="Date of birth (single box)", widget=forms.DateInput)
    visited = forms.DateField(label="When did you visit?", widget=GovukDateWidget, help_text="For example, 27 3 2025")
    upload = forms.FileField(label="Upload a photo", required=False)
    password = forms.CharField(label="Password", widget=forms.PasswordInput)
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("email"):
            raise forms.ValidationError(WHOLE_FORM_ERROR)
        return cleaned
