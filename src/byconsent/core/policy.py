"""One place that answers "may this user do X to this object?".

Every staff view, API endpoint and service asks here. Roles are held over an area and cover its whole subtree, so
an officer assigned to one division can neither read nor change another division's records.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from byconsent.core.models import Area, Role, RoleAssignment, User


class Action(StrEnum):
    VIEW_STAFF_PAGES = "view_staff_pages"
    VIEW_AREA = "view_area"
    MANAGE_AREAS = "manage_areas"
    MANAGE_ROLES = "manage_roles"
    VIEW_CONTRIBUTIONS = "view_contributions"
    MODERATE_CONTRIBUTIONS = "moderate_contributions"
    VIEW_AUDIT = "view_audit"
    MANAGE_PRIVACY = "manage_privacy"
    MANAGE_ENGAGEMENT = "manage_engagement"
    ANALYSE = "analyse"
    MANAGE_ACTIONS = "manage_actions"
    REVIEW_ETHICS = "review_ethics"
    HOST_CONVERSATIONS = "host_conversations"


_STAFF_BASE = {Action.VIEW_STAFF_PAGES, Action.VIEW_AREA}

PERMISSIONS: dict[str, frozenset[Action]] = {
    Role.ADMINISTRATOR: frozenset(Action),
    Role.ENGAGEMENT_OFFICER: frozenset(
        _STAFF_BASE | {Action.VIEW_CONTRIBUTIONS, Action.MODERATE_CONTRIBUTIONS, Action.VIEW_AUDIT,
                       Action.MANAGE_ENGAGEMENT}
    ),
    Role.ANALYST: frozenset(_STAFF_BASE | {Action.VIEW_CONTRIBUTIONS, Action.ANALYSE}),
    Role.LOCAL_OFFICER: frozenset(_STAFF_BASE | {Action.VIEW_CONTRIBUTIONS, Action.MANAGE_ACTIONS}),
    Role.COMMANDER: frozenset(
        _STAFF_BASE | {Action.VIEW_CONTRIBUTIONS, Action.VIEW_AUDIT, Action.MANAGE_ACTIONS}
    ),
    Role.ETHICS_PANEL: frozenset(_STAFF_BASE | {Action.REVIEW_ETHICS}),
    Role.COMMUNITY_HOST: frozenset({Action.HOST_CONVERSATIONS}),
}


def roles_allowing(action: Action) -> list[str]:
    return [role for role, actions in PERMISSIONS.items() if action in actions]


def area_of(obj: Any) -> Area | None:
    """The area an object belongs to: the object itself if it is an Area, else its `area` attribute."""
    if isinstance(obj, Area):
        return obj
    return getattr(obj, "area", None)


def _assignments(user: User, action: Action) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user=user, role__in=roles_allowing(action)).select_related("area")


def can(user: Any, action: Action, obj: Any = None) -> bool:
    """May `user` do `action` to `obj`? With no object: may they do it anywhere at all?"""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    assignments = list(_assignments(user, action))
    if obj is None:
        return bool(assignments)
    area = area_of(obj)
    if area is None:
        # Force-wide objects need the role at the top of the tree.
        return any(a.area.parent_id is None for a in assignments)
    return any(area.is_within(a.area) for a in assignments)


def areas_where(user: Any, action: Action) -> QuerySet[Area]:
    """Every area in which the user may do `action` (the union of their assigned subtrees)."""
    if getattr(user, "is_superuser", False):
        return Area.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Area.objects.none()
    prefixes = [a.area.path for a in _assignments(user, action)]
    if not prefixes:
        return Area.objects.none()
    condition = Q()
    for prefix in prefixes:
        condition |= Q(path__startswith=prefix)
    return Area.objects.filter(condition)


def scope(user: Any, action: Action, queryset: QuerySet[Any], area_field: str = "area") -> QuerySet[Any]:
    """Restrict a queryset to rows whose area lies where the user may do `action`."""
    if getattr(user, "is_superuser", False):
        return queryset
    return queryset.filter(**{f"{area_field}__in": areas_where(user, action)})


def require(user: Any, action: Action, obj: Any = None) -> None:
    """Raise PermissionDenied unless allowed. Services call this before every write."""
    if not can(user, action, obj):
        raise PermissionDenied(f"Not allowed: {action}")


def can_force_wide(user: Any, action: Action) -> bool:
    """May the user do `action` across the whole force (a role held at the top of the tree)?"""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or any(a.area.parent_id is None for a in _assignments(user, action)))


def require_force_wide(user: Any, action: Action) -> None:
    """For records that belong to no area, such as a person's data across every app."""
    if not can_force_wide(user, action):
        raise PermissionDenied(f"Not allowed across the force: {action}")


def get_visible_or_404(user: Any, action: Action, queryset: QuerySet[Any], **lookup: Any) -> Any:
    """Fetch one object the user may see; an object outside their areas is a 404, exactly like a missing one,
    so guessing URLs reveals nothing about other areas' records."""
    obj = queryset.filter(**lookup).first()
    if obj is None or not can(user, action, obj):
        raise Http404
    return obj
