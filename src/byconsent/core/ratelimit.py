"""A token bucket per key, stored in the database so every web process and worker shares the same count."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from byconsent.core.models import RateLimitBucket


def allow(key: str, per_minute: float, burst: int) -> bool:
    """Take one token from `key`'s bucket; False when it is empty. Refills at `per_minute`, holds at most `burst`."""
    now = timezone.now()
    with transaction.atomic():
        bucket = RateLimitBucket.objects.select_for_update().filter(key=key).first()
        if bucket is None:
            RateLimitBucket.objects.create(key=key, tokens=burst - 1, updated_at=now)
            return True
        elapsed_minutes = (now - bucket.updated_at).total_seconds() / 60
        tokens = min(float(burst), bucket.tokens + elapsed_minutes * per_minute)
        allowed = tokens >= 1
        bucket.tokens = tokens - 1 if allowed else tokens
        bucket.updated_at = now
        bucket.save(update_fields=["tokens", "updated_at"])
    return allowed


def client_key(request: object, action: str) -> str:
    """Key a bucket by action and client address. The address is used only here, never stored with content."""
    meta = getattr(request, "META", {})
    address = meta.get("REMOTE_ADDR", "unknown")
    return f"{action}:{address}"
