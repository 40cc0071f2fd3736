"""Read queries shared by staff views and the API, always scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from byconsent.core.models import AuditEntry, Contribution, ModerationState, TaskProgress
from byconsent.core.policy import Action, areas_where, can, scope
from byconsent.core.registries import AttentionItem


def contributions_for(user: Any, filters: dict[str, Any]) -> QuerySet[Contribution]:
    queryset = scope(user, Action.VIEW_CONTRIBUTIONS, Contribution.objects.select_related("area"))
    if filters.get("area"):
        queryset = queryset.filter(area__path__startswith=filters["area"].path)
    if filters.get("channel"):
        queryset = queryset.filter(channel=filters["channel"])
    if filters.get("state"):
        queryset = queryset.filter(moderation_state=filters["state"])
    return queryset.order_by("-created_on", "-id")


def audit_entries_for(user: Any, filters: dict[str, Any]) -> QuerySet[AuditEntry]:
    queryset = AuditEntry.objects.select_related("object_type", "area")
    if not user.is_superuser:
        visible = Q(area__in=areas_where(user, Action.VIEW_AUDIT))
        if can(user, Action.VIEW_AUDIT, None) and _has_force_scope(user):
            visible |= Q(area__isnull=True)
        queryset = queryset.filter(visible)
    if filters.get("action"):
        queryset = queryset.filter(action__icontains=filters["action"])
    if filters.get("actor"):
        queryset = queryset.filter(actor_label__icontains=filters["actor"])
    if filters.get("object_type"):
        queryset = queryset.filter(object_type__model__iexact=filters["object_type"])
    if filters.get("object_id"):
        queryset = queryset.filter(object_id=filters["object_id"])
    if filters.get("since"):
        queryset = queryset.filter(created_at__date__gte=filters["since"])
    return queryset


def _has_force_scope(user: Any) -> bool:
    return areas_where(user, Action.VIEW_AUDIT).filter(parent__isnull=True).exists()


def core_attention(user: Any) -> list[AttentionItem]:
    from django.urls import reverse

    contributions = scope(user, Action.MODERATE_CONTRIBUTIONS, Contribution.objects.all())
    contributions_url = reverse("core:contribution_list")
    failed_tasks = TaskProgress.objects.filter(requested_by=user, status=TaskProgress.Status.FAILED)
    return [
        AttentionItem("Contributions awaiting moderation",
                      contributions.filter(moderation_state=ModerationState.PENDING).count(),
                      f"{contributions_url}?state=pending"),
        AttentionItem("Contributions held back for safeguarding review",
                      contributions.filter(moderation_state=ModerationState.RESTRICTED).count(),
                      f"{contributions_url}?state=restricted"),
        AttentionItem("Your background tasks that failed", failed_tasks.count(), reverse("core:task_list")),
    ]
