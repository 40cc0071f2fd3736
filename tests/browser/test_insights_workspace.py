"""The analysis workspace in a real browser: the coding screen with keyboard shortcuts and without JavaScript,
the theme review flow, and axe on every workspace page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from tests.browser.accessibility import check_page
from tests.browser.signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
TEXTS = [
    "Cars parked on the pavement outside the school every morning",
    "Parking on double yellow lines near the shops blocks the road",
    "Vans park across driveways and on the pavement all day",
    "Cars speeding down the high street at night",
    "Speeding motorbikes race along the main road after dark",
    "Drivers speed past the primary school, we need speed cameras",
    "Drug dealing in the park near the play area",
    "People dealing drugs openly outside the station",
    "Needles and drug litter left in the stairwell",
]


@pytest.fixture
def workspace(area_tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    from byconsent.core.models import Channel, Contribution
    from byconsent.insights import services

    analyst = make_user("analyst", area_tree["force"], email="analyst@example.test")
    for repeat in range(2):
        for n, text in enumerate(TEXTS):
            Contribution.objects.create(channel=Channel.ONLINE_SURVEY, text=f"{text} ({repeat})",
                                        area=area_tree["north_ward"] if n % 2 else area_tree["south_ward"],
                                        created_on=date(2026, 10, 1 + n))
    book = services.create_codebook(analyst, name="Concerns", area=area_tree["force"])
    roads = services.save_code(analyst, book, label="Roads", description="Traffic and parking")
    services.save_code(analyst, book, label="Parking", parent=roads)
    services.save_code(analyst, book, label="Drugs")
    chosen = services.create_contribution_set(analyst, name="Autumn", area=area_tree["force"], codebook=book)
    return {"analyst": analyst, "codebook": book, "set": chosen}


def signed_in_page(browser_context_factory: Any, live_server: Any) -> Any:
    page = browser_context_factory().new_page()
    sign_in(page, live_server.url, "analyst@example.test", PASSWORD)
    assert "/accounts/" not in page.url
    return page


def test_coding_screen_with_keys_and_without_javascript(browser_context_factory: Any, live_server: Any,
                                                        workspace: dict[str, Any]) -> None:
    from byconsent.insights.models import CodingRecord

    page = signed_in_page(browser_context_factory, live_server)
    url = live_server.url + reverse("insights:coding_screen", args=[workspace["set"].pk])
    page.goto(url)
    check_page(page, "insights-coding-screen")
    first_text = page.locator("#contribution-text").inner_text()
    page.locator("h1").click()  # focus the page, not a field
    page.keyboard.press("1")  # Roads
    page.keyboard.press("3")  # Drugs
    page.keyboard.press("3")  # ...untick Drugs again
    assert page.locator('input[name="codes"]').nth(0).is_checked()
    assert not page.locator('input[name="codes"]').nth(2).is_checked()
    with page.expect_navigation():  # wait for the next contribution's page, not the current one
        page.keyboard.press("n")  # save and next
    assert page.locator("#contribution-text").inner_text() != first_text
    check_page(page, "insights-coding-screen-saved")
    record = CodingRecord.objects.get()
    assert [c.label for c in record.codes.all()] == ["Roads"]

    # The same screen as a plain form, without JavaScript (cookies copied: one sign-in per test).
    plain = browser_context_factory(java_script_enabled=False)
    plain.add_cookies(page.context.cookies())
    no_js = plain.new_page()
    no_js.goto(url)
    check_page(no_js, "insights-coding-screen-no-js")
    no_js.get_by_label("Parking").check()
    no_js.get_by_role("button", name="Save and go to the next").click()
    no_js.wait_for_load_state()
    assert CodingRecord.objects.count() == 2
    check_page(no_js, "insights-coding-screen-no-js-next")
    assert no_js.locator("#shortcuts-toggle").count() == 0  # the switch exists only where the shortcuts do

    # Shortcuts can be switched off (WCAG 2.1.4), and stay off.
    page.get_by_label("Use keyboard shortcuts", exact=False).uncheck()
    page.locator("h1").click()
    page.keyboard.press("1")
    assert not page.locator('input[name="codes"]').nth(0).is_checked()
    page.reload()
    assert not page.locator("#shortcuts-toggle").is_checked()


def test_theme_review_and_every_workspace_page(browser_context_factory: Any, live_server: Any,
                                               workspace: dict[str, Any]) -> None:
    from byconsent.insights import services
    from byconsent.insights.models import CodeSuggestion, ThemeRun
    from byconsent.insights.tasks import theme_discovery_task

    page = signed_in_page(browser_context_factory, live_server)
    base = live_server.url
    page.goto(base + reverse("insights:theme_run_create", args=[workspace["set"].pk]))
    check_page(page, "insights-theme-run-form")
    page.get_by_label("Number of themes").fill("3")
    page.get_by_role("button", name="Start").click()
    page.wait_for_load_state()
    run = ThemeRun.objects.get()
    theme_discovery_task.call(run.task_id)  # the worker's job, run here
    page.goto(base + reverse("insights:theme_run_detail", args=[run.pk]))
    check_page(page, "insights-theme-review")
    first, second, third = run.themes.all()
    page.locator(f"#theme-{first.pk}").get_by_role("link", name="Rename").click()
    check_page(page, "insights-theme-rename")
    page.get_by_label("Theme name").fill("Parking on pavements")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    page.locator(f"#merge-{first.pk}").check()
    page.locator(f"#merge-{second.pk}").check()
    page.get_by_label("Name of the merged theme (optional)").fill("Roads and parking")
    page.get_by_role("button", name="Merge the ticked themes").click()
    page.wait_for_load_state()
    page.locator(f"#theme-{third.pk}").get_by_role("button", name="Discard").click()
    page.wait_for_load_state()
    check_page(page, "insights-theme-review-after-changes")
    page.get_by_label("Codebook the themes become codes in").select_option(str(workspace["codebook"].pk))
    page.get_by_role("button", name="Sign off these themes").click()
    page.wait_for_load_state()
    run.refresh_from_db()
    assert run.status == ThemeRun.Status.SIGNED_OFF
    check_page(page, "insights-suggestions")
    page.locator('input[name="suggestion"]').first.check()
    page.get_by_role("button", name="Confirm the chosen codes").click()
    page.wait_for_load_state()
    assert CodeSuggestion.objects.filter(status="accepted").count() == 1

    # Every other workspace page, checked with axe.
    from tests.insights.test_crosstab_and_weighting import responses_csv

    analyst = workspace["analyst"]
    upload = services.upload_responses(analyst, name="Survey", area=workspace["set"].area, csv_text=responses_csv())
    targets = services.save_targets(analyst, name="Sex", area=workspace["set"].area, source="test",
                                    targets={"sex": {"Female": 0.5, "Male": 0.5}})
    weighting_run = services.run_weighting(analyst, source_key=f"upload:{upload.pk}", targets=targets)
    from byconsent.insights.models import CrimeImport

    crime_import = CrimeImport.objects.create(area=workspace["set"].area, file_name="2022-01-street.csv")
    services.execute_crime_import(crime_import, (
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
        "Last outcome category,Context\nabc,2022-01,X,X,-0.1,51.5,On or near A,S01000001,W,Burglary,,\n"
        ",January,X,X,,,No Location,,,Anti-social behaviour,,\n"))
    book = workspace["codebook"]
    code = book.codes.first()
    pages = {
        "home": reverse("insights:home"),
        "set-create": reverse("insights:set_create"),
        "set-detail": reverse("insights:set_detail", args=[workspace["set"].pk]),
        "agreement": reverse("insights:agreement", args=[workspace["set"].pk]),
        "codebook-create": reverse("insights:codebook_create"),
        "codebook": reverse("insights:codebook_detail", args=[book.pk]),
        "code-edit": reverse("insights:code_edit", args=[book.pk, code.pk]),
        "theme-runs": reverse("insights:theme_run_list"),
        "responses": reverse("insights:responses_upload"),
        "crosstab": reverse("insights:crosstab") + f"?source=upload:{upload.pk}&question=confidence&by=ethnicity",
        "weighting": reverse("insights:weighting_list"),
        "weighting-report": reverse("insights:weighting_detail", args=[weighting_run.pk]),
        "crime": reverse("insights:crime") + f"?area={workspace['set'].area.pk}",
        "crime-import": reverse("insights:crime_import_detail", args=[crime_import.pk]),
    }
    for name, path in pages.items():
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        check_page(page, f"insights-{name}")
    # Forms with errors, too.
    page.goto(base + reverse("insights:set_create"))
    page.get_by_role("button", name="Create set").click()
    page.wait_for_load_state()
    check_page(page, "insights-set-create-errors")
