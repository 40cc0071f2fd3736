"""Staff screens and public pages of the ledger, through the test client."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from byconsent.actions import services
from byconsent.actions.models import Action, Concern, Decision, FeedbackDelivery
from byconsent.core.models import Area, Channel, ModerationState
from byconsent.core.services import record_contribution

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(area_tree: dict[str, Any], people: dict[str, Any], said: dict[str, Any]) -> dict[str, Any]:
    cache.clear()
    said["alice_1"].moderation_state = ModerationState.APPROVED
    said["alice_1"].save()
    officer = people["officer"]
    concern = services.create_concern_from_contributions(officer, area_tree["north_ward"], "Speeding on Mill Road",
                                                         [c.pk for c in said.values()])
    decision = services.record_decision(officer, area=area_tree["north_town"], forum="Northtown community meeting",
                                        decided_on=timezone.localdate(), outcome=Decision.Outcome.PARTLY,
                                        summary="Speed checks every week.", reasons="No camera budget this year.",
                                        concerns=[concern])
    action = services.create_action(officer, area=area_tree["north_ward"], title="Weekly speed checks",
                                    owner=officer, due_on=timezone.localdate() + datetime.timedelta(days=30),
                                    decision=decision)
    return {"concern": concern, "decision": decision, "action": action}


STAFF_PAGES = ["/staff/actions/", "/staff/actions/concerns/", "/staff/actions/concerns/new/",
               "/staff/actions/decisions/", "/staff/actions/decisions/new/", "/staff/actions/actions/",
               "/staff/actions/actions/new/", "/staff/actions/letters/", "/staff/actions/measures/"]


def test_staff_pages_open_for_officers(people, ledger, staff_client):
    client = staff_client(people["officer"])
    for path in [*STAFF_PAGES, f"/staff/actions/concerns/{ledger['concern'].pk}/",
                 f"/staff/actions/decisions/{ledger['decision'].pk}/",
                 f"/staff/actions/actions/{ledger['action'].pk}/",
                 f"/staff/actions/actions/{ledger['action'].pk}/edit/"]:
        assert client.get(path).status_code == 200, path


def test_staff_pages_refuse_other_roles_and_areas(people, ledger, staff_client):
    client = staff_client(people["analyst"])
    assert client.get("/staff/actions/").status_code == 403
    client = staff_client(people["south_officer"])
    assert client.get(f"/staff/actions/concerns/{ledger['concern'].pk}/").status_code == 404
    assert client.get(f"/staff/actions/actions/{ledger['action'].pk}/").status_code == 404
    assert ledger["action"].title not in client.get("/staff/actions/actions/").content.decode()


def test_record_a_concern_from_the_searchable_list(area_tree, people, said, staff_client):
    client = staff_client(people["officer"])
    page = client.get("/staff/actions/concerns/new/", {"search-q": "camera"}).content.decode()
    assert "Please put a camera" in page and "Cars race" not in page
    response = client.post("/staff/actions/concerns/new/", {
        "area": area_tree["north_ward"].pk, "summary": "Cameras wanted", "is_public": "on",
        "contribution": [said["carol"].pk]})
    concern = Concern.objects.get(summary="Cameras wanted")
    assert response.status_code == 302 and list(concern.contributions.all()) == [said["carol"]]


def test_decision_against_what_people_asked_shows_an_error(area_tree, people, ledger, staff_client):
    client = staff_client(people["officer"])
    today = timezone.localdate()
    data = {"area": area_tree["north_town"].pk, "forum": "Commander's meeting", "decided_on_0": today.day,
            "decided_on_1": today.month, "decided_on_2": today.year, "outcome": "not_adopted",
            "summary": "No cameras.", "concerns": [ledger["concern"].pk]}
    response = client.post("/staff/actions/decisions/new/", data)
    assert response.status_code == 200
    assert "Give the reasons" in response.content.decode()
    response = client.post("/staff/actions/decisions/new/", {**data, "reasons": "Budget.", "is_public": "on",
                                                             "evidence-title": "Speed survey",
                                                             "evidence-url": "https://example.org/survey"})
    assert response.status_code == 302
    decision = Decision.objects.get(summary="No cameras.")
    assert decision.evidence.get().url == "https://example.org/survey"


def test_record_and_progress_an_action(area_tree, people, ledger, staff_client):
    client = staff_client(people["officer"])
    due = timezone.localdate() + datetime.timedelta(days=10)
    response = client.post("/staff/actions/actions/new/", {
        "area": area_tree["north_ward"].pk, "title": "Install signs", "owner": people["officer"].pk,
        "due_on_0": due.day, "due_on_1": due.month, "due_on_2": due.year, "concerns": [ledger["concern"].pk],
        "is_public": "on"})
    action = Action.objects.get(title="Install signs")
    assert response.status_code == 302
    url = f"/staff/actions/actions/{action.pk}/"
    response = client.post(url, {"operation": "status", "status-status": "not_possible"})
    assert "Explain publicly why" in response.content.decode()
    client.post(url, {"operation": "status", "status-status": "in_progress", "status-progress": "30",
                      "status-public_text": "Signs ordered."})
    action.refresh_from_db()
    assert action.status == "in_progress" and action.progress == 30
    client.post(url, {"operation": "milestone", "milestone-title": "Signs up", "milestone-due_on_0": due.day,
                      "milestone-due_on_1": due.month, "milestone-due_on_2": due.year})
    assert action.milestones.count() == 1
    public = client.get(f"/you-said-we-did/actions/{action.pk}/").content.decode()
    assert "Signs ordered." in public and "Milestone planned: Signs up" in public


def test_letters_page_prints_and_marks(people, ledger, staff_client):
    services.run_feedback_batch()
    client = staff_client(people["officer"])
    page = client.get("/staff/actions/letters/").content.decode()
    assert "Paper Respondent" in page and "Speed bumps on Mill Road" in page
    letter = FeedbackDelivery.objects.get(method="letter")
    client.post("/staff/actions/letters/", {"delivery": [letter.pk]})
    letter.refresh_from_db()
    assert letter.status == FeedbackDelivery.Status.PRINTED


def test_measures_show_coverage(people, ledger, staff_client):
    services.run_feedback_batch()
    client = staff_client(people["commander"])
    page = client.get("/staff/actions/measures/").content.decode()
    assert "All of North Division" in page and "67%" in page  # alice and carol told, the letter not yet printed


# ---- public ------------------------------------------------------------------------------------------------------

def test_public_pages(area_tree, ledger, client):
    for path in ["/you-said-we-did/", f"/you-said-we-did/area/{area_tree['north'].code}/",
                 f"/you-said-we-did/concerns/{ledger['concern'].pk}/",
                 f"/you-said-we-did/decisions/{ledger['decision'].pk}/",
                 f"/you-said-we-did/actions/{ledger['action'].pk}/"]:
        response = client.get(path)
        assert response.status_code == 200, path
    page = client.get(f"/you-said-we-did/concerns/{ledger['concern'].pk}/").content.decode()
    assert "Speeding on Mill Road at night" in page  # approved for publication
    assert "Cars race on Mill Road" not in page  # awaiting moderation: never quoted
    assert "Fewer than 10" in page  # six contributions: the count is not shown
    assert "No camera budget this year." in page
    assert "Alice" not in page


def test_public_area_page_leaves_out_other_areas(area_tree, ledger, client):
    page = client.get(f"/you-said-we-did/area/{area_tree['south'].code}/").content.decode()
    assert "Speeding on Mill Road" not in page
    assert client.get("/you-said-we-did/?area=DN").status_code == 302
    assert client.get("/you-said-we-did/area/NOPE/").status_code == 404


def test_private_concern_is_not_public(people, ledger, client):
    services.update_concern(people["officer"], ledger["concern"], is_public=False)
    assert client.get(f"/you-said-we-did/concerns/{ledger['concern'].pk}/").status_code == 404
    assert "Speeding on Mill Road" not in client.get("/you-said-we-did/").content.decode()


def test_per_source_page_and_counts_above_the_threshold(area_tree, people, client):
    cache.clear()
    # Contributions from one source (an area stands in for a consultation: any model works).
    source = area_tree["force"]
    items = [record_contribution(channel=Channel.ONLINE_SURVEY, text=f"Lighting {i}", area=area_tree["north_ward"],
                                 source=source) for i in range(25)]
    items += [record_contribution(channel=Channel.PHONE, text=f"Lighting phone {i}", area=area_tree["north_ward"])
              for i in range(12)]
    concern = services.create_concern_from_contributions(people["officer"], area_tree["north_ward"],
                                                         "Street lighting", [c.pk for c in items])
    type_id = ContentType.objects.get_for_model(Area).pk
    page = client.get(f"/you-said-we-did/from/{type_id}/{source.pk}/").content.decode()
    assert "Street lighting" in page and "25 of the things people said here" in page
    page = client.get(f"/you-said-we-did/concerns/{concern.pk}/").content.decode()
    assert "37 things people said" in page
    from byconsent.actions.selectors import you_said_we_did_url

    assert you_said_we_did_url(source) == f"/you-said-we-did/from/{type_id}/{source.pk}/"
    assert client.get(f"/you-said-we-did/from/{type_id}/999999/").status_code == 404
    # an object with no published concern (here a person's account) has no page and is never named
    user_type = ContentType.objects.get_for_model(people["alice"]).pk
    assert client.get(f"/you-said-we-did/from/{user_type}/{people['alice'].pk}/").status_code == 404


def test_feed_json_and_csv(area_tree, ledger, client):
    data = client.get("/you-said-we-did/feed.json").json()
    kinds = sorted({r["record"] for r in data["records"]})
    assert kinds == ["action", "concern", "decision"]
    decision = next(r for r in data["records"] if r["record"] == "decision")
    assert decision["outcome_or_status"] == "partly" and decision["reasons"] == "No camera budget this year."
    response = client.get("/you-said-we-did/feed.csv", {"area": "DS"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows == []
    rows = list(csv.DictReader(io.StringIO(client.get("/you-said-we-did/feed.csv").content.decode())))
    assert len(rows) == 3 and set(rows[0]) == set(data["columns"])


def test_feed_escapes_spreadsheet_formulas(area_tree, people, client):
    services.create_concern_from_contributions(people["officer"], area_tree["north_ward"], "=HYPERLINK(1)", [])
    text = client.get("/you-said-we-did/feed.csv").content.decode()
    assert "'=HYPERLINK(1)" in text


@override_settings(BYCONSENT_DISCLOSURE_THRESHOLD=3)
def test_threshold_comes_from_settings(area_tree, ledger, client):
    cache.clear()
    page = client.get(f"/you-said-we-did/concerns/{ledger['concern'].pk}/").content.decode()
    assert "6 things people said" in page
