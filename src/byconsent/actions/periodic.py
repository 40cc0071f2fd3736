"""Periodic work of the actions app: registered with core.periodic, so the worker runs it hourly; staff can also
send waiting feedback at once, and `byconsent manage you_said_we_did_periodic` runs it by hand."""

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
