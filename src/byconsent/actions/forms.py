"""Staff forms for the ledger. Every message says what to do, not what went wrong."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from byconsent.actions.models import Action, Concern, Decision
from byconsent.core.models import Area, Channel, User
from byconsent.core.policy import Action as Do
from byconsent.core.policy import areas_where, roles_allowing, scope
from byconsent.ui.forms import GovukDateWidget

# Records a decision may cite as evidence through a generic link: other apps' results live in these apps.
EVIDENCE_APPS = ("consultations", "surveys", "insights", "panels", "actions", "neighbourhoods")


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or the whole form)."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def _area_field(user: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Area"), queryset=areas_where(user, Do.MANAGE_ACTIONS).order_by("path"),
        error_messages={"required": _("Choose the area"), "invalid_choice": _("Choose one of your areas")})


def owner_choices(user: Any) -> QuerySet[User]:
    areas = list(areas_where(user, Do.MANAGE_ACTIONS).values_list("pk", "path"))
    ancestor_ids = {int(part) for _pk, path in areas for part in path.strip("/").split("/") if part}
    ids = {pk for pk, _path in areas} | ancestor_ids
    return (User.objects.filter(role_assignments__role__in=roles_allowing(Do.MANAGE_ACTIONS),
                                role_assignments__area__in=ids, is_active=True)
            .distinct().order_by("full_name", "email"))


class ConcernForm(forms.Form):
    area = forms.ModelChoiceField(queryset=Area.objects.none())
    summary = forms.CharField(label=_("What people raised"), max_length=300,
                              help_text=_("One sentence in plain words, as it will appear on public pages"),
                              error_messages={"required": _("Write what people raised")})
    detail = forms.CharField(label=_("More detail"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    is_public = forms.BooleanField(label=_("Show this concern on public 'You said, we did' pages"), required=False,
                                   initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"] = _area_field(user)
        self.order_fields(["area", "summary", "detail", "is_public"])


class ContributionSearchForm(forms.Form):
    q = forms.CharField(label=_("Words in what people said"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("Any channel")), *Channel.choices])
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False,
                                  empty_label=_("All your areas"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_where(user, Do.VIEW_CONTRIBUTIONS).order_by("path")  # type: ignore[attr-defined]


def _record_types() -> QuerySet[ContentType]:
    return ContentType.objects.filter(app_label__in=EVIDENCE_APPS).order_by("app_label", "model")


class EvidenceForm(forms.Form):
    title = forms.CharField(label=_("Evidence"), max_length=300, required=False,
                            help_text=_("For example 'Consultation on town-centre patrols: results'"))
    record_type = forms.ModelChoiceField(label=_("Kind of record in ByConsent"), queryset=ContentType.objects.none(),
                                         required=False, empty_label=_("Not a ByConsent record"))
    record_id = forms.CharField(label=_("Record number"), max_length=64, required=False)
    url = forms.URLField(label=_("Or its web address"), required=False, assume_scheme="https",
                         error_messages={"invalid": _("Enter a web address starting https://")})
    note = forms.CharField(label=_("What it showed"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evidence_required = required
        self.fields["record_type"].queryset = _record_types()  # type: ignore[attr-defined]
        self.fields["record_type"].label_from_instance = lambda ct: f"{ct.app_label}: {ct.name}"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        title, kind, record_id, url = (data.get("title"), data.get("record_type"), data.get("record_id"),
                                       data.get("url"))
        if not (title or kind or record_id or url):
            if self.evidence_required:
                self.add_error("title", _("Name the evidence"))
            return data
        if not title:
            self.add_error("title", _("Name the evidence"))
        if kind and not record_id:
            self.add_error("record_id", _("Enter the record number"))
        if record_id and not kind:
            self.add_error("record_type", _("Choose the kind of record"))
        if kind and record_id:
            model = kind.model_class()
            if model is None or not model._default_manager.filter(pk=record_id).exists():
                self.add_error("record_id", _("There is no such record: check the number"))
        if not (kind and record_id) and not url:
            self.add_error("url", _("Give the record or its web address"))
        if kind and record_id and url:
            self.add_error("url", _("Give either a record or a web address, not both"))
        return data

    @property
    def has_evidence(self) -> bool:
        return bool(self.cleaned_data.get("title"))


class DecisionForm(forms.Form):
    area = forms.ModelChoiceField(queryset=Area.objects.none())
    forum = forms.CharField(label=_("Who decided"), max_length=200,
                            help_text=_("The meeting or person, for example 'North division commander's meeting'"),
                            error_messages={"required": _("Say who made the decision")})
    decided_on = forms.DateField(label=_("Date of the decision"), widget=GovukDateWidget(),
                                 help_text=_("For example, 27 3 2026"),
                                 error_messages={"required": _("Enter the date of the decision"),
                                                 "invalid": _("Enter a real date")})
    outcome = forms.ChoiceField(label=_("What was decided"), choices=Decision.Outcome.choices,
                                widget=forms.RadioSelect, error_messages={"required": _("Choose what was decided")})
    summary = forms.CharField(label=_("The decision in plain words"), widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": _("Describe the decision")})
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                              help_text=_("Required when the decision does not do everything people asked"))
    concerns = forms.ModelMultipleChoiceField(label=_("Concerns this decision answers"),
                                              queryset=Concern.objects.none(), required=False,
                                              widget=forms.CheckboxSelectMultiple)
    is_public = forms.BooleanField(label=_("Publish this decision and tell the people who asked to hear back"),
                                   required=False, initial=True,
                                   help_text=_("Untick only for operational reasons"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"] = _area_field(user)
        self.fields["concerns"].queryset = scope(user, Do.MANAGE_ACTIONS, Concern.objects.all())  # type: ignore[attr-defined]
        self.order_fields(["area", "forum", "decided_on", "outcome", "summary", "reasons", "concerns", "is_public"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") in (Decision.Outcome.PARTLY, Decision.Outcome.NOT_ADOPTED) and not (
                data.get("reasons") or "").strip():
            self.add_error("reasons", _("Give the reasons: the decision does not do everything people asked for, "
                                        "so they need to know why"))
        return data


class ActionForm(forms.Form):
    area = forms.ModelChoiceField(queryset=Area.objects.none())
    title = forms.CharField(label=_("What we will do"), max_length=300,
                            error_messages={"required": _("Say what will be done")})
    description = forms.CharField(label=_("More detail"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(),
                                   help_text=_("The officer responsible; they are reminded when it is overdue"),
                                   error_messages={"required": _("Choose the owner")})
    due_on = forms.DateField(label=_("Due date"), widget=GovukDateWidget(), help_text=_("For example, 30 6 2026"),
                             error_messages={"required": _("Enter the due date"), "invalid": _("Enter a real date")})
    decision = forms.ModelChoiceField(label=_("Decision it carries out"), queryset=Decision.objects.none(),
                                      required=False, empty_label=_("None"))
    concerns = forms.ModelMultipleChoiceField(label=_("Concerns it answers"), queryset=Concern.objects.none(),
                                              required=False, widget=forms.CheckboxSelectMultiple,
                                              help_text=_("Left empty, the decision's concerns are used"))
    is_public = forms.BooleanField(label=_("Publish this action and tell the people who asked to hear back"),
                                   required=False, initial=True,
                                   help_text=_("Untick only for operational reasons"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"] = _area_field(user)
        self.fields["owner"].queryset = owner_choices(user)  # type: ignore[attr-defined]
        self.fields["decision"].queryset = scope(user, Do.MANAGE_ACTIONS, Decision.objects.all())  # type: ignore[attr-defined]
        self.fields["concerns"].queryset = scope(user, Do.MANAGE_ACTIONS, Concern.objects.all())  # type: ignore[attr-defined]
        self.order_fields(["area", "title", "description", "owner", "due_on", "decision", "concerns", "is_public"])


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Action.Status.choices, widget=forms.RadioSelect,
                               error_messages={"required": _("Choose the status")})
    progress = forms.IntegerField(label=_("Progress (per cent)"), min_value=0, max_value=100, required=False,
                                  error_messages={"min_value": _("Progress must be between 0 and 100"),
                                                  "max_value": _("Progress must be between 0 and 100"),
                                                  "invalid": _("Enter progress as a whole number from 0 to 100")})
    public_text = forms.CharField(label=_("Public update"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  help_text=_("Shown on the public page and sent to people who asked to hear back. "
                                              "Required when the action is not possible."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == Action.Status.NOT_POSSIBLE and not (data.get("public_text") or "").strip():
            self.add_error("public_text", _("Explain publicly why this cannot be done"))
        return data


class UpdateForm(forms.Form):
    text = forms.CharField(label=_("Progress note for the public"), widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Write the update")})
    progress = forms.IntegerField(label=_("Progress (per cent)"), min_value=0, max_value=100, required=False,
                                  error_messages={"min_value": _("Progress must be between 0 and 100"),
                                                  "max_value": _("Progress must be between 0 and 100"),
                                                  "invalid": _("Enter progress as a whole number from 0 to 100")})


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=300, error_messages={"required": _("Name the milestone")})
    due_on = forms.DateField(label=_("Due date"), widget=GovukDateWidget(),
                             error_messages={"required": _("Enter the due date"), "invalid": _("Enter a real date")})


class ActionFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *Action.Status.choices])
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)
    mine = forms.BooleanField(label=_("Only mine"), required=False)


class MeasuresForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False,
                                  empty_label=_("Your widest area"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_where(user, Do.MANAGE_ACTIONS).filter(  # type: ignore[attr-defined]
            level__lte=Area.Level.LOCAL_AREA).order_by("path")


def contribution_ids(data: Any) -> list[int]:
    ids = []
    for value in data.getlist("contribution"):
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    return ids

