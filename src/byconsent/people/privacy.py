"""Subject access and erasure for people, with or without a sign-in account.

Two registries meet here:
- the core registry (byconsent.core.privacy) works on a sign-in account (core User). The people app registers a
  handler there ("people") that exports and erases every Person linked to that account, or holding its email
  address, so an administrator's erasure of an account also forgets the stakeholder record.
- the people-level registry below works on a Person, account or not. Another app that keeps rows pointing at a
  Person registers `PersonHandler(name, description, export, erase)` from its AppConfig.ready(); `erase(person)`
  must delete or anonymise those rows and return how many it touched. The people app's own handler runs last,
  because it removes the email address and name other handlers may look people up by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Q

from byconsent.core.models import Contribution, NotificationRecord, User
from byconsent.core.privacy import PrivacyHandler
from byconsent.core.privacy import register as register_core_handler
from byconsent.people import characteristics
from byconsent.people.models import (
    ConsentRecord,
    ContactEvent,
    Demographics,
    ErasureRequest,
    Membership,
    PanelMembership,
    Person,
)


@dataclass(frozen=True)
class PersonHandler:
    name: str
    description: str
    export: Callable[[Person], Any]
    erase: Callable[[Person], int]


_person_handlers: dict[str, PersonHandler] = {}


def register_person_handler(handler: PersonHandler) -> None:
    _person_handlers[handler.name] = handler


def person_handlers() -> list[PersonHandler]:
    """Other apps' handlers first, the people app's own ("people") last."""
    return sorted(_person_handlers.values(), key=lambda h: h.name == "people")


# ---- what the people app holds about one Person -----------------------------------------------------------------

def export_person_record(person: Person) -> dict[str, Any]:
    """Everything the people app holds about a person, special-category data included (the caller audits)."""
    demographics = Demographics.objects.filter(person=person).first()
    answers: dict[str, str] = dict(cast(dict[str, str], demographics.answers)) if demographics else {}
    return {
        "details": {
            "full_name": person.full_name, "email": person.email, "phone": person.phone,
            "address": person.address, "postcode": person.postcode,
            "preferred_language": person.preferred_language, "preferred_channel": person.preferred_channel,
            "accessibility_needs": person.accessibility_needs, "area": person.area.name,
            "do_not_contact": person.do_not_contact, "created_at": person.created_at.isoformat(),
            "relationship_owner": str(person.relationship_owner or ""),
        },
        "interests": [i.name for i in person.interests.all()],
        "organisations": [
            {"organisation": m.organisation.name, "role": m.role, "main_contact": m.is_main_contact,
             "started_on": m.started_on.isoformat() if m.started_on else None,
             "ended_on": m.ended_on.isoformat() if m.ended_on else None}
            for m in Membership.objects.filter(person=person).select_related("organisation")],
        "consents": [
            {"purpose": c.purpose.name, "lawful_basis": c.lawful_basis, "channels": c.channels,
             "source": c.source, "wording": c.wording, "given_at": c.given_at.isoformat(),
             "expires_at": c.expires_at.isoformat() if c.expires_at else None,
             "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None}
            for c in ConsentRecord.objects.filter(person=person).select_related("purpose")],
        "equality_information": {characteristics.BY_KEY[k].key: v for k, v in answers.items()
                                 if k in characteristics.BY_KEY},
        "panels": [{"panel": m.segment.name, "joined_at": m.joined_at.isoformat(),
                    "left_at": m.left_at.isoformat() if m.left_at else None}
                   for m in PanelMembership.objects.filter(person=person).select_related("segment")],
        "contact_history": [
            {"kind": e.kind, "channel": e.channel, "about": e.source, "note": e.note,
             "when": e.occurred_at.isoformat()}
            for e in ContactEvent.objects.filter(person=person)],
        "messages": [{"subject": r.subject, "status": r.status, "created_at": r.created_at.isoformat()}
                     for r in NotificationRecord.objects.filter(recipient=person.email.lower())] if person.email
        else [],
        "erasure_requests": [{"requested_at": r.requested_at.isoformat(), "status": r.status}
                             for r in ErasureRequest.objects.filter(person=person)],
    }


def _erase_person_record(person: Person) -> int:
    from byconsent.people.services import anonymise_person

    # What they said stays, without them: responses recorded against their contact history lose any link.
    contribution_ids = [cid for cid in ContactEvent.objects.filter(person=person, contribution__isnull=False)
                        .values_list("contribution_id", flat=True)]
    Contribution.objects.filter(pk__in=contribution_ids).update(contributor=None, wants_feedback=False)
    return anonymise_person(person)


def export_person_everywhere(person: Person) -> dict[str, Any]:
    return {handler.name: handler.export(person) for handler in person_handlers()}


def erase_person_everywhere(person: Person) -> dict[str, int]:
    """Run every people-level handler (call inside a transaction)."""
    return {handler.name: handler.erase(person) for handler in person_handlers()}


# ---- the core registry's view: a sign-in account ---------------------------------------------------------------

def people_for_account(user: User) -> list[Person]:
    condition = Q(user=user)
    if user.email:
        condition |= Q(user__isnull=True, email__iexact=user.email)
    return list(Person.objects.current().filter(condition))


def _export_for_account(user: User) -> list[dict[str, Any]]:
    return [export_person_everywhere(person) for person in people_for_account(user)]


def _erase_for_account(user: User) -> int:
    count = 0
    for person in people_for_account(user):
        # Contributions made through the account are anonymised by core's own "contributions" handler.
        erase_person_everywhere(person)
        count += 1
    return count


def register_handlers() -> None:
    register_person_handler(PersonHandler("people", "Stakeholder record, consents, equality data, contact history",
                                          export_person_record, _erase_person_record))
    register_core_handler(PrivacyHandler(
        "people", "Stakeholder records linked to the account: details, consents, equality data, contact history",
        _export_for_account, _erase_for_account))


def _expire_working_copies(cutoff: Any) -> int:
    """Uploaded import rows and used or stale sign-in links are working copies: gone after a week."""
    from byconsent.people.models import ImportJob, MagicLink

    cleared = ImportJob.objects.filter(created_at__lt=cutoff).exclude(rows=[]).update(rows=[])
    deleted, _ = MagicLink.objects.filter(created_at__lt=cutoff).delete()
    return int(cleared) + int(deleted)


def register_retention() -> None:
    register_core_handler(PrivacyHandler(
        "people_working_copies", "Uploaded import files and sign-in links (kept one week)",
        lambda user: [], lambda user: 0, retention_days=7, apply_retention=_expire_working_copies))
