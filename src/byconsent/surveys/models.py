"""The questionnaire engine: questionnaires, versions, pages, questions, logic, drafts, responses and answers.

Shape lives in a QuestionnaireVersion. Once a version has responses it is frozen: editing it makes a new version
(services.editable_version), and every response keeps the version it answered.

Answers are stored on the Response as one JSON object keyed by the question's stable `key` (so exports read one
row per response, never one row per answer). Free-text answers are also kept as TextAnswer rows, each linked to the
Contribution it became, so they can be moderated, redacted and published one by one. Demographic answers are
special-category data: encrypted, in their own table (DemographicAnswers), never in `Response.answers`.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from byconsent.core.encryption import EncryptedJSONField
from byconsent.core.models import Area, Channel, Contribution, ModerationState


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_reference() -> str:
    # Ten characters from an alphabet without look-alikes (0/O, 1/I/L), easy to read out on the phone.
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class QuestionType(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    LIKERT = "likert", _("Agreement scale")
    RATING = "rating", _("Rating 0 to 10")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    RANKING = "ranking", _("Ranking")
    GRID = "grid", _("Grid (one choice per row)")
    POSTCODE = "postcode", _("Postcode")
    FILE = "file", _("File upload")
    INFO = "info", _("Information (no answer)")


FREE_TEXT_TYPES = {QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT}
CHOICE_TYPES = {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.LIKERT}


class Questionnaire(models.Model):
    """A survey or a consultation's questionnaire. Its shape lives in versions; `current_version` is answered."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(_("introduction"), blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="questionnaires",
                             help_text=_("The area that owns it; staff there may manage it"))
    is_open = models.BooleanField(_("accepting responses"), default=False)
    ask_publication = models.BooleanField(
        _("ask respondents whether their answers may be published"), default=False)
    current_version = models.ForeignKey("QuestionnaireVersion", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class QuestionnaireVersion(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["questionnaire", "number"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "number"], name="unique_version_number")]

    def __str__(self) -> str:
        return f"{self.questionnaire} v{self.number}"

    @property
    def area(self) -> Area:
        return self.questionnaire.area

    @property
    def is_frozen(self) -> bool:
        """A version that has responses, or drafts someone is still answering, can no longer change shape: a
        respondent part-way through must submit against the questions they were shown."""
        return self.responses.exists() or self.drafts.filter(response__isnull=True).exists()


class Page(models.Model):
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="pages")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("page title"), max_length=200)
    introduction = models.TextField(_("introduction"), blank=True)
    is_demographic = models.BooleanField(default=False)
    show_if = models.JSONField(_("show only if"), default=list, blank=True,
                               help_text=_("Conditions on earlier answers, all of which must hold"))

    class Meta:
        ordering = ["version", "position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def area(self) -> Area:
        return self.version.questionnaire.area


class Question(models.Model):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    key = models.SlugField(_("key"), max_length=60,
                           help_text=_("Short name used in exports; stays the same across versions"))
    type = models.CharField(_("type"), max_length=30, choices=QuestionType.choices)
    text = models.CharField(_("question"), max_length=500)
    hint = models.TextField(_("hint"), blank=True)
    required = models.BooleanField(_("an answer is required"), default=False)
    # [{"value": "yes", "label": "Yes", "exclusive": false}, ...]; for a grid, the columns.
    options = models.JSONField(default=list, blank=True)
    # Type-specific settings: max_length, min, max, rows (grid), allow_other, max_size_mb, file_types...
    settings = models.JSONField(default=dict, blank=True)
    show_if = models.JSONField(_("show only if"), default=list, blank=True)
    is_demographic = models.BooleanField(default=False, help_text=_("Special-category: stored encrypted, apart"))

    class Meta:
        ordering = ["page__position", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["page", "key"], name="unique_question_key_per_page")]

    def __str__(self) -> str:
        return self.text

    @property
    def area(self) -> Area:
        return self.page.version.questionnaire.area

    @property
    def is_free_text(self) -> bool:
        return self.type in FREE_TEXT_TYPES

    def option_labels(self) -> dict[str, str]:
        return {str(o["value"]): str(o["label"]) for o in self.options}


class Draft(models.Model):
    """Answers being given, saved on every page; resumed from a private link holding `token`."""

    token = models.CharField(max_length=64, unique=True, default=new_token)
    # One per draft, so a double click, the back button or a retry can only ever record one response.
    submission_token = models.CharField(max_length=64, unique=True, default=new_token)
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="drafts")
    channel = models.CharField(max_length=40, choices=Channel.choices, default=Channel.ONLINE_SURVEY)
    answers = models.JSONField(default=dict, blank=True)
    demographics = EncryptedJSONField(null=True, blank=True)
    pages_done = models.JSONField(default=list, blank=True)
    email = models.EmailField(blank=True, help_text=_("Only if the person asked for the resume link by email"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="survey_drafts")
    respondent_area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    easy_read = models.BooleanField(default=False)
    language = models.CharField(max_length=10, default="en-gb")
    updated_on = models.DateField(default=timezone.localdate)
    response = models.OneToOneField("Response", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="draft")

    def __str__(self) -> str:
        return f"Draft of {self.version}"

    @property
    def area(self) -> Area:
        return self.version.questionnaire.area


class Publication(models.TextChoices):
    WITH_NAME = "with_name", _("Publish my response with my name")
    ANONYMOUS = "anonymous", _("Publish my response without my name")
    NO = "no", _("Do not publish my response")


class Response(models.Model):
    """One person's submitted answers to one version. Anonymous unless they chose to link their account."""

    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.PROTECT, related_name="responses")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="responses")
    reference = models.CharField(max_length=12, unique=True, default=new_reference)
    submission_token = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=40, choices=Channel.choices, default=Channel.ONLINE_SURVEY)
    # A date only: anonymous responses carry no time finer than a day, no IP address and no account.
    submitted_on = models.DateField(default=timezone.localdate, db_index=True)
    answers = models.JSONField(default=dict)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text=_("From the respondent's postcode, when given"))
    language = models.CharField(max_length=10, default="en-gb")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="survey_responses")
    publication = models.CharField(max_length=20, choices=Publication.choices, default=Publication.NO)
    published_name = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", help_text=_("Staff member who entered a paper, phone, email or "
                                                                  "focus-group response"))
    # Free-text answers still to become TextAnswers and Contributions (public submissions leave that to the worker).
    text_pending = models.BooleanField(default=False)
    original = models.FileField(upload_to="surveys/originals/%Y/%m/", blank=True,
                                help_text=_("Scan of the paper form, or the email, as received"))

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["questionnaire", "submitted_on"]),
                   models.Index(fields=["id"], condition=models.Q(text_pending=True),
                                name="surveys_response_text_pending")]

    def __str__(self) -> str:
        return self.reference

    @property
    def owner_area(self) -> Area:
        return self.questionnaire.area


class DemographicAnswers(models.Model):
    """Special-category answers (ethnicity, religion, disability...), encrypted and kept apart from the rest."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="demographics")
    data = EncryptedJSONField()


class TextAnswer(models.Model):
    """A free-text answer, as a Contribution and as something that may be published after moderation."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="text_answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="text_answers")
    text = models.TextField()
    contribution = models.OneToOneField(Contribution, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="survey_answer")
    moderation_state = models.CharField(max_length=20, choices=ModerationState.choices,
                                        default=ModerationState.PENDING)
    safeguarding_reasons = models.JSONField(default=list, blank=True)
    # [{"start": 10, "end": 20, "reason": "names a person"}]; the published text has these spans replaced.
    redactions = models.JSONField(default=list, blank=True)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="unique_text_answer")]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def area(self) -> Area:
        return self.response.questionnaire.area

    @property
    def published_text(self) -> str:
        return redact(self.text, self.redactions)


REDACTED = "[redacted]"


def redact(text: str, redactions: list[dict[str, Any]]) -> str:
    """Replace each [start, end) span with a marker; overlapping spans merge."""
    spans = sorted((max(0, int(r["start"])), min(len(text), int(r["end"]))) for r in redactions)
    merged: list[list[int]] = []
    for start, end in spans:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out.append(text[cursor:start])
        out.append(REDACTED)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


class UploadedFile(models.Model):
    """A file given in answer to a file-upload question; its type was checked from its content."""

    draft = models.ForeignKey(Draft, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    response = models.ForeignKey(Response, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    question_key = models.CharField(max_length=60)
    file = models.FileField(upload_to="surveys/uploads/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
