"""How the panels app treats personal data: export, erasure and retention for the privacy registry.

Volunteers often have no sign-in account, so records are found by the person's email address (their own, or the
parent's or guardian's address given for someone under 16). Erasure anonymises a volunteer (name, contact details,
answers, accessibility needs, address) but keeps the row and its reference, so a published selection and its
draw file stay verifiable; payments keep their amounts for the force's accounts, without the person's name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q

from byconsent.core.privacy import PrivacyHandler, register
from byconsent.panels.models import Address, Panel, Volunteer, VolunteerAnswers

VOLUNTEER_RETENTION_DAYS = 730  # two years after registration (closed panels only; see docs/panels.md)
ADDRESS_RETENTION_DAYS = 365  # address lists are needed only while a round recruits


def _volunteers_for(person: Any) -> Any:
    email = (getattr(person, "email", "") or "").lower()
    if not email:
        return Volunteer.objects.none()
    return Volunteer.objects.filter(Q(email=email) | Q(guardian_email=email)).select_related("panel", "answers")


def export_volunteers(person: Any) -> list[dict[str, Any]]:
    data = []
    for v in _volunteers_for(person):
        answers = getattr(v, "answers", None)
        data.append({
            "panel": v.panel.name, "reference": v.reference, "full_name": v.full_name, "email": v.email,
            "phone": v.phone, "status": v.status, "registered_at": v.registered_at.isoformat(),
            "under_16": v.is_under_16, "guardian_name": v.guardian_name, "guardian_email": v.guardian_email,
            "answers": answers.answers if answers else {},
            "accessibility_needs": answers.accessibility_needs if answers else "",
            "address": v.address.address if v.address_id else "",
            "selection_probability": v.selection_probability,
            "attendance": [{"session": a.session.title, "attended": a.attended}
                           for a in v.attendance.select_related("session")],
            "payments": [{"kind": p.kind, "amount": str(p.amount), "paid_on": p.paid_on.isoformat()}
                         for p in v.payments.all()],
        })
    return data


def anonymise(volunteers: Any) -> int:
    count = 0
    for v in volunteers:
        VolunteerAnswers.objects.filter(volunteer=v).update(answers={}, accessibility_needs="")
        if v.address_id:
            Address.objects.filter(pk=v.address_id).update(address="(erased)", postcode="")
        v.full_name = "(erased)"
        v.email = ""
        v.phone = ""
        v.guardian_name = ""
        v.guardian_email = ""
        v.save(update_fields=["full_name", "email", "phone", "guardian_name", "guardian_email"])
        count += 1
    return count


def erase_volunteers(person: Any) -> int:
    return anonymise(list(_volunteers_for(person)))


def expire_volunteers(cutoff: datetime) -> int:
    old = Volunteer.objects.filter(registered_at__lt=cutoff, panel__status=Panel.Status.CLOSED).exclude(
        full_name="(erased)")
    return anonymise(list(old))


def expire_addresses(cutoff: datetime) -> int:
    """Addresses that never became a volunteer are deleted once the round is a year old."""
    deleted, _ = Address.objects.filter(round__created_at__lt=cutoff, volunteer__isnull=True).delete()
    return int(deleted)


def register_handlers() -> None:
    register(PrivacyHandler(
        "panel_volunteers", "Citizens' panel volunteers: registration, quota answers, accessibility needs, "
        "attendance and payments (found by the volunteer's or guardian's email)",
        export_volunteers, erase_volunteers, retention_days=VOLUNTEER_RETENTION_DAYS,
        apply_retention=expire_volunteers))
    register(PrivacyHandler(
        "panel_addresses", "Address lists uploaded for panel invitations (not linked to a person's account)",
        lambda person: [], lambda person: 0, retention_days=ADDRESS_RETENTION_DAYS,
        apply_retention=expire_addresses))
