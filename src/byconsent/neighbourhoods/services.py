"""Every write to neighbourhood pages: permission (manage engagement in the area), transaction, audit entry."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
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
from byconsent.neighbourhoods.models import CrimeCount, CrimeImport, Meeting, Priority, TeamMember

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


# ---- crime figures -----------------------------------------------------------------------------------------------

@dataclass
class CrimeImportReport:
    rows: int = 0
    placed: int = 0
    no_location: int = 0
    outside_areas: int = 0
    without_crime_id: int = 0
    unmatched_codes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    import_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def zone_lookup() -> dict[str, Area]:
    """LSOA / data zone code -> the deepest area that lists it."""
    lookup: dict[str, Area] = {}
    for area in Area.objects.exclude(zone_codes=[]).order_by("level"):
        for code in area.zone_codes or []:
            lookup[str(code).strip().upper()] = area
    return lookup


def import_street_crime(actor: Any, text: str, filename: str = "", progress: Any = None) -> CrimeImportReport:
    """Import a data.police.uk street-level crime CSV: count crimes per neighbourhood, month and type.

    All or nothing: a wrong line stops the import and is reported with its line number. Re-importing a month from
    the same force replaces that month's figures, so running it twice changes nothing. Rows with no location and
    rows in zones outside every area are counted and reported, never guessed.
    """
    if actor is not None:
        require(actor, Do.MANAGE_ENGAGEMENT, force_area())
    parsed = policeuk.read_crime_csv(text)
    report = CrimeImportReport(rows=parsed.rows, no_location=parsed.no_location,
                               without_crime_id=parsed.without_crime_id, errors=parsed.errors)
    if not report.ok:
        return report
    if progress:
        progress(0.3, f"Read {parsed.rows} rows")
    lookup = zone_lookup()
    totals: dict[tuple[int, datetime.date, str, str], int] = {}
    unmatched: set[str] = set()
    source = " / ".join(sorted(parsed.sources))
    for (zone, month, crime_type), count in parsed.counts.items():
        area = lookup.get(zone)
        if area is None:
            report.outside_areas += count
            unmatched.add(zone)
            continue
        key = (area.pk, month, crime_type, source)
        totals[key] = totals.get(key, 0) + count
        report.placed += count
    report.unmatched_codes = sorted(unmatched)
    with transaction.atomic():
        CrimeCount.objects.filter(source=source, month__in=parsed.months).delete()
        CrimeCount.objects.bulk_create([CrimeCount(area_id=area_id, month=month, crime_type=crime_type, count=count,
                                                   source=source_name)
                                        for (area_id, month, crime_type, source_name), count in totals.items()])
        record = CrimeImport.objects.create(
            filename=filename[:300], source=source, months=sorted(m.isoformat()[:7] for m in parsed.months),
            rows=report.rows, placed=report.placed, no_location=report.no_location,
            outside_areas=report.outside_areas, without_crime_id=report.without_crime_id,
            unmatched_codes=report.unmatched_codes[:500],
            created_by=actor if getattr(actor, "is_authenticated", False) else None)
        report.import_id = record.pk
        audit.record(actor or "import", "neighbourhood.crime_imported", record,
                     after={"source": source, "months": record.months, "rows": report.rows,
                            "placed": report.placed, "no_location": report.no_location,
                            "outside_areas": report.outside_areas})
    return report


def force_area() -> Area | None:
    """Crime files cover a whole force, so importing one needs the role at the top of the tree."""
    return Area.objects.filter(parent__isnull=True).order_by("pk").first()


def request_crime_import(actor: Any, text: str, filename: str) -> Any:
    require(actor, Do.MANAGE_ENGAGEMENT, force_area())
    from byconsent.core import tasks

    return tasks.start("Import police.uk street-level crime", "byconsent.neighbourhoods.tasks.crime_import_task",
                       {"csv_text": text, "filename": filename}, requested_by=actor)
