"""The privacy registry: every app that holds personal data says how to export it, erase it and how long to keep it.

An administrator can produce one subject-access export and one erasure for a person across every registered app;
`byconsent manage run_periodic` applies each app's retention rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from byconsent.core import audit
from byconsent.core.policy import Action, require_force_wide


@dataclass(frozen=True)
class PrivacyHandler:
    """How one app treats personal data. `erase` anonymises where deleting would falsify published statistics."""

    name: str
    description: str
    export: Callable[[Any], dict[str, Any] | list[Any]]
    erase: Callable[[Any], int]
    retention_days: int | None = None
    apply_retention: Callable[[Any], int] | None = None  # receives the cutoff datetime
    # The account handler removes the email address other handlers find records by, so it runs after them.
    erase_last: bool = False


_registry: dict[str, PrivacyHandler] = {}


def register(handler: PrivacyHandler) -> None:
    _registry[handler.name] = handler


def handlers() -> list[PrivacyHandler]:
    return list(_registry.values())


def subject_access_export(actor: Any, person: Any) -> dict[str, Any]:
    require_force_wide(actor, Action.MANAGE_PRIVACY)
    export = {handler.name: handler.export(person) for handler in handlers()}
    audit.record(actor, "privacy.exported", person)
    return {"generated_at": timezone.now().isoformat(), "person": person.email, "data": export}


def erase_person(actor: Any, person: Any) -> dict[str, int]:
    """Erase or anonymise one person across every app, in one transaction; audited without their details."""
    require_force_wide(actor, Action.MANAGE_PRIVACY)
    with transaction.atomic():
        ordered = sorted(handlers(), key=lambda handler: handler.erase_last)
        counts = {handler.name: handler.erase(person) for handler in ordered}
        audit.record(actor, "privacy.erased", None, after={"person_id": person.pk, "counts": counts})
    return counts


def apply_retention(now: Any = None) -> dict[str, int]:
    now = now or timezone.now()
    results: dict[str, int] = {}
    for handler in handlers():
        if handler.retention_days is not None and handler.apply_retention is not None:
            results[handler.name] = handler.apply_retention(now - timedelta(days=handler.retention_days))
    return results


# ---- the shared kernel's own personal data ---------------------------------------------------------------------

def _export_account(person: Any) -> dict[str, Any]:
    return {
        "email": person.email,
        "full_name": person.full_name,
        "preferred_language": person.preferred_language,
        "date_joined": person.date_joined.isoformat(),
        "roles": [{"role": a.role, "area": a.area.name} for a in person.role_assignments.select_related("area")],
    }


def _erase_account(person: Any) -> int:
    from byconsent.core.models import AuditEntry

    # Audit entries stay (they are the force's record of what happened) but lose the person's name.
    AuditEntry.objects.filter(actor=person).update(actor_label=f"erased person #{person.pk}")
    person.role_assignments.all().delete()
    person.email = f"erased-{person.pk}@erased.invalid"
    person.full_name = ""
    person.is_active = False
    person.set_unusable_password()
    person.save()
    person.emailaddress_set.all().delete()
    return 1


def _export_contributions(person: Any) -> list[dict[str, Any]]:
    return [{"channel": c.channel, "text": c.text, "date": c.created_on.isoformat(), "area": str(c.area or "")}
            for c in person.contributions.select_related("area")]


def _erase_contributions(person: Any) -> int:
    # Anonymise rather than delete, so published counts stay true.
    return int(person.contributions.update(contributor=None, wants_feedback=False))


def _export_notifications(person: Any) -> list[dict[str, Any]]:
    from byconsent.core.models import NotificationRecord

    return [{"subject": r.subject, "status": r.status, "created_at": r.created_at.isoformat()}
            for r in NotificationRecord.objects.filter(recipient=person.email)]


def _erase_notifications(person: Any) -> int:
    from byconsent.core.models import NotificationPreference, NotificationRecord

    deleted, _ = NotificationRecord.objects.filter(recipient=person.email).delete()
    NotificationPreference.objects.filter(email=person.email).delete()
    return int(deleted)


def _expire_notifications(cutoff: Any) -> int:
    from byconsent.core.models import NotificationRecord

    return int(NotificationRecord.objects.filter(created_at__lt=cutoff).delete()[0])


def _expire_outbox(cutoff: Any) -> int:
    from byconsent.core.models import OutboxEvent

    return int(OutboxEvent.objects.filter(created_at__lt=cutoff).delete()[0])


def register_core_handlers() -> None:
    register(PrivacyHandler("account", "Sign-in account and roles", _export_account, _erase_account,
                            erase_last=True))
    # Contributions are anonymised on erasure (the erase hook above), never deleted; no time limit of their own.
    register(PrivacyHandler("contributions", "What the person said, through any channel",
                            _export_contributions, _erase_contributions))
    register(PrivacyHandler("notifications", "Messages sent and preferences", _export_notifications,
                            _erase_notifications, retention_days=730, apply_retention=_expire_notifications))
    register(PrivacyHandler("live_events", "Live event outbox (no personal data kept beyond a week)",
                            lambda person: [], lambda person: 0, retention_days=7, apply_retention=_expire_outbox))
