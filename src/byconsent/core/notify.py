"""Optional email backend that sends through GOV.UK Notify (install `notifications-python-client`).

Set EMAIL_BACKEND=byconsent.core.notify.NotifyEmailBackend, NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID (a template
whose body is ((body)) and subject ((subject))).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class NotifyEmailBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, client: Any = None, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self._client = client

    def _get_client(self) -> Any:
        if self._client is None:
            from notifications_python_client.notifications import NotificationsAPIClient

            self._client = NotificationsAPIClient(settings.NOTIFY_API_KEY)
        return self._client

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            for recipient in message.to:
                try:
                    self._get_client().send_email_notification(
                        email_address=recipient, template_id=settings.NOTIFY_TEMPLATE_ID,
                        personalisation={"subject": message.subject, "body": message.body})
                    sent += 1
                except Exception:
                    if not self.fail_silently:
                        raise
        return sent
