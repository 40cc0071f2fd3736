from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from byconsent.core.models import Area, Role, User
from byconsent.core.postcodes import normalise_postcode
from byconsent.people import characteristics
from byconsent.people.importing import fields_for
from byconsent.people.models import (
    ConsentSource,
    ContactChannel,
    ContactKind,
    ImportJob,
    Interest,
    LawfulBasis,
    Organisation,
    Person,
    Purpose,
)
from byconsent.people.services import MERGEABLE_FIELDS


def _areas_field(label: Any, areas: Any, required: bool = True) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=label, queryset=areas, required=required)


class PostcodeCleaning:
    cleaned_data: dict[str, Any]

    def clean_postcode(self) -> str:
        value = (self.cleaned_data.get("postcode") or "").strip()
        if not value:
            return ""
        normalised = normalise_postcode(value)
        if normalised is None:
            raise forms.ValidationError(_("Enter a real postcode, like EH1 1YZ"))
        return normalised


class PersonFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, email or postcode"), required=False, max_length=200)
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False)
    interest = forms.ModelChoiceField(label=_("Interest"), queryset=Interest.objects.all(), required=False)
    organisation_kind = forms.ChoiceField(label=_("Member of a"), required=False,
                                          choices=[("", _("Any kind of organisation")), *Organisation.Kind.choices])

    def __init__(self, *args: Any, areas: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]


def _staff_in(areas: Any) -> Any:
    """Staff who could own a relationship in these areas: anyone holding a staff role in one of them, or above
    one of them (a force-wide administrator). Staff elsewhere in the force are not listed."""
    areas = list(areas) if areas is not None else []
    ids = {a.pk for a in areas} | {int(part) for a in areas for part in a.path.strip("/").split("/") if part}
    return User.objects.filter(role_assignments__role__in=Role.staff_roles(), role_assignments__area__in=ids,
                               is_active=True).distinct().order_by("full_name", "email")


class PersonForm(PostcodeCleaning, forms.ModelForm):  # type: ignore[type-arg]
    interests = forms.ModelMultipleChoiceField(label=_("Interests"), queryset=Interest.objects.all(), required=False,
                                               widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Person
        fields = ["full_name", "email", "phone", "address", "postcode", "preferred_language", "preferred_channel",
                  "accessibility_needs", "area", "relationship_owner", "interests", "do_not_contact"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "accessibility_needs": forms.Textarea(
            attrs={"rows": 2}), "preferred_channel": forms.RadioSelect}

    def __init__(self, *args: Any, areas: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["area"].help_text = _("Who can see this person depends on it")
        self.fields["relationship_owner"].queryset = _staff_in(areas)  # type: ignore[attr-defined]
        self.fields["relationship_owner"].help_text = _("The member of staff who looks after this relationship")


class SelfServiceDetailsForm(PostcodeCleaning, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Person
        fields = ["full_name", "email", "phone", "address", "postcode", "preferred_language", "preferred_channel",
                  "accessibility_needs"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "accessibility_needs": forms.Textarea(
            attrs={"rows": 2}), "preferred_channel": forms.RadioSelect}
        labels = {"full_name": _("Your name"), "email": _("Your email address"),
                  "preferred_channel": _("How would you like us to contact you?"),
                  "accessibility_needs": _("Anything we should do so you can take part")}
        help_texts = {"email": _("We send your sign-in links here")}


class ConsentForm(forms.Form):
    purpose = forms.ModelChoiceField(label=_("Purpose"), queryset=Purpose.objects.filter(is_service=False),
                                     widget=forms.RadioSelect)
    lawful_basis = forms.ChoiceField(label=_("Lawful basis"), choices=LawfulBasis.choices, widget=forms.RadioSelect,
                                     initial=LawfulBasis.CONSENT)
    channels = forms.MultipleChoiceField(label=_("Channels agreed"), choices=ContactChannel.choices, required=False,
                                         widget=forms.CheckboxSelectMultiple,
                                         help_text=_("Leave all unticked if any channel was agreed"))
    source = forms.ChoiceField(label=_("How it was given"), choices=ConsentSource.choices)
    wording = forms.CharField(label=_("Wording shown to the person"), required=False, widget=forms.Textarea(
        attrs={"rows": 3}), help_text=_("Required for consent: the exact words they agreed to"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("lawful_basis") == LawfulBasis.CONSENT and not (data.get("wording") or "").strip():
            self.add_error("wording", _("Enter the words the person agreed to: consent is not valid without them"))
        return data


class DemographicsForm(forms.Form):
    """One field per characteristic; every question may be left unanswered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in characteristics.CHARACTERISTICS:
            if item.options:
                self.fields[item.key] = forms.ChoiceField(label=str(item.label), required=False,
                                                          widget=forms.RadioSelect, choices=list(item.options))
            else:
                self.fields[item.key] = forms.CharField(label=str(item.label), required=False, max_length=1000,
                                                        widget=forms.Textarea(attrs={"rows": 2}))


class ContactNoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=[
        (ContactKind.CONVERSATION, ContactKind.CONVERSATION.label),
        (ContactKind.ATTENDANCE, ContactKind.ATTENDANCE.label),
        (ContactKind.RESPONSE, ContactKind.RESPONSE.label), (ContactKind.NOTE, ContactKind.NOTE.label)])
    channel = forms.ChoiceField(label=_("How"), choices=[*ContactChannel.choices, ("in_person", _("In person")),
                                                         ("online", _("Online meeting"))])
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                           help_text=_("Facts only: the person can read this"))


class MembershipForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    role = forms.CharField(label=_("Role"), required=False, max_length=100)
    is_main_contact = forms.BooleanField(label=_("Main contact for the organisation"), required=False)

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]


class OrganisationForm(PostcodeCleaning, forms.ModelForm):  # type: ignore[type-arg]
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    interests = forms.ModelMultipleChoiceField(label=_("Interests"), queryset=Interest.objects.all(), required=False,
                                               widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Organisation
        fields = ["name", "kind", "area", "email", "phone", "address", "postcode", "website", "relationship_owner",
                  "interests", "notes"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, areas: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["relationship_owner"].queryset = _staff_in(areas)  # type: ignore[attr-defined]


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(label=_("Name contains"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Any")), *Organisation.Kind.choices])


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none())
    purpose = forms.ModelChoiceField(label=_("Purpose of contact"), queryset=Purpose.objects.filter(is_service=False),
                                     help_text=_("Only people with a valid basis for this purpose are contacted"))
    is_panel = forms.BooleanField(label=_("This is a standing panel with its own members"), required=False)
    seldom_heard = forms.BooleanField(label=_("This is a seldom-heard group"), required=False)
    areas = forms.ModelMultipleChoiceField(label=_("Only these areas"), queryset=Area.objects.none(), required=False,
                                           help_text=_("Leave empty for the whole area above"))
    interests = forms.ModelMultipleChoiceField(label=_("Interested in any of"), queryset=Interest.objects.all(),
                                               required=False, widget=forms.CheckboxSelectMultiple)
    organisation_kinds = forms.MultipleChoiceField(label=_("Member of any of these kinds of organisation"),
                                                   choices=Organisation.Kind.choices, required=False,
                                                   widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, areas: Any = None, with_characteristics: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["areas"].queryset = areas  # type: ignore[attr-defined]
        if with_characteristics:
            for item in characteristics.TARGETABLE:
                self.fields[f"c_{item.key}"] = forms.MultipleChoiceField(
                    label=str(item.label), required=False, widget=forms.CheckboxSelectMultiple,
                    choices=[o for o in item.options if o[0] != "prefer_not"],
                    help_text=_("Equality data: only people who answered one of these are included"))

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        chosen = {item.key: data.get(f"c_{item.key}") or [] for item in characteristics.TARGETABLE
                  if data.get(f"c_{item.key}")}
        return {"areas": [a.pk for a in data.get("areas") or []], "interests": [i.pk for i in data.get("interests")
                                                                                 or []],
                "organisation_kinds": list(data.get("organisation_kinds") or []), "characteristics": chosen}


class SendForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of message"), widget=forms.RadioSelect, choices=[
        (ContactKind.INVITATION, ContactKind.INVITATION.label), (ContactKind.REMINDER, ContactKind.REMINDER.label),
        (ContactKind.NEWSLETTER, ContactKind.NEWSLETTER.label), (ContactKind.FEEDBACK, ContactKind.FEEDBACK.label)],
        initial=ContactKind.INVITATION, help_text=_("Invitations and reminders count towards the fatigue limit"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}), max_length=10000)


class ExportForm(forms.Form):
    channel = forms.ChoiceField(label=_("For contact by"), choices=ContactChannel.choices, widget=forms.RadioSelect,
                                initial=ContactChannel.POST)


class PanelMemberForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the person to add"))


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportJob.Kind.choices, widget=forms.RadioSelect)
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(),
                                  help_text=_("People are placed by their postcode inside this area; anyone whose "
                                              "postcode is not found is placed in the area itself"))
    file = forms.FileField(label=_("File (CSV or Excel .xlsx)"),
                           help_text=_("The first row must hold the column names. At most 20,000 rows."))

    def __init__(self, *args: Any, areas: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]


class MappingForm(forms.Form):
    """One choice per field we can import: which column of the file holds it."""

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        columns = [("", _("Not in the file"))] + [(str(i), h or f"Column {i + 1}") for i, h in enumerate(job.headers)]
        for target, (label, _names) in fields_for(job.kind).items():
            self.fields[target] = forms.ChoiceField(label=label, choices=columns, required=False,
                                                    initial=str(job.mapping.get(target, "")))
        if job.kind == ImportJob.Kind.PEOPLE:
            self.fields["purpose"] = forms.ModelChoiceField(
                label=_("Record a basis to contact them for"), required=False, initial=job.purpose_id,
                queryset=Purpose.objects.filter(is_service=False),
                help_text=_("Leave empty if the list gives no basis to contact these people"))
            self.fields["lawful_basis"] = forms.ChoiceField(label=_("Lawful basis"), choices=LawfulBasis.choices,
                                                            initial=job.lawful_basis or LawfulBasis.CONSENT)
            self.fields["consent_source"] = forms.ChoiceField(label=_("How it was given"),
                                                              choices=ConsentSource.choices,
                                                              initial=job.consent_source or ConsentSource.PAPER)
            self.fields["consent_wording"] = forms.CharField(
                label=_("Wording people agreed to"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                initial=job.consent_wording)

    def mapping(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.cleaned_data.items()
                if k not in {"purpose", "lawful_basis", "consent_source", "consent_wording"} and v not in ("", None)}


class MergeForm(forms.Form):
    def __init__(self, *args: Any, keep: Person, other: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in MERGEABLE_FIELDS:
            mine, theirs = getattr(keep, name), getattr(other, name)
            if mine == theirs:
                continue
            label = getattr(Person._meta.get_field(name), "verbose_name", name)
            self.fields[name] = forms.ChoiceField(
                label=label, widget=forms.RadioSelect, initial="keep" if mine else "other",
                choices=[("keep", str(mine or _("(blank)"))), ("other", str(theirs or _("(blank)")))])


class EraseDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("erase", _("Erase now: remove their identity everywhere, keep what they said without their name")),
        ("refuse", _("Refuse: a legal reason to keep the record (give it below)"))])
    reason = forms.CharField(label=_("Reason for refusing"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for refusing: the person must be told it"))
        return data


class PortalEmailForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), help_text=_("The address we have for you"))


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("I understand this cannot be undone"), required=True)
