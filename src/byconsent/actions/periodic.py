"""Periodic work of the actions app. The worker's hourly job list (core.periodic.run_periodic_jobs) should call
`run_periodic()`; until it does, schedule `byconsent manage you_said_we_did_periodic` (e.g. hourly from cron)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone


def run_periodic(today: datetime.date | None = None) -> dict[str, Any]:
    from byconsent.actions.services import check_overdue_actions, run_feedback_batch

    batch = run_feedback_batch()
    result: dict[str, Any] = {"feedback_changes": batch.events, "feedback_emails": batch.emails,
                              "feedback_letters": batch.letters, "feedback_not_sent": batch.suppressed}
    result.update(check_overdue_actions(today or timezone.localdate()))
    return result
