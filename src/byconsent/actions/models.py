"""The "You said, we did" ledger: concerns people raised, decisions taken about them, actions and their updates,
and the feedback sent back to the people who spoke."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from byconsent.core.models import Area, Contribution


class Concern(models.Model):
    """What people raised, grouped from contributions (by hand or from a signed-off theme)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Chosen by hand")
        THEME = "theme", _("From a signed-off theme")

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="concerns")
    summary = models.CharField(_("summary"), max_length=300)
    detail = models.TextField(_("more detail"), blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    source_reference = models.CharField(max_length=200, blank=True,
                                        help_text=_("For example the theme this concern came from"))
    contributions = models.ManyToManyField(Contribution, through="ConcernContribution", related_name="concerns")
    is_public = models.BooleanField(_("show on public pages"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.summary


class ConcernContribution(models.Model):
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="links")
    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="concern_links")
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["concern", "contribution"], name="unique_concern_link")]


class Decision(models.Model):
    """Who decided what, when, why, and on which evidence."""

    class Outcome(models.TextChoices):
        ADOPTED = "adopted", _("Adopted: we will do what people asked")
        PARTLY = "partly", _("Partly adopted")
        NOT_ADOPTED = "not_adopted", _("Not adopted")

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="decisions")
    forum = models.CharField(_("who decided"), max_length=200,
                             help_text=_("The meeting or person, for example the divisional commander's meeting"))
    decided_on = models.DateField(_("date of the decision"))
    outcome = models.CharField(_("what was decided"), max_length=20, choices=Outcome.choices)
    summary = models.TextField(_("the decision in plain words"))
    reasons = models.TextField(_("reasons"), blank=True)
    concerns = models.ManyToManyField(Concern, related_name="decisions", blank=True)
    is_public = models.BooleanField(_("show on public pages"), default=True,
                                    help_text=_("Untick only for operational reasons; people are then not told"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_on", "-id"]

    def __str__(self) -> str:
        return f"{self.forum}, {self.decided_on:%d %b %Y}"

    def clean(self) -> None:
        if self.outcome in (self.Outcome.PARTLY, self.Outcome.NOT_ADOPTED) and not self.reasons.strip():
            raise ValidationError({"reasons": _("Give the reasons: the decision does not do everything people "
                                                "asked for, so they need to know why.")})
        if self.decided_on and self.decided_on > timezone.localdate():
            raise ValidationError({"decided_on": _("The date of the decision must be today or in the past")})


class Evidence(models.Model):
    """Something a decision considered: a record elsewhere in ByConsent (generic link) or other data (URL)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="evidence")
    title = models.CharField(_("title"), max_length=300)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64, blank=True)
    linked_object = GenericForeignKey("content_type", "object_id")
    url = models.URLField(_("web address"), blank=True)
    note = models.TextField(_("what it showed"), blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        has_link = self.content_type_id is not None and bool(self.object_id)
        if not has_link and not self.url:
            raise ValidationError(_("Link the evidence to a record or give its web address"))
        if has_link and self.url:
            raise ValidationError(_("Give either a record or a web address, not both"))


class Action(models.Model):
    """What the force will do: owner, due date, status, progress, milestones and public updates."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        NOT_POSSIBLE = "not_possible", _("Not possible")

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="actions")
    title = models.CharField(_("what we will do"), max_length=300)
    description = models.TextField(_("more detail"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_actions")
    due_on = models.DateField(_("due date"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    progress = models.PositiveSmallIntegerField(default=0, help_text=_("Per cent done, 0 to 100"))
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions")
    concerns = models.ManyToManyField(Concern, related_name="actions", blank=True)
    is_public = models.BooleanField(_("show on public pages"), default=True,
                                    help_text=_("Untick only for operational reasons; people are then not told"))
    completed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.is_open and self.due_on < (today or timezone.localdate())

    @property
    def done_on_time(self) -> bool | None:
        if self.status != self.Status.DONE or self.completed_on is None:
            return None
        return self.completed_on <= self.due_on


class Milestone(models.Model):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=300)
    due_on = models.DateField(_("due date"))
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class ActionUpdate(models.Model):
    """A public update on an action: what changed, in plain words, and when."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(_("update for the public"))
    status_before = models.CharField(max_length=20, blank=True)
    status_after = models.CharField(max_length=20, blank=True)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    published_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:60]


class FeedbackEvent(models.Model):
    """One change people should hear about (a decision made, an action changing state). Created in the same
    transaction as the change; the batch run turns each into at most one message per person."""

    class Kind(models.TextChoices):
        DECISION = "decision", _("Decision made")
        ACTION_STATUS = "action_status", _("Action changed state")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey(Action, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    status_after = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def topic(self) -> str:
        return f"action-{self.action_id}" if self.action_id else f"decision-{self.decision_id}"


class FeedbackBatch(models.Model):
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    events = models.PositiveIntegerField(default=0)
    emails = models.PositiveIntegerField(default=0)
    letters = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]


class FeedbackDelivery(models.Model):
    """One person told about one change: exactly one row per (event, person), so never twice."""

    class Method(models.TextChoices):
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Letter")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Email queued")
        SUPPRESSED = "suppressed", _("Not sent: unsubscribed")
        TO_PRINT = "to_print", _("Letter to print")
        PRINTED = "printed", _("Letter printed")

    event = models.ForeignKey(FeedbackEvent, on_delete=models.CASCADE, related_name="deliveries")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(FeedbackBatch, on_delete=models.CASCADE, related_name="deliveries")
    method = models.CharField(max_length=10, choices=Method.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    idempotency_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    printed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["event", "person"], name="one_delivery_per_event_person")]

    @property
    def told(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.PRINTED)


class ContributionFeedback(models.Model):
    """When the person behind a contribution was first told an outcome (for the time-to-feedback measure)."""

    contribution = models.OneToOneField(Contribution, on_delete=models.CASCADE, related_name="first_feedback")
    first_told_at = models.DateTimeField()


class OverdueNotice(models.Model):
    """An overdue reminder sent for an action on a day (at most one per action per day)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="overdue_notices")
    sent_on = models.DateField()
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "sent_on"], name="one_overdue_notice_per_day")]
