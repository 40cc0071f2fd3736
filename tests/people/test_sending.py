"""Contact history, the fatigue guard, sending to a segment and exporting it: all through may_contact."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from byconsent.core import notifications
from byconsent.core.models import AuditEntry, NotificationRecord, Role, TaskProgress
from byconsent.people import fatigue, services
from byconsent.people.models import ContactEvent, Interest, Organisation, Segment
from byconsent.people.selectors import segment_members
from byconsent.people.tasks import send_segment_task


@pytest.fixture
def officer(make_user, area_tree):
    return make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])


def test_record_contact_is_what_other_apps_call(make_person):
    person = make_person()
    when = timezone.now() - timedelta(days=2)
    event = services.record_contact(person, "attendance", "in_person", source="events:12", when=when)
    assert event.occurred_at == when and list(person.contact_events.all()) == [event]
    with pytest.raises(ValueError):
        services.record_contact(person, "telepathy", "email")


def test_fatigue_limit_comes_from_the_environment(make_person, monkeypatch):
    person = make_person()
    for days_ago in (1, 5, 20):
        services.record_contact(person, "invitation", "email", when=timezone.now() - timedelta(days=days_ago))
    services.record_contact(person, "response", "online_survey")  # responses do not count
    check = fatigue.check(person.pk)
    assert check.exceeded and check.blocks and check.recent == 3
    assert check.reason == "Already asked 3 times in the last 30 days (limit 3)"
    monkeypatch.setenv("BYCONSENT_FATIGUE_DAYS", "10")
    assert not fatigue.check(person.pk).exceeded  # only two in the last ten days
    monkeypatch.setenv("BYCONSENT_FATIGUE_MAX_REQUESTS", "2")
    assert fatigue.check(person.pk).exceeded
    monkeypatch.setenv("BYCONSENT_FATIGUE_MODE", "warn")
    assert not fatigue.check(person.pk).blocks
    monkeypatch.setenv("BYCONSENT_FATIGUE_MAX_REQUESTS", "0")
    assert not fatigue.check(person.pk).exceeded
    monkeypatch.setenv("BYCONSENT_FATIGUE_MODE", "shout")
    with pytest.raises(ValueError, match="BYCONSENT_FATIGUE_MODE"):
        fatigue.check(person.pk)


def test_send_goes_only_to_people_with_a_basis_and_under_the_limit(make_person, consented, purpose, monkeypatch):
    ok = consented(make_person(full_name="Ok"))
    no_consent = make_person(full_name="No consent")
    tired = consented(make_person(full_name="Tired"))
    for _ in range(3):
        services.record_contact(tired, "invitation", "email")
    report = services.send_email([ok, no_consent, tired], purpose, subject="Have your say", body="…",
                                 batch_key="b1", source="consultation:1")
    assert report.sent == [ok.pk]
    reasons = dict(report.skipped)
    assert reasons[no_consent.pk] == "No consent or lawful basis is recorded for this purpose"
    assert reasons[tired.pk].startswith("Fatigue limit: Already asked 3 times")
    assert list(NotificationRecord.objects.values_list("recipient", flat=True)) == [ok.email]
    assert ok.contact_events.get().kind == "invitation"
    # a retry of the same batch sends nothing twice and records nothing twice
    services.send_email([ok], purpose, subject="Have your say", body="…", batch_key="b1", source="consultation:1")
    assert NotificationRecord.objects.count() == 1 and ok.contact_events.count() == 1
    monkeypatch.setenv("BYCONSENT_FATIGUE_MODE", "warn")
    report = services.send_email([tired], purpose, subject="s", body="b", batch_key="b2")
    assert report.sent == [tired.pk] and report.warnings


def test_segment_filters_on_area_interest_organisation_and_characteristics(make_person, area_tree, make_user,
                                                                           purpose):
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    youth = Interest.objects.create(name="Youth")
    mosque = Organisation.objects.create(name="Central Mosque", kind="faith_group", area=area_tree["north_ward"])
    a = make_person(full_name="A")
    b = make_person(full_name="B")
    c = make_person(full_name="C", area=area_tree["south_ward"])
    a.interests.add(youth)
    c.interests.add(youth)
    services.add_membership(admin, b, mosque)
    services.save_demographics(admin, a, {"religion": "muslim"})
    services.save_demographics(admin, b, {"religion": "muslim", "age_band": "16-24"})
    services.save_demographics(admin, c, {"religion": "muslim"})

    def members(**filters):
        segment = services.save_segment(admin, None, name="s", area=area_tree["north"], purpose=purpose,
                                        filters=filters)
        return {p.full_name for p in segment_members(segment, actor=admin)}

    assert members() == {"A", "B"}
    assert members(interests=[youth.pk]) == {"A"}
    assert members(organisation_kinds=["faith_group"]) == {"B"}
    assert members(characteristics={"religion": ["muslim"], "age_band": ["16-24"]}) == {"B"}
    assert members(characteristics={"religion": ["sikh", "muslim"]}) == {"A", "B"}
    assert members(areas=[area_tree["south_ward"].pk]) == set()  # inside the segment's area only
    read = AuditEntry.objects.filter(action="demographics.read", object_type__model="segment").first()
    assert read.after["matched"] == 2 and "muslim" not in repr(read.after)


def test_a_standing_panel_has_its_own_members_and_leaving_consent_leaves_it(make_person, area_tree, officer,
                                                                            consented):
    from byconsent.people.models import Purpose

    panel_purpose = Purpose.objects.get(slug="standing-panel")
    panel = services.save_segment(officer, None, name="Safer North Panel", area=area_tree["north"],
                                  purpose=panel_purpose, filters={}, is_panel=True)
    member = consented(make_person(), purpose=panel_purpose)
    make_person()  # in the area but not a member
    services.join_panel(officer, panel, member)
    assert segment_members(panel) == [member]
    services.withdraw_consent(services.SelfService(member), member, panel_purpose, source="self_service")
    assert segment_members(panel) == []
    outsider = make_person(area=area_tree["south_ward"])
    with pytest.raises(Exception, match="outside"):
        services.join_panel(officer, panel, outsider)


def test_the_send_task_reports_progress_and_reasons(make_person, consented, area_tree, officer, purpose):
    consented(make_person())
    make_person()
    segment = services.save_segment(officer, None, name="North", area=area_tree["north"], purpose=purpose,
                                    filters={})
    progress = services.start_segment_send(officer, segment, "Subject", "Body")
    send_segment_task.call(progress.pk)
    progress = TaskProgress.objects.get(pk=progress.pk)
    assert progress.status == "done"
    assert progress.outcome["sent"] == 1 and progress.outcome["not sent"] == 1
    assert progress.outcome["reasons not sent"] == {"No consent or lawful basis is recorded for this purpose": 1}


def test_export_leaves_out_withdrawn_unsubscribed_and_erasure_requests(make_person, consented, area_tree, officer,
                                                                        purpose):
    address = {"address": "1 High Street", "postcode": "EH1 1YZ"}
    kept = consented(make_person(full_name="Kept", **address))
    withdrawn = consented(make_person(full_name="Withdrawn", **address))
    services.withdraw_consent(officer, withdrawn, purpose, source="phone")
    unsubscribed = consented(make_person(full_name="Unsubscribed", **address))
    notifications.unsubscribe(notifications.preference(unsubscribed.email, purpose.slug).token)
    asked = consented(make_person(full_name="Asked to be forgotten", **address))
    services.request_erasure(officer, asked, source="phone")
    consented(make_person(full_name="Email only"), channels=("email",))
    consented(make_person(full_name="=HYPERLINK(\"http://x\")", **address))
    segment = services.save_segment(officer, None, name="North", area=area_tree["north"], purpose=purpose,
                                    filters={})
    text, rows, left_out = services.export_segment_csv(officer, segment, "post")
    names = [row["full_name"] for row in csv.DictReader(io.StringIO(text))]
    assert names == ["'=HYPERLINK(\"http://x\")", "Kept"]
    assert (rows, left_out) == (2, 4)
    assert kept.email in text
    entry = AuditEntry.objects.get(action="segment.exported")
    assert entry.after == {"channel": "post", "rows": 2, "left_out": 4}


def test_segments_are_scoped_to_the_officers_area(area_tree, make_user, purpose, client_for):
    north_officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    south = services.save_segment(admin, None, name="South", area=area_tree["south"], purpose=purpose, filters={})
    assert Segment.objects.count() == 1
    client = client_for(north_officer)
    assert client.get(f"/staff/segments/{south.pk}/").status_code == 404
    assert client.post(f"/staff/segments/{south.pk}/export/", {"channel": "email"}).status_code == 404


def test_a_contact_event_records_what_was_sent(make_person, consented, purpose):
    person = consented(make_person())
    services.send_email([person], "consultation-alerts", subject="New consultation", body="b", batch_key="k",
                        source="consultation:7")
    event = ContactEvent.objects.get(person=person)
    assert (event.kind, event.channel, event.purpose, event.source) == ("invitation", "email", purpose,
                                                                        "consultation:7")


def test_postcodes_are_stored_compact_and_shown_and_exported_with_the_space(make_person):
    from byconsent.people.models import format_postcode

    assert format_postcode("eh11yz") == "EH1 1YZ" and format_postcode("G1") == "G1"
    assert make_person(postcode="AB101AA").postcode_display == "AB10 1AA"


def test_reach_counts_who_was_asked_and_who_took_part(make_person):
    from byconsent.people.selectors import reach

    asked_and_came = make_person()
    asked_only = make_person()
    came_unasked = make_person()
    services.record_contact(asked_and_came, "invitation", "email")
    services.record_contact(asked_and_came, "attendance", "in_person")
    services.record_contact(asked_only, "reminder", "email")
    services.record_contact(asked_only, "response", "online_survey", when=timezone.now() - timedelta(days=400))
    services.record_contact(came_unasked, "response", "paper")
    result = reach([asked_and_came, asked_only, came_unasked, make_person()])
    assert (result.people, result.asked, result.answered, result.answered_percent) == (4, 2, 1, 50)
