"""Consultations: lifecycle with a transitions table, the Gunning checklist, documents, alerts and feedback.

State machine (services.TRANSITIONS): draft → in review → scheduled → open → closed → analysing → feedback
published (in review may go back to draft; scheduled may go back to draft). Every move is a Transition row and an
audit entry. Opening needs the Gunning checklist complete (services.readiness_problems).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from byconsent.core.models import Area

AUDIENCES = [
    ("residents", _("Residents")),
    ("young_people", _("Young people")),
    ("older_people", _("Older people")),
    ("businesses", _("Businesses")),
    ("victims", _("Victims and witnesses")),
    ("community_groups", _("Community and voluntary groups")),
    ("partners", _("Partner organisations")),
    ("visitors", _("Visitors and commuters")),
]
INTERESTS = [
    ("antisocial_behaviour", _("Anti-social behaviour")),
    ("road_safety", _("Road safety")),
    ("violence", _("Violence and knife crime")),
    ("violence_against_women", _("Violence against women and girls")),
    ("drugs", _("Drugs")),
    ("neighbourhood_policing", _("Neighbourhood policing")),
    ("police_plan", _("Police and crime plan and budget")),
    ("fraud", _("Fraud and online crime")),
    ("hate_crime", _("Hate crime")),
    ("stop_and_search", _("Stop and search")),
]
MINIMUM_WEEKS = 6


def new_alert_token() -> str:
    return secrets.token_urlsafe(24)


def codes_text(codes: list[str]) -> str:
    """Store a set of codes as " a b c " so one `contains=" b "` filter works on SQLite and PostgreSQL alike."""
    return " " + " ".join(sorted(set(codes))) + " " if codes else ""


def codes_list(text: str) -> list[str]:
    return [c for c in (text or "").split(" ") if c]


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    ANALYSING = "analysing", _("Analysing responses")
    FEEDBACK_PUBLISHED = "feedback_published", _("Feedback published")


PUBLIC_STATES = [State.SCHEDULED, State.OPEN, State.CLOSED, State.ANALYSING, State.FEEDBACK_PUBLISHED]


class Consultation(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    why_asking = models.TextField(_("why we are asking"), blank=True)
    can_change = models.TextField(_("what your views can change"), blank=True)
    cannot_change = models.TextField(_("what cannot change, and why"), blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="owned_consultations",
                             help_text=_("The area that owns it; its staff manage it"))
    areas = models.ManyToManyField(Area, related_name="consultations", blank=True,
                                   help_text=_("The places it is about"))
    audience_codes = models.CharField(max_length=500, blank=True)
    interest_codes = models.CharField(max_length=500, blank=True)
    owning_team = models.CharField(_("team"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=50, blank=True)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    state = models.CharField(max_length=30, choices=State.choices, default=State.DRAFT, db_index=True)
    questionnaire = models.ForeignKey("surveys.Questionnaire", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="consultations")
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    # The Gunning principles: the owner confirms each before the consultation may be scheduled or opened.
    gunning_formative = models.BooleanField(
        _("Proposals are still at a formative stage: the decision has not been made"), default=False)
    gunning_information = models.BooleanField(
        _("We give enough information for people to consider the proposals and respond intelligently"),
        default=False)
    gunning_time = models.BooleanField(_("People have adequate time to consider and respond"), default=False)
    short_period_reason = models.TextField(_("Why the consultation is open for less than 6 weeks"), blank=True)
    gunning_consider = models.BooleanField(
        _("We will conscientiously consider the responses before deciding"), default=False)
    # "We asked, you said, we did": editable text until the accountability (actions) app lands.
    we_asked = models.TextField(_("We asked"), blank=True)
    you_said = models.TextField(_("You said"), blank=True)
    we_did = models.TextField(_("We did"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    alerts_sent_on = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_at", "-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def audiences(self) -> list[str]:
        return codes_list(self.audience_codes)

    @property
    def interests(self) -> list[str]:
        return codes_list(self.interest_codes)

    def audience_labels(self) -> list[str]:
        labels = dict(AUDIENCES)
        return [str(labels.get(c, c)) for c in self.audiences]

    def interest_labels(self) -> list[str]:
        labels = dict(INTERESTS)
        return [str(labels.get(c, c)) for c in self.interests]

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    @property
    def weeks_open(self) -> float | None:
        if self.opens_at is None or self.closes_at is None:
            return None
        return (self.closes_at - self.opens_at).total_seconds() / (7 * 24 * 3600)


class Transition(models.Model):
    """Who moved a consultation from one state to another, when, and why."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=30, choices=State.choices)
    to_state = models.CharField(max_length=30, choices=State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_label = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.consultation}: {self.from_state} → {self.to_state}"


class Document(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(upload_to="consultations/documents/%Y/%m/", blank=True)
    url = models.URLField(_("or a link"), blank=True)
    size = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title

    @property
    def area(self) -> Area:
        return self.consultation.area


class AlertSubscription(models.Model):
    """A person asks to hear about new consultations matching their interests and area (double opt-in)."""

    email = models.EmailField(db_index=True)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    interest_codes = models.CharField(max_length=500, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_alert_token)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.email

    @property
    def interests(self) -> list[str]:
        return codes_list(self.interest_codes)
