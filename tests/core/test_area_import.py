from __future__ import annotations

import pytest

from byconsent.core.area_import import parse_area_csv
from byconsent.core.models import Area, AuditEntry, Role
from byconsent.core.services import import_areas

GOOD = """# comment lines are skipped
level,code,name,parent_code,population,zone_codes
force,F,Force,,,
division,D1,North,F,1000,
local_area,L1,Town,D1,,
neighbourhood,N1,Ward\u00a0,L1,500,S01;S02
"""


def test_valid_file_builds_the_tree(db):
    report = import_areas(None, GOOD)
    assert report.ok and report.created == 4
    ward = Area.objects.get(code="N1")
    assert ward.name == "Ward"  # no-break spaces from the source are stripped
    assert ward.zone_codes == ["S01", "S02"]
    assert [a.code for a in ward.ancestors()] == ["F", "D1", "L1", "N1"]
    assert set(Area.objects.get(code="D1").subtree().values_list("code", flat=True)) == {"D1", "L1", "N1"}
    assert AuditEntry.objects.filter(action="areas.imported").exists()


def test_every_bad_line_is_reported_with_its_number_and_nothing_is_written(db):
    bad = GOOD.replace("local_area,L1,Town,D1,,", "local_area,L1,Town,XX,,").replace(
        "division,D1,North,F,1000,", "division,D1,North,F,lots,")
    report = import_areas(None, bad)
    assert not report.ok
    assert any(e.startswith("Line 4:") and "population" in e for e in report.errors)
    assert any(e.startswith("Line 5:") and "parent XX" in e for e in report.errors)
    assert Area.objects.count() == 0


def test_missing_columns_and_wrong_levels(db):
    assert "missing column" in parse_area_csv("code,name\nF,Force\n", {}).errors[0]
    errors = parse_area_csv("level,code,name,parent_code\nforce,F,Force,\nneighbourhood,N,Ward,F\n", {}).errors
    assert errors == ["Line 3: parent F is not one level above."]


def test_duplicate_codes_are_refused(db):
    errors = parse_area_csv("level,code,name,parent_code\nforce,F,Force,\ndivision,F,Again,F\n", {}).errors
    assert "appears twice" in errors[0]


def test_import_extends_an_existing_tree(area_tree):
    report = import_areas(None, "level,code,name,parent_code\nlocal_area,LN2,Northvale,DN\n")
    assert report.ok
    assert Area.objects.get(code="LN2").is_within(area_tree["north"])


def test_import_requires_permission(area_tree, make_user):
    from django.core.exceptions import PermissionDenied

    officer = make_user(Role.LOCAL_OFFICER, area_tree["north"])
    with pytest.raises(PermissionDenied):
        import_areas(officer, GOOD)


def test_import_page_runs_a_task_that_reports_errors(area_tree, make_user, client_for,
                                                     django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from byconsent.core.models import TaskProgress
    from byconsent.core.tasks import import_areas_task

    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    upload = SimpleUploadedFile("areas.csv", b"level,code,name,parent_code\nlocal_area,LX,X,NOPE\n")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(admin).post(reverse("core:area_import"), {"file": upload})
    assert response.status_code == 302
    progress = TaskProgress.objects.get()
    assert len(callbacks) == 1  # enqueued only once the request's transaction commits
    import_areas_task.call(progress.pk)
    progress.refresh_from_db()
    assert progress.status == TaskProgress.Status.DONE
    assert progress.outcome["errors"] == ["Line 2: parent NOPE is not a known area."]
    page = client_for(admin).get(reverse("core:task_detail", args=[progress.pk])).content.decode()
    assert "Line 2: parent NOPE is not a known area." in page
    assert 'http-equiv="refresh"' not in page  # no automatic refresh (WCAG 2.2.1)
    state = client_for(admin).get(reverse("core:task_detail", args=[progress.pk]), {"format": "json"}).json()
    assert state == {"status": "done", "percent": 100, "message": "Finished"}
