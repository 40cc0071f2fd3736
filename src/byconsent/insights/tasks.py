"""Background work of the analysis workspace. Each task takes the TaskProgress id (see core.tasks.start) and does
its work through a service function, reporting progress as it goes."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from byconsent.core.models import TaskProgress
from byconsent.core.tasks import run_tracked


@task()
def theme_discovery_task(progress_id: int) -> dict[str, Any]:
    from byconsent.insights.models import ThemeRun
    from byconsent.insights.services import execute_theme_run

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        return execute_theme_run(ThemeRun.objects.get(pk=progress.arguments["run_id"]), report)

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]


@task()
def autocoding_task(progress_id: int) -> dict[str, Any]:
    from byconsent.insights.models import AutoCodingRun, ThemeRun
    from byconsent.insights.services import execute_autocoding

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        run = AutoCodingRun.objects.select_related("codebook").get(pk=progress.arguments["run_id"])
        try:
            return execute_autocoding(run, report)
        except Exception:
            AutoCodingRun.objects.filter(pk=run.pk).update(status=ThemeRun.Status.FAILED)
            raise

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]


@task()
def crime_import_task(progress_id: int) -> dict[str, Any]:
    from byconsent.insights.models import CrimeImport
    from byconsent.insights.services import execute_crime_import

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        crime_import = CrimeImport.objects.select_related("area").get(pk=progress.arguments["import_id"])
        try:
            return execute_crime_import(crime_import, progress.arguments["csv_text"], report)
        except Exception:
            CrimeImport.objects.filter(pk=crime_import.pk).update(status=CrimeImport.Status.FAILED)
            raise

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]


@task()
def heard_comparison_task(progress_id: int) -> dict[str, Any]:
    from byconsent.insights.models import HeardComparison
    from byconsent.insights.services import execute_heard_comparison

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        comparison = HeardComparison.objects.select_related("area", "created_by").get(
            pk=progress.arguments["comparison_id"])
        return execute_heard_comparison(comparison, report)

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]
