from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from byconsent.core.models import Area, Channel, ModerationState, Role
from byconsent.core.postcodes import normalise_postcode


class PostcodeForm(forms.Form):
    postcode = forms.CharField(label=_("Postcode"), max_length=10,
                               help_text=_("For example, EH1 1YZ. We use it only to find your area."))

    def clean_postcode(self) -> str:
        value = normalise_postcode(self.cleaned_data["postcode"])
        if value is None:
            raise forms.ValidationError(_("Enter a real postcode, like EH1 1YZ"))
        return value


class AreaImportForm(forms.Form):
    file = forms.FileField(label=_("Area file (CSV)"),
                           help_text=_("Columns: level, code, name, parent_code, and optionally population, "
                                       "zone_codes, boundary. The whole file is refused if any line is wrong."))

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file must be smaller than 20 MB"))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(_("The file must be saved as UTF-8 CSV")) from error


class RoleAssignmentForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the person"))
    full_name = forms.CharField(label=_("Full name"), required=False, max_length=200,
                                help_text=_("Needed only if they do not have an account yet"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, widget=forms.RadioSelect)
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none())

    def __init__(self, *args: object, areas: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]


class ModerationForm(forms.Form):
    state = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        (ModerationState.APPROVED, _("Approve for publication")),
        (ModerationState.REJECTED, _("Do not publish")),
        (ModerationState.RESTRICTED, _("Hold back: possible crime report or risk")),
    ])
    reason = forms.CharField(label=_("Reason (recorded in the audit trail)"), required=False, max_length=500)


class ContributionFilterForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any"))] + list(Channel.choices),
                                required=False)
    state = forms.ChoiceField(label=_("Moderation"), choices=[("", _("Any"))] + list(ModerationState.choices),
                              required=False)

    def __init__(self, *args: object, areas: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action contains"), required=False, max_length=100)
    actor = forms.CharField(label=_("Who (name or email contains)"), required=False, max_length=200)
    object_type = forms.CharField(label=_("Record type"), required=False, max_length=100)
    object_id = forms.CharField(label=_("Record id"), required=False, max_length=64)
    since = forms.DateField(label=_("From date"), required=False, help_text=_("For example, 2026-11-01"))


class PersonLookupForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the person"))


class EraseConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("I understand this cannot be undone"), required=True)


class BroadcastForm(forms.Form):
    text = forms.CharField(label=_("Message"), max_length=280)
