"""Every write to the shared kernel goes through here: permission check, transaction, audit entry, live event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from byconsent.core import audit
from byconsent.core.area_import import parse_area_csv
from byconsent.core.models import (
    Area,
    Channel,
    Contribution,
    ModerationState,
    OutboxEvent,
    Role,
    RoleAssignment,
    User,
)
from byconsent.core.policy import Action, require
from byconsent.core.safeguarding import check_text


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_areas(actor: Any, csv_text: str, progress: Any = None) -> ImportReport:
    """All or nothing: if any line is wrong, nothing is written and every wrong line is reported."""
    if actor is not None:
        require(actor, Action.MANAGE_AREAS)
    existing = dict(Area.objects.values_list("code", "level"))
    parsed = parse_area_csv(csv_text, existing)
    report = ImportReport(errors=parsed.errors)
    if not report.ok:
        return report
    with transaction.atomic():
        by_code = {a.code: a for a in Area.objects.all()}
        for index, row in enumerate(parsed.rows, start=1):
            area = Area(code=row.code, name=row.name, level=row.level, parent=by_code.get(row.parent_code),
                        zone_codes=row.zone_codes, boundary=row.boundary, population=row.population)
            area.save()
            by_code[row.code] = area
            report.created += 1
            if progress is not None and index % 50 == 0:
                progress(index / len(parsed.rows), f"{index} of {len(parsed.rows)} areas")
        audit.record(actor or "import", "areas.imported", None, after={"created": report.created})
    return report


def assign_role(actor: Any, user: User, role: str, area: Area) -> RoleAssignment:
    require(actor, Action.MANAGE_ROLES, area)
    if role not in Role.values:
        raise ValueError(f"Unknown role {role}")
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, area=area)
        if created:
            audit.record(actor, "role.assigned", assignment, after={"user": user.email, "role": role,
                                                                    "area": area.code})
    return assignment


def revoke_role(actor: Any, assignment: RoleAssignment) -> None:
    require(actor, Action.MANAGE_ROLES, assignment.area)
    with transaction.atomic():
        audit.record(actor, "role.revoked", assignment, before={"user": assignment.user.email,
                                                                "role": assignment.role, "area": assignment.area.code})
        assignment.delete()


def record_contribution(
    *,
    channel: str,
    text: str,
    area: Area | None = None,
    language: str = "en-gb",
    contributor: User | None = None,
    wants_feedback: bool = False,
    source: Model | None = None,
    recorded_by: Any = None,
) -> Contribution:
    """Store one thing one person said. Text that reads as a crime report or risk is held back at once."""
    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel}")
    flagged = check_text(text)
    contribution = Contribution(
        channel=channel, text=text, area=area, language=language, contributor=contributor,
        wants_feedback=wants_feedback and contributor is not None,
        moderation_state=ModerationState.RESTRICTED if flagged.flagged else ModerationState.PENDING,
    )
    if source is not None:
        contribution.source = source
    with transaction.atomic():
        contribution.save()
        audit.record(recorded_by or contributor or "public", "contribution.recorded", contribution,
                     after={"channel": channel, "restricted_reasons": list(flagged.reasons)})
    return contribution


def moderate_contribution(actor: Any, contribution: Contribution, state: str, reason: str = "") -> Contribution:
    require(actor, Action.MODERATE_CONTRIBUTIONS, contribution)
    if state not in ModerationState.values:
        raise ValueError(f"Unknown moderation state {state}")
    if contribution.moderation_state == ModerationState.RESTRICTED and state == ModerationState.APPROVED:
        raise ValueError("Restricted contributions can never be published.")
    with transaction.atomic():
        before = {"moderation_state": contribution.moderation_state}
        contribution.moderation_state = state
        contribution.save(update_fields=["moderation_state"])
        audit.record(actor, "contribution.moderated", contribution, before=before,
                     after={"moderation_state": state, "reason": reason})
    return contribution


def publish_event(channel: str, event_type: str, data: dict[str, Any]) -> OutboxEvent:
    """Queue a live event; streams pick it up after commit (PostgreSQL is woken by NOTIFY, SQLite polls)."""
    from byconsent.core.live import notify_after_commit

    event = OutboxEvent.objects.create(channel=channel, event_type=event_type, data=data)
    notify_after_commit(channel, event.pk)
    return event


def create_user(actor: Any, email: str, full_name: str = "", password: str | None = None) -> User:
    require(actor, Action.MANAGE_ROLES)
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, full_name=full_name)
            audit.record(actor, "user.created", user, after={"email": user.email})
    except IntegrityError as error:
        raise ValueError(f"An account with email {email} already exists.") from error
    return user
