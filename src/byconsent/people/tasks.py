"""Background work for the people app: sending to a segment and importing a file, each with visible progress."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from byconsent.core.models import TaskProgress, User
from byconsent.core.tasks import run_tracked


def _actor(progress: TaskProgress) -> User | None:
    return User.objects.filter(pk=progress.requested_by_id).first() if progress.requested_by_id else None


@task()
def send_segment_task(progress_id: int) -> dict[str, Any]:
    from byconsent.people.models import Segment
    from byconsent.people.selectors import segment_members
    from byconsent.people.services import send_email

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        arguments = progress.arguments
        segment = Segment.objects.select_related("purpose", "area").get(pk=arguments["segment"])
        actor = _actor(progress)
        members = segment_members(segment, actor=actor)
        report(0.1, f"{len(members)} people in the segment")
        outcome = send_email(members, segment.purpose, subject=arguments["subject"], body=arguments["body"],
                             batch_key=f"task-{progress.pk}", kind=arguments.get("kind", "invitation"),
                             source=f"segment:{segment.pk}", actor=actor).as_outcome()
        return outcome

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]


@task()
def import_task(progress_id: int) -> dict[str, Any]:
    from byconsent.people.importing import run_import
    from byconsent.people.models import ImportJob

    def work(progress: TaskProgress, report: Any) -> dict[str, Any]:
        job = ImportJob.objects.select_related("area", "purpose").get(pk=progress.arguments["job"])
        return run_import(job, _actor(progress), report)

    return run_tracked(progress_id, work)  # type: ignore[no-any-return]
