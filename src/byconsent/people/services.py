"""Every write to the people app: permission check, transaction, audit entry, and the consent check before any send.

Other apps use:
- `record_contact(person, kind, channel, source=..., when=...)` to add to a person's contact history;
- `consent.may_contact(person, purpose, channel)` before contacting anyone, or `send_email(...)` here, which checks
  consent and the fatigue guard, queues the email and records the contact in one call.

Audit entries written here name the fields that changed, never their values: audit entries outlive erasure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from byconsent.core import audit, notifications
from byconsent.core.models import Area, AuditEntry, NotificationPreference, NotificationRecord, User
from byconsent.core.policy import Action, require
from byconsent.core.postcodes import find_area, normalise_postcode
from byconsent.people import characteristics, fatigue
from byconsent.people.consent import contactable, may_contact
from byconsent.people.models import (
    REQUEST_KINDS,
    ConsentRecord,
    ConsentSource,
    ContactChannel,
    ContactEvent,
    ContactKind,
    Demographics,
    ErasureRequest,
    Interest,
    LawfulBasis,
    MagicLink,
    Membership,
    Organisation,
    PanelMembership,
    Person,
    PersonMerge,
    Purpose,
    Segment,
)
from byconsent.people.permissions import (
    MANAGE_ERASURE,
    MANAGE_SEGMENTS,
    SelfService,
    actor_label,
    can_see_special_category,
    is_self,
    require_edit,
    require_special_category,
)

PERSON_FIELDS = ["full_name", "email", "phone", "address", "postcode", "preferred_language", "preferred_channel",
                 "accessibility_needs", "area", "relationship_owner", "do_not_contact"]
SELF_SERVICE_FIELDS = {"full_name", "email", "phone", "address", "postcode", "preferred_language",
                       "preferred_channel", "accessibility_needs"}
# Purposes a person may sign up to themselves on their details page (a standing panel needs staff to add them).
SELF_SERVICE_PURPOSES = ("consultation-alerts", "panel-invitations", "you-said-we-did")
ORGANISATION_FIELDS = ["name", "kind", "area", "email", "phone", "address", "postcode", "website", "notes",
                       "relationship_owner"]


# ---- people and organisations ----------------------------------------------------------------------------------

def _clean_person_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    if "email" in cleaned:
        cleaned["email"] = (cleaned["email"] or "").strip().lower()
    if "postcode" in cleaned:
        raw = (cleaned["postcode"] or "").strip()
        normalised = normalise_postcode(raw) if raw else ""
        if raw and normalised is None:
            raise ValidationError({"postcode": "Enter a real postcode, like EH1 1YZ"})
        cleaned["postcode"] = normalised or ""
    for key in ("full_name", "phone"):
        if key in cleaned:
            cleaned[key] = (cleaned[key] or "").strip()
    return cleaned


def create_person(actor: Any, *, area: Area | None = None, interests: Iterable[Interest] = (),
                  **values: Any) -> Person:
    values = _clean_person_values(values)
    if area is None and values.get("postcode"):
        area = find_area(values["postcode"])
    if area is None:
        raise ValidationError({"area": "Choose the area this person belongs to"})
    person = Person(area=area, **values)
    require_edit(actor, person)
    person.full_clean(exclude=["user", "merged_into"])
    with transaction.atomic():
        person.save()
        if interests:
            person.interests.set(interests)
        audit.record(actor_label(actor), "person.created", person,
                     after={"fields": sorted(k for k, v in values.items() if v)})
    return person


def update_person(actor: Any, person: Person, changes: dict[str, Any]) -> list[str]:
    """Change identity and preference fields; returns the names of the fields that changed."""
    require_edit(actor, person)
    allowed = SELF_SERVICE_FIELDS if isinstance(actor, SelfService) else set(PERSON_FIELDS)
    unknown = set(changes) - allowed
    if unknown:
        raise PermissionDenied(f"Cannot change {', '.join(sorted(unknown))}")
    changes = _clean_person_values(changes)
    if "area" in changes and changes["area"] != person.area:
        require_edit(actor, changes["area"])  # may not move someone into an area outside your own
    changed = [name for name, value in changes.items() if getattr(person, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(person, name, changes[name])
    person.full_clean(exclude=["user", "merged_into"])
    with transaction.atomic():
        person.save()
        audit.record(actor_label(actor), "person.updated", person, after={"changed": sorted(changed)})
    return changed


def set_interests(actor: Any, person: Person, interests: Iterable[Interest]) -> None:
    require_edit(actor, person)
    interests = list(interests)
    if {i.pk for i in interests} == set(person.interests.values_list("pk", flat=True)):
        return
    with transaction.atomic():
        person.interests.set(list(interests))
        audit.record(actor_label(actor), "person.interests_changed", person,
                     after={"interests": sorted(i.name for i in person.interests.all())})


def link_account(actor: Any, person: Person, user: User | None) -> None:
    require_edit(actor, person)
    with transaction.atomic():
        person.user = user
        person.save(update_fields=["user", "updated_at"])
        audit.record(actor, "person.account_linked" if user else "person.account_unlinked", person)


def create_organisation(actor: Any, *, interests: Iterable[Interest] = (), **values: Any) -> Organisation:
    if values.get("postcode"):
        values["postcode"] = normalise_postcode(values["postcode"]) or values["postcode"].strip().upper()
    organisation = Organisation(**values)
    require_edit(actor, organisation)
    organisation.full_clean()
    with transaction.atomic():
        organisation.save()
        if interests:
            organisation.interests.set(interests)
        audit.record(actor, "organisation.created", organisation)
    return organisation


def update_organisation(actor: Any, organisation: Organisation, changes: dict[str, Any],
                        interests: Iterable[Interest] | None = None) -> list[str]:
    require_edit(actor, organisation)
    if "area" in changes and changes["area"] != organisation.area:
        require_edit(actor, changes["area"])
    changed = [name for name, value in changes.items() if getattr(organisation, name) != value]
    with transaction.atomic():
        for name in changed:
            setattr(organisation, name, changes[name])
        organisation.full_clean()
        organisation.save()
        if interests is not None:
            organisation.interests.set(list(interests))
        audit.record(actor, "organisation.updated", organisation, after={"changed": sorted(changed)})
    return changed


def add_membership(actor: Any, person: Person, organisation: Organisation, role: str = "",
                   is_main_contact: bool = False) -> Membership:
    require_edit(actor, person)
    with transaction.atomic():
        membership, _created = Membership.objects.update_or_create(
            person=person, organisation=organisation,
            defaults={"role": role, "is_main_contact": is_main_contact, "ended_on": None})
        if membership.started_on is None:
            membership.started_on = timezone.localdate()
            membership.save(update_fields=["started_on"])
        audit.record(actor, "person.membership_added", person,
                     after={"organisation": organisation.pk, "role": role})
    return membership


def end_membership(actor: Any, membership: Membership) -> None:
    require_edit(actor, membership.person)
    with transaction.atomic():
        membership.ended_on = timezone.localdate()
        membership.save(update_fields=["ended_on"])
        audit.record(actor, "person.membership_ended", membership.person,
                     after={"organisation": membership.organisation_id})


# ---- consent and lawful basis -----------------------------------------------------------------------------------

def record_consent(actor: Any, person: Person, purpose: Purpose, *, lawful_basis: str = LawfulBasis.CONSENT,
                   source: str, wording: str = "", channels: Iterable[str] = (), given_at: datetime | None = None,
                   expires_at: datetime | None = None) -> ConsentRecord:
    """Record a grant of consent (or another lawful basis) with its evidence. Consent needs the wording shown."""
    require_edit(actor, person)
    if purpose.is_service:
        raise ValidationError("Service messages need no consent record")
    if lawful_basis not in LawfulBasis.values:
        raise ValidationError(f"Unknown lawful basis {lawful_basis}")
    if source not in ConsentSource.values:
        raise ValidationError(f"Unknown source {source}")
    if lawful_basis == LawfulBasis.CONSENT and not wording.strip():
        raise ValidationError({"wording": "Record the words the person agreed to: consent is not valid without them"})
    channel_list = sorted(set(channels))
    if any(c not in ContactChannel.values for c in channel_list):
        raise ValidationError({"channels": "Unknown channel"})
    with transaction.atomic():
        record = ConsentRecord.objects.create(
            person=person, purpose=purpose, lawful_basis=lawful_basis, source=source, wording=wording.strip(),
            channels=channel_list, given_at=given_at or timezone.now(), expires_at=expires_at,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
        audit.record(actor_label(actor), "consent.recorded", person,
                     after={"purpose": purpose.slug, "lawful_basis": lawful_basis, "source": source,
                            "channels": channel_list, "record": record.pk})
        if person.email:
            # A fresh grant turns the purpose's messages back on if they had unsubscribed from that topic.
            NotificationPreference.objects.filter(email=person.email.lower(), topic=purpose.slug).update(
                subscribed=True)
    return record


def withdraw_consent(actor: Any, person: Person, purpose: Purpose, *, source: str,
                     when: datetime | None = None) -> int:
    """Withdraw every current grant for the purpose. Leaving a standing panel goes with it."""
    require_edit(actor, person)
    when = when or timezone.now()
    with transaction.atomic():
        count = ConsentRecord.objects.filter(person=person, purpose=purpose, withdrawn_at__isnull=True).update(
            withdrawn_at=when, withdrawal_source=source)
        PanelMembership.objects.filter(person=person, segment__purpose=purpose, segment__is_panel=True,
                                       left_at__isnull=True).update(left_at=when)
        audit.record(actor_label(actor), "consent.withdrawn", person,
                     after={"purpose": purpose.slug, "source": source, "records": count})
    return int(count)


def current_consents(person: Person) -> list[ConsentRecord]:
    """The newest record per purpose (what `may_contact` looks at)."""
    newest: dict[int, ConsentRecord] = {}
    now = timezone.now()
    for record in person.consents.select_related("purpose").order_by("given_at", "id"):
        if record.given_at <= now:
            newest[record.purpose_id] = record
    return sorted(newest.values(), key=lambda r: r.purpose.name)


# ---- special-category data --------------------------------------------------------------------------------------

def read_demographics(actor: Any, person: Person, reason: str = "viewed") -> dict[str, str]:
    """Decrypt one person's answers. Only privileged roles or the person themselves; every read is audited."""
    require_special_category(actor, person)
    row = Demographics.objects.filter(person=person).first()
    audit.record(actor_label(actor), "demographics.read", person,
                 after={"reason": reason, "held": row is not None})
    return dict(cast(dict[str, str], row.answers)) if row is not None else {}


def save_demographics(actor: Any, person: Person, answers: dict[str, Any],
                      source: str = ConsentSource.STAFF) -> Demographics:
    require_special_category(actor, person)
    cleaned = characteristics.clean_answers(answers)
    with transaction.atomic():
        row, _created = Demographics.objects.get_or_create(person=person, defaults={"source": source})
        row.answers = cleaned  # type: ignore[assignment]
        row.source = source
        row.collected_at = timezone.now()
        row.save()
        audit.record(actor_label(actor), "demographics.updated", person, after={"answered": sorted(cleaned)})
    return row


def delete_demographics(actor: Any, person: Person) -> None:
    require_special_category(actor, person)
    with transaction.atomic():
        Demographics.objects.filter(person=person).delete()
        audit.record(actor_label(actor), "demographics.deleted", person)


# ---- contact history and sending --------------------------------------------------------------------------------

def record_contact(person: Person, kind: str, channel: str, *, source: str = "", when: datetime | None = None,
                   purpose: Purpose | str | None = None, note: str = "", recorded_by: Any = None,
                   contribution: Any = None) -> ContactEvent:
    """Add one contact to a person's history. Other apps call this after they invite, remind, hear from or meet
    someone; invitations and reminders count towards the fatigue guard. The caller has already checked permission
    (and consent, for anything it sent)."""
    if kind not in ContactKind.values:
        raise ValueError(f"Unknown contact kind {kind}")
    if isinstance(purpose, str):
        purpose = Purpose.objects.get(slug=purpose)
    return ContactEvent.objects.create(
        person=person, kind=kind, channel=channel, purpose=purpose, source=source[:200], note=note,
        occurred_at=when or timezone.now(), contribution=contribution,
        recorded_by=recorded_by if getattr(recorded_by, "is_authenticated", False) else None)


def add_contact_note(actor: Any, person: Person, kind: str, channel: str, note: str,
                     when: datetime | None = None) -> ContactEvent:
    require_edit(actor, person)
    with transaction.atomic():
        event = record_contact(person, kind, channel, source="staff note", when=when, note=note, recorded_by=actor)
        audit.record(actor, "contact.recorded", person, after={"kind": kind, "channel": channel})
    return event


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def as_outcome(self) -> dict[str, Any]:
        return {"sent": len(self.sent), "not sent": len(self.skipped),
                "reasons not sent": _tally(reason for _pid, reason in self.skipped),
                "fatigue warnings": len(self.warnings)}


def _tally(reasons: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    return counts


def plan_send(people: list[Person], purpose: Purpose, kind: str = ContactKind.INVITATION,
              channel: str = ContactChannel.EMAIL) -> SendReport:
    """What a send would do, person by person, without sending: consent first, then the fatigue guard."""
    report = SendReport()
    decisions = contactable(people, purpose, channel)
    checks = fatigue.check_many([p.pk for p in people]) if kind in REQUEST_KINDS else {}
    for person in people:
        decision = decisions[person.pk]
        if not decision:
            report.skipped.append((person.pk, decision.reason))
            continue
        check = checks.get(person.pk)
        if check is not None and check.exceeded:
            if check.blocks:
                report.skipped.append((person.pk, f"Fatigue limit: {check.reason}"))
                continue
            report.warnings.append((person.pk, f"Fatigue limit: {check.reason}"))
        report.sent.append(person.pk)
    return report


def send_email(people: Iterable[Person], purpose: Purpose | str, *, subject: str, body: str, batch_key: str,
               kind: str = ContactKind.INVITATION, source: str = "", actor: Any = None) -> SendReport:
    """Email people for a purpose: only those `may_contact` allows (and the fatigue guard, for requests) get it.
    `batch_key` makes a retried send a no-op per person. Each message sent is added to the contact history."""
    if isinstance(purpose, str):
        purpose = Purpose.objects.get(slug=purpose)
    people = list(people)
    report = plan_send(people, purpose, kind)
    by_id = {p.pk: p for p in people}
    for person_id in report.sent:
        person = by_id[person_id]
        key = f"people:{batch_key}:{person.pk}"
        with transaction.atomic():
            already_sent = NotificationRecord.objects.filter(idempotency_key=key).exists()
            record = notifications.queue_email(person.email, purpose.slug, subject, body, idempotency_key=key)
            if not already_sent and record.status != NotificationRecord.Status.SUPPRESSED:
                record_contact(person, kind, ContactChannel.EMAIL, source=source or subject[:200], purpose=purpose,
                               recorded_by=actor)
    return report


def send_service_email(person: Person, subject: str, body: str, idempotency_key: str) -> bool:
    """A message the person asked for (sign-in link, confirmation). Still goes through `may_contact`."""
    purpose, _created = Purpose.objects.get_or_create(
        slug="service", defaults={"name": "Service messages", "is_service": True,
                                  "description": "Messages you asked for, such as sign-in links"})
    decision = may_contact(person, purpose, ContactChannel.EMAIL)
    if not decision:
        return False
    notifications.queue_email(person.email, purpose.slug, subject, body, idempotency_key=idempotency_key)
    record_contact(person, ContactKind.SERVICE, ContactChannel.EMAIL, source=subject[:200], purpose=purpose)
    return True


# ---- segments and panels ---------------------------------------------------------------------------------------

def _check_segment_filters(actor: Any, area: Area, filters: dict[str, Any]) -> dict[str, Any]:
    wanted = {k: [v for v in values if v] for k, values in (filters.get("characteristics") or {}).items() if values}
    for key, values in wanted.items():
        characteristic = characteristics.BY_KEY.get(key)
        if characteristic is None or not characteristic.targetable:
            raise ValidationError(f"Cannot target on {key}")
        options = {code for code, _label in characteristic.options}
        if not set(values) <= options:
            raise ValidationError(f"Unknown answer for {key}")
    if wanted and not can_see_special_category(actor, area):
        raise PermissionDenied("Only analysts and administrators may target on characteristics")
    cleaned = {k: v for k, v in filters.items() if k != "characteristics" and v}
    if wanted:
        cleaned["characteristics"] = wanted
    return cleaned


def save_segment(actor: Any, segment: Segment | None, *, name: str, area: Area, purpose: Purpose,
                 filters: dict[str, Any], description: str = "", is_panel: bool = False,
                 seldom_heard: bool = False) -> Segment:
    require(actor, MANAGE_SEGMENTS, area)
    if segment is not None:
        require(actor, MANAGE_SEGMENTS, segment.area)
        if segment.uses_characteristics and not can_see_special_category(actor, segment.area):
            raise PermissionDenied("Only analysts and administrators may change a segment that uses characteristics")
    cleaned = _check_segment_filters(actor, area, filters)
    with transaction.atomic():
        created = segment is None
        segment = segment or Segment(created_by=actor)
        segment.name, segment.area, segment.purpose, segment.filters = name, area, purpose, cleaned
        segment.description, segment.is_panel, segment.seldom_heard = description, is_panel, seldom_heard
        segment.full_clean()
        segment.save()
        audit.record(actor, "segment.created" if created else "segment.changed", segment, after={"filters": cleaned})
    return segment


def join_panel(actor: Any, segment: Segment, person: Person) -> PanelMembership:
    if not segment.is_panel:
        raise ValidationError("Only a standing panel has members")
    if not is_self(actor, person):
        require(actor, MANAGE_SEGMENTS, segment.area)
    if not person.area.is_within(segment.area):
        raise ValidationError("This person lives outside the panel's area")
    with transaction.atomic():
        membership, _created = PanelMembership.objects.update_or_create(
            segment=segment, person=person, defaults={"left_at": None})
        audit.record(actor_label(actor), "panel.joined", person, after={"segment": segment.pk})
    return membership


def leave_panel(actor: Any, segment: Segment, person: Person) -> None:
    if not is_self(actor, person):
        require(actor, MANAGE_SEGMENTS, segment.area)
    with transaction.atomic():
        PanelMembership.objects.filter(segment=segment, person=person, left_at__isnull=True).update(
            left_at=timezone.now())
        audit.record(actor_label(actor), "panel.left", person, after={"segment": segment.pk})


EXPORT_COLUMNS = ["full_name", "email", "phone", "address", "postcode", "preferred_language", "preferred_channel",
                  "accessibility_needs"]


def export_segment_csv(actor: Any, segment: Segment, channel: str) -> tuple[str, int, int]:
    """CSV for a mail merge: only people the consent check allows for the segment's purpose on that channel.
    Returns (csv text, rows exported, people left out). Characteristics are never exported."""
    from byconsent.people.selectors import segment_members

    require(actor, MANAGE_SEGMENTS, segment.area)
    members = segment_members(segment, actor=actor)
    decisions = contactable(members, segment.purpose, channel)
    allowed = [p for p in members if decisions[p.pk]]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*EXPORT_COLUMNS, "area"])
    for person in allowed:
        values = {c: str(getattr(person, c) or "") for c in EXPORT_COLUMNS}
        values["postcode"] = person.postcode_display
        writer.writerow([_csv_safe(values[c]) for c in EXPORT_COLUMNS] + [_csv_safe(person.area.name)])
    audit.record(actor, "segment.exported", segment,
                 after={"channel": channel, "rows": len(allowed), "left_out": len(members) - len(allowed)})
    return buffer.getvalue(), len(allowed), len(members) - len(allowed)


def _csv_safe(value: str) -> str:
    """Spreadsheet programs run cells starting =, +, -, @ as formulas; prefix them so they stay text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def start_segment_send(actor: Any, segment: Segment, subject: str, body: str,
                       kind: str = ContactKind.INVITATION) -> Any:
    """Queue a send to every member of a segment as a background task with progress."""
    from byconsent.core import tasks

    require(actor, MANAGE_SEGMENTS, segment.area)
    if kind not in (ContactKind.INVITATION, ContactKind.REMINDER, ContactKind.NEWSLETTER, ContactKind.FEEDBACK):
        raise ValidationError("Unknown kind of message")
    with transaction.atomic():
        progress = tasks.start(f"Email '{segment.name}'", "byconsent.people.tasks.send_segment_task",
                               {"segment": segment.pk, "subject": subject, "body": body, "kind": kind},
                               requested_by=actor, area=segment.area)
        audit.record(actor, "segment.send_started", segment, after={"task": progress.pk, "kind": kind})
    return progress


# ---- erasure ---------------------------------------------------------------------------------------------------

def request_erasure(actor: Any, person: Person, source: str = ConsentSource.SELF_SERVICE) -> ErasureRequest:
    """The person (or staff on their behalf) asks to be forgotten. Contact stops at once (may_contact refuses
    anything but service messages); an administrator carries it out from the erasure requests page."""
    require_edit(actor, person)
    with transaction.atomic():
        existing = person.erasure_requests.filter(status=ErasureRequest.Status.PENDING).first()
        if existing is not None:
            return existing
        request = ErasureRequest.objects.create(person=person, person_label=f"Person #{person.pk}",
                                                area=person.area, source=source)
        audit.record(actor_label(actor), "erasure.requested", person, after={"request": request.pk})
    if person.email:
        send_service_email(person, "We have your request to be forgotten",
                           "We have received your request to delete the details we hold about you. An administrator "
                           "will carry it out within one month, and we will not contact you about anything else "
                           "in the meantime.", idempotency_key=f"people:erasure-requested:{request.pk}")
    return request


def carry_out_erasure(actor: Any, request: ErasureRequest) -> dict[str, int]:
    require(actor, MANAGE_ERASURE, request.area)
    if request.status != ErasureRequest.Status.PENDING or request.person is None:
        raise ValidationError("This request has already been dealt with")
    person = request.person
    with transaction.atomic():
        counts = erase(actor, person)
        request.status = ErasureRequest.Status.DONE
        request.handled_by = actor
        request.handled_at = timezone.now()
        request.outcome = counts
        request.save()
    return counts


def refuse_erasure(actor: Any, request: ErasureRequest, reason: str) -> None:
    require(actor, MANAGE_ERASURE, request.area)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason: the person must be told why"})
    with transaction.atomic():
        request.status = ErasureRequest.Status.REFUSED
        request.handled_by, request.handled_at, request.reason = actor, timezone.now(), reason.strip()
        request.save()
        audit.record(actor, "erasure.refused", request.person, after={"request": request.pk})


def erase(actor: Any, person: Person) -> dict[str, int]:
    """Forget a person across every app. With a sign-in account, the core privacy registry runs every app's
    handlers for that account (ours included); without one, the people-level registry does the same for the
    Person. Either way what they said is kept without their name, so published figures stay true."""
    from byconsent.core import privacy as core_privacy
    from byconsent.people import privacy as people_privacy

    require(actor, Action.MANAGE_PRIVACY, person)
    if person.user_id is not None and person.user is not None and person.user.is_active:
        return core_privacy.erase_person(actor, person.user)
    with transaction.atomic():
        counts = people_privacy.erase_person_everywhere(person)
        audit.record(actor, "privacy.erased", None, after={"person_id": f"people.Person #{person.pk}",
                                                           "counts": counts})
    return counts


def anonymise_person(person: Person) -> int:
    """Remove identity from a Person and everything hung on it; keep the anonymous row so counts stay true."""
    pk = person.pk
    email = person.email.lower()
    Demographics.objects.filter(person=person).delete()
    Membership.objects.filter(person=person).delete()
    PanelMembership.objects.filter(person=person).delete()
    MagicLink.objects.filter(person=person).delete()
    person.interests.clear()
    ConsentRecord.objects.filter(person=person).update(wording="")
    ContactEvent.objects.filter(person=person).update(note="", recorded_by=None)
    if email:
        NotificationRecord.objects.filter(recipient=email).delete()
        NotificationPreference.objects.filter(email=email).delete()
    from django.contrib.contenttypes.models import ContentType

    AuditEntry.objects.filter(object_type=ContentType.objects.get_for_model(Person), object_id=str(pk)).update(
        object_repr=f"Erased person #{pk}")
    ErasureRequest.objects.filter(person=person, status=ErasureRequest.Status.PENDING).update(
        status=ErasureRequest.Status.DONE, handled_at=timezone.now())
    Person.objects.filter(pk=pk).update(
        full_name="", email="", phone="", address="", postcode="", accessibility_needs="", user=None,
        relationship_owner=None, do_not_contact=True, erased_at=timezone.now())
    person.refresh_from_db()
    return 1


# ---- merging duplicates -----------------------------------------------------------------------------------------

MERGEABLE_FIELDS = ["full_name", "email", "phone", "address", "postcode", "preferred_language", "preferred_channel",
                    "accessibility_needs"]


def merge_people(actor: Any, keep: Person, other: Person, choices: dict[str, str]) -> PersonMerge:
    """Fold `other` into `keep`. `choices` maps a field to "keep" or "other" (whose value to keep). Everything hung
    on `other` moves to `keep`; `other` stays as an empty record pointing at `keep`, and the merge keeps a snapshot
    of it so the history shows who was merged."""
    require(actor, MANAGE_SEGMENTS, keep)
    require(actor, MANAGE_SEGMENTS, other)
    if keep.pk == other.pk or not keep.is_current or not other.is_current:
        raise ValidationError("Choose two different current records")
    if keep.user_id and other.user_id:
        raise ValidationError("Both records have a sign-in account: an administrator must unlink one first")
    special = Demographics.objects.filter(person__in=[keep, other]).count()
    if special == 2 and not can_see_special_category(actor, keep):
        raise PermissionDenied("Both records hold equality data: an analyst or administrator must merge them")
    snapshot: dict[str, Any] = {name: str(getattr(other, name) or "") for name in MERGEABLE_FIELDS}
    snapshot.update(id=other.pk, area=other.area.code, created_at=other.created_at.isoformat())
    with transaction.atomic():
        chosen = {}
        for name in MERGEABLE_FIELDS:
            if choices.get(name) == "other":
                setattr(keep, name, getattr(other, name))
                chosen[name] = "other"
        if other.user_id and not keep.user_id:
            keep.user_id, other.user_id = other.user_id, None
            other.save(update_fields=["user"])
        keep.do_not_contact = keep.do_not_contact or other.do_not_contact
        keep.save()
        moved = {
            "consents": ConsentRecord.objects.filter(person=other).update(person=keep),
            "contact_events": ContactEvent.objects.filter(person=other).update(person=keep),
            "erasure_requests": ErasureRequest.objects.filter(person=other).update(person=keep),
        }
        memberships = 0
        for membership in Membership.objects.filter(person=other):
            if not Membership.objects.filter(person=keep, organisation=membership.organisation_id).exists():
                membership.person = keep
                membership.save(update_fields=["person"])
                memberships += 1
        moved["memberships"] = memberships
        panels = 0
        for panel in PanelMembership.objects.filter(person=other):
            if not PanelMembership.objects.filter(person=keep, segment=panel.segment_id).exists():
                panel.person = keep
                panel.save(update_fields=["person"])
                panels += 1
        moved["panel_memberships"] = panels
        keep.interests.add(*other.interests.all())
        if not Demographics.objects.filter(person=keep).exists():
            moved["demographics"] = Demographics.objects.filter(person=other).update(person=keep)
        else:
            Demographics.objects.filter(person=other).delete()  # the kept record's answers win
        merge = PersonMerge.objects.create(kept=keep, merged=other, merged_snapshot=snapshot, chosen_fields=chosen,
                                           moved=moved, merged_by=actor)
        Membership.objects.filter(person=other).delete()
        PanelMembership.objects.filter(person=other).delete()
        Person.objects.filter(pk=other.pk).update(
            full_name="", email="", phone="", address="", postcode="", accessibility_needs="",
            merged_into=keep, do_not_contact=True)
        other.refresh_from_db()
        audit.record(actor, "person.merged", keep, after={"merged": other.pk, "moved": moved,
                                                          "chosen": sorted(chosen)})
    return merge


# ---- self-service sign-in ---------------------------------------------------------------------------------------

def send_magic_link(email: str) -> bool:
    """Email a sign-in link to the person with this address, if there is one. The caller shows the same page
    either way, so the form does not reveal who is on the force's lists."""
    from django.conf import settings
    from django.urls import reverse

    from byconsent.people import magic

    person = Person.objects.current().filter(email__iexact=email.strip()).order_by("created_at", "id").first()
    if person is None:
        return False
    with transaction.atomic():
        token, link = magic.create_token(person)
        url = settings.BYCONSENT_SITE_URL + reverse("people:portal_link", args=[token])
        body = (f"Hello {person.full_name},\n\nUse this link to see and change the details we hold about you:\n\n"
                f"{url}\n\nThe link works once, for {magic.lifetime_minutes()} minutes. If you did not ask for it, "
                "you can ignore this email.")
        sent = send_service_email(person, "Your link to see your details", body,
                                  idempotency_key=f"people:magic-link:{link.pk}")
        audit.record(f"Person #{person.pk} (self-service)", "portal.link_sent", person, after={"sent": sent})
    return sent
