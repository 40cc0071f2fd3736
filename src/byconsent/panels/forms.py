"""Forms of the panels app (GOV.UK markup through the project's form renderer)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from byconsent.core.models import Area, User
from byconsent.panels.models import Panel, Payment, Volunteer
from byconsent.ui.forms import GovukDateWidget

ALGORITHM_CHOICES = [
    ("leximin", _("Leximin: the fairest spread of chances (recommended)")),
    ("maximin", _("Maximin: raise the lowest chance only")),
    ("nash", _("Nash welfare")),
    ("legacy", _("Legacy greedy method (for comparison only)")),
]
MAX_UPLOAD = 20 * 1024 * 1024


def read_upload(upload: Any) -> str:
    if upload.size > MAX_UPLOAD:
        raise forms.ValidationError(_("The file must be smaller than 20 MB"))
    try:
        return str(upload.read().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise forms.ValidationError(_("The file must be saved as UTF-8 CSV")) from error


class PanelForm(forms.Form):
    name = forms.CharField(label=_("Name of the panel"), max_length=200,
                           error_messages={"required": _("Enter the name of the panel")})
    kind = forms.ChoiceField(label=_("Type of panel"), choices=Panel.Kind.choices, widget=forms.RadioSelect,
                             error_messages={"required": _("Choose the type of panel")})
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(),
                                  error_messages={"required": _("Choose the area the panel serves")})
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Shown on the public page: what the panel is asked to do"),
                              error_messages={"required": _("Enter the purpose of the panel")})
    panel_size = forms.IntegerField(label=_("Number of members"), min_value=1, max_value=500,
                                    error_messages={"required": _("Enter the number of members")})
    reserve_size = forms.IntegerField(label=_("Number of reserves"), min_value=0, max_value=500, initial=6)
    quota_tolerance = forms.IntegerField(
        label=_("Quota tolerance"), min_value=0, max_value=50, initial=1,
        help_text=_("How many people either side of the census figure each quota allows"))
    algorithm = forms.ChoiceField(label=_("Selection method"), choices=ALGORITHM_CHOICES, initial="leximin")
    safeguarding_lead = forms.EmailField(
        label=_("Designated safeguarding lead (email address)"), required=False,
        help_text=_("Required for a youth co-design group: a staff member with a role over the panel's area"))

    def __init__(self, *args: Any, areas: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if areas is not None:
            self.fields["area"].queryset = areas  # type: ignore[attr-defined]

    def clean_safeguarding_lead(self) -> User | None:
        email = self.cleaned_data.get("safeguarding_lead")
        if not email:
            return None
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No one with that email address has an account"))
        return user


class PanelStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Panel.Status.choices, widget=forms.RadioSelect)
    force_response = forms.CharField(label=_("The force's response to the panel"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 5}),
                                     help_text=_("Shown on the public page"))


class CensusSharesForm(forms.Form):
    shares = forms.CharField(
        label=_("Census shares"), required=False, widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("CSV with the header category,value,share. Shares are fractions (0.51) or percentages (51%); "
                    "each category must add up to 1."))
    file = forms.FileField(label=_("Or upload a CSV file"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload:
            data["shares"] = read_upload(upload)
        if not data.get("shares"):
            raise forms.ValidationError(_("Enter the census shares or upload a file"))
        return data


class CensusBulkForm(forms.Form):
    file = forms.FileField(label=_("Census bulk file (CSV)"),
                           help_text=_("An ONS bulk download or a Scotland's Census table, one row per area"))
    areas = forms.CharField(label=_("Area codes"), help_text=_("Codes of the areas the panel covers, separated by "
                                                               "commas (for example S12000036)"))
    characteristic = forms.CharField(label=_("Characteristic"), required=False, max_length=100,
                                     help_text=_("Needed only when the file holds more than one"))


class QuotaForm(forms.Form):
    """One minimum and one maximum box per quota, shown as a table."""

    def __init__(self, *args: Any, quotas: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quotas = list(quotas)
        for quota in self.quotas:
            for bound, value in (("min", quota.minimum), ("max", quota.maximum)):
                label = f"{quota.category}: {quota.value} – " + (str(_("minimum")) if bound == "min" else
                                                                 str(_("maximum")))
                self.fields[f"q{quota.pk}_{bound}"] = forms.IntegerField(
                    label=label, min_value=0, initial=value,
                    widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
                    error_messages={"required": _("Enter a whole number for %(label)s") % {"label": label}})

    def rows(self) -> list[dict[str, Any]]:
        return [{"quota": q, "min": self[f"q{q.pk}_min"], "max": self[f"q{q.pk}_max"]} for q in self.quotas]

    def bounds(self) -> dict[int, tuple[int, int]]:
        return {q.pk: (self.cleaned_data[f"q{q.pk}_min"], self.cleaned_data[f"q{q.pk}_max"]) for q in self.quotas}


class RoundForm(forms.Form):
    file = forms.FileField(label=_("Address list (CSV)"),
                           help_text=_("Columns: address, postcode (optional), area. The whole file is refused if "
                                       "any line is wrong, and every wrong line is listed."))
    sample_size = forms.IntegerField(label=_("How many addresses to invite"), min_value=1, max_value=100_000,
                                     error_messages={"required": _("Enter how many addresses to invite")})
    oversample = forms.CharField(
        label=_("Oversampling"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One line per area to invite more often, as 'area = factor', for example 'Northtown = 2' "
                    "(areas where fewer people usually reply)"))
    seed = forms.CharField(label=_("Seed"), required=False, max_length=100,
                           help_text=_("Leave blank for a random seed. The same list and seed always draw the same "
                                       "addresses."))

    def clean_file(self) -> str:
        return read_upload(self.cleaned_data["file"])


class RegistrationForm(forms.Form):
    """Volunteering with the code from a letter; the quota questions come from the panel's quotas."""

    code = forms.CharField(label=_("Your code"), max_length=20, help_text=_("It is on your letter, like ABCD-EFGH"),
                           error_messages={"required": _("Enter the code from your letter")})
    full_name = forms.CharField(label=_("Full name"), max_length=200,
                                error_messages={"required": _("Enter your full name")})
    email = forms.EmailField(label=_("Email address"), required=False,
                             help_text=_("We use it only to tell you about this panel"))
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=40,
                            help_text=_("If you have no email address, we will call or write instead"))
    accessibility_needs = forms.CharField(
        label=_("Anything that would help you take part"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example step-free access, a hearing loop, large print or an interpreter"))
    consent = forms.BooleanField(
        label=_("I agree that my answers are used to choose a panel that reflects the area, as described above"),
        error_messages={"required": _("Tick the box to agree to how we use your answers")})

    def __init__(self, *args: Any, categories: dict[str, list[str]] | None = None, youth: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category_fields: dict[str, str] = {}
        consent = self.fields.pop("consent")
        for index, (category, values) in enumerate((categories or {}).items()):
            name = f"answer_{index}"
            self.category_fields[category] = name
            self.fields[name] = forms.ChoiceField(
                label=category[:1].upper() + category[1:], choices=[(v, v) for v in values], widget=forms.RadioSelect,
                error_messages={"required": _("Answer the question about %(category)s") % {"category": category}})
        if youth:
            self.fields["is_under_16"] = forms.ChoiceField(
                label=_("Are you under 16?"), choices=[("no", _("No")), ("yes", _("Yes"))], widget=forms.RadioSelect,
                error_messages={"required": _("Say whether you are under 16")})
            self.fields["guardian_name"] = forms.CharField(
                label=_("Name of your parent or guardian"), required=False, max_length=200,
                help_text=_("Only if you are under 16"))
            self.fields["guardian_email"] = forms.EmailField(label=_("Email address of your parent or guardian"),
                                                             required=False)
            self.fields["guardian_consent"] = forms.BooleanField(
                label=_("My parent or guardian agrees that I can take part"), required=False)
        self.fields["consent"] = consent

    def answers(self) -> dict[str, str]:
        return {category: self.cleaned_data[name] for category, name in self.category_fields.items()}

    def field_for(self, service_field: str | None) -> str | None:
        if service_field and service_field.startswith("answer_"):
            return self.category_fields.get(service_field.removeprefix("answer_"))
        return service_field if service_field in self.fields else None


class SelectionForm(forms.Form):
    algorithm = forms.ChoiceField(label=_("Selection method"), choices=ALGORITHM_CHOICES)
    seed = forms.CharField(
        label=_("Public seed"), required=False, max_length=100,
        help_text=_("For a transparent lottery, announce in advance where the seed will come from (for example the "
                    "next national lottery numbers) and enter it here. Leave blank for a random seed."))


class ReplaceForm(forms.Form):
    reason = forms.CharField(label=_("Why are they leaving?"), max_length=300,
                             error_messages={"required": _("Enter why the member is leaving")},
                             help_text=_("Kept in the panel's record; not published"))
    leave_empty = forms.BooleanField(label=_("If no reserve keeps every quota, record the drop-out and leave the "
                                             "seat empty"), required=False)


class AnswersForm(forms.Form):
    """Staff correcting a volunteer's quota answers, one radio question per quota category."""

    def __init__(self, *args: Any, categories: dict[str, list[str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category_fields: dict[str, str] = {}
        for index, (category, values) in enumerate((categories or {}).items()):
            name = f"answer_{index}"
            self.category_fields[category] = name
            self.fields[name] = forms.ChoiceField(
                label=category[:1].upper() + category[1:], choices=[(v, v) for v in values],
                widget=forms.RadioSelect,
                error_messages={"required": _("Answer the question about %(category)s") % {"category": category}})

    def answers(self) -> dict[str, str]:
        return {category: self.cleaned_data[name] for category, name in self.category_fields.items()}


class WithdrawForm(forms.Form):
    withdraw_reason = forms.CharField(label=_("Why are they withdrawing?"), max_length=300,
                                      error_messages={"required": _("Enter why they are withdrawing")})


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, error_messages={"required": _("Enter a title")})
    date = forms.DateField(label=_("Date"), widget=GovukDateWidget, help_text=_("For example, 27 3 2027"),
                           error_messages={"required": _("Enter the date"), "invalid": _("Enter a real date")})
    time = forms.TimeField(label=_("Start time"), help_text=_("For example, 18:30"),
                           error_messages={"required": _("Enter the start time"),
                                           "invalid": _("Enter a time like 18:30")})
    location = forms.CharField(label=_("Where"), max_length=300, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"]))


class AttendanceForm(forms.Form):
    attended = forms.MultipleChoiceField(label=_("Who attended?"), required=False,
                                         widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, members: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(str(m.pk), m.full_name) for m in members]  # type: ignore[attr-defined]


class PaymentForm(forms.Form):
    volunteer = forms.ChoiceField(label=_("Member"), error_messages={"required": _("Choose the member")})
    kind = forms.ChoiceField(label=_("Type of payment"), choices=Payment.Kind.choices, widget=forms.RadioSelect,
                             error_messages={"required": _("Choose the type of payment")})
    amount = forms.DecimalField(label=_("Amount in pounds"), min_value=0, max_digits=8, decimal_places=2,
                                error_messages={"required": _("Enter the amount")})
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    key = forms.CharField(widget=forms.HiddenInput, initial=lambda: secrets.token_hex(16))

    def __init__(self, *args: Any, members: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].choices = [("", "")] + [  # type: ignore[attr-defined]
            (str(m.pk), f"{m.full_name} ({m.reference})") for m in members]


class RecommendationForm(forms.Form):
    text = forms.CharField(label=_("Recommendation"), widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages={"required": _("Enter the recommendation")},
                           help_text=_("One recommendation, in the panel's words. It is added to contributions so "
                                       "analysts and action owners see it."))


class ResponseForm(forms.Form):
    response = forms.CharField(label=_("The force's response"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    publish = forms.BooleanField(label=_("Show this recommendation and the response on the public page"),
                                 required=False)


class AccessibilityForm(forms.Form):
    accessibility_needs = forms.CharField(label=_("Accessibility needs"), required=False, max_length=1000,
                                          widget=forms.Textarea(attrs={"rows": 3}))


def volunteer_choices(panel: Panel) -> Any:
    return panel.volunteers.filter(status__in=[Volunteer.Status.SELECTED]).order_by("full_name")
