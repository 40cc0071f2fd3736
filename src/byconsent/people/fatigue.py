"""The fatigue guard: how many requests (invitations, reminders) one person may get in a rolling window.

Configured from the environment, read on every check so an operator's change applies without a code change:

- BYCONSENT_FATIGUE_MAX_REQUESTS (default 3): requests allowed in the window; 0 turns the guard off.
- BYCONSENT_FATIGUE_DAYS (default 30): the length of the rolling window in days.
- BYCONSENT_FATIGUE_MODE (default "block"): "block" skips a send that would exceed the limit;
  "warn" sends it but reports the warning.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from byconsent.people.models import REQUEST_KINDS, ContactEvent


@dataclass(frozen=True)
class FatigueLimit:
    max_requests: int
    days: int
    mode: str  # "block" or "warn"


@dataclass(frozen=True)
class FatigueCheck:
    recent: int
    limit: FatigueLimit
    exceeded: bool

    @property
    def blocks(self) -> bool:
        return self.exceeded and self.limit.mode == "block"

    @property
    def reason(self) -> str:
        if not self.exceeded:
            return ""
        return (f"Already asked {self.recent} time{'s' if self.recent != 1 else ''} in the last {self.limit.days} "
                f"days (limit {self.limit.max_requests})")


def _int_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from error
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


def current_limit() -> FatigueLimit:
    mode = os.environ.get("BYCONSENT_FATIGUE_MODE", "block").strip().lower() or "block"
    if mode not in {"block", "warn"}:
        raise ValueError(f"BYCONSENT_FATIGUE_MODE must be 'block' or 'warn', not {mode!r}")
    return FatigueLimit(max_requests=_int_from_env("BYCONSENT_FATIGUE_MAX_REQUESTS", 3),
                        days=max(1, _int_from_env("BYCONSENT_FATIGUE_DAYS", 30)), mode=mode)


def check_many(person_ids: Iterable[int], now: datetime | None = None) -> dict[int, FatigueCheck]:
    """One query for any number of people: would one more request exceed the limit?"""
    limit = current_limit()
    ids = list(person_ids)
    now = now or timezone.now()
    counts: dict[int, int] = {}
    if ids and limit.max_requests:
        rows = (ContactEvent.objects.filter(person_id__in=ids, kind__in=list(REQUEST_KINDS),
                                            occurred_at__gt=now - timedelta(days=limit.days), occurred_at__lte=now)
                .values("person_id").annotate(n=Count("id")))
        counts = {row["person_id"]: row["n"] for row in rows}
    return {pid: FatigueCheck(recent=counts.get(pid, 0), limit=limit,
                              exceeded=bool(limit.max_requests) and counts.get(pid, 0) + 1 > limit.max_requests)
            for pid in ids}


def check(person_id: int, now: datetime | None = None) -> FatigueCheck:
    return check_many([person_id], now)[person_id]
