"""Who we heard from in a real browser: an analyst chooses a questionnaire and census tables, runs the comparison
(the worker's task run here), reads the results and downloads the CSV, with axe on every page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.browser.accessibility import check_page
from tests.browser.signin import sign_in
from tests.insights.builders import questionnaire_with_about_you

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def heard_setup(area_tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    from byconsent.insights import services
    from byconsent.surveys.models import Question
    from byconsent.surveys.services import create_response

    analyst = make_user("analyst", area_tree["force"], email="analyst@example.test")
    survey, main, about = questionnaire_with_about_you(area_tree["north"], slug="trust",
                                                       title="Trust in local policing")
    version = survey.current_version
    Question.objects.create(page=main, key="trust", type="single_choice", text="Do you trust the police?",
                            options=[{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}])
    Question.objects.create(page=about, key="age_band", type="single_choice", text="Age", is_demographic=True,
                            options=[{"value": v, "label": v} for v in ("16-24", "25-34", "35-64")])
    Question.objects.create(page=about, key="sex", type="single_choice", text="Sex", is_demographic=True,
                            options=[{"value": "female", "label": "Female"}, {"value": "male", "label": "Male"}])
    # 24 young people (20 women, 4 men) where the census has 30%: under-heard; 4 young men: never shown.
    people = [("16-24", "female")] * 20 + [("16-24", "male")] * 4 + [
        (age, "female" if n % 2 else "male") for n, age in enumerate(["25-34"] * 96 + ["35-64"] * 120)]
    for n, (age, sex) in enumerate(people):
        create_response(version, submission_token=f"b{n}", answers={"trust": "yes"},
                        demographics={"age_band": age, "sex": sex}, channel="online_survey",
                        area=area_tree["north_ward"])
    age_table = services.save_targets(
        analyst, name="Census 2021 age", area=area_tree["north"], source="census",
        targets={"Age (3 categories)": {"Aged 16 to 24 years": 0.3, "Aged 25 to 34 years": 0.3,
                                        "Aged 35 to 64 years": 0.4}})
    sex_table = services.save_targets(analyst, name="Census 2021 sex", area=area_tree["north"], source="census",
                                      targets={"Sex": {"Female": 0.5, "Male": 0.5}})
    joint_table = services.save_targets(
        analyst, name="Census 2021 age by sex", area=area_tree["north"], source="census",
        targets={"age_band × sex": {f"{age} × {sex}": share / 2 for age, share in
                                    (("16-24", 0.3), ("25-34", 0.3), ("35-64", 0.4)) for sex in ("Female", "Male")}})
    return {"analyst": analyst, "survey": survey, "tables": [age_table, sex_table, joint_table],
            "north": area_tree["north"]}


def test_an_analyst_runs_a_comparison_and_reads_who_was_heard(browser_context_factory: Any, live_server: Any,
                                                             heard_setup: dict[str, Any]) -> None:
    from byconsent.insights.models import HeardComparison
    from byconsent.insights.tasks import heard_comparison_task

    page = browser_context_factory().new_page()
    sign_in(page, live_server.url, "analyst@example.test", PASSWORD)
    page.goto(live_server.url + reverse("insights:home"))
    with page.expect_navigation():
        page.get_by_role("link", name="Who we heard from: participants compared with the census").click()
    check_page(page, "insights-heard-form")

    # Nothing chosen: clear errors, nothing queued.
    with page.expect_navigation():
        page.get_by_role("button", name="Compare with the population").click()
    assert page.locator(".govuk-error-summary").is_visible()
    check_page(page, "insights-heard-form-errors")
    assert HeardComparison.objects.count() == 0

    page.get_by_label("Area", exact=True).select_option(str(heard_setup["north"].pk))
    page.get_by_label("Participants").select_option(f"survey:{heard_setup['survey'].pk}")
    for table in heard_setup["tables"]:
        page.locator(f'input[name="targets"][value="{table.pk}"]').check()
    with page.expect_navigation():
        page.get_by_role("button", name="Compare with the population").click()
    comparison = HeardComparison.objects.get()
    assert page.locator("#status").inner_text().startswith("Waiting to start")
    check_page(page, "insights-heard-waiting")

    heard_comparison_task.call(comparison.task_id)  # the worker's job, run here
    with page.expect_navigation():
        page.get_by_role("link", name="Refresh this page").click()
    check_page(page, "insights-heard-results")
    assert page.locator("#status").inner_text().startswith("Ready")
    under_heard = page.locator("#under-heard + ol li").first.inner_text()
    assert "Aged 16 to 24 years" in under_heard and "under-heard beyond chance" in under_heard
    row = page.locator("tr", has=page.get_by_role("rowheader", name="Aged 16 to 24 years", exact=True))
    assert "24" in row.inner_text() and "Under-heard" in row.inner_text()
    # Age by sex: the 4 young men are not shown (nor anything that would give them away).
    joint_row = page.locator("tr", has=page.get_by_role("rowheader", name="Aged 16 to 24 years × Male"))
    assert joint_row.locator("td").first.inner_text() == "[c] not shown"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the table as CSV").click()
    assert "Aged 16 to 24 years" in download.value.path().read_text()

    page.goto(live_server.url + reverse("insights:heard"))
    assert page.get_by_role("link", name="Trust in local policing").is_visible()
    check_page(page, "insights-heard-list")

    # Without JavaScript: the results read the same and "Run again" is a plain form.
    plain = browser_context_factory(java_script_enabled=False)
    plain.add_cookies(page.context.cookies())
    no_js = plain.new_page()
    no_js.goto(live_server.url + reverse("insights:heard_detail", args=[comparison.pk]))
    check_page(no_js, "insights-heard-results-no-js")
    with no_js.expect_navigation():
        no_js.get_by_role("button", name="Run again on today's data").click()
    again = HeardComparison.objects.exclude(pk=comparison.pk).get()
    assert no_js.url.endswith(reverse("insights:heard_detail", args=[again.pk]))
    assert list(again.targets.order_by("pk")) == list(comparison.targets.order_by("pk"))
