"""Background work of the surveys app: exports and bulk imports, with progress staff can watch, and the free text
of public submissions, recorded in batches."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from byconsent.core.models import TaskProgress
from byconsent.core.tasks import run_tracked


@task()
def export_task(progress_id: int) -> dict[str, Any]:
    from byconsent.surveys import reports
    from byconsent.surveys.models import Questionnaire

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        questionnaire = Questionnaire.objects.get(pk=progress.arguments["questionnaire"])
        fmt = progress.arguments["format"]
        total = questionnaire.responses.count()
        name = f"{questionnaire.slug}-{timezone.now():%Y%m%d-%H%M%S}-{progress.pk}.{fmt}"
        target = reports.export_dir(questionnaire) / name
        rows = reports.WRITERS[fmt](questionnaire, target, report, total)
        files = [name] + ([target.stem + "-data-dictionary.csv"] if fmt == "csv" else [])
        return {"rows": rows, "files": files,
                "links": [reverse("surveys:staff_export_download", args=[questionnaire.pk, f]) for f in files]}

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]


@task()
def record_text_answers_task(response_id: int) -> int:
    """Free-text answers of one public submission become TextAnswers and Contributions (idempotent). Kept for
    tasks queued before submissions were recorded in batches."""
    from byconsent.surveys.services import record_text_answers

    return record_text_answers(response_id)


@task()
def record_pending_text_answers_task() -> int:
    """Free-text answers of every public submission still pending become TextAnswers and Contributions."""
    from byconsent.surveys.services import record_pending_text_answers

    return record_pending_text_answers()


# One task a second per process at most, however many submissions arrive: a task is enqueued to run DRAIN_DELAY
# after the first submission of a quiet spell, and every submission committed before it starts is pending by then,
# so it records them all. Whatever a crash leaves pending is recorded by the periodic job (apps.py).
DRAIN_DELAY = timedelta(seconds=1)
_drain_lock = threading.Lock()
_drain_covers_until = [0.0]  # time.monotonic() until which an enqueued task is sure to see new submissions


def schedule_text_recording() -> None:
    """Called after a public submission commits: make sure a task will record its free-text answers soon."""
    now = time.monotonic()
    with _drain_lock:
        if now < _drain_covers_until[0]:
            return
        # The window is claimed only once the task is queued: if queueing fails, the next submission tries again.
        record_pending_text_answers_task.using(run_after=timezone.now() + DRAIN_DELAY).enqueue()
        _drain_covers_until[0] = now + DRAIN_DELAY.total_seconds()


@task()
def import_task(progress_id: int) -> dict[str, Any]:
    from byconsent.core.models import User
    from byconsent.surveys import importing
    from byconsent.surveys.models import Questionnaire

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        questionnaire = Questionnaire.objects.get(pk=progress.arguments["questionnaire"])
        actor = User.objects.get(pk=progress.requested_by_id or 0)
        result = importing.commit(actor, questionnaire, progress.arguments["stored"], report)
        if result.errors:
            raise ValueError(f"{len(result.errors)} rows have errors; nothing was imported")
        return {"created": result.created, "skipped": result.skipped}

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]
