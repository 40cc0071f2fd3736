"""Staff and public forms for neighbourhood pages."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from byconsent.core.models import Area
from byconsent.core.policy import Action as Do
from byconsent.core.policy import areas_where
from byconsent.neighbourhoods.models import Priority
from byconsent.ui.forms import GovukDateWidget

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or the whole form)."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class FindForm(forms.Form):
    q = forms.CharField(label=_("Postcode or place name"), max_length=100,
                        help_text=_("For example EH1 1YZ, or the name of your town or ward"),
                        error_messages={"required": _("Enter a postcode or the name of a place")})


def _areas(user: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Neighbourhood"), queryset=areas_where(user, Do.MANAGE_ENGAGEMENT).filter(
            level__gte=Area.Level.LOCAL_AREA).order_by("path"),
        error_messages={"required": _("Choose the neighbourhood"), "invalid_choice": _("Choose one of your areas")})


class TeamMemberForm(forms.Form):
    area = forms.ModelChoiceField(queryset=Area.objects.none())
    name = forms.CharField(label=_("Name"), max_length=200, error_messages={"required": _("Enter their name")})
    role_title = forms.CharField(label=_("Role"), max_length=200, help_text=_("For example 'Police Constable'"),
                                 error_messages={"required": _("Enter their role")})
    contact_email = forms.EmailField(label=_("Email for the public"), required=False,
                                     help_text=_("Use a team mailbox where possible"),
                                     error_messages={"invalid": _("Enter an email address like name@example.org")})
    contact_phone = forms.CharField(label=_("Phone for the public"), max_length=40, required=False)
    order = forms.IntegerField(label=_("Order on the page"), min_value=0, max_value=999, initial=0, required=False,
                               error_messages={"invalid": _("Enter a whole number")})
    left_on = forms.DateField(label=_("Left the team on"), widget=GovukDateWidget(), required=False,
                              help_text=_("Leave empty while they are on the team"),
                              error_messages={"invalid": _("Enter a real date")})
    photo_consent = forms.BooleanField(
        label=_("They have agreed, in writing, to their photo being published on this page"), required=False)
    photo = forms.FileField(label=_("Photo (JPEG, PNG or WebP, under 2 MB)"), required=False,
                            help_text=_("Only published with their agreement. Unticking the box deletes the photo."))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"] = _areas(user)
        self.order_fields(["area", "name", "role_title", "contact_email", "contact_phone", "order", "left_on",
                           "photo_consent", "photo"])


class PriorityForm(forms.Form):
    area = forms.ModelChoiceField(queryset=Area.objects.none())
    issue = forms.CharField(label=_("The issue"), widget=forms.Textarea(attrs={"rows": 3}),
                            error_messages={"required": _("Describe the issue")})
    issue_date = forms.DateField(label=_("Date it was raised"), widget=GovukDateWidget(),
                                 error_messages={"required": _("Enter the date it was raised"),
                                                 "invalid": _("Enter a real date")})
    set_with = forms.CharField(label=_("Agreed at"), max_length=200, required=False,
                               help_text=_("For example 'Northtown community meeting, March 2026'"))
    action = forms.CharField(label=_("What we are doing"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    action_date = forms.DateField(label=_("Date of the action"), widget=GovukDateWidget(), required=False,
                                  error_messages={"invalid": _("Enter a real date")})
    status = forms.ChoiceField(label=_("Status"), choices=Priority.Status.choices, widget=forms.RadioSelect,
                               initial=Priority.Status.CURRENT)
    ledger_action: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Action in 'You said, we did' that follows it through"), queryset=None,  # type: ignore[arg-type]
        required=False, empty_label=_("None"))

    def __init__(self, *args: Any, user: Any, actions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"] = _areas(user)
        self.fields["ledger_action"].queryset = actions  # type: ignore[attr-defined]
        self.order_fields(["area", "issue", "issue_date", "set_with", "action", "action_date", "status",
                           "ledger_action"])


class MeetingForm(forms.Form):
    area = forms.ModelChoiceField(queryset=Area.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200, error_messages={"required": _("Enter a title")})
    day = forms.DateField(label=_("Date"), widget=GovukDateWidget(),
                          error_messages={"required": _("Enter the date"), "invalid": _("Enter a real date")})
    start_time = forms.TimeField(label=_("Starts at"), help_text=_("24-hour clock, for example 18:30"),
                                 error_messages={"required": _("Enter the start time"),
                                                 "invalid": _("Enter a time like 18:30")})
    end_time = forms.TimeField(label=_("Ends at"), required=False,
                               error_messages={"invalid": _("Enter a time like 20:00")})
    location = forms.CharField(label=_("Where"), max_length=300, required=False)
    online_url = forms.URLField(label=_("Online link"), required=False, assume_scheme="https",
                                error_messages={"invalid": _("Enter a web address starting https://")})
    description = forms.CharField(label=_("About the meeting"), widget=forms.Textarea(attrs={"rows": 3}),
                                  required=False)
    access_notes = forms.CharField(label=_("Access"), max_length=300, required=False,
                                   help_text=_("For example step-free access, hearing loop, BSL interpreter"))
    cancelled = forms.BooleanField(label=_("Cancelled"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"] = _areas(user)
        self.order_fields(["area", "title", "day", "start_time", "end_time", "location", "online_url",
                           "description", "access_notes", "cancelled"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("day") and data.get("start_time"):
            zone = timezone.get_current_timezone()
            data["starts_at"] = datetime.datetime.combine(data["day"], data["start_time"], tzinfo=zone)
            data["ends_at"] = (datetime.datetime.combine(data["day"], data["end_time"], tzinfo=zone)
                               if data.get("end_time") else None)
            if data["ends_at"] and data["ends_at"] <= data["starts_at"]:
                self.add_error("end_time", _("The meeting must end after it starts"))
        if not data.get("location") and not data.get("online_url"):
            self.add_error("location", _("Say where the meeting is, or give its online link"))
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"area": data["area"], "title": data["title"], "starts_at": data["starts_at"],
                "ends_at": data["ends_at"], "location": data["location"], "online_url": data["online_url"],
                "description": data["description"], "access_notes": data["access_notes"],
                "cancelled": data["cancelled"]}


def _read_upload(upload: Any) -> str:
    if upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(_("The file must be smaller than 20 MB"))
    raw = upload.read()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return str(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise forms.ValidationError(_("The file must be text (CSV or JSON)"))


class PrioritiesImportForm(forms.Form):
    file = forms.FileField(label=_("Priorities file"),
                           help_text=_("police.uk priorities JSON, or a CSV with the columns issue, issue-date, "
                                       "action, action-date"),
                           error_messages={"required": _("Choose a file")})

    def clean_file(self) -> str:
        return _read_upload(self.cleaned_data["file"])
