"""Every write to neighbourhood pages: permission (manage engagement in the area), transaction, audit entry.
Crime figures are imported once, for the whole platform, by ``byconsent.insights.services.start_crime_import``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from byconsent.core import audit
from byconsent.core.html import clean_html
from byconsent.core.models import Area
from byconsent.core.policy import Action as Do
from byconsent.core.policy import can, require
from byconsent.core.services import ImportReport
from byconsent.neighbourhoods import policeuk
from byconsent.neighbourhoods.models import Meeting, Priority, TeamMember

MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def photo_type(data: bytes) -> str | None:
    """JPEG or PNG, recognised from the file's first bytes (never from its name)."""
    for signature, content_type in PHOTO_TYPES.items():
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


# ---- team --------------------------------------------------------------------------------------------------------

TEAM_FIELDS = ["area", "name", "role_title", "contact_email", "contact_phone", "order", "left_on", "user",
               "photo_consent"]


def save_team_member(actor: Any, member: TeamMember | None = None, *, photo: bytes | None = None,
                     **values: Any) -> TeamMember:
    """Add or change a team member. A photo is kept only with consent; withdrawing consent deletes it at once."""
    member = member or TeamMember()
    if member.pk:
        require(actor, Do.MANAGE_ENGAGEMENT, member)
    area = values.get("area", getattr(member, "area", None))
    require(actor, Do.MANAGE_ENGAGEMENT, area)
    unknown = set(values) - set(TEAM_FIELDS)
    if unknown:
        raise ValueError(f"Cannot set {', '.join(sorted(unknown))}")
    if photo is not None:
        if len(photo) > MAX_PHOTO_BYTES:
            raise ValidationError({"photo": "The photo must be smaller than 2 MB"})
        if photo_type(photo) is None:
            raise ValidationError({"photo": "The photo must be a JPEG, PNG or WebP image"})
        if not values.get("photo_consent", member.photo_consent):
            raise ValidationError({"photo": "A photo can only be published when the person has agreed"})
    with transaction.atomic():
        before = audit.snapshot(member, TEAM_FIELDS) if member.pk else None
        had_consent = member.photo_consent
        for name, value in values.items():
            setattr(member, name, value)
        if photo is not None:
            member.photo = photo
            member.photo_content_type = photo_type(photo) or ""
        if member.photo_consent and not had_consent:
            member.photo_consent_on = timezone.localdate()
        if not member.photo_consent:
            member.photo = None
            member.photo_content_type = ""
            member.photo_consent_on = None
        member.full_clean(exclude=["user"])
        member.save()
        after = {**audit.snapshot(member, TEAM_FIELDS), "photo": bool(member.photo)}
        audit.record(actor, "neighbourhood.team_member_saved" if before else "neighbourhood.team_member_added",
                     member, before=before, after=after)
    return member


def remove_team_member(actor: Any, member: TeamMember) -> None:
    require(actor, Do.MANAGE_ENGAGEMENT, member)
    with transaction.atomic():
        audit.record(actor, "neighbourhood.team_member_removed", member,
                     before={"name": member.name, "role_title": member.role_title})
        member.delete()


# ---- priorities --------------------------------------------------------------------------------------------------

PRIORITY_FIELDS = ["area", "issue", "issue_date", "action", "action_date", "status", "set_with", "ledger_action"]


def save_priority(actor: Any, priority: Priority | None = None, **values: Any) -> Priority:
    priority = priority or Priority()
    if priority.pk:
        require(actor, Do.MANAGE_ENGAGEMENT, priority)
    area = values.get("area", getattr(priority, "area", None))
    require(actor, Do.MANAGE_ENGAGEMENT, area)
    unknown = set(values) - set(PRIORITY_FIELDS)
    if unknown:
        raise ValueError(f"Cannot set {', '.join(sorted(unknown))}")
    ledger_action = values.get("ledger_action")
    if ledger_action is not None and not can(actor, Do.VIEW_AREA, ledger_action):
        raise ValidationError({"ledger_action": "Choose an action in your areas"})
    with transaction.atomic():
        before = audit.snapshot(priority, PRIORITY_FIELDS) if priority.pk else None
        for name, value in values.items():
            setattr(priority, name, value)
        priority.full_clean()
        priority.save()
        audit.record(actor, "neighbourhood.priority_saved" if before else "neighbourhood.priority_added", priority,
                     before=before, after=audit.snapshot(priority, PRIORITY_FIELDS))
    return priority


def import_priorities(actor: Any, area: Area, text: str) -> ImportReport:
    """Priorities in the police.uk shape into one neighbourhood. All or nothing; re-importing the same file
    updates what it imported before instead of adding copies."""
    require(actor, Do.MANAGE_ENGAGEMENT, area)
    parsed = policeuk.read_priorities(text)
    report = ImportReport(errors=parsed.errors)
    if not report.ok:
        return report
    with transaction.atomic():
        for row in parsed.rows:
            values = {"issue": str(clean_html(row.issue)), "issue_date": row.issue_date,
                      "action": str(clean_html(row.action)), "action_date": row.action_date}
            existing = Priority.objects.filter(area=area, external_key=row.key).first()
            if existing is None:
                Priority.objects.create(area=area, external_key=row.key, **values)
                report.created += 1
            elif any(getattr(existing, k) != v for k, v in values.items()):
                Priority.objects.filter(pk=existing.pk).update(**values)
                report.updated += 1
        audit.record(actor, "neighbourhood.priorities_imported", area,
                     after={"created": report.created, "updated": report.updated})
    return report


# ---- meetings ----------------------------------------------------------------------------------------------------

MEETING_FIELDS = ["area", "title", "starts_at", "ends_at", "location", "online_url", "description", "access_notes",
                  "cancelled"]


def save_meeting(actor: Any, meeting: Meeting | None = None, **values: Any) -> Meeting:
    meeting = meeting or Meeting()
    if meeting.pk:
        require(actor, Do.MANAGE_ENGAGEMENT, meeting)
    area = values.get("area", getattr(meeting, "area", None))
    require(actor, Do.MANAGE_ENGAGEMENT, area)
    unknown = set(values) - set(MEETING_FIELDS)
    if unknown:
        raise ValueError(f"Cannot set {', '.join(sorted(unknown))}")
    if values.get("ends_at") and values.get("starts_at") and values["ends_at"] <= values["starts_at"]:
        raise ValidationError({"ends_at": "The meeting must end after it starts"})
    if not (values.get("location") or values.get("online_url") or meeting.location or meeting.online_url):
        raise ValidationError({"location": "Say where the meeting is, or give its online link"})
    with transaction.atomic():
        before = audit.snapshot(meeting, MEETING_FIELDS) if meeting.pk else None
        if before is None:
            repeat = Meeting.objects.filter(area=values.get("area"), title=values.get("title"),
                                            starts_at=values["starts_at"]).first() if values.get("starts_at") else None
            if repeat is not None:
                return repeat
        for name, value in values.items():
            setattr(meeting, name, value)
        meeting.full_clean()
        meeting.save()
        audit.record(actor, "neighbourhood.meeting_saved" if before else "neighbourhood.meeting_added", meeting,
                     before=before, after=audit.snapshot(meeting, MEETING_FIELDS))
    return meeting
