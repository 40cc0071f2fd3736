"""Stakeholders: people, organisations, consent and lawful basis, special-category data, segments, contact history.

Identity (Person) and special-category data (Demographics) live in separate tables; Demographics values are
encrypted at rest and read only through `services.read_demographics`, which checks the role and writes an audit entry.
No model here is registered with django-auditlog: its change log would copy contact details and special-category
values into a table erasure does not reach. Services write explicit audit entries naming the fields changed instead.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from byconsent.core.encryption import EncryptedJSONField
from byconsent.core.models import Area


class ContactChannel(models.TextChoices):
    """The ways the force can reach someone. `may_contact` checks one of these."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    PHONE = "phone", _("Phone call")
    POST = "post", _("Post")


def format_postcode(value: str) -> str:
    """"EH11YZ" -> "EH1 1YZ" (stored without the space, shown with it); an outward code alone is unchanged."""
    compact = (value or "").replace(" ", "").upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) >= 5 else compact


class Interest(models.Model):
    """A topic a person or organisation cares about (road safety, youth, hate crime...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        COMMUNITY_GROUP = "community_group", _("Community group")
        FAITH_GROUP = "faith_group", _("Faith group")
        SCHOOL = "school", _("School, college or university")
        BUSINESS = "business", _("Business")
        COUNCIL = "council", _("Council")
        HEALTH_BOARD = "health_board", _("Health board")
        PARTNER_AGENCY = "partner_agency", _("Other partner agency")
        ADVISORY_GROUP = "advisory_group", _("Independent advisory group")
        CHARITY = "charity", _("Charity or voluntary organisation")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("area"))
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    address = models.TextField(_("postal address"), blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True, db_index=True)
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    relationship_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="owned_organisations",
                                           verbose_name=_("relationship owner"))
    interests = models.ManyToManyField(Interest, blank=True, related_name="organisations")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def postcode_display(self) -> str:
        return format_postcode(self.postcode)


class PersonQuerySet(models.QuerySet["Person"]):
    def current(self) -> PersonQuerySet:
        """People who are neither erased nor merged into someone else."""
        return self.filter(erased_at__isnull=True, merged_into__isnull=True)


class Person(models.Model):
    """Someone the force engages with. Need not have a sign-in account."""

    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("email address"), blank=True, db_index=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    address = models.TextField(_("postal address"), blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True, db_index=True,
                                help_text=_("Stored normalised: upper case, no spaces"))
    preferred_language = models.CharField(_("preferred language"), max_length=10, default="en-gb",
                                          choices=settings.LANGUAGES)
    preferred_channel = models.CharField(_("preferred way to be contacted"), max_length=10,
                                         choices=ContactChannel.choices, default=ContactChannel.EMAIL)
    accessibility_needs = models.TextField(_("accessibility needs"), blank=True,
                                           help_text=_("For example: large print, BSL interpreter, step-free access"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="people", verbose_name=_("area"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="person")
    relationship_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="owned_people", verbose_name=_("relationship owner"))
    interests = models.ManyToManyField(Interest, blank=True, related_name="people", verbose_name=_("interests"))
    organisations = models.ManyToManyField(Organisation, through="Membership", related_name="people", blank=True)
    do_not_contact = models.BooleanField(
        _("do not contact"), default=False,
        help_text=_("Suppresses every message whatever the consent records say"))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="merged_from")

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        if self.erased_at:
            return f"Erased person #{self.pk}"
        return self.full_name or f"Person #{self.pk}"

    @property
    def postcode_display(self) -> str:
        return format_postcode(self.postcode)

    @property
    def is_current(self) -> bool:
        return self.erased_at is None and self.merged_into_id is None


class Membership(models.Model):
    """A person's place in an organisation: role, whether they are its main contact, and since when."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=100, blank=True,
                            help_text=_("For example: chair, imam, head teacher"))
    is_main_contact = models.BooleanField(_("main contact for the organisation"), default=False)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "organisation"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.role or 'member'} of {self.organisation}"


class Purpose(models.Model):
    """Why the force contacts people ("consultation alerts", "citizens' panel invitations", a standing panel...).

    Its slug is also the notification topic, so a one-click unsubscribe from a message stops that purpose.
    """

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("what people are told"), blank=True)
    is_service = models.BooleanField(
        default=False, help_text=_("Messages a person asked for themselves (sign-in links, confirmations)"))

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


SERVICE_PURPOSE = "service"


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    PUBLIC_TASK = "public_task", _("Public task")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests")
    CONTRACT = "contract", _("Contract")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")


class ConsentSource(models.TextChoices):
    WEB_FORM = "web_form", _("Online form")
    SELF_SERVICE = "self_service", _("The person's own details page")
    PAPER = "paper", _("Paper form")
    PHONE = "phone", _("Phone call")
    IN_PERSON = "in_person", _("In person")
    IMPORT = "import", _("Imported list")
    STAFF = "staff", _("Recorded by staff")


class ConsentRecord(models.Model):
    """One grant of a lawful basis for one purpose, with its evidence. Never edited: a change is a new record,
    a withdrawal stamps `withdrawn_at`. The newest record for a (person, purpose) decides."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="consents")
    lawful_basis = models.CharField(_("lawful basis"), max_length=30, choices=LawfulBasis.choices,
                                    default=LawfulBasis.CONSENT)
    channels = models.JSONField(default=list, blank=True,
                                help_text=_("Channels covered; empty means every channel"))
    source = models.CharField(_("how it was given"), max_length=20, choices=ConsentSource.choices)
    wording = models.TextField(_("wording shown to the person"), blank=True)
    given_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_source = models.CharField(max_length=20, choices=ConsentSource.choices, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["person", "purpose", "given_at"])]

    def __str__(self) -> str:
        return f"{self.get_lawful_basis_display()} for {self.purpose.name} (#{self.pk})"

    @property
    def area(self) -> Area:
        return self.person.area


class Demographics(models.Model):
    """Special-category and equality data, apart from identity and encrypted at rest.

    `answers` is a dict keyed by the characteristics in `people.characteristics` (ethnicity, religion, disability,
    sexual_orientation, health, and the ordinary age_band and sex used for quotas). It cannot be queried in the
    database; `selectors.match_characteristics` decrypts in Python.
    """

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="demographics")
    answers = EncryptedJSONField(default=dict)
    collected_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, choices=ConsentSource.choices, default=ConsentSource.STAFF)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "demographics"

    def __str__(self) -> str:
        return f"Equality data #{self.pk}"

    @property
    def area(self) -> Area:
        return self.person.area


class Segment(models.Model):
    """A saved filter used to target invitations, or (is_panel) a standing panel with its own membership."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="segments", verbose_name=_("area"),
                             help_text=_("Only people in this area (and the areas beneath it) are included"))
    filters = models.JSONField(default=dict, blank=True)
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="segments",
                                verbose_name=_("purpose of contact"))
    is_panel = models.BooleanField(_("standing panel"), default=False,
                                   help_text=_("Members join and leave the panel explicitly"))
    seldom_heard = models.BooleanField(_("seldom-heard group"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def uses_characteristics(self) -> bool:
        return bool(self.filters.get("characteristics"))


class PanelMembership(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="panel_memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="panel_memberships")
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "person"], name="unique_panel_member")]


class ContactKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")
    NEWSLETTER = "newsletter", _("Newsletter or update")
    FEEDBACK = "feedback", _("You said, we did")
    RESPONSE = "response", _("Responded")
    ATTENDANCE = "attendance", _("Attended")
    CONVERSATION = "conversation", _("Conversation or meeting")
    SERVICE = "service", _("Service message")
    NOTE = "note", _("Note")


# Kinds that ask something of the person: the fatigue guard counts these.
REQUEST_KINDS = frozenset({ContactKind.INVITATION, ContactKind.REMINDER})


class ContactEvent(models.Model):
    """One contact with a person through any channel, written by any app through `services.record_contact`."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contact_events")
    kind = models.CharField(max_length=20, choices=ContactKind.choices)
    channel = models.CharField(max_length=30, help_text=_("A ContactChannel, or 'in_person' / 'online'"))
    purpose = models.ForeignKey(Purpose, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=200, blank=True, help_text=_("What it was about, e.g. 'consultation:12'"))
    note = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    contribution = models.ForeignKey("core.Contribution", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", help_text=_("What they said, for responses"))

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["person", "kind", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.channel} (#{self.pk})"

    @property
    def area(self) -> Area:
        return self.person.area


class MagicLink(models.Model):
    """A single-use self-service sign-in link. Only a hash of its nonce is stored."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="magic_links")
    nonce_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash(nonce: str) -> str:
        return hashlib.sha256(nonce.encode()).hexdigest()


class ErasureRequest(models.Model):
    """A person asked to be forgotten. Contact stops at once; an administrator carries it out (see docs/people.md)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an administrator")
        DONE = "done", _("Carried out")
        REFUSED = "refused", _("Refused (reason recorded)")

    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="erasure_requests")
    person_label = models.CharField(max_length=50, help_text=_("'Person #id'; kept after erasure"))
    area = models.ForeignKey(Area, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, choices=ConsentSource.choices, default=ConsentSource.SELF_SERVICE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"Erasure request for {self.person_label}"

    @property
    def due_by(self) -> Any:
        # UK GDPR Article 12(3): without undue delay and within one month.
        return self.requested_at + timedelta(days=30)


class PersonMerge(models.Model):
    """History of a merge: who was folded into whom, what they looked like, and what moved."""

    kept = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges")
    merged = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    merged_snapshot = models.JSONField()
    chosen_fields = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-merged_at"]


class ImportJob(models.Model):
    """An upload of people or organisations, from file to mapping, preview and a background import.

    The parsed rows are kept only until the import finishes or is abandoned (retention: 7 days).
    """

    class Kind(models.TextChoices):
        PEOPLE = "people", _("People")
        ORGANISATIONS = "organisations", _("Organisations")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded, needs column mapping")
        MAPPED = "mapped", _("Mapped, ready to import")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    filename = models.CharField(max_length=200)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+",
                             help_text=_("Used when a row's postcode does not find an area"))
    headers = models.JSONField(default=list)
    rows = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    purpose = models.ForeignKey(Purpose, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices, blank=True)
    consent_wording = models.TextField(blank=True)
    consent_source = models.CharField(max_length=20, choices=ConsentSource.choices, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    outcome = models.JSONField(null=True, blank=True)
    progress = models.ForeignKey("core.TaskProgress", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.filename}"
