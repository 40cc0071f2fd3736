"""A long task's page: progress updates in place without an automatic refresh, and the outcome shows at the end."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from byconsent.core import tasks
from byconsent.core.models import Role, TaskProgress

from .accessibility import check_page
from .signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_task_page_follows_the_worker_and_shows_errors(live_server, page, make_user, area_tree):
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"], email="admin@example.test")
    progress = tasks.start("Import areas", "byconsent.core.tasks.import_areas_task",
                           {"csv_text": "level,code,name,parent_code\nlocal_area,LX,X,NOPE\n"}, requested_by=admin)
    sign_in(page, live_server.url, "admin@example.test", "correct horse battery staple")
    page.goto(f"{live_server.url}/staff/tasks/{progress.pk}/")
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    check_page(page, "task_running")
    call_command("run_worker", "--batch", "--no-periodic", "--interval", "0")
    assert TaskProgress.objects.get(pk=progress.pk).status == TaskProgress.Status.DONE
    # The page's script notices the end and reloads itself to show the outcome.
    page.locator(".govuk-error-summary").wait_for(timeout=15_000)
    assert "Line 2: parent NOPE is not a known area." in page.inner_text(".govuk-error-summary")
    check_page(page, "task_finished_with_errors")
