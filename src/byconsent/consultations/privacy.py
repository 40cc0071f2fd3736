"""Alert subscriptions are personal data: exported and erased by email; unconfirmed ones expire after 30 days."""

from __future__ import annotations

from typing import Any

from byconsent.consultations.models import AlertSubscription
from byconsent.core.privacy import PrivacyHandler

UNCONFIRMED_RETENTION_DAYS = 30


def _export(person: Any) -> list[dict[str, Any]]:
    return [{"email": s.email, "area": str(s.area or ""), "topics": s.interests,
             "confirmed": s.confirmed_at.isoformat() if s.confirmed_at else None}
            for s in AlertSubscription.objects.filter(email__iexact=person.email).select_related("area")]


def _erase(person: Any) -> int:
    return int(AlertSubscription.objects.filter(email__iexact=person.email).delete()[0])


def _expire(cutoff: Any) -> int:
    return int(AlertSubscription.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff).delete()[0])


def alerts_handler() -> PrivacyHandler:
    return PrivacyHandler("consultation_alerts", "Email alerts about new consultations", _export, _erase,
                          retention_days=UNCONFIRMED_RETENTION_DAYS, apply_retention=_expire)
