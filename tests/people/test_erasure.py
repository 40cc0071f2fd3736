"""Forgetting a person across every app, with or without a sign-in account."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from byconsent.core import privacy
from byconsent.core.models import AuditEntry, Contribution, NotificationRecord, Role
from byconsent.core.services import record_contribution
from byconsent.people import services
from byconsent.people.models import (
    ConsentRecord,
    ContactEvent,
    Demographics,
    ErasureRequest,
    Membership,
    Organisation,
    Person,
)
from byconsent.people.permissions import SelfService
from byconsent.people.privacy import PersonHandler, person_handlers, register_person_handler


@pytest.fixture
def admin(make_user, area_tree):
    return make_user(Role.ADMINISTRATOR, area_tree["force"])


def _full_person(make_person, consented, admin, area_tree, **values):
    person = consented(make_person(full_name="Morag Erase", email="morag@example.test", phone="07700 900123",
                                   address="2 Low Road", postcode="EH1 1YZ", accessibility_needs="BSL", **values))
    services.save_demographics(admin, person, {"religion": "jewish", "health": "asthma"})
    organisation = Organisation.objects.create(name="Residents' Association", kind="community_group",
                                               area=area_tree["north_ward"])
    services.add_membership(admin, person, organisation, role="chair")
    services.send_email([person], "consultation-alerts", subject="Hello", body="b", batch_key="e")
    return person


def test_a_person_without_an_account_is_forgotten_and_what_they_said_kept(make_person, consented, admin, area_tree):
    person = _full_person(make_person, consented, admin, area_tree)
    said = record_contribution(channel="paper", text="More patrols by the school", area=area_tree["north_ward"])
    services.record_contact(person, "response", "paper", source="consultation:3", contribution=said)
    request = services.request_erasure(SelfService(person), person)
    assert request.status == "pending"
    counts = services.carry_out_erasure(admin, request)
    assert counts["people"] == 1
    person.refresh_from_db()
    assert person.erased_at and not person.is_current and str(person) == f"Erased person #{person.pk}"
    for field in ("full_name", "email", "phone", "address", "postcode", "accessibility_needs"):
        assert getattr(person, field) == ""
    assert not Demographics.objects.filter(person=person).exists()
    assert not Membership.objects.filter(person=person).exists()
    assert not NotificationRecord.objects.filter(recipient="morag@example.test").exists()
    assert ConsentRecord.objects.filter(person=person, wording="").count() == ConsentRecord.objects.filter(
        person=person).count()
    said.refresh_from_db()
    assert said.text == "More patrols by the school" and Contribution.objects.count() == 1
    assert ContactEvent.objects.filter(person=person).count() >= 2  # counts stay true, anonymously
    assert not Person.objects.current().filter(pk=person.pk).exists()
    everything = json.dumps(list(AuditEntry.objects.values("object_repr", "before", "after", "actor_label")),
                            default=str)
    assert "Morag" not in everything and "morag@" not in everything and "jewish" not in everything
    assert ErasureRequest.objects.get(pk=request.pk).status == "done"


def test_a_person_with_an_account_is_forgotten_through_the_core_registry(make_person, consented, admin, area_tree,
                                                                         make_user):
    account = make_user(email="morag@example.test")
    person = _full_person(make_person, consented, admin, area_tree, user=None)
    services.link_account(admin, person, account)
    contribution = record_contribution(channel="idea", text="Open the station on Sundays",
                                       area=area_tree["north_ward"], contributor=account, wants_feedback=True)
    request = services.request_erasure(SelfService(person), person)
    counts = services.carry_out_erasure(admin, request)
    assert counts["people"] == 1 and counts["account"] == 1 and counts["contributions"] == 1
    account.refresh_from_db()
    person.refresh_from_db()
    contribution.refresh_from_db()
    assert not account.is_active and "morag" not in account.email
    assert person.erased_at and person.full_name == "" and person.user_id is None
    assert contribution.contributor is None and contribution.text == "Open the station on Sundays"


def test_core_erasure_of_an_account_also_forgets_unlinked_records_with_its_email(make_person, admin, make_user):
    account = make_user(email="same@example.test")
    person = make_person(email="same@example.test")
    privacy.erase_person(admin, account)
    person.refresh_from_db()
    assert person.erased_at and person.email == ""


def test_subject_access_export_includes_people_data(make_person, consented, admin, area_tree, make_user,
                                                    client_for):
    account = make_user(email="morag@example.test")
    person = _full_person(make_person, consented, admin, area_tree)
    services.link_account(admin, person, account)
    response = client_for(admin).get(reverse("core:privacy_export", args=[account.pk]))
    export = json.loads(response.content)
    people = export["data"]["people"][0]["people"]
    assert people["details"]["phone"] == "07700 900123"
    assert people["equality_information"]["religion"] == "jewish"
    assert people["organisations"][0]["role"] == "chair"


def test_a_request_stops_contact_at_once_and_only_an_administrator_carries_it_out(make_person, consented, admin,
                                                                                  area_tree, make_user):
    person = consented(make_person())
    request = services.request_erasure(SelfService(person), person)
    report = services.send_email([person], "consultation-alerts", subject="s", body="b", batch_key="x")
    assert report.sent == [] and report.skipped[0][1] == "The person has asked to be erased"
    confirmation = NotificationRecord.objects.get(recipient=person.email)
    assert confirmation.topic == "service" and "forgotten" in confirmation.subject
    engagement = make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])
    with pytest.raises(PermissionDenied):
        services.carry_out_erasure(engagement, request)
    north_admin = make_user(Role.ADMINISTRATOR, area_tree["south"])
    with pytest.raises(PermissionDenied):
        services.carry_out_erasure(north_admin, request)
    assert services.request_erasure(SelfService(person), person) == request  # asking twice is one request


def test_a_refusal_needs_a_reason(make_person, admin):
    person = make_person()
    request = services.request_erasure(admin, person, source="phone")
    with pytest.raises(Exception, match="reason"):
        services.refuse_erasure(admin, request, "  ")
    services.refuse_erasure(admin, request, "Open complaint PSD/123 requires the record")
    assert ErasureRequest.objects.get(pk=request.pk).status == "refused"


def test_other_apps_register_person_level_handlers(make_person, admin):
    calls = []
    register_person_handler(PersonHandler("test_app", "Test rows", lambda p: {"rows": 1},
                                          lambda p: calls.append(p.full_name) or 3))
    try:
        assert person_handlers()[-1].name == "people"  # ours runs last: it removes the name
        person = make_person(full_name="Handled Person")
        counts = services.erase(admin, person)
        assert counts["test_app"] == 3 and calls == ["Handled Person"]
    finally:
        from byconsent.people import privacy as people_privacy

        people_privacy._person_handlers.pop("test_app")


def test_the_erasure_pages(make_person, admin, client_for):
    person = make_person(full_name="Page Person")
    request = services.request_erasure(admin, person, source="phone")
    client = client_for(admin)
    assert "Page Person" in client.get(reverse("people:erasure_list")).content.decode()
    assert client.get(reverse("people:erasure_detail", args=[request.pk])).status_code == 200
    response = client.post(reverse("people:erasure_detail", args=[request.pk]), {"decision": "erase"})
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).erased_at is not None


def test_administrators_are_told_of_waiting_requests(make_person, admin, area_tree, make_user):
    from byconsent.people.selectors import people_attention as attention_items

    services.request_erasure(admin, make_person(), source="phone")
    items = {item.title: item.count for item in attention_items(admin)}
    assert items["Requests to be forgotten waiting for you"] == 1
    engagement = make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])
    assert "Requests to be forgotten waiting for you" not in {i.title for i in attention_items(engagement)}
