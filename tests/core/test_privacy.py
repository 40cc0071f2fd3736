from __future__ import annotations

import json

from django.urls import reverse
from django.utils import timezone

from byconsent.core import notifications, privacy
from byconsent.core.models import AuditEntry, Contribution, NotificationRecord, OutboxEvent, Role, User
from byconsent.core.services import record_contribution


def test_subject_access_export_covers_every_registered_app(area_tree, make_user, client_for):
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    person = make_user(email="rhona@example.test")
    record_contribution(channel="idea", text="More foot patrols", area=area_tree["north_ward"], contributor=person)
    response = client_for(admin).get(reverse("core:privacy_export", args=[person.pk]))
    export = json.loads(response.content)
    assert set(export["data"]) == {h.name for h in privacy.handlers()}
    assert export["data"]["contributions"][0]["text"] == "More foot patrols"
    assert AuditEntry.objects.filter(action="privacy.exported").exists()


def test_erasure_anonymises_contributions_and_removes_identity(area_tree, make_user, client_for):
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    person = make_user(email="erase.me@example.test")
    contribution = record_contribution(channel="idea", text="Keep the station open", area=area_tree["north_ward"],
                                       contributor=person, wants_feedback=True)
    notifications.queue_email(person.email, "x", "s", "b", "k")
    response = client_for(admin).post(reverse("core:privacy_erase", args=[person.pk]), {"confirm": "on"})
    assert response.status_code == 200
    person.refresh_from_db()
    assert not person.is_active and "erase.me" not in person.email and person.full_name == ""
    contribution.refresh_from_db()
    assert contribution.contributor is None and contribution.text == "Keep the station open"
    assert Contribution.objects.count() == 1  # kept, so published counts stay true
    assert not NotificationRecord.objects.filter(recipient="erase.me@example.test").exists()
    entry = AuditEntry.objects.get(action="privacy.erased")
    assert "erase.me" not in json.dumps(entry.after)


def test_erasure_needs_confirmation_and_permission(area_tree, make_user, client_for):
    person = make_user()
    officer = make_user(Role.LOCAL_OFFICER, area_tree["force"])
    assert client_for(officer).post(reverse("core:privacy_erase", args=[person.pk]), {"confirm": "on"}).status_code \
        == 403
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    client_for(admin).post(reverse("core:privacy_erase", args=[person.pk]), {})
    assert User.objects.get(pk=person.pk).is_active


def test_retention_removes_only_expired_records(db):
    old = OutboxEvent.objects.create(channel="c", event_type="e", data={})
    OutboxEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=8))
    OutboxEvent.objects.create(channel="c", event_type="e", data={})
    results = privacy.apply_retention()
    assert results["live_events"] == 1
    assert OutboxEvent.objects.count() == 1


def test_a_divisional_administrator_cannot_export_or_erase_people(area_tree, make_user, client_for):
    divisional_admin = make_user(Role.ADMINISTRATOR, area_tree["north"])
    person = make_user(email="someone@example.test")
    client = client_for(divisional_admin)
    assert client.get(reverse("core:privacy_export", args=[person.pk])).status_code == 403
    assert client.post(reverse("core:privacy_erase", args=[person.pk]), {"confirm": "on"}).status_code == 403
    assert User.objects.get(pk=person.pk).is_active
