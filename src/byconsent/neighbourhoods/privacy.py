"""Neighbourhood team members are people too: their name, role, photo (only with consent) and contact details."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from byconsent.core.privacy import PrivacyHandler, register

# Former team members stay on record for a year after leaving (answers to "who was our officer?"), then go.
TEAM_RETENTION_DAYS = 365


def _mine(person: Any) -> Any:
    from byconsent.neighbourhoods.models import TeamMember

    return TeamMember.objects.filter(Q(user=person) | Q(contact_email__iexact=person.email))


def export_team(person: Any) -> list[dict[str, Any]]:
    return [{"area": m.area.name, "name": m.name, "role": m.role_title, "contact_email": m.contact_email,
             "contact_phone": m.contact_phone, "photo_published": m.shows_photo,
             "photo_consent_on": m.photo_consent_on.isoformat() if m.photo_consent_on else None,
             "left_on": m.left_on.isoformat() if m.left_on else None}
            for m in _mine(person).select_related("area")]


def erase_team(person: Any) -> int:
    return int(_mine(person).delete()[0])


def expire_team(cutoff: Any) -> int:
    from byconsent.neighbourhoods.models import TeamMember

    return int(TeamMember.objects.filter(left_on__lt=cutoff.date()).delete()[0])


def register_handlers() -> None:
    register(PrivacyHandler("neighbourhood_team", "Neighbourhood team pages: name, role, photo, contact details",
                            export_team, erase_team, retention_days=TEAM_RETENTION_DAYS, apply_retention=expire_team))
