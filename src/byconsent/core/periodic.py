"""Periodic jobs, run hourly by the worker and on demand by `byconsent manage run_periodic`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from byconsent.core import privacy
from byconsent.core.models import RateLimitBucket, TaskProgress, WorkerHeartbeat


def run_periodic_jobs() -> dict[str, Any]:
    now = timezone.now()
    return {
        "retention": privacy.apply_retention(now),
        "rate_limit_buckets_removed": RateLimitBucket.objects.filter(updated_at__lt=now - timedelta(days=1))
        .delete()[0],
        "finished_tasks_removed": TaskProgress.objects.filter(
            status=TaskProgress.Status.DONE, updated_at__lt=now - timedelta(days=90)).delete()[0],
        "stale_heartbeats_removed": WorkerHeartbeat.objects.filter(last_seen__lt=now - timedelta(days=1))
        .delete()[0],
    }
