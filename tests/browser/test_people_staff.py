"""The people app's staff screens in a real browser, each checked with axe: people, organisations, consent,
equality information, segments and panels, sending, export, import with preview, duplicates and merge, erasure."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from .accessibility import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_as(context: BrowserContext, base_url: str, user: Any) -> None:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME]
                          .value, "url": base_url}])


@pytest.fixture
def admin_page(browser_context_factory: Any, live_server: Any, make_user: Any, area_tree: dict[str, Any]) -> Page:
    from byconsent.core.models import Role

    context = browser_context_factory()
    sign_in_as(context, live_server.url, make_user(Role.ADMINISTRATOR, area_tree["force"]))
    return context.new_page()


def test_people_and_organisation_screens(admin_page: Page, area_tree: dict[str, Any]) -> None:
    from byconsent.people.models import Interest, Organisation, Person

    page = admin_page
    Interest.objects.create(name="Road safety")
    Organisation.objects.create(name="Northtown Mosque", kind="faith_group", area=area_tree["north_ward"])
    page.goto("/staff/")
    page.get_by_role("navigation", name="Staff pages").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    check_page(page, "people-list-empty")
    page.get_by_role("link", name="Add a person").click()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "people-add-errors")
    page.get_by_label("Full name").fill("Priya Patel")
    page.get_by_label("Email address").fill("priya@example.test")
    page.get_by_label("Postcode").fill("EH1 1YZ")
    page.get_by_label("Area", exact=True).select_option(label="Northtown")
    page.get_by_label("Road safety").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Patel")
    check_page(page, "people-detail")
    person = Person.objects.get()

    page.get_by_role("link", name="Record consent").click()
    check_page(page, "people-consent-form")
    page.get_by_label("Consultation alerts").check()
    page.get_by_label("Wording shown to the person").fill("Email me about consultations")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("table").first).to_contain_text("Consent recorded")

    page.get_by_role("link", name="Record a contact").click()
    check_page(page, "people-contact-form")
    page.get_by_label("Note").fill("Met at the road safety meeting")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Met at the road safety meeting")).to_be_visible()

    page.get_by_role("link", name="Add to an organisation").click()
    check_page(page, "people-membership-form")
    page.get_by_label("Organisation", exact=True).select_option(label="Northtown Mosque")
    page.get_by_label("Role").fill("Trustee")
    page.get_by_role("button", name="Add").click()

    page.get_by_role("link", name="Equality information").click()
    check_page(page, "people-equality-form")
    page.get_by_role("radio", name="Hindu").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Equality information saved")

    page.goto(f"/staff/people/{person.pk}/edit/")
    check_page(page, "people-edit")
    page.goto("/staff/people/?q=priya")
    check_page(page, "people-list")

    page.goto("/staff/organisations/")
    check_page(page, "organisations-list")
    page.get_by_role("link", name="Northtown Mosque").click()
    expect(page.get_by_text("Trustee")).to_be_visible()
    check_page(page, "organisation-detail")
    page.goto("/staff/organisations/add/")
    check_page(page, "organisation-add")


def test_segment_send_export_and_panel_screens(admin_page: Page, area_tree: dict[str, Any]) -> None:
    from byconsent.people.models import ConsentRecord, Person, Purpose

    page = admin_page
    purpose = Purpose.objects.get(slug="consultation-alerts")
    for name in ("Ada One", "Ben Two"):
        person = Person.objects.create(full_name=name, email=f"{name.split()[0].lower()}@example.test",
                                       area=area_tree["north_ward"])
    ConsentRecord.objects.create(person=person, purpose=purpose, source="web_form", wording="Yes")
    page.goto("/staff/segments/")
    check_page(page, "segments-list")
    page.get_by_role("link", name="New segment or panel").click()
    check_page(page, "segment-form")
    page.get_by_label("Name").fill("Northtown residents")
    page.get_by_label("Area", exact=True).select_option(label="North Division")
    page.get_by_label("Purpose of contact").select_option(label="Consultation alerts")
    page.get_by_label("This is a seldom-heard group").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Northtown residents")
    expect(page.get_by_text("No consent or lawful basis is recorded for this purpose: 1")).to_be_visible()
    check_page(page, "segment-detail")
    page.get_by_role("link", name="Send an email").click()
    expect(page.get_by_text("1 of the 2 people would get it")).to_be_visible()
    check_page(page, "segment-send")
    page.get_by_label("Subject").fill("Have your say on neighbourhood priorities")
    page.get_by_label("Message").fill("Tell us what matters in your street.")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/staff/tasks/\d+/"))
    page.go_back()
    page.goto(page.url.replace("/send/", "/export/"))
    check_page(page, "segment-export")
    page.get_by_label("Email", exact=True).check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Ben Two" in text and "Ada One" not in text

    page.goto("/staff/segments/add/")
    page.get_by_label("Name").fill("Standing panel")
    page.get_by_label("Area", exact=True).select_option(label="North Division")
    page.get_by_label("Purpose of contact").select_option(label="Standing panel")
    page.get_by_label("This is a standing panel with its own members").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_label("Email address of the person to add").fill("ada@example.test")
    page.get_by_role("button", name="Add to the panel").click()
    expect(page.get_by_role("link", name="Ada One")).to_be_visible()
    check_page(page, "panel-detail")


def test_import_duplicates_merge_and_erasure_screens(admin_page: Page, area_tree: dict[str, Any],
                                                     tmp_path: Path) -> None:
    from byconsent.people.models import ErasureRequest, Person

    page = admin_page
    Person.objects.create(full_name="John Smith", email="john@example.test", postcode="EH11YZ",
                          area=area_tree["north_ward"])
    upload = tmp_path / "contacts.csv"
    upload.write_text("Name,Email,Postcode\nJon Smith,jon@example.test,EH1 1YZ\nNo Email,broken,EH1 1YZ\n",
                      encoding="utf-8")
    page.goto("/staff/people/import/")
    check_page(page, "people-import-upload")
    page.get_by_label("People", exact=True).check()
    page.get_by_label("Area", exact=True).select_option(label="North Division")
    page.get_by_label("File (CSV or Excel .xlsx)").set_input_files(str(upload))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Match the columns")
    check_page(page, "people-import-mapping")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("'broken' is not an email address")).to_be_visible()
    check_page(page, "people-import-preview")
    page.get_by_role("button", name="Import 1 row").click()
    expect(page).to_have_url(re.compile(r"/staff/tasks/\d+/"))

    from byconsent.people import importing
    from byconsent.people.models import ImportJob

    job = ImportJob.objects.get()
    importing.run_import(job, None)
    page.goto(f"/staff/people/import/{job.pk}/preview/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import finished")
    expect(page.get_by_text("Line 3: 'broken' is not an email address")).to_be_visible()
    check_page(page, "people-import-result")
    page.goto("/staff/people/duplicates/")
    check_page(page, "people-duplicates")
    page.get_by_role("link", name=re.compile("Compare and merge")).click()
    check_page(page, "people-merge")
    page.get_by_role("button", name="Merge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("John Smith")
    assert Person.objects.current().count() == 1

    kept = Person.objects.current().get()
    page.get_by_role("button", name="Record a request to be forgotten").click()
    page.goto("/staff/erasure-requests/")
    check_page(page, "people-erasure-list")
    page.get_by_role("link", name="John Smith").click()
    check_page(page, "people-erasure-detail")
    page.get_by_role("button", name="Confirm decision").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "people-erasure-detail-error")
    page.get_by_label(re.compile("^Erase now")).check()
    page.get_by_role("button", name="Confirm decision").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("erased")
    assert ErasureRequest.objects.get().status == "done"
    assert Person.objects.get(pk=kept.pk).erased_at is not None


def test_a_local_officer_sees_only_their_area(browser_context_factory: Any, live_server: Any, make_user: Any,
                                              area_tree: dict[str, Any]) -> None:
    from byconsent.core.models import Role
    from byconsent.people.models import Person

    Person.objects.create(full_name="Nora North", area=area_tree["north_ward"])
    south = Person.objects.create(full_name="Sam South", area=area_tree["south_ward"])
    context = browser_context_factory()
    sign_in_as(context, live_server.url, make_user(Role.LOCAL_OFFICER, area_tree["north"]))
    page = context.new_page()
    page.goto("/staff/people/")
    expect(page.get_by_role("link", name="Nora North")).to_be_visible()
    expect(page.get_by_text("Sam South")).to_have_count(0)
    check_page(page, "people-list-local-officer")
    response = page.goto(f"/staff/people/{south.pk}/")
    assert response is not None and response.status == 404
    staff_links = page.goto("/staff/") and page.get_by_role("navigation", name="Staff pages").get_by_role("link")
    assert "Segments and panels" not in staff_links.all_inner_texts()
