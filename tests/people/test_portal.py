"""Self-service: magic-link sign-in (signed, time-limited, single use), details, consent, download, erasure."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from byconsent.core.models import AuditEntry, NotificationRecord
from byconsent.people import magic, services
from byconsent.people.models import Demographics, ErasureRequest, MagicLink, Person


def _link_from_email(email: str) -> str:
    record = NotificationRecord.objects.filter(recipient=email, topic="service").latest("created_at")
    match = re.search(r"http://[^\s]+/my-details/sign-in/([^/\s]+)/", record.body)
    assert match, record.body
    return reverse("people:portal_link", args=[match.group(1)])


def _sign_in(client, person) -> None:
    client.post(reverse("people:portal_start"), {"email": person.email.upper()})
    link = _link_from_email(person.email)
    response = client.post(link)
    assert response.status_code == 302 and response.url == reverse("people:portal_home")


def test_sign_in_by_emailed_link(client, make_person):
    person = make_person(full_name="Rhona Resident")
    response = client.post(reverse("people:portal_start"), {"email": person.email})
    assert "Check your email" in response.content.decode()
    link = _link_from_email(person.email)
    assert client.get(reverse("people:portal_home")).status_code == 302  # not signed in yet
    assert "Continue" in client.get(link).content.decode()  # a GET (mail scanners) does not use it up
    assert client.post(link).status_code == 302
    home = client.get(reverse("people:portal_home")).content.decode()
    assert "Rhona Resident" in home
    assert AuditEntry.objects.filter(action="portal.signed_in").exists()


def test_unknown_addresses_get_the_same_answer_and_no_email(client, db):
    response = client.post(reverse("people:portal_start"), {"email": "stranger@example.test"})
    assert "Check your email" in response.content.decode()
    assert not NotificationRecord.objects.exists()


def test_a_link_works_once(client, make_person):
    person = make_person()
    client.post(reverse("people:portal_start"), {"email": person.email})
    link = _link_from_email(person.email)
    assert client.post(link).status_code == 302
    client.post(reverse("people:portal_sign_out"))
    assert client.post(link).status_code == 400
    assert client.get(link).status_code == 400


def test_a_link_expires(client, make_person, monkeypatch):
    person = make_person()
    token, _link = magic.create_token(person)
    monkeypatch.setenv("BYCONSENT_MAGIC_LINK_MINUTES", "1")
    import time

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 120)
    assert magic.consume(token) is None


def test_a_tampered_link_fails(make_person):
    person = make_person()
    other = make_person()
    token, _link = magic.create_token(person)
    payload = token.split(":")[0]
    assert magic.consume(token.replace(payload, payload[:-2] + "AA")) is None
    assert magic.consume("nonsense") is None
    assert MagicLink.objects.filter(used_at__isnull=True).count() == 1
    assert magic.consume(token).pk == person.pk and other.pk != person.pk


def test_only_a_hash_of_the_link_is_stored(make_person):
    person = make_person()
    token, link = magic.create_token(person)
    assert link.nonce_hash not in token and len(link.nonce_hash) == 64


def test_a_person_corrects_their_details_and_preferences(client, make_person):
    person = make_person(full_name="Old Name")
    _sign_in(client, person)
    response = client.post(reverse("people:portal_details"), {
        "full_name": "New Name", "email": person.email, "phone": "07700 900999", "address": "3 New Street",
        "postcode": "eh1 1yz", "preferred_language": "gd", "preferred_channel": "post", "accessibility_needs": ""})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.full_name, person.postcode, person.preferred_language, person.preferred_channel) == (
        "New Name", "EH11YZ", "gd", "post")
    entry = AuditEntry.objects.get(action="person.updated")
    assert entry.actor_label == f"Person #{person.pk} (self-service)" and "New Name" not in json.dumps(entry.after)


def test_a_person_cannot_change_staff_only_fields(make_person, area_tree):
    person = make_person()
    with pytest.raises(Exception, match="Cannot change"):
        services.update_person(services.SelfService(person), person, {"area": area_tree["south_ward"]})
    other = make_person()
    with pytest.raises(Exception):
        services.update_person(services.SelfService(person), other, {"full_name": "Hijack"})


def test_a_person_withdraws_consent(client, make_person, consented, purpose):
    person = consented(make_person())
    _sign_in(client, person)
    page = client.get(reverse("people:portal_consents")).content.decode()
    assert "Email me about consultations in my area" in page
    client.post(reverse("people:portal_consents"), {"purpose": purpose.pk})
    from byconsent.people.consent import may_contact

    assert not may_contact(person, purpose, "email")
    assert person.consents.get().withdrawal_source == "self_service"


def test_a_person_sees_and_downloads_everything(client, make_person, consented, area_tree, make_user):
    from byconsent.core.models import Role

    person = consented(make_person(full_name="Everything Person"))
    services.save_demographics(make_user(Role.ANALYST, area_tree["force"]), person, {"religion": "hindu"})
    services.record_contact(person, "attendance", "in_person", source="Town hall, March")
    _sign_in(client, person)
    page = client.get(reverse("people:portal_data")).content.decode()
    assert "Everything Person" in page and "Hindu" in page and "Town hall, March" in page
    download = client.get(reverse("people:portal_download"))
    assert download["Content-Disposition"] == 'attachment; filename="my-details.json"'
    data = json.loads(download.content)["data"]["people"]
    assert data["equality_information"] == {"religion": "hindu"}
    assert data["consents"][0]["wording"] == "Email me about consultations in my area"
    assert AuditEntry.objects.filter(action="demographics.read", actor_label__contains="self-service").count() >= 2


def test_a_person_answers_and_deletes_their_equality_information(client, make_person):
    person = make_person()
    _sign_in(client, person)
    assert client.get(reverse("people:portal_equality")).status_code == 200
    client.post(reverse("people:portal_equality"), {"religion": "buddhist", "action": "save"})
    assert Demographics.objects.get(person=person).answers == {"religion": "buddhist"}
    client.post(reverse("people:portal_equality"), {"action": "delete"})
    assert not Demographics.objects.filter(person=person).exists()


def test_a_person_asks_to_be_forgotten(client, make_person):
    person = make_person()
    _sign_in(client, person)
    assert client.post(reverse("people:portal_erase"), {}).status_code == 200  # must tick the box
    assert not ErasureRequest.objects.exists()
    response = client.post(reverse("people:portal_erase"), {"confirm": "on"})
    assert "We have your request" in response.content.decode()
    request = ErasureRequest.objects.get()
    assert request.status == "pending" and request.source == "self_service"
    assert client.get(reverse("people:portal_home")).status_code == 302  # signed out
    assert Person.objects.get(pk=person.pk).full_name  # carried out later by an administrator


def test_an_erased_person_cannot_sign_in(client, make_person, make_user, area_tree):
    from byconsent.core.models import Role

    person = make_person()
    token, _link = magic.create_token(person)
    services.erase(make_user(Role.ADMINISTRATOR, area_tree["force"]), person)
    assert magic.consume(token) is None


def test_a_person_signs_up_for_a_purpose_with_the_words_they_read(client, make_person):
    from byconsent.people.consent import may_contact
    from byconsent.people.models import Purpose

    person = make_person()
    _sign_in(client, person)
    alerts = Purpose.objects.get(slug="consultation-alerts")
    page = client.get(reverse("people:portal_consents")).content.decode()
    assert alerts.description in page and "Standing panel" not in page
    client.post(reverse("people:portal_consents"), {"purpose": alerts.pk, "action": "agree"})
    record = person.consents.get()
    assert record.source == "self_service" and alerts.description in record.wording
    assert may_contact(person, alerts, "email")
    panel = Purpose.objects.get(slug="standing-panel")
    client.post(reverse("people:portal_consents"), {"purpose": panel.pk, "action": "agree"})
    assert not person.consents.filter(purpose=panel).exists()  # staff add panel members


def test_links_to_one_address_are_rate_limited_without_storing_the_address(client, make_person):
    from byconsent.core.models import RateLimitBucket

    person = make_person()
    for _ in range(5):
        client.post(reverse("people:portal_start"), {"email": person.email})
    assert NotificationRecord.objects.filter(recipient=person.email).count() == 3
    assert not RateLimitBucket.objects.filter(key__contains=person.email).exists()
