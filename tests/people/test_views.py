"""The staff screens, end to end through HTTP, as an administrator and as an engagement officer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from byconsent.core.models import AuditEntry, Role, TaskProgress
from byconsent.people.models import ConsentRecord, ContactEvent, Interest, Organisation, Person, Segment


@pytest.fixture
def admin_client(make_user, area_tree, client_for):
    return client_for(make_user(Role.ADMINISTRATOR, area_tree["force"]))


def test_people_screens(admin_client, area_tree, purpose):
    youth = Interest.objects.create(name="Youth")
    response = admin_client.post(reverse("people:person_create"), {
        "full_name": "Priya Patel", "email": "Priya@Example.test", "postcode": "eh1 1yz",
        "preferred_language": "en-gb", "preferred_channel": "email", "area": area_tree["north_ward"].pk,
        "interests": [youth.pk]})
    person = Person.objects.get()
    assert response.url == reverse("people:person_detail", args=[person.pk])
    assert person.email == "priya@example.test" and person.postcode == "EH11YZ"
    detail = admin_client.get(response.url).content.decode()
    assert "Priya Patel" in detail and "No consent or lawful basis is recorded" in detail
    assert admin_client.get(reverse("people:person_list"), {"q": "priya"}).content.decode().count("Priya Patel") == 1

    response = admin_client.post(reverse("people:person_consent", args=[person.pk]), {
        "purpose": purpose.pk, "lawful_basis": "consent", "source": "in_person", "wording": ""})
    assert "consent is not valid without them" in response.content.decode()
    admin_client.post(reverse("people:person_consent", args=[person.pk]), {
        "purpose": purpose.pk, "lawful_basis": "consent", "source": "in_person", "channels": ["email"],
        "wording": "Keep me posted about consultations"})
    assert ConsentRecord.objects.get().channels == ["email"]
    admin_client.post(reverse("people:person_consent_withdraw", args=[person.pk, purpose.pk]))
    assert ConsentRecord.objects.get().withdrawn_at is not None

    admin_client.post(reverse("people:person_contact", args=[person.pk]),
                      {"kind": "conversation", "channel": "in_person", "note": "Met at the mosque open day"})
    assert ContactEvent.objects.get().note == "Met at the mosque open day"
    organisation = Organisation.objects.create(name="Gurdwara", kind="faith_group", area=area_tree["north_ward"])
    admin_client.post(reverse("people:person_membership", args=[person.pk]),
                      {"organisation": organisation.pk, "role": "Secretary"})
    assert person.memberships.get().role == "Secretary"
    edit = admin_client.get(reverse("people:person_edit", args=[person.pk]))
    assert edit.status_code == 200
    admin_client.post(reverse("people:person_edit", args=[person.pk]), {
        "full_name": "Priya Patel", "email": "priya@example.test", "postcode": "EH1 1YZ", "phone": "0131 496 0002",
        "preferred_language": "en-gb", "preferred_channel": "phone", "area": area_tree["north_ward"].pk})
    person.refresh_from_db()
    assert person.phone == "0131 496 0002" and person.preferred_channel == "phone"
    assert person.interests.count() == 0
    assert AuditEntry.objects.filter(action="person.updated", after__changed=["phone", "preferred_channel"]).exists()


def test_organisation_screens(admin_client, area_tree):
    response = admin_client.post(reverse("people:organisation_create"), {
        "name": "Northtown IAG", "kind": "advisory_group", "area": area_tree["north_town"].pk,
        "website": "iag.example.test"})
    organisation = Organisation.objects.get()
    assert organisation.website == "https://iag.example.test"
    assert admin_client.get(response.url).status_code == 200
    assert admin_client.get(reverse("people:organisation_edit", args=[organisation.pk])).status_code == 200
    assert "Northtown IAG" in admin_client.get(reverse("people:organisation_list"), {"kind": "advisory_group"}) \
        .content.decode()


def test_segment_screens(admin_client, area_tree, purpose, make_person, consented):
    consented(make_person(full_name="Reachable"))
    make_person(full_name="Unreachable")
    assert admin_client.get(reverse("people:segment_create")).status_code == 200
    response = admin_client.post(reverse("people:segment_create"), {
        "name": "North residents", "area": area_tree["north"].pk, "purpose": purpose.pk,
        "c_religion": ["sikh"], "seldom_heard": "on"})
    segment = Segment.objects.get()
    assert segment.filters == {"characteristics": {"religion": ["sikh"]}} and segment.seldom_heard
    admin_client.post(reverse("people:segment_edit", args=[segment.pk]), {
        "name": "North residents", "area": area_tree["north"].pk, "purpose": purpose.pk})
    segment.refresh_from_db()
    assert segment.filters == {}
    page = admin_client.get(response.url).content.decode()
    assert "Reachable" in page and "No consent or lawful basis is recorded for this purpose: 1" in page
    send = admin_client.get(reverse("people:segment_send", args=[segment.pk])).content.decode()
    assert "1 of the 2 people would get it" in send
    response = admin_client.post(reverse("people:segment_send", args=[segment.pk]), {
        "kind": "invitation", "subject": "Have your say", "body": "Tell us what you think"})
    assert TaskProgress.objects.get().task_path == "byconsent.people.tasks.send_segment_task"
    export = admin_client.post(reverse("people:segment_export", args=[segment.pk]), {"channel": "email"})
    assert export["Content-Type"].startswith("text/csv") and b"Reachable" in export.content
    assert b"Unreachable" not in export.content


def test_panel_membership_screens(admin_client, area_tree, make_person):
    from byconsent.people.models import Purpose

    panel = Segment.objects.create(name="Standing panel", area=area_tree["north"], is_panel=True,
                                   purpose=Purpose.objects.get(slug="standing-panel"))
    person = make_person(email="member@example.test")
    admin_client.post(reverse("people:panel_add", args=[panel.pk]), {"email": "MEMBER@example.test"})
    assert panel.panel_memberships.get().person == person
    admin_client.post(reverse("people:panel_remove", args=[panel.pk, person.pk]))
    assert panel.panel_memberships.get().left_at is not None


def test_an_engagement_officer_without_special_category_rights_sees_no_characteristic_fields(
        make_user, area_tree, client_for):
    client = client_for(make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"]))
    page = client.get(reverse("people:segment_create")).content.decode()
    assert "Ethnic group" not in page and "c_religion" not in page
