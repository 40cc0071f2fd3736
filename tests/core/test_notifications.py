from __future__ import annotations

from django.core import mail

from byconsent.core import notifications
from byconsent.core.models import NotificationRecord


def test_queue_is_idempotent_and_delivery_is_recorded(db, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = notifications.queue_email("A@Example.test", "consultations", "New", "Body", "key-1")
        again = notifications.queue_email("a@example.test", "consultations", "New", "Body", "key-1")
    assert first.pk == again.pk and len(callbacks) == 1
    assert notifications.deliver(first.pk) == NotificationRecord.Status.SENT
    assert notifications.deliver(first.pk) == NotificationRecord.Status.SENT  # a retry sends nothing more
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.test"]
    assert "/unsubscribe/" in message.body and "List-Unsubscribe" in message.extra_headers


def test_unsubscribe_per_topic_and_globally(db, client):
    notifications.preference("p@example.test", "consultations")
    token = notifications.preference("p@example.test", "consultations").token
    response = client.post(f"/unsubscribe/{token}/", {"scope": "topic"})
    assert response.status_code == 200
    assert not notifications.allows("p@example.test", "consultations")
    assert notifications.allows("p@example.test", "events")
    client.post(f"/unsubscribe/{token}/", {"scope": "all"})
    assert not notifications.allows("p@example.test", "events")
    record = notifications.queue_email("p@example.test", "events", "S", "B", "key-2")
    assert record.status == NotificationRecord.Status.SUPPRESSED


def test_unknown_token_says_so(db, client):
    assert "expired" in client.post("/unsubscribe/nope/", {"scope": "all"}).content.decode()


def test_notify_backend_sends_through_the_client(settings):
    from django.core.mail import EmailMessage

    from byconsent.core.notify import NotifyEmailBackend

    class FakeClient:
        sent: list[dict[str, object]] = []

        def send_email_notification(self, **kwargs: object) -> None:
            self.sent.append(kwargs)

    settings.NOTIFY_TEMPLATE_ID = "template-1"
    client = FakeClient()
    backend = NotifyEmailBackend(client=client)
    assert backend.send_messages([EmailMessage("Subj", "Body", to=["x@example.test"])]) == 1
    assert client.sent == [{"email_address": "x@example.test", "template_id": "template-1",
                            "personalisation": {"subject": "Subj", "body": "Body"}}]


def test_signed_in_person_turns_messages_off_and_on(db, make_user, client_for):
    from byconsent.core.models import AuditEntry

    person = make_user(email="me@example.test")
    notifications.preference("me@example.test", "consultations")
    client = client_for(person)
    assert "consultations" in client.get("/account/messages/").content.decode()
    client.post("/account/messages/", {"topic": "consultations", "subscribed": "no"})
    assert not notifications.allows("me@example.test", "consultations")
    client.post("/account/messages/", {"topic": "*", "subscribed": "no"})
    assert not notifications.allows("me@example.test", "events")
    client.post("/account/messages/", {"topic": "*", "subscribed": "yes"})
    assert notifications.allows("me@example.test", "events")
    assert AuditEntry.objects.filter(action="notifications.preference_changed").count() == 3


def test_stopping_all_messages_still_lets_a_person_get_their_own_sign_in_link(db):
    notifications.set_subscription("system", "p@example.test", notifications.ALL_TOPICS, False)
    assert not notifications.allows("p@example.test", "consultations")
    assert notifications.allows("p@example.test", notifications.SERVICE_TOPIC)
