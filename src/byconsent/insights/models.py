"""The analysis workspace: codebooks and coding, theme discovery runs under human review, code suggestions,
uploaded response tables, population targets and weighting runs, and police.uk street crime beside what people said.

Every row that belongs somewhere has an ``area`` so the policy module can scope it; writes go through services.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from byconsent.core.encryption import EncryptedJSONField
from byconsent.core.models import Area, Contribution, TaskProgress


class ContributionSet(models.Model):
    """A named selection of contributions to analyse: an area (and everything beneath it), optionally one source
    object (a consultation, an event...), a date range and some channels. Every channel when none is chosen."""

    name = models.CharField(_("name"), max_length=200)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_id = models.CharField(max_length=64, blank=True)
    # A source kind registered in insights.sources (e.g. "survey:12": every free-text answer to a questionnaire).
    source_key = models.CharField(max_length=100, blank=True)
    source_label = models.CharField(max_length=300, blank=True)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    channels = models.JSONField(default=list, blank=True)
    codebook = models.ForeignKey("Codebook", null=True, blank=True, on_delete=models.SET_NULL, related_name="sets")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def contributions(self) -> QuerySet[Contribution]:
        """The contributions of this set (not yet scoped to a viewer: selectors do that)."""
        queryset = Contribution.objects.filter(area__path__startswith=self.area.path)
        if self.source_type_id:
            queryset = queryset.filter(source_type_id=self.source_type_id, source_id=self.source_id)
        if self.source_key:
            from byconsent.insights.sources import source_filter

            queryset = queryset.filter(source_filter(self.source_key))
        if self.date_from:
            queryset = queryset.filter(created_on__gte=self.date_from)
        if self.date_to:
            queryset = queryset.filter(created_on__lte=self.date_to)
        if self.channels:
            queryset = queryset.filter(channel__in=self.channels)
        return queryset.order_by("id")


class Codebook(models.Model):
    """A hierarchy of codes (themes) with descriptions, used to code contributions."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def ordered_codes(self) -> list[Code]:
        """Codes depth first (parents before their children), each with a ``depth`` attribute."""
        codes = list(self.codes.filter(active=True).order_by("position", "label", "id"))
        children: dict[int | None, list[Code]] = {}
        for code in codes:
            children.setdefault(code.parent_id, []).append(code)
        ordered: list[Code] = []

        def walk(parent: int | None, depth: int) -> None:
            for code in children.get(parent, []):
                code.depth = depth
                ordered.append(code)
                walk(code.pk, depth + 1)

        walk(None, 0)
        return ordered


class Code(models.Model):
    codebook = models.ForeignKey(Codebook, on_delete=models.CASCADE, related_name="codes")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    label = models.CharField(_("label"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    depth: int = 0

    class Meta:
        ordering = ["position", "label", "id"]
        constraints = [models.UniqueConstraint(fields=["codebook", "label"], name="insights_unique_code_label")]

    def __str__(self) -> str:
        return self.label

    @property
    def area(self) -> Area:
        return self.codebook.area


class CodingRecord(models.Model):
    """One coder's codes for one contribution under one codebook. Each coder's work is kept apart, so agreement
    can be measured; a record with no codes means "looked at it, no code applies" (not the same as not coded)."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="+")
    codebook = models.ForeignKey(Codebook, on_delete=models.CASCADE, related_name="records")
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    codes = models.ManyToManyField(Code, blank=True, related_name="records")
    note = models.CharField(max_length=500, blank=True)
    coded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contribution", "codebook", "coder"],
                                               name="insights_one_record_per_coder")]

    @property
    def area(self) -> Area:
        return self.codebook.area


class ThemeRun(models.Model):
    """One run of theme discovery: its exact inputs, parameters and model, so it can be reproduced."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        REVIEW = "review", _("Ready for review")
        SIGNED_OFF = "signed_off", _("Signed off")
        FAILED = "failed", _("Failed")

    contribution_set = models.ForeignKey(ContributionSet, on_delete=models.PROTECT, related_name="theme_runs")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    n_themes = models.PositiveSmallIntegerField(null=True, blank=True, help_text=_("Blank: chosen automatically"))
    seed = models.IntegerField(default=0)
    embedder = models.CharField(max_length=20, default="fast")
    contribution_ids = models.JSONField(default=list)
    embedder_backend = models.CharField(max_length=50, blank=True)
    model_version = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=300, blank=True)
    score_by_k = models.JSONField(default=dict, blank=True)
    blank_ids = models.JSONField(default=list, blank=True)
    unassigned_ids = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    task = models.ForeignKey(TaskProgress, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    codebook = models.ForeignKey(Codebook, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Themes in {self.contribution_set} #{self.pk}"

    def parameters(self) -> dict[str, Any]:
        return {"n_themes": self.n_themes, "seed": self.seed, "embedder": self.embedder}


class ProposedTheme(models.Model):
    """A theme proposed by a run, as the reviewer shapes it: renamed, merged, split or discarded."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        DISCARDED = "discarded", _("Discarded")
        MERGED = "merged", _("Merged into another theme")
        SPLIT = "split", _("Split into smaller themes")

    run = models.ForeignKey(ThemeRun, on_delete=models.CASCADE, related_name="themes")
    position = models.PositiveIntegerField(default=0)
    label = models.CharField(_("label"), max_length=200)
    original_label = models.CharField(max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    keywords = models.JSONField(default=list, blank=True)
    example_ids = models.JSONField(default=list, blank=True)
    contribution_ids = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    split_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    code = models.ForeignKey(Code, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def area(self) -> Area:
        return self.run.area

    @property
    def size(self) -> int:
        return len(self.contribution_ids)


class AutoCodingRun(models.Model):
    """Codes suggested for the uncoded contributions of a set, learnt from the coded ones. Suggestions only."""

    contribution_set = models.ForeignKey(ContributionSet, on_delete=models.PROTECT, related_name="autocoding_runs")
    codebook = models.ForeignKey(Codebook, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=ThemeRun.Status.choices, default=ThemeRun.Status.QUEUED)
    embedder = models.CharField(max_length=20, default="fast")
    seed = models.IntegerField(default=0)
    contribution_ids = models.JSONField(default=list)
    model_version = models.CharField(max_length=300, blank=True)
    code_report = models.JSONField(default=list, blank=True)
    task = models.ForeignKey(TaskProgress, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class CodeSuggestion(models.Model):
    """A code a machine proposes for a contribution. Applied only when a person confirms it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting a decision")
        ACCEPTED = "accepted", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="+")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="suggestions")
    confidence = models.FloatField(null=True, blank=True)
    theme_run = models.ForeignKey(ThemeRun, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    autocoding_run = models.ForeignKey(AutoCodingRun, null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="suggestions")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-confidence", "id"]
        constraints = [models.UniqueConstraint(fields=["contribution", "code"], condition=Q(status="pending"),
                                               name="insights_one_pending_suggestion")]

    @property
    def area(self) -> Area:
        return self.code.codebook.area

    @property
    def source_label(self) -> str:
        return "theme discovery" if self.theme_run_id else "auto-coding"


class ResponseUpload(models.Model):
    """Survey responses uploaded as a CSV (until, and beside, the surveys app): one row per respondent.

    The rows hold demographic answers (special-category data), so they are stored encrypted."""

    name = models.CharField(_("name"), max_length=200)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    questions = models.JSONField(default=list)
    demographics = models.JSONField(default=list)
    has_weight = models.BooleanField(default=False)
    rows = EncryptedJSONField()
    row_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class PopulationTargets(models.Model):
    """Population shares per variable and category (variable -> {category: proportion}) to rake responses to."""

    name = models.CharField(_("name"), max_length=200)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    targets = models.JSONField()
    source = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "population targets"

    def __str__(self) -> str:
        return self.name


class WeightingRun(models.Model):
    """Responses raked to population targets. Weighted results are shown only once someone has read the report
    (iterations, margins, design effect, effective sample size) and accepted the weights."""

    class Status(models.TextChoices):
        REVIEW = "review", _("Awaiting review")
        ACCEPTED = "accepted", _("Accepted")
        FAILED = "failed", _("Could not be weighted")

    source_key = models.CharField(max_length=100)
    source_label = models.CharField(max_length=200)
    targets = models.ForeignKey(PopulationTargets, on_delete=models.PROTECT, related_name="runs")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    trim_lower = models.FloatField(null=True, blank=True)
    trim_upper = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REVIEW)
    report = models.JSONField(default=dict)
    weights = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_label} weighted to {self.targets}"


class HeardComparison(models.Model):
    """"Who we heard from": one comparison of participants with the census population, with everything needed to
    re-read and re-run it (source, filters, population tables, who asked and when). ``result`` holds only figures
    that passed disclosure control (insights/heard.py); raw participant counts are never stored."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Could not be compared")

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    source_key = models.CharField(max_length=100, help_text=_("A response source key, or 'people' (the register)"))
    source_label = models.CharField(max_length=300, blank=True)
    filters = models.JSONField(default=dict, blank=True, help_text=_("People register: kinds, channel, activity, "
                                                                       "date_from, date_to"))
    targets = models.ManyToManyField(PopulationTargets, related_name="heard_comparisons")
    threshold = models.PositiveIntegerField(default=10)
    inputs_key = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    task = models.ForeignKey(TaskProgress, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_label or self.source_key} in {self.area}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class CrimeImport(models.Model):
    """One data.police.uk street-level crime CSV imported into an area."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Imported")
        DONE_WITH_ERRORS = "done_with_errors", _("Imported, some lines could not be read")
        FAILED = "failed", _("Failed")

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    rows_read = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_already_present = models.PositiveIntegerField(default=0)
    rows_without_location = models.PositiveIntegerField(default=0)
    rows_outside_areas = models.PositiveIntegerField(default=0)
    # Rows of a re-published month (same force and month) that are no longer in the file, removed by this import.
    rows_removed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    task = models.ForeignKey(TaskProgress, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class CrimeRecord(models.Model):
    """One row of a street-level crime file. Anti-social behaviour rows carry no crime id; some rows no location.
    ``fingerprint`` (the row's content and its occurrence number) makes importing the same file twice harmless."""

    crime_import = models.ForeignKey(CrimeImport, on_delete=models.CASCADE, related_name="records")
    fingerprint = models.CharField(max_length=64, unique=True)
    crime_id = models.CharField(max_length=100, blank=True)
    month = models.DateField(help_text=_("First day of the month"))
    reported_by = models.CharField(max_length=200, blank=True)
    falls_within = models.CharField(max_length=200, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    location = models.CharField(max_length=300, blank=True)
    lsoa_code = models.CharField(max_length=20, blank=True, db_index=True)
    lsoa_name = models.CharField(max_length=200, blank=True)
    crime_type = models.CharField(max_length=100)
    last_outcome = models.CharField(max_length=200, blank=True)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        # (area, month): the counts of an area's pages; (falls_within, month): each import reads and replaces the
        # rows of a force's month, which would otherwise scan the whole table.
        indexes = [models.Index(fields=["area", "month"]), models.Index(fields=["falls_within", "month"])]


def first_of_month(value: date) -> date:
    return value.replace(day=1)
