from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from byconsent.core.models import Area, Channel
from byconsent.insights.models import Code, Codebook

MAX_UPLOAD = 20 * 1024 * 1024


def read_upload(upload: Any) -> str:
    if upload.size > MAX_UPLOAD:
        raise forms.ValidationError(_("The file must be smaller than 20 MB"))
    try:
        return str(upload.read().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise forms.ValidationError(_("The file must be saved as UTF-8 CSV")) from error


class AreaChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{'– ' * obj.level}{obj.name}"


def _area_field(**kwargs: Any) -> AreaChoiceField:
    return AreaChoiceField(queryset=Area.objects.none(), error_messages={
        "required": _("Choose an area"), "invalid_choice": _("Choose an area from the list")}, **kwargs)


class ScopedForm(forms.Form):
    """A form whose area (and codebook) choices are limited to what the user may analyse."""

    def __init__(self, *args: Any, areas: Any = None, codebooks: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "area" in self.fields and areas is not None:
            self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        if "codebook" in self.fields and codebooks is not None:
            self.fields["codebook"].queryset = codebooks  # type: ignore[attr-defined]


class ContributionSetForm(ScopedForm):
    name = forms.CharField(label=_("Name"), max_length=200,
                           error_messages={"required": _("Enter a name for the set")})
    area = _area_field(label=_("Area"), help_text=_("Contributions made in this area and every area beneath it"))
    source = forms.ChoiceField(label=_("Only contributions to"), required=False,
                               help_text=_("A consultation, survey or event; leave empty for everything"))
    date_from = forms.DateField(label=_("From date"), required=False, help_text=_("For example, 2026-09-01"),
                                error_messages={"invalid": _("Enter the start date as YYYY-MM-DD")})
    date_to = forms.DateField(label=_("To date"), required=False, help_text=_("For example, 2026-11-30"),
                              error_messages={"invalid": _("Enter the end date as YYYY-MM-DD")})
    channels = forms.MultipleChoiceField(label=_("Channels"), required=False, choices=Channel.choices,
                                         widget=forms.CheckboxSelectMultiple,
                                         help_text=_("Leave all unticked for every channel"))
    codebook = forms.ModelChoiceField(label=_("Codebook"), queryset=Codebook.objects.none(), required=False)

    def __init__(self, *args: Any, sources: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("Any source"))] + (sources or [])  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date must be on or after the start date"))
        return data


class SetCodebookForm(ScopedForm):
    codebook = forms.ModelChoiceField(label=_("Codebook used to code this set"), queryset=Codebook.objects.none(),
                                      error_messages={"required": _("Choose a codebook")})


class CodebookForm(ScopedForm):
    name = forms.CharField(label=_("Name"), max_length=200,
                           error_messages={"required": _("Enter a name for the codebook")})
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    area = _area_field(label=_("Area"), help_text=_("Who can use it: analysts of this area and above"))


class CodeForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=200, error_messages={"required": _("Enter a label")})
    description = forms.CharField(label=_("Description"), required=False,
                                  help_text=_("When to apply this code, and when not to"),
                                  widget=forms.Textarea(attrs={"rows": 3}))
    parent = forms.ModelChoiceField(label=_("Parent code"), queryset=Code.objects.none(), required=False,
                                    help_text=_("Leave empty for a top-level code"))

    def __init__(self, *args: Any, codebook: Codebook, exclude: Code | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = codebook.codes.filter(active=True)
        if exclude is not None:
            codes = codes.exclude(pk=exclude.pk)
        self.fields["parent"].queryset = codes  # type: ignore[attr-defined]


class CodingForm(forms.Form):
    """The coding screen: tick the codes that apply. Works as a plain form; the script only adds shortcuts."""

    codes = forms.MultipleChoiceField(label=_("Codes that apply"), required=False,
                                      widget=forms.CheckboxSelectMultiple,
                                      help_text=_("Tick none if no code applies. Keyboard: 1–9 tick or untick "
                                                  "a code, n saves and goes to the next."))
    note = forms.CharField(label=_("Note for other coders"), required=False, max_length=500)

    def __init__(self, *args: Any, codebook: Codebook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ordered = codebook.ordered_codes()
        self.fields["codes"].choices = [  # type: ignore[attr-defined]
            (str(code.pk), ("\u2003" * code.depth) + (f"[{n}] " if n <= 9 else "") + code.label)
            for n, code in enumerate(self.ordered, start=1)]

    def chosen_codes(self) -> list[Code]:
        wanted = set(self.cleaned_data["codes"])
        return [code for code in self.ordered if str(code.pk) in wanted]


class ThemeRunForm(forms.Form):
    n_themes = forms.IntegerField(label=_("Number of themes"), required=False, min_value=2, max_value=30,
                                  help_text=_("Leave empty to let the method choose between 3 and 15"),
                                  error_messages={"min_value": _("Choose at least 2 themes"),
                                                  "max_value": _("Choose at most 30 themes"),
                                                  "invalid": _("Enter a whole number of themes")})
    seed = forms.IntegerField(label=_("Seed"), initial=0, min_value=0,
                              help_text=_("The same contributions, seed and embedder give the same themes"),
                              error_messages={"required": _("Enter a seed (any whole number, 0 is fine)")})
    embedder = forms.ChoiceField(label=_("Text model"), widget=forms.RadioSelect, initial="fast", choices=[
        ("fast", _("Fast (word statistics; seconds for thousands of comments)")),
        ("minilm", _("MiniLM sentence model (better themes; about 2 minutes per 10,000 comments)")),
    ])


class RenameThemeForm(forms.Form):
    label = forms.CharField(label=_("Theme name"), max_length=200, error_messages={"required": _("Enter a name")})
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SignOffForm(ScopedForm):
    codebook = forms.ModelChoiceField(label=_("Codebook the themes become codes in"),
                                      queryset=Codebook.objects.none(), required=False)
    new_codebook = forms.CharField(label=_("Or a new codebook called"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("codebook") and not (data.get("new_codebook") or "").strip():
            self.add_error("codebook", _("Choose a codebook or name a new one"))
        return data


class ResponseUploadForm(ScopedForm):
    name = forms.CharField(label=_("Name"), max_length=200, error_messages={"required": _("Enter a name")})
    area = _area_field(label=_("Area the responses belong to"))
    file = forms.FileField(label=_("Responses (CSV)"),
                           help_text=_("One row per respondent. Columns: respondent_id; optionally area_code and "
                                       "weight; demographic columns; every other column is a closed question."),
                           error_messages={"required": _("Choose a CSV file")})
    demographics = forms.CharField(label=_("Demographic columns"), required=False, max_length=500,
                                   help_text=_("Separated by commas. Leave empty to find the usual ones (age_band, "
                                               "sex, gender, ethnicity, religion, faith, disability...)"))

    def clean_file(self) -> str:
        return read_upload(self.cleaned_data["file"])


class CrossTabForm(forms.Form):
    source = forms.ChoiceField(label=_("Responses"), error_messages={"required": _("Choose the responses")})
    question = forms.ChoiceField(label=_("Question"), required=False)
    by = forms.ChoiceField(label=_("Break down by"), required=False)
    weighting = forms.ChoiceField(label=_("Weights"), required=False)

    def __init__(self, *args: Any, sources: list[tuple[str, str]], questions: list[tuple[str, str]],
                 breakdowns: list[tuple[str, str]], weightings: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("Choose..."))] + sources  # type: ignore[attr-defined]
        self.fields["question"].choices = questions  # type: ignore[attr-defined]
        self.fields["by"].choices = breakdowns  # type: ignore[attr-defined]
        self.fields["weighting"].choices = [("", _("Unweighted"))] + weightings  # type: ignore[attr-defined]


class TargetsUploadForm(ScopedForm):
    name = forms.CharField(label=_("Name"), max_length=200, error_messages={"required": _("Enter a name")})
    area = _area_field(label=_("Area"))
    file = forms.FileField(label=_("Targets (CSV)"),
                           help_text=_("Columns: variable, category, proportion (shares or percentages; each "
                                       "variable must add up to 1 or 100)"),
                           error_messages={"required": _("Choose a CSV file")})

    def clean_file(self) -> str:
        return read_upload(self.cleaned_data["file"])


class CensusTargetsForm(ScopedForm):
    name = forms.CharField(label=_("Name"), max_length=200, error_messages={"required": _("Enter a name")})
    area = _area_field(label=_("Area"), help_text=_("Counts are summed over this area's LSOA or data zone codes"))
    variable = forms.CharField(label=_("Variable name in the responses"), max_length=100, required=False,
                               help_text=_("For example, ethnicity: the demographic column to weight. Not needed "
                                           "for an ONS custom dataset, which names its own characteristics (two "
                                           "give the joint table too)"))
    file = forms.FileField(label=_("Census table (CSV)"),
                           help_text=_("ONS bulk CSV or Scotland's Census bulk CSV (one row per area), or an ONS "
                                       "custom dataset CSV (one row per area and group)"),
                           error_messages={"required": _("Choose a CSV file")})

    def clean_file(self) -> str:
        return read_upload(self.cleaned_data["file"])


class WeightingForm(forms.Form):
    source = forms.ChoiceField(label=_("Responses"), error_messages={"required": _("Choose the responses")})
    targets = forms.ChoiceField(label=_("Population targets"),
                                error_messages={"required": _("Choose the population targets")})
    trim_upper = forms.FloatField(label=_("Largest weight allowed (times the mean)"), required=False, min_value=1,
                                  help_text=_("For example, 5. Leave empty for no limit"),
                                  error_messages={"min_value": _("The largest weight must be at least 1"),
                                                  "invalid": _("Enter a number, like 5")})

    def __init__(self, *args: Any, sources: list[tuple[str, str]], targets: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("Choose..."))] + sources  # type: ignore[attr-defined]
        self.fields["targets"].choices = [("", _("Choose..."))] + targets  # type: ignore[attr-defined]


class CrimeImportForm(ScopedForm):
    """The import of one data.police.uk street-level file; ``areas`` are the forces the user may import for."""

    area = _area_field(label=_("Force"), help_text=_(
        "The file covers the whole force: each row is placed in the area of the force that lists its LSOA or data "
        "zone code"))
    file = forms.FileField(label=_("Street-level crime file (CSV from data.police.uk)"),
                           error_messages={"required": _("Choose a CSV file")})

    def __init__(self, *args: Any, areas: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        field.error_messages.update({"required": _("Choose the force"),
                                     "invalid_choice": _("Choose a force from the list")})
        self.forces = list(areas) if areas is not None else []
        # Only forces are offered; an area beneath one of them (an older link or client) stands for its force.
        paths = Q()
        for force in self.forces:
            paths |= Q(path__startswith=force.path)
        field.queryset = Area.objects.filter(paths) if self.forces else Area.objects.none()  # type: ignore[attr-defined]
        field.choices = [("", _("Choose the force"))] + [  # type: ignore[attr-defined]
            (force.pk, force.name) for force in self.forces]

    def clean_area(self) -> Area:
        area: Area = self.cleaned_data["area"]
        return next(force for force in self.forces if force.pk == area.root_id)

    def clean_file(self) -> str:
        return read_upload(self.cleaned_data["file"])


class CrimeAreaForm(ScopedForm):
    area = _area_field(label=_("Area"))


class HeardForm(ScopedForm):
    """Who we heard from: which participants, in which area, against which population tables."""

    area = _area_field(label=_("Area"), help_text=_("Participants in this area and every area beneath it"))
    source = forms.ChoiceField(label=_("Participants"), error_messages={
        "required": _("Choose whose answers to compare"), "invalid_choice": _("Choose participants from the list")})
    targets = forms.MultipleChoiceField(
        label=_("Population tables"), widget=forms.CheckboxSelectMultiple,
        help_text=_("Census tables imported on the Weighting page, for the same area. Tick one for each "
                    "characteristic (age band, sex, ethnic group, religion, disability...)"),
        error_messages={"required": _("Choose at least one population table"),
                        "invalid_choice": _("Choose population tables from the list")})
    kinds = forms.MultipleChoiceField(
        label=_("Took part by (people register only)"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[("response", _("Responded")), ("attendance", _("Attended"))],
        help_text=_("Leave both unticked for either"))
    channel = forms.CharField(label=_("Channel (people register only)"), required=False, max_length=30,
                              help_text=_("For example, online_survey or in_person. Leave empty for any channel"))
    activity = forms.CharField(label=_("Activity (people register only)"), required=False, max_length=200,
                               help_text=_("What they took part in, as recorded, for example consultation:12. "
                                           "Leave empty for any activity"))
    date_from = forms.DateField(label=_("From date (people register only)"), required=False,
                                help_text=_("For example, 2026-09-01"),
                                error_messages={"invalid": _("Enter the start date as YYYY-MM-DD")})
    date_to = forms.DateField(label=_("To date (people register only)"), required=False,
                              help_text=_("For example, 2026-11-30"),
                              error_messages={"invalid": _("Enter the end date as YYYY-MM-DD")})

    def __init__(self, *args: Any, sources: list[tuple[str, str]], targets: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("Choose..."))] + sources  # type: ignore[attr-defined]
        self.fields["targets"].choices = targets  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        from byconsent.insights.heard import PEOPLE_SOURCE

        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date must be on or after the start date"))
        source = data.get("source")
        if source and source != PEOPLE_SOURCE:
            for name in ("kinds", "channel", "activity", "date_from", "date_to"):
                if data.get(name):
                    self.add_error(name, _("This filter applies to the people register only: clear it, or choose "
                                           "the people register"))
        return data
