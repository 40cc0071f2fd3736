"""Background work: the hourly schedule check and alert emails."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from byconsent.core.models import TaskProgress
from byconsent.core.tasks import run_tracked


@task()
def schedule_task() -> dict[str, int]:
    """Enqueue this hourly (or call services.run_schedule from run_periodic)."""
    from byconsent.consultations.services import run_schedule

    return run_schedule()


@task()
def send_alerts_task(progress_id: int) -> dict[str, Any]:
    from byconsent.consultations.models import Consultation
    from byconsent.consultations.services import send_alerts

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        consultation = Consultation.objects.get(pk=progress.arguments["consultation"])
        return {"sent": send_alerts(consultation)}

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]
