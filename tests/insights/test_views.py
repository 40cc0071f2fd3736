"""The workspace pages: every page renders for an analyst, the coding screen works as a plain form, other roles
get 403 and other areas 404, exports never contain a small cell."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from byconsent.insights import services
from byconsent.insights.models import Code, CodeSuggestion, CodingRecord, ThemeRun
from byconsent.insights.tasks import theme_discovery_task
from tests.insights.test_crosstab_and_weighting import responses_csv


@pytest.fixture
def signed_in(analyst, client_for):
    return client_for(analyst)


def test_every_page_renders(signed_in, analyst, coding_set, codebook, area_tree, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = services.start_theme_run(analyst, coding_set, n_themes=3)
    theme_discovery_task.call(run.task_id)
    upload = services.upload_responses(analyst, name="Survey", area=area_tree["force"], csv_text=responses_csv())
    theme = run.themes.first()
    code = Code.objects.filter(codebook=codebook).first()
    pages = [
        reverse("insights:home"), reverse("insights:set_create"), reverse("insights:set_detail", args=[coding_set.pk]),
        reverse("insights:coding_screen", args=[coding_set.pk]), reverse("insights:agreement", args=[coding_set.pk]),
        reverse("insights:theme_run_create", args=[coding_set.pk]), reverse("insights:codebook_create"),
        reverse("insights:codebook_detail", args=[codebook.pk]),
        reverse("insights:code_edit", args=[codebook.pk, code.pk]),
        reverse("insights:suggestions", args=[codebook.pk]), reverse("insights:theme_run_list"),
        reverse("insights:theme_run_detail", args=[run.pk]),
        reverse("insights:theme_rename", args=[run.pk, theme.pk]), reverse("insights:responses_upload"),
        reverse("insights:crosstab"),
        f"{reverse('insights:crosstab')}?source=upload:{upload.pk}&question=confidence&by=ethnicity",
        reverse("insights:weighting_list"), reverse("insights:crime"),
        f"{reverse('insights:crime')}?area={area_tree['north'].pk}",
        reverse("core:staff_home"),
    ]
    for page in pages:
        response = signed_in.get(page)
        assert response.status_code == 200, page


def test_coding_screen_without_javascript(signed_in, analyst, coding_set, contributions, codebook):
    url = reverse("insights:coding_screen", args=[coding_set.pk])
    page = signed_in.get(url)
    assert contributions[0].text in page.content.decode()
    assert b"[1] Roads" in page.content
    parking = Code.objects.get(codebook=codebook, label="Parking")
    response = signed_in.post(url, {"codes": [str(parking.pk)], "note": "", "save": "1"})
    assert response.status_code == 302 and response["Location"].endswith(f"?after={contributions[0].pk}")
    record = CodingRecord.objects.get(contribution=contributions[0], coder=analyst)
    assert list(record.codes.all()) == [parking]
    following = signed_in.get(response["Location"])
    assert contributions[1].text in following.content.decode()
    skipped = signed_in.post(response["Location"].replace(f"?after={contributions[0].pk}", "")
                             + f"?contribution={contributions[1].pk}", {"skip": "1"})
    assert skipped.status_code == 302
    assert not CodingRecord.objects.filter(contribution=contributions[1]).exists()


def test_saving_on_the_coding_screen_decides_the_suggestions_shown(signed_in, analyst, coding_set, contributions,
                                                                   codebook):
    parking = Code.objects.get(codebook=codebook, label="Parking")
    drugs = Code.objects.get(codebook=codebook, label="Drugs")
    for code in (parking, drugs):
        CodeSuggestion.objects.create(contribution=contributions[0], code=code, confidence=0.8)
    url = reverse("insights:coding_screen", args=[coding_set.pk]) + f"?contribution={contributions[0].pk}"
    assert b"Suggested codes (not applied)" in signed_in.get(url).content
    signed_in.post(url, {"codes": [str(parking.pk)], "save": "1"})
    assert dict(CodeSuggestion.objects.values_list("code__label", "status")) == {
        "Parking": "accepted", "Drugs": "rejected"}


def test_roles_without_analyse_get_403_and_other_areas_404(make_user, client_for, area_tree, coding_set):
    officer = make_user("local_officer", area_tree["force"])
    assert client_for(officer).get(reverse("insights:home")).status_code == 403
    south_analyst = make_user("analyst", area_tree["south"])
    client = client_for(south_analyst)
    assert client.get(reverse("insights:set_detail", args=[coding_set.pk])).status_code == 404
    assert client.get(reverse("insights:coding_screen", args=[coding_set.pk])).status_code == 404


def test_theme_review_through_the_pages(signed_in, analyst, coding_set, codebook,
                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = signed_in.post(reverse("insights:theme_run_create", args=[coding_set.pk]),
                                  {"n_themes": "3", "seed": "0", "embedder": "fast"})
    run = ThemeRun.objects.get()
    assert response["Location"] == reverse("core:task_detail", args=[run.task_id])
    theme_discovery_task.call(run.task_id)
    first, second, third = run.themes.all()
    act = reverse("insights:theme_action", args=[run.pk])
    signed_in.post(reverse("insights:theme_rename", args=[run.pk, first.pk]), {"label": "Parking", "description": ""})
    signed_in.post(act, {"action": "merge", "theme": [first.pk, second.pk], "merged_label": "Roads"})
    signed_in.post(act, {"action": f"discard-{third.pk}"})
    page = signed_in.get(reverse("insights:theme_run_detail", args=[run.pk])).content.decode()
    assert "Roads" in page and "Discarded" in page
    done = signed_in.post(reverse("insights:theme_sign_off", args=[run.pk]), {"codebook": codebook.pk})
    assert done["Location"] == reverse("insights:suggestions", args=[codebook.pk])
    run.refresh_from_db()
    assert run.status == ThemeRun.Status.SIGNED_OFF
    pending = CodeSuggestion.objects.filter(theme_run=run)
    chosen = list(pending.values_list("pk", flat=True)[:2])
    signed_in.post(reverse("insights:suggestions", args=[codebook.pk]), {"suggestion": chosen, "decision": "accept"})
    assert CodeSuggestion.objects.filter(pk__in=chosen, status="accepted").count() == 2


def test_crosstab_exports_never_contain_a_small_cell(signed_in, analyst, area_tree):
    upload = services.upload_responses(analyst, name="Survey", area=area_tree["force"], csv_text=responses_csv())
    base = f"{reverse('insights:crosstab')}?source=upload:{upload.pk}&question=confidence&by=ethnicity"
    page = signed_in.get(base).content.decode()
    assert "<svg" in page and "[c] not shown" in page
    exported = signed_in.get(base + "&format=csv")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    header = rows[0]
    count_columns = [i for i, name in enumerate(header) if name.endswith(": count") or name == "Respondents"]
    for row in rows[1:]:
        for i in count_columns:
            if i < len(row) and row[i] not in ("", "[c]"):
                assert int(row[i]) >= 10
    assert any(row and row[0] == "Mixed" and "[c]" in row for row in rows)
    xlsx = signed_in.get(base + "&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_bad_uploads_keep_the_form_and_say_what_is_wrong(signed_in, area_tree):
    response = signed_in.post(reverse("insights:responses_upload"), {
        "name": "Bad", "area": area_tree["force"].pk,
        "file": SimpleUploadedFile("bad.csv", b"id,q\n1,a\n", content_type="text/csv")})
    assert response.status_code == 200
    assert "respondent_id" in response.content.decode() and 'value="Bad"' in response.content.decode()


def test_weighting_pages_show_the_report_before_weighted_results(signed_in, analyst, area_tree):
    upload = services.upload_responses(analyst, name="Survey", area=area_tree["force"], csv_text=responses_csv())
    targets_file = SimpleUploadedFile("t.csv", b"variable,category,proportion\nsex,Female,50\nsex,Male,50\n")
    response = signed_in.post(reverse("insights:weighting_list"), {
        "form": "targets", "targets-name": "Sex", "targets-area": area_tree["force"].pk, "targets-file": targets_file})
    assert response.status_code == 302
    from byconsent.insights.models import PopulationTargets, WeightingRun

    targets = PopulationTargets.objects.get()
    response = signed_in.post(reverse("insights:weighting_list"), {
        "form": "run", "run-source": f"upload:{upload.pk}", "run-targets": targets.pk})
    run = WeightingRun.objects.get()
    assert response["Location"] == reverse("insights:weighting_detail", args=[run.pk])
    report = signed_in.get(response["Location"]).content.decode()
    assert "Design effect" in report and "Effective sample size" in report and "Accept these weights" in report
    weighted = f"{reverse('insights:crosstab')}?source=upload:{upload.pk}&question=confidence&by=sex&weighting={run.pk}"
    assert "Unweighted" in signed_in.get(weighted).content.decode() or \
        signed_in.get(weighted).status_code == 200  # not accepted yet: the choice is not offered
    signed_in.post(response["Location"])
    run.refresh_from_db()
    assert run.status == WeightingRun.Status.ACCEPTED
    assert "Weighted to" in signed_in.get(weighted).content.decode()


def test_crime_import_page_starts_a_task(signed_in, area_tree, django_capture_on_commit_callbacks):
    text = (b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
            b"Last outcome category,Context\nabc,2022-01,X,X,-0.1,51.5,On or near A,S01000001,W,Burglary,,\n")
    with django_capture_on_commit_callbacks(execute=False):
        response = signed_in.post(reverse("insights:crime"), {
            "area": area_tree["force"].pk, "file": SimpleUploadedFile("2022-01-x-street.csv", text)})
    assert response.status_code == 302 and "/staff/tasks/" in response["Location"]


CRIME_FILE = (b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
              b"Last outcome category,Context\nabc,2022-01,X,X,-0.1,51.5,On or near A,S01000001,W,Burglary,,\n")


def test_a_force_level_engagement_officer_imports_crime_from_the_page(make_user, client_for, area_tree,
                                                                       django_capture_on_commit_callbacks):
    from byconsent.insights.models import CrimeImport, CrimeRecord
    from byconsent.insights.tasks import crime_import_task

    officer = make_user("engagement_officer", area_tree["force"])
    client = client_for(officer)
    page = client.get(reverse("insights:crime"))
    assert page.status_code == 200
    form = page.context["form"]
    assert [value for value, _label in form.fields["area"].choices] == ["", area_tree["force"].pk]  # forces only
    assert page.context["area_form"] is None and not page.context["cannot_import"]
    body = page.content.decode()
    assert "The file covers the whole force" in body and f'value="{area_tree["north"].pk}"' not in body
    refused = client.post(reverse("insights:crime"), {
        "area": area_tree["force"].pk + 1000, "file": SimpleUploadedFile("2022-01-x-street.csv", CRIME_FILE)})
    assert refused.status_code == 200 and "Choose a force from the list" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=False):  # an area beneath the force stands for the force
        response = client.post(reverse("insights:crime"), {
            "area": area_tree["north"].pk, "file": SimpleUploadedFile("2022-01-x-street.csv", CRIME_FILE)})
    assert response.status_code == 302 and "/staff/tasks/" in response["Location"]
    crime_import = CrimeImport.objects.get()
    assert crime_import.created_by == officer and crime_import.area == area_tree["force"]
    crime_import_task.call(crime_import.task_id)
    assert CrimeRecord.objects.get().area == area_tree["north_ward"]
    detail = client.get(reverse("insights:crime_import_detail", args=[crime_import.pk]))
    assert detail.status_code == 200 and "2022-01-x-street.csv" in detail.content.decode()
    assert "Removed (no longer in a re-published month)" in detail.content.decode()


def test_a_local_analyst_sees_the_figures_and_who_imports_but_cannot_import(make_user, client_for, area_tree,
                                                                            analyst):
    from byconsent.insights.models import CrimeImport, CrimeRecord

    services.import_street_crime(analyst, file_name="2022-01-x-street.csv", csv_text=CRIME_FILE.decode())
    local = make_user("analyst", area_tree["north_town"])
    client = client_for(local)
    page = client.get(reverse("insights:crime"), {"area": area_tree["north_town"].pk})
    body = page.content.decode()
    assert page.status_code == 200 and page.context["cannot_import"] and page.context["form"] is None
    assert page.context["summary"].totals == {date(2022, 1, 1): 1}  # the monthly figures of their area
    assert "engagement officers" in body and "X up to January 2022" in body
    assert 'enctype="multipart/form-data"' not in body
    response = client.post(reverse("insights:crime"), {
        "area": area_tree["force"].pk, "file": SimpleUploadedFile("2022-02-x-street.csv", CRIME_FILE)})
    assert response.status_code == 403
    assert list(CrimeImport.objects.values_list("file_name", flat=True)) == ["2022-01-x-street.csv"]
    assert CrimeRecord.objects.count() == 1
    # The force's import is not theirs to read; someone with neither role is refused the page.
    imported = CrimeImport.objects.get()
    assert client.get(reverse("insights:crime_import_detail", args=[imported.pk])).status_code == 404
    commander = make_user("commander", area_tree["force"])
    assert client_for(commander).get(reverse("insights:crime")).status_code == 403
