"""Neighbourhood pages: the local team, priorities set with the community and meetings. Local crime figures are
read from the analysis workspace's street crime records (``insights.selectors.crime_counts``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from byconsent.core.models import Area


class TeamMember(models.Model):
    """An officer or staff member on a neighbourhood team, as shown to the public."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="team_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", help_text=_("Their ByConsent account, if they have one"))
    name = models.CharField(_("name"), max_length=200)
    role_title = models.CharField(_("role"), max_length=200, help_text=_("For example 'Police Constable' or 'PCSO'"))
    contact_email = models.EmailField(_("email for the public"), blank=True,
                                      help_text=_("Use a team mailbox where possible"))
    contact_phone = models.CharField(_("phone for the public"), max_length=40, blank=True)
    # The photo is kept in the database and served only while consent stands; withdrawing consent deletes it.
    photo = models.BinaryField(null=True, blank=True, editable=False)
    photo_content_type = models.CharField(max_length=50, blank=True)
    photo_consent = models.BooleanField(default=False)
    photo_consent_on = models.DateField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    left_on = models.DateField(null=True, blank=True, help_text=_("Set when they leave the team"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.role_title}"

    @property
    def shows_photo(self) -> bool:
        return bool(self.photo_consent and self.photo)


class Priority(models.Model):
    """A neighbourhood priority agreed with the community, in the police.uk shape (issue, action and their dates),
    optionally followed through by an action in the "You said, we did" ledger."""

    class Status(models.TextChoices):
        CURRENT = "current", _("Current")
        CLOSED = "closed", _("Closed")

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="priorities")
    issue = models.TextField(_("the issue"))
    issue_date = models.DateField(_("date the issue was raised"))
    action = models.TextField(_("what we are doing"), blank=True)
    action_date = models.DateField(_("date of the action"), null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CURRENT)
    set_with = models.CharField(_("agreed at"), max_length=200, blank=True,
                                help_text=_("For example 'Northtown community meeting, March 2026'"))
    ledger_action = models.ForeignKey("actions.Action", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="neighbourhood_priorities")
    external_key = models.CharField(max_length=64, blank=True, db_index=True,
                                    help_text=_("Identifies an imported priority so a re-import updates it"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name_plural = "priorities"

    def __str__(self) -> str:
        return self.issue[:80]


class Meeting(models.Model):
    """A public meeting or event in a neighbourhood (a simple model until the events app exists)."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="neighbourhood_meetings")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    location = models.CharField(_("where"), max_length=300, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    description = models.TextField(_("about the meeting"), blank=True)
    access_notes = models.CharField(_("access"), max_length=300, blank=True,
                                    help_text=_("For example step-free access, hearing loop, BSL interpreter"))
    cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return self.title
