"""The shared kernel: people who sign in, the force's geography, roles, contributions, audit and live events."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailUserManager(UserManager["User"]):
    """Email is the login; there is no username."""

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:  # type: ignore[override]
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.update(is_superuser=True, is_staff=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """Anyone who signs in: staff, community hosts, panel members, or members of the public."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    preferred_language = models.CharField(max_length=10, default="en-gb")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]
    objects = EmailUserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_staff_member(self) -> bool:
        """True for anyone holding a staff role anywhere (community hosts are not staff)."""
        if not self.is_authenticated:
            return False
        if self.is_superuser:
            return True
        return self.role_assignments.filter(role__in=Role.staff_roles()).exists()


class Area(models.Model):
    """A node of the force's geography: force > division > local area > neighbourhood."""

    class Level(models.IntegerChoices):
        FORCE = 0, _("Force")
        DIVISION = 1, _("Division")
        LOCAL_AREA = 2, _("Local policing area")
        NEIGHBOURHOOD = 3, _("Neighbourhood")

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Materialised path of ancestor ids ("/1/4/17/") so a whole subtree is one indexed prefix query.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    zone_codes = models.JSONField(default=list, blank=True, help_text=_("LSOA or data zone codes in this area"))
    boundary = models.JSONField(null=True, blank=True, help_text=_("GeoJSON geometry"))
    population = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent is None and self.level != Area.Level.FORCE:
            raise ValidationError({"parent": _("Only the force has no parent area.")})
        if self.parent is not None and self.level != self.parent.level + 1:
            raise ValidationError({"level": _("An area must sit one level below its parent.")})

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        expected = f"{self.parent.path if self.parent else '/'}{self.pk}/"
        if self.path != expected:
            self.path = expected
            super().save(update_fields=["path"])

    def subtree(self) -> models.QuerySet[Area]:
        return Area.objects.filter(path__startswith=self.path)

    def ancestors(self) -> models.QuerySet[Area]:
        return Area.objects.filter(pk__in=self._path_ids()).order_by("level")

    @property
    def root_id(self) -> int:
        """The id of the force (the top of the tree) this area belongs to, read from its path without a query."""
        return self._path_ids()[0]

    def _path_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def is_within(self, other: Area) -> bool:
        return self.path.startswith(other.path)


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    ENGAGEMENT_OFFICER = "engagement_officer", _("Engagement officer")
    ANALYST = "analyst", _("Analyst")
    LOCAL_OFFICER = "local_officer", _("Local officer")
    COMMANDER = "commander", _("Commander")
    ETHICS_PANEL = "ethics_panel", _("Ethics panel member")
    COMMUNITY_HOST = "community_host", _("Community host")

    @classmethod
    def staff_roles(cls) -> list[str]:
        return [role.value for role in cls if role is not cls.COMMUNITY_HOST]


class RoleAssignment(models.Model):
    """A role held over an area and everything beneath it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=40, choices=Role.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="role_assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role", "area"], name="unique_role_per_area")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.area}"


class Channel(models.TextChoices):
    ONLINE_SURVEY = "online_survey", _("Online survey")
    PAPER = "paper", _("Paper")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    FOCUS_GROUP = "focus_group", _("Focus group")
    PULSE = "pulse", _("Pulse survey")
    IDEA = "idea", _("Idea board")
    COMMENT = "comment", _("Comment")
    LIVE_QUESTION = "live_question", _("Live question")
    COMMUNITY_CONVERSATION = "community_conversation", _("Community conversation")
    PANEL = "panel", _("Citizens' panel")
    STAFF_NOTE = "staff_note", _("Staff note")


class ModerationState(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    APPROVED = "approved", _("Approved for publication")
    REJECTED = "rejected", _("Not published")
    RESTRICTED = "restricted", _("Held back: possible crime report or risk")


class Contribution(models.Model):
    """One thing one person said, through any channel. Analysis and feedback work on these whatever the channel."""

    channel = models.CharField(max_length=40, choices=Channel.choices)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="contributions")
    language = models.CharField(max_length=10, default="en-gb")
    text = models.TextField()
    # A date, not a time: an anonymous contribution must not carry a timestamp finer than a day.
    created_on = models.DateField(default=timezone.localdate)
    moderation_state = models.CharField(
        max_length=20, choices=ModerationState.choices, default=ModerationState.PENDING
    )
    # Set only when the person agreed to be identified or contacted; null means anonymous.
    contributor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contributions"
    )
    wants_feedback = models.BooleanField(default=False)
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    source_id = models.CharField(max_length=64, blank=True)
    source = GenericForeignKey("source_type", "source_id")

    class Meta:
        indexes = [models.Index(fields=["area", "created_on"]), models.Index(fields=["source_type", "source_id"])]

    def __str__(self) -> str:
        return self.text[:60]


class AuditEntry(models.Model):
    """An append-only record of a write made through a service: who, what, when, before and after."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, help_text=_("Kept if the account is later erased"))
    action = models.CharField(max_length=100)
    object_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("Audit entries cannot be deleted.")


class OutboxEvent(models.Model):
    """A live event for Server-Sent Events streams; its id is the SSE event id used for replay."""

    channel = models.CharField(max_length=100, db_index=True)
    event_type = models.CharField(max_length=50)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]


class WorkerHeartbeat(models.Model):
    """Written by each task worker every few seconds; /healthz reads it."""

    worker_id = models.CharField(max_length=64, unique=True)
    last_seen = models.DateTimeField()


class TaskProgress(models.Model):
    """A long piece of work as staff see it: what it is, how far it has got, how it ended, and how to retry it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    title = models.CharField(max_length=200)
    task_path = models.CharField(max_length=200, help_text=_("Dotted path of the task function"))
    arguments = models.JSONField(default=dict)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    fraction = models.FloatField(default=0.0)
    message = models.CharField(max_length=300, blank=True)
    outcome = models.JSONField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class RateLimitBucket(models.Model):
    """A token bucket per key (action + client), kept in the database so every process shares it."""

    key = models.CharField(max_length=200, unique=True)
    tokens = models.FloatField()
    updated_at = models.DateTimeField()
    # Whether the latest request took a token: the one-statement update in core.ratelimit reports it back.
    last_allowed = models.BooleanField(default=True)


def new_unsubscribe_token() -> str:
    return secrets.token_urlsafe(24)


class NotificationPreference(models.Model):
    """Per-person, per-topic choice to receive messages; the token makes one-click unsubscribe links."""

    email = models.EmailField(db_index=True)
    topic = models.CharField(max_length=100, help_text=_("'*' means every topic"))
    subscribed = models.BooleanField(default=True)
    token = models.CharField(max_length=64, unique=True, default=new_unsubscribe_token)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["email", "topic"], name="unique_preference")]


class NotificationRecord(models.Model):
    """Every message the platform tried to send, whatever the outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Not sent: unsubscribed")

    recipient = models.EmailField(db_index=True)
    topic = models.CharField(max_length=100)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # Makes a repeated send of the same message (retry, double click) a no-op.
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)


class PostcodeArea(models.Model):
    """Postcode (full, or outward code only) to area; used to find what is near a member of the public."""

    postcode = models.CharField(max_length=10, unique=True, help_text=_("Normalised: upper case, no spaces"))
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="postcodes")
