"""Sending messages to people: preferences, one-click unsubscribe, every send recorded, sent by the task worker.

Callers use `queue_email`. It checks the person's preferences, records the message once per idempotency key (so a
retried or double-clicked action never sends twice) and enqueues delivery after the transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from byconsent.core.models import NotificationPreference, NotificationRecord

ALL_TOPICS = "*"
# Messages a person asked for themselves (a sign-in link, a receipt, confirming a request): "stop all messages"
# must not lock them out of their own account or data.
SERVICE_TOPIC = "service"


def allows(email: str, topic: str) -> bool:
    """A person hears about a topic unless they unsubscribed from it or from everything (service messages
    stop only when unsubscribed from the service topic itself)."""
    email = email.lower()
    if topic == SERVICE_TOPIC:
        return not NotificationPreference.objects.filter(email=email, topic=topic, subscribed=False).exists()
    return not NotificationPreference.objects.filter(
        email=email, topic__in=[topic, ALL_TOPICS], subscribed=False
    ).exists()


def preference(email: str, topic: str) -> NotificationPreference:
    pref, _ = NotificationPreference.objects.get_or_create(email=email.lower(), topic=topic)
    return pref


def queue_email(recipient: str, topic: str, subject: str, body: str, idempotency_key: str) -> NotificationRecord:
    recipient = recipient.lower()
    existing = NotificationRecord.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    status = NotificationRecord.Status.QUEUED if allows(recipient, topic) else NotificationRecord.Status.SUPPRESSED
    try:
        with transaction.atomic():
            record = NotificationRecord.objects.create(recipient=recipient, topic=topic, subject=subject, body=body,
                                                       idempotency_key=idempotency_key, status=status)
    except IntegrityError:
        return NotificationRecord.objects.get(idempotency_key=idempotency_key)
    if status == NotificationRecord.Status.QUEUED:
        from byconsent.core.tasks import send_notification_task

        transaction.on_commit(lambda: send_notification_task.enqueue(record.pk))
    return record


def unsubscribe_url(email: str, topic: str) -> str:
    token = preference(email, topic).token
    return settings.BYCONSENT_SITE_URL + reverse("core:unsubscribe", args=[token])


def deliver(record_id: int) -> str:
    record = NotificationRecord.objects.get(pk=record_id)
    if record.status != NotificationRecord.Status.QUEUED:
        return record.status
    if not allows(record.recipient, record.topic):
        record.status = NotificationRecord.Status.SUPPRESSED
        record.save(update_fields=["status"])
        return record.status
    link = unsubscribe_url(record.recipient, record.topic)
    body = f"{record.body}\n\n--\nTo stop these messages: {link}\n"
    headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    message = EmailMessage(record.subject, body, settings.DEFAULT_FROM_EMAIL, [record.recipient], headers=headers)
    try:
        message.send()
    except Exception as error:  # recorded on the message; the task can be retried
        record.status = NotificationRecord.Status.FAILED
        record.error = str(error)[:2000]
        record.save(update_fields=["status", "error"])
        raise
    record.status = NotificationRecord.Status.SENT
    record.sent_at = timezone.now()
    record.save(update_fields=["status", "sent_at"])
    return record.status


def unsubscribe(token: str, everything: bool = False) -> NotificationPreference | None:
    pref = NotificationPreference.objects.filter(token=token).first()
    if pref is None:
        return None
    with transaction.atomic():
        pref.subscribed = False
        pref.save(update_fields=["subscribed", "updated_at"])
        if everything:
            everything_pref = preference(pref.email, ALL_TOPICS)
            everything_pref.subscribed = False
            everything_pref.save(update_fields=["subscribed", "updated_at"])
    return pref


def set_subscription(actor: Any, email: str, topic: str, subscribed: bool) -> NotificationPreference:
    """A person (or staff on their behalf) turns a topic, or everything ('*'), on or off. Audited."""
    from byconsent.core import audit

    with transaction.atomic():
        pref = preference(email, topic)
        before = {"subscribed": pref.subscribed}
        pref.subscribed = subscribed
        pref.save(update_fields=["subscribed", "updated_at"])
        audit.record(actor, "notifications.preference_changed", pref, before=before,
                     after={"topic": topic, "subscribed": subscribed})
    return pref


def preferences_for(email: str) -> list[NotificationPreference]:
    return list(NotificationPreference.objects.filter(email=email.lower()).order_by("topic"))
