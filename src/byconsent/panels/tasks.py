"""Background work of the panels app: the selection runs as a task with visible progress."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from byconsent.core.models import TaskProgress
from byconsent.core.tasks import run_tracked


@task()
def select_task(progress_id: int) -> dict[str, Any]:
    """Run one queued Selection; the engine's progress callback feeds the task's progress page."""
    from byconsent.panels.services import run_selection

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        return run_selection(int(progress.arguments["selection_id"]), report)

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]
