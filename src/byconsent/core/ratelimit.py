"""A token bucket per key, stored in the database so every web process and worker shares the same count."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from byconsent.core.models import RateLimitBucket


def allow(key: str, per_minute: float, burst: int) -> bool:
    """Take one token from `key`'s bucket; False when it is empty. Refills at `per_minute`, holds at most `burst`."""
    now = timezone.now()
    try:
        with transaction.atomic():
            bucket = RateLimitBucket.objects.select_for_update().filter(key=key).first()
            if bucket is None:
                RateLimitBucket.objects.create(key=key, tokens=burst - 1, updated_at=now)
                return True
            return _take(bucket, now, per_minute, burst)
    except IntegrityError:
        # Two first requests raced to create the bucket: the other one won, so take from it.
        with transaction.atomic():
            bucket = RateLimitBucket.objects.select_for_update().get(key=key)
            return _take(bucket, now, per_minute, burst)


def _take(bucket: RateLimitBucket, now: Any, per_minute: float, burst: int) -> bool:
    elapsed_minutes = max(0.0, (now - bucket.updated_at).total_seconds() / 60)
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


def rate_limited(action: str, per_minute: float, burst: int) -> Any:
    """View decorator for public writes: a POST beyond the bucket gets 429 with a plain explanation."""

    def decorator(view: Any) -> Any:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST" and not allow(client_key(request, action), per_minute, burst):
                return render(request, "core/rate_limited.html", status=429)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
