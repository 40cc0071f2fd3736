"""Citizens' panels: recruitment rounds, the volunteer pool, quotas, selections, replacements and running the panel.

Identity (name, contact details) sits on Volunteer; the answers to the quota questions and accessibility needs
(special-category data) sit apart on VolunteerAnswers, encrypted. Every child record exposes `area` (its panel's)
so the policy module can decide who may see or change it.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from byconsent.core.encryption import EncryptedJSONField, EncryptedTextField
from byconsent.core.models import Area, Contribution, TaskProgress

# Invitation codes avoid letters and digits that are easily confused on paper (0/O, 1/I/L, 5/S, 2/Z, 8/B).
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY3469"
CODE_LENGTH = 8


def new_invitation_code() -> str:
    """A random code (not derived from the public seed, so knowing the seed does not reveal any code)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def new_reference() -> str:
    return secrets.token_hex(4).upper()


class Panel(models.Model):
    class Kind(models.TextChoices):
        MINI_PUBLIC = "mini_public", _("Your Police Panel (mini-public)")
        STANDING = "standing", _("Standing panel")
        COLLEAGUE = "colleague", _("Colleague mini-panel (staff pool)")
        YOUTH = "youth", _("Youth co-design group")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RECRUITING = "recruiting", _("Recruiting")
        SELECTED = "selected", _("Members selected")
        RUNNING = "running", _("Running")
        CLOSED = "closed", _("Closed")

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="panels")
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(_("type of panel"), max_length=20, choices=Kind.choices, default=Kind.MINI_PUBLIC)
    purpose = models.TextField(_("purpose"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    panel_size = models.PositiveIntegerField(_("number of members"), default=12)
    reserve_size = models.PositiveIntegerField(_("number of reserves"), default=6)
    quota_tolerance = models.PositiveIntegerField(
        _("quota tolerance"), default=1,
        help_text=_("How many people either side of the census figure a quota allows"))
    algorithm = models.CharField(max_length=20, default="leximin")
    safeguarding_lead = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="safeguarded_panels")
    force_response = models.TextField(_("the force's response"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_youth(self) -> bool:
        return self.kind == Panel.Kind.YOUTH

    @property
    def is_public(self) -> bool:
        return self.status != Panel.Status.DRAFT

    @property
    def registration_open(self) -> bool:
        return self.status == Panel.Status.RECRUITING


class PanelChild(models.Model):
    """Records that belong to one panel take its area for permission checks."""

    class Meta:
        abstract = True

    @property
    def area(self) -> Area:
        return self.panel.area  # type: ignore[attr-defined, no-any-return]


class CensusShare(PanelChild):
    """The share of the area's population with one value of one characteristic (0..1)."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="census_shares")
    category = models.CharField(max_length=100)
    value = models.CharField(max_length=100)
    share = models.FloatField()

    class Meta:
        ordering = ["category", "id"]
        constraints = [models.UniqueConstraint(fields=["panel", "category", "value"], name="unique_census_share")]


class Quota(PanelChild):
    """Bounds on how many members may have `value` in `category`."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="quotas")
    category = models.CharField(max_length=100)
    value = models.CharField(max_length=100)
    minimum = models.PositiveIntegerField()
    maximum = models.PositiveIntegerField()
    target = models.FloatField(null=True, blank=True, help_text=_("Census share x panel size"))

    class Meta:
        ordering = ["category", "id"]
        constraints = [models.UniqueConstraint(fields=["panel", "category", "value"], name="unique_panel_quota")]

    def __str__(self) -> str:
        return f"{self.category}={self.value} [{self.minimum}, {self.maximum}]"


class RecruitmentRound(PanelChild):
    """One upload of an address list and the seeded random draw of addresses to invite."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="rounds")
    seed = models.CharField(max_length=100)
    list_sha256 = models.CharField(max_length=64)
    sample_size = models.PositiveIntegerField()
    oversample = models.JSONField(default=dict, blank=True)  # area label -> factor
    allocation = models.JSONField(default=dict)  # area label -> {"addresses": n, "drawn": m}
    address_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.panel} round {self.pk}"


class Address(PanelChild):
    round = models.ForeignKey(RecruitmentRound, on_delete=models.CASCADE, related_name="addresses")
    line_number = models.PositiveIntegerField()
    address = models.TextField()
    postcode = models.CharField(max_length=10, blank=True)
    area_label = models.CharField(max_length=100)
    drawn = models.BooleanField(default=False)
    code = models.CharField(max_length=CODE_LENGTH, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["round", "line_number"]

    @property
    def panel(self) -> Panel:
        return self.round.panel

    @property
    def display_postcode(self) -> str:
        return f"{self.postcode[:-3]} {self.postcode[-3:]}" if len(self.postcode) > 4 else self.postcode

    @property
    def display_code(self) -> str:
        return format_code(self.code or "")


class Volunteer(PanelChild):
    class Status(models.TextChoices):
        POOL = "pool", _("In the pool")
        SELECTED = "selected", _("Selected")
        RESERVE = "reserve", _("Reserve")
        NOT_SELECTED = "not_selected", _("Not selected")
        DROPPED_OUT = "dropped_out", _("Dropped out")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        PHONE = "phone", _("Phone (entered by staff)")

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="volunteers")
    # One code, one volunteer: the database refuses a second registration with the same code.
    address = models.OneToOneField(Address, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="volunteer")
    reference = models.CharField(max_length=12, unique=True, default=new_reference)
    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("email address"), blank=True, db_index=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.POOL)
    consent_given_on = models.DateField(default=timezone.localdate)
    is_under_16 = models.BooleanField(default=False)
    guardian_name = models.CharField(max_length=200, blank=True)
    guardian_email = models.EmailField(blank=True)
    guardian_consent = models.BooleanField(default=False)
    selection_probability = models.FloatField(null=True, blank=True)
    reserve_rank = models.PositiveIntegerField(null=True, blank=True)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="replaced_by")
    dropped_reason = models.CharField(max_length=300, blank=True)
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["panel", "id"]

    def __str__(self) -> str:
        return f"Volunteer {self.reference}"


class VolunteerAnswers(PanelChild):
    """Special-category answers kept apart from identity, encrypted at rest."""

    volunteer = models.OneToOneField(Volunteer, on_delete=models.CASCADE, related_name="answers")
    answers = EncryptedJSONField(default=dict)  # category -> value, for the quotas
    accessibility_needs = EncryptedTextField(blank=True)

    @property
    def panel(self) -> Panel:
        return self.volunteer.panel


class Selection(PanelChild):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        DONE = "done", _("Finished")
        INFEASIBLE = "infeasible", _("No panel meets the quotas")
        FAILED = "failed", _("Failed")

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="selections")
    task = models.ForeignKey(TaskProgress, null=True, blank=True, on_delete=models.SET_NULL)
    algorithm = models.CharField(max_length=20)
    seed = models.CharField(max_length=100)
    lottery_size = models.PositiveIntegerField(default=1000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    pool_size = models.PositiveIntegerField(default=0)
    outcome = models.JSONField(null=True, blank=True)
    problems = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.panel} selection {self.pk}"


class PanelSession(PanelChild):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    location = models.CharField(_("where"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.title


class Attendance(PanelChild):
    session = models.ForeignKey(PanelSession, on_delete=models.CASCADE, related_name="attendance")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="attendance")
    attended = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "volunteer"], name="unique_attendance")]

    @property
    def panel(self) -> Panel:
        return self.session.panel


class Payment(PanelChild):
    class Kind(models.TextChoices):
        EXPENSE = "expense", _("Expenses")
        THANK_YOU = "thank_you", _("Thank-you payment")

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="payments")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="payments")
    session = models.ForeignKey(PanelSession, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    description = models.CharField(max_length=300, blank=True)
    paid_on = models.DateField(default=timezone.localdate)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    idempotency_key = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["-paid_on", "-id"]


class Recommendation(PanelChild):
    """One recommendation of the panel, stored as a Contribution (channel "panel") so analysis and actions see it."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="recommendations")
    contribution = models.OneToOneField(Contribution, on_delete=models.PROTECT, related_name="panel_recommendation")
    response = models.TextField(blank=True)
    published = models.BooleanField(default=False)
    responded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
