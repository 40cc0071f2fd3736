"""Who may do what with people's records, in terms of the core policy's actions (core/policy.py).

- See people and organisations in their areas: VIEW_CONTRIBUTIONS (administrator, engagement officer, analyst,
  local officer, commander).
- Add and change people, organisations, consent records and contact notes: MANAGE_ENGAGEMENT or MANAGE_ACTIONS
  (administrator, engagement officer, local officer, commander: the people who own local relationships).
- Read or write special-category data: MANAGE_PRIVACY or ANALYSE (administrator, analyst).
- Segments, panels, invitations, exports, import and merge: MANAGE_ENGAGEMENT (administrator, engagement officer).
- Carry out erasure requests: MANAGE_PRIVACY (administrator).

Every check is made against the record's area, so a role over one division covers nothing in another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied

from byconsent.core.policy import Action, can

VIEW_PEOPLE = Action.VIEW_CONTRIBUTIONS
EDIT_ACTIONS = (Action.MANAGE_ENGAGEMENT, Action.MANAGE_ACTIONS)
SPECIAL_CATEGORY_ACTIONS = (Action.MANAGE_PRIVACY, Action.ANALYSE)
MANAGE_SEGMENTS = Action.MANAGE_ENGAGEMENT
MANAGE_ERASURE = Action.MANAGE_PRIVACY


@dataclass(frozen=True)
class SelfService:
    """The person themselves, signed in to their own details page by magic link."""

    person: Any

    @property
    def is_authenticated(self) -> bool:
        # Not a staff account: core's policy must never treat this actor as a signed-in user.
        return False

    def __str__(self) -> str:
        return f"Person #{self.person.pk} (self-service)"


def actor_label(actor: Any) -> Any:
    """What to hand audit.record: a User as itself, self-service as its label string."""
    return str(actor) if isinstance(actor, SelfService) else actor


def is_self(actor: Any, person: Any) -> bool:
    return isinstance(actor, SelfService) and actor.person.pk == person.pk


def can_view(user: Any, obj: Any = None) -> bool:
    return can(user, VIEW_PEOPLE, obj)


def can_edit(user: Any, obj: Any = None) -> bool:
    return any(can(user, action, obj) for action in EDIT_ACTIONS)


def can_see_special_category(user: Any, obj: Any = None) -> bool:
    return any(can(user, action, obj) for action in SPECIAL_CATEGORY_ACTIONS)


def require_edit(actor: Any, person_or_obj: Any) -> None:
    if is_self(actor, person_or_obj):
        return
    if not can_edit(actor, person_or_obj):
        raise PermissionDenied("Not allowed to change this record")


def require_special_category(actor: Any, person: Any) -> None:
    if is_self(actor, person):
        return
    if not can_see_special_category(actor, person):
        raise PermissionDenied("Not allowed to see special-category data")
