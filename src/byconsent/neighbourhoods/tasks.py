"""Background work of the neighbourhoods app: importing data.police.uk crime files."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from byconsent.core.models import TaskProgress
from byconsent.core.tasks import run_tracked


@task()
def crime_import_task(progress_id: int) -> dict[str, Any]:
    from byconsent.core.models import User
    from byconsent.neighbourhoods.services import import_street_crime

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        actor = User.objects.filter(pk=progress.requested_by_id).first() if progress.requested_by_id else None
        result = import_street_crime(actor, progress.arguments["csv_text"], progress.arguments.get("filename", ""),
                                     progress=report)
        return {"rows": result.rows, "placed in areas": result.placed, "no location": result.no_location,
                "outside our areas": result.outside_areas, "anti-social behaviour rows without a crime id":
                result.without_crime_id, "errors": result.errors}

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]
