"""A token bucket per key, stored in the database so every web process and worker shares the same count."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from byconsent.core.models import RateLimitBucket

# One statement takes a token (or refuses) whatever the state: it creates the bucket on first use, refills it by
# the time since the last request and records whether a token was taken. One round trip and no explicit
# transaction, where a read-then-write needed four; the row lock of the upsert serialises concurrent requests,
# so two first requests cannot both create the bucket and no two requests can take the same last token.
# The right-hand sides all see the row as it was before this request (SQL semantics in SQLite and PostgreSQL).
_BUCKET_UPSERT_SQL = """
INSERT INTO {table} ("key", "tokens", "updated_at", "last_allowed") VALUES (%s, %s, %s, TRUE)
ON CONFLICT ("key") DO UPDATE SET
    "tokens" = CASE WHEN {refilled} >= 1 THEN {refilled} - 1 ELSE {refilled} END,
    "last_allowed" = {refilled} >= 1,
    "updated_at" = excluded."updated_at"
RETURNING "last_allowed"
"""
# Tokens now: the stored tokens plus the refill since the last request, capped at the burst size.
_REFILLED = {
    "postgresql": 'LEAST(%s, {table}."tokens"'
                  ' + EXTRACT(EPOCH FROM (excluded."updated_at" - {table}."updated_at")) * %s)',
    "sqlite": 'MIN(%s, {table}."tokens"'
              ' + (julianday(excluded."updated_at") - julianday({table}."updated_at")) * 86400 * %s)',
}


def allow(key: str, per_minute: float, burst: int) -> bool:
    """Take one token from `key`'s bucket; False when it is empty. Refills at `per_minute`, holds at most `burst`."""
    table = connection.ops.quote_name(RateLimitBucket._meta.db_table)
    refilled = _REFILLED[connection.vendor].format(table=table)
    sql = _BUCKET_UPSERT_SQL.format(table=table, refilled="(" + refilled + ")")
    per_second = per_minute / 60
    now = RateLimitBucket._meta.get_field("updated_at").get_db_prep_value(timezone.now(), connection)
    # The refill expression appears several times in the statement, each time with its two parameters.
    params = [key, float(burst - 1), now] + [float(burst), per_second] * _BUCKET_UPSERT_SQL.count("{refilled}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return bool(row[0])


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
