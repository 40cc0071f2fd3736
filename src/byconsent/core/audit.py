"""Explicit audit entries written by services (django-auditlog also records raw model changes)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.forms.models import model_to_dict

from byconsent.core.models import AuditEntry
from byconsent.core.policy import area_of


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe picture of an object's fields, for before/after in the audit trail."""
    data = model_to_dict(obj, fields=fields)
    return {key: _json_safe(value) for key, value in data.items()}


def _json_safe(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, str | int | float | bool | dict) or value is None:
        return value
    return str(value)


def record(
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry. Call inside the service's transaction so the entry and the change commit together."""
    is_user = getattr(actor, "is_authenticated", False)
    area = area_of(obj) if obj is not None else None
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_label=str(actor) if is_user else (actor if isinstance(actor, str) else "system"),
        action=action,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        area=area if area is not None and area.pk else None,
        before=before,
        after=after,
    )


def entries_for(obj: models.Model) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        object_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")
