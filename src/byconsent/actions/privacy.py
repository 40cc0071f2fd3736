"""What the actions app holds about a person: the feedback messages and letters they were sent, and (for staff)
the actions they own. Registered with the privacy registry from AppConfig.ready()."""

from __future__ import annotations

from typing import Any

from byconsent.core.privacy import PrivacyHandler, register

FEEDBACK_RETENTION_DAYS = 730


def export_feedback(person: Any) -> dict[str, Any]:
    from byconsent.actions.models import Action, FeedbackDelivery

    deliveries = FeedbackDelivery.objects.filter(person=person).select_related("event")
    return {
        "feedback_sent": [{"about": d.event.get_kind_display(), "topic": d.event.topic, "method": d.method,
                           "status": d.status, "date": d.created_at.date().isoformat()} for d in deliveries],
        "actions_owned": [{"id": a.pk, "title": a.title, "area": a.area.name, "status": a.status}
                          for a in Action.objects.filter(owner=person).select_related("area")],
    }


def erase_feedback(person: Any) -> int:
    """Records of what a person was told go; actions they owned stay (the force's record), and the account
    handler removes the owner's name from the account itself."""
    from byconsent.actions.models import FeedbackDelivery

    return int(FeedbackDelivery.objects.filter(person=person).delete()[0])


def expire_feedback(cutoff: Any) -> int:
    from byconsent.actions.models import FeedbackDelivery

    return int(FeedbackDelivery.objects.filter(created_at__lt=cutoff)
               .exclude(status=FeedbackDelivery.Status.TO_PRINT).delete()[0])


def register_handlers() -> None:
    register(PrivacyHandler("you_said_we_did", "'You said, we did' feedback sent to the person; actions they own",
                            export_feedback, erase_feedback, retention_days=FEEDBACK_RETENTION_DAYS,
                            apply_retention=expire_feedback))
