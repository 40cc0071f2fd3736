"""may_contact: the one check every sending and exporting path goes through."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from byconsent.core import notifications
from byconsent.core.models import Role
from byconsent.people import services
from byconsent.people.consent import contactable, may_contact
from byconsent.people.models import ConsentRecord, ContactChannel, Purpose


def test_nothing_without_a_recorded_basis(make_person, purpose):
    person = make_person()
    decision = may_contact(person, purpose, ContactChannel.EMAIL)
    assert not decision and "No consent" in decision.reason


def test_consent_allows_and_withdrawal_stops(make_person, purpose, consented, area_tree, make_user):
    person = consented(make_person())
    assert may_contact(person, purpose, "email")
    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    services.withdraw_consent(officer, person, purpose, source="phone")
    decision = may_contact(person, purpose, "email")
    assert not decision and "withdrawn" in decision.reason


def test_a_later_grant_overrides_an_earlier_withdrawal(make_person, purpose, consented):
    person = consented(make_person(), given_at=timezone.now() - timedelta(days=10),
                       withdrawn_at=timezone.now() - timedelta(days=5))
    assert not may_contact(person, purpose, "email")
    consented(person)
    assert may_contact(person, purpose, "email")


def test_channels_and_contact_details(make_person, purpose, consented):
    person = consented(make_person(phone="07700 900000"), channels=("email", "post"))
    assert may_contact(person, purpose, "email")
    assert may_contact(person, purpose, "sms").reason == "Has not agreed to text message for this purpose"
    assert may_contact(person, purpose, "post").reason == "No post contact details are held"
    assert not may_contact(person, purpose, "pigeon")


def test_purposes_are_separate(make_person, purpose, consented):
    person = consented(make_person())
    assert not may_contact(person, "panel-invitations", "email")


def test_unsubscribe_do_not_contact_and_erasure_request_each_stop_contact(make_person, purpose, consented):
    unsubscribed = consented(make_person())
    notifications.unsubscribe(notifications.preference(unsubscribed.email, purpose.slug).token)
    assert may_contact(unsubscribed, purpose, "email").reason == "Unsubscribed from these messages"
    everything = consented(make_person())
    notifications.unsubscribe(notifications.preference(everything.email, purpose.slug).token, everything=True)
    assert not may_contact(everything, purpose, "post")
    blocked = consented(make_person(do_not_contact=True))
    assert not may_contact(blocked, purpose, "email")
    asked = consented(make_person())
    services.request_erasure(services.SelfService(asked), asked)
    assert may_contact(asked, purpose, "email").reason == "The person has asked to be erased"
    assert may_contact(asked, "service", "email")  # the confirmation of their request still goes


def test_expiry(make_person, purpose, consented):
    person = consented(make_person(), expires_at=timezone.now() - timedelta(days=1))
    assert "expired" in may_contact(person, purpose, "email").reason


def test_consent_needs_the_wording_shown(make_person, purpose, area_tree, make_user):
    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])
    person = make_person()
    with pytest.raises(ValidationError):
        services.record_consent(officer, person, purpose, source="phone", wording="  ")
    record = services.record_consent(officer, person, purpose, lawful_basis="public_task", source="staff")
    assert record.wording == "" and may_contact(person, purpose, "email")


def test_a_fresh_grant_resubscribes_the_topic(make_person, purpose, consented, area_tree, make_user):
    person = consented(make_person())
    notifications.unsubscribe(notifications.preference(person.email, purpose.slug).token)
    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])
    services.record_consent(officer, person, purpose, source="paper", wording="Yes, email me")
    assert may_contact(person, purpose, "email")


def test_contactable_uses_a_fixed_number_of_queries(make_person, purpose, consented):
    people = [consented(make_person()) for _ in range(3)]
    with CaptureQueriesContext(connection) as few:
        contactable(people, purpose, "email")
    people += [consented(make_person()) for _ in range(20)]
    with CaptureQueriesContext(connection) as many:
        decisions = contactable(people, purpose, "email")
    assert len(many) == len(few) and all(decisions.values())


def test_default_purposes_exist(db):
    assert set(Purpose.objects.values_list("slug", flat=True)) >= {
        "service", "consultation-alerts", "panel-invitations", "standing-panel"}
    assert ConsentRecord.objects.count() == 0
