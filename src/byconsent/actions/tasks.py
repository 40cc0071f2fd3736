"""Background work of the actions app: the feedback batch (also run by the periodic job)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from byconsent.core.models import TaskProgress
from byconsent.core.tasks import run_tracked


@task()
def feedback_batch_task(progress_id: int) -> dict[str, Any]:
    from byconsent.actions.services import run_feedback_batch

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        report(0.1, "Finding people to tell")
        result = run_feedback_batch()
        return {"changes": result.events, "emails": result.emails, "letters": result.letters,
                "not_sent_unsubscribed": result.suppressed}

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]
