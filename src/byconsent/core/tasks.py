"""Long work runs as tasks with visible progress; a failed task can be retried from its page.

`start(...)` records a TaskProgress row and enqueues the task after the transaction commits (so the worker never
sees a half-written request). The task receives the progress id and reports through `report_progress`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks import task

from byconsent.core.models import Area, TaskProgress


def start(title: str, task_path: str, arguments: dict[str, Any], requested_by: Any = None,
          area: Area | None = None) -> TaskProgress:
    progress = TaskProgress.objects.create(
        title=title, task_path=task_path, arguments=arguments,
        requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None, area=area,
    )
    _enqueue(progress)
    return progress


def retry(progress: TaskProgress) -> TaskProgress:
    if progress.status != TaskProgress.Status.FAILED:
        raise ValueError("Only a failed task can be retried.")
    TaskProgress.objects.filter(pk=progress.pk).update(status=TaskProgress.Status.QUEUED, fraction=0.0,
                                                       message="", outcome=None)
    progress.refresh_from_db()
    _enqueue(progress)
    return progress


def _enqueue(progress: TaskProgress) -> None:
    task_function = import_string(progress.task_path)
    transaction.on_commit(lambda: task_function.enqueue(progress.pk))


def report_progress(progress_id: int, fraction: float, message: str) -> None:
    TaskProgress.objects.filter(pk=progress_id).update(fraction=max(0.0, min(1.0, fraction)), message=message[:300])


def run_tracked(progress_id: int, work: Any) -> Any:
    """Run `work(progress, report)` and record the outcome; exceptions mark the task failed and re-raise."""
    progress = TaskProgress.objects.get(pk=progress_id)
    TaskProgress.objects.filter(pk=progress_id).update(status=TaskProgress.Status.RUNNING,
                                                       attempts=progress.attempts + 1)

    def report(fraction: float, message: str) -> None:
        report_progress(progress_id, fraction, message)

    try:
        outcome = work(progress, report)
    except Exception as error:
        TaskProgress.objects.filter(pk=progress_id).update(
            status=TaskProgress.Status.FAILED, message=f"Failed: {error}"[:300])
        raise
    TaskProgress.objects.filter(pk=progress_id).update(
        status=TaskProgress.Status.DONE, fraction=1.0, outcome=outcome, message="Finished")
    return outcome


@task()
def import_areas_task(progress_id: int) -> dict[str, Any]:
    from byconsent.core.models import User
    from byconsent.core.services import import_areas

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        actor = User.objects.filter(pk=progress.requested_by_id).first() if progress.requested_by_id else None
        result = import_areas(actor, progress.arguments["csv_text"], progress=report)
        return {"created": result.created, "errors": result.errors}

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]


@task()
def broadcast_task(progress_id: int) -> dict[str, Any]:
    """Publish a message on a live channel from the worker (used by staff announcements and tests)."""
    from byconsent.core.services import publish_event

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        event = publish_event(progress.arguments["channel"], "message", {"text": progress.arguments["text"]})
        return {"event_id": event.pk}

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]


@task()
def send_notification_task(record_id: int) -> str:
    from byconsent.core.notifications import deliver

    return deliver(record_id)
