"""Periodic jobs, run hourly by the worker and on demand by `byconsent manage run_periodic`.

Feature apps add their own jobs from AppConfig.ready() with `register_periodic(name, function)`; core never imports
them. A failing job is reported and does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from byconsent.core import privacy
from byconsent.core.models import RateLimitBucket, TaskProgress, WorkerHeartbeat

logger = logging.getLogger(__name__)
_app_jobs: dict[str, Callable[[], Any]] = {}


def register_periodic(name: str, job: Callable[[], Any]) -> None:
    _app_jobs[name] = job


def run_periodic_jobs() -> dict[str, Any]:
    results = _kernel_jobs()
    for name, job in _app_jobs.items():
        try:
            results[name] = job()
        except Exception as error:  # one app's failing job must not stop the others; it is logged
            logger.exception("Periodic job %s failed", name)
            results[name] = f"failed: {error}"
    return results


def _kernel_jobs() -> dict[str, Any]:
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
