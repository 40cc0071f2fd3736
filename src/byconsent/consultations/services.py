"""Every write of the consultations app: permission, transaction, transition row, audit entry, tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from byconsent.consultations.models import (
    MINIMUM_WEEKS,
    AlertSubscription,
    Consultation,
    Document,
    State,
    Transition,
    codes_text,
)
from byconsent.core import audit
from byconsent.core.models import Area
from byconsent.core.notifications import queue_email
from byconsent.core.policy import Action, require
from byconsent.core.services import publish_event
from byconsent.surveys import services as survey_services

TRANSITIONS: dict[str, set[str]] = {
    State.DRAFT: {State.IN_REVIEW},
    State.IN_REVIEW: {State.DRAFT, State.SCHEDULED, State.OPEN},
    State.SCHEDULED: {State.DRAFT, State.OPEN},
    State.OPEN: {State.CLOSED},
    State.CLOSED: {State.ANALYSING, State.OPEN},
    State.ANALYSING: {State.FEEDBACK_PUBLISHED},
    State.FEEDBACK_PUBLISHED: {State.ANALYSING},
}
PREVIEW_SALT = "consultations.preview"
PREVIEW_MAX_AGE = 14 * 24 * 3600
ALERT_TOPIC = "consultations.alerts"
EDITABLE = ("title", "summary", "why_asking", "can_change", "cannot_change", "owning_team", "contact_email",
            "contact_phone", "opens_at", "closes_at", "questionnaire", "gunning_formative", "gunning_information",
            "gunning_time", "short_period_reason", "gunning_consider", "we_asked", "you_said", "we_did")


class TransitionError(ValueError):
    """The move is not allowed from this state, or the consultation is not ready for it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _snapshot(consultation: Consultation) -> dict[str, Any]:
    data = audit.snapshot(consultation, list(EDITABLE) + ["state", "audience_codes", "interest_codes"])
    if consultation.pk:
        data["areas"] = sorted(consultation.areas.values_list("code", flat=True))
    return data


def create(actor: Any, *, slug: str, title: str, summary: str, area: Area, **fields: Any) -> Consultation:
    require(actor, Action.MANAGE_ENGAGEMENT, area)
    if Consultation.objects.filter(slug=slug).exists():
        raise ValueError(_("A consultation with that web address name already exists"))
    with transaction.atomic():
        consultation = Consultation(slug=slug, title=title, summary=summary, area=area,
                                    created_by=actor if getattr(actor, "is_authenticated", False) else None)
        consultation.save()
        update(actor, consultation, **fields)
        audit.record(actor, "consultation.created", consultation, after=_snapshot(consultation))
    return consultation


def update(actor: Any, consultation: Consultation, *, areas: Any = None, audiences: list[str] | None = None,
           interests: list[str] | None = None, related: Any = None, **fields: Any) -> Consultation:
    require(actor, Action.MANAGE_ENGAGEMENT, consultation)
    if "questionnaire" in fields and fields["questionnaire"] is not None:
        require(actor, Action.MANAGE_ENGAGEMENT, fields["questionnaire"])
    with transaction.atomic():
        before = _snapshot(consultation)
        changed = []
        for name, value in fields.items():
            if name in EDITABLE:
                setattr(consultation, name, value)
                changed.append(name)
        if audiences is not None:
            consultation.audience_codes = codes_text(audiences)
            changed.append("audience_codes")
        if interests is not None:
            consultation.interest_codes = codes_text(interests)
            changed.append("interest_codes")
        # Only the fields being edited: a stale copy must never write back an old state.
        if changed:
            consultation.save(update_fields=changed)
        if areas is not None:
            consultation.areas.set(areas)
        if related is not None:
            consultation.related.set([c for c in related if c.pk != consultation.pk])
        after = _snapshot(consultation)
        if after != before:
            audit.record(actor, "consultation.updated", consultation, before=before, after=after)
    return consultation


def readiness_problems(consultation: Consultation, now: datetime | None = None) -> list[str]:
    """What stops the consultation from being scheduled or opened (the Gunning principles and the basics)."""
    problems = []
    if not consultation.gunning_formative:
        problems.append(_("Confirm the proposals are at a formative stage"))
    if not consultation.gunning_information:
        problems.append(_("Confirm people are given enough information to respond"))
    if not consultation.gunning_time:
        problems.append(_("Confirm people have adequate time to respond"))
    if not consultation.gunning_consider:
        problems.append(_("Confirm responses will be conscientiously considered"))
    if consultation.opens_at is None or consultation.closes_at is None:
        problems.append(_("Set the opening and closing dates"))
    elif consultation.closes_at <= consultation.opens_at:
        problems.append(_("The closing date must be after the opening date"))
    elif short_period(consultation) and not consultation.short_period_reason.strip():
        problems.append(_("It is open for less than %(weeks)s weeks: give the reason") % {"weeks": MINIMUM_WEEKS})
    if consultation.questionnaire is None:
        problems.append(_("Choose the questionnaire people will answer"))
    if not consultation.why_asking.strip():
        problems.append(_("Say why we are asking"))
    if not consultation.areas.exists():
        problems.append(_("Choose the areas it is about"))
    return problems


def short_period(consultation: Consultation) -> bool:
    weeks = consultation.weeks_open
    return weeks is not None and weeks < MINIMUM_WEEKS


def transition(actor: Any, consultation: Consultation, to_state: str, note: str = "",
               now: datetime | None = None) -> Consultation:
    """Move to another state. `actor` is a user, or "system" for the scheduler. Repeating a move is a no-op."""
    if actor != "system":
        require(actor, Action.MANAGE_ENGAGEMENT, consultation)
    now = now or timezone.now()
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if consultation.state == to_state:
            return consultation
        if to_state not in TRANSITIONS.get(consultation.state, set()):
            raise TransitionError([_("A consultation cannot move from “%(a)s” to “%(b)s”") % {
                "a": State(consultation.state).label, "b": State(to_state).label}])
        if to_state in (State.SCHEDULED, State.OPEN):
            problems = readiness_problems(consultation)
            if problems:
                raise TransitionError(problems)
        if to_state == State.FEEDBACK_PUBLISHED and not (consultation.you_said.strip() and
                                                         consultation.we_did.strip()):
            raise TransitionError([_("Write “You said” and “We did” before publishing feedback")])
        from_state = consultation.state
        consultation.state = to_state
        update_fields = ["state"]
        if to_state == State.OPEN and (consultation.opens_at is None or consultation.opens_at > now):
            consultation.opens_at = now
            update_fields.append("opens_at")
        if to_state == State.CLOSED and from_state == State.OPEN and consultation.closes_at \
                and consultation.closes_at > now:
            consultation.closes_at = now
            update_fields.append("closes_at")
        consultation.save(update_fields=update_fields)
        is_user = getattr(actor, "is_authenticated", False)
        Transition.objects.create(consultation=consultation, from_state=from_state, to_state=to_state,
                                  actor=actor if is_user else None, actor_label=str(actor), note=note, at=now)
        audit.record(actor, "consultation.transition", consultation, before={"state": from_state},
                     after={"state": to_state, "note": note})
        if consultation.questionnaire is not None:
            if to_state == State.OPEN:
                survey_services.set_open("system", consultation.questionnaire, True)
            elif from_state == State.OPEN:
                survey_services.set_open("system", consultation.questionnaire, False)
        if to_state == State.OPEN and consultation.alerts_sent_on is None:
            from byconsent.core import tasks

            tasks.start(_("Send alerts for %(title)s") % {"title": consultation.title},
                        "byconsent.consultations.tasks.send_alerts_task", {"consultation": consultation.pk},
                        area=consultation.area)
        publish_event(f"consultation-{consultation.pk}", "state", {"state": to_state})
    return consultation


def run_schedule(now: datetime | None = None) -> dict[str, int]:
    """Open scheduled consultations whose time has come and close open ones that have passed their closing time.
    Called hourly by the worker (consultations.tasks.schedule_task) and by `manage consultation_schedule`."""
    now = now or timezone.now()
    opened = closed = failed = 0
    for consultation in Consultation.objects.filter(state=State.SCHEDULED, opens_at__lte=now):
        try:
            transition("system", consultation, State.OPEN, note=_("Opened on schedule"), now=now)
            opened += 1
        except TransitionError as error:
            failed += 1
            audit.record("system", "consultation.schedule_failed", consultation, after={"problems": error.problems})
    for consultation in Consultation.objects.filter(state=State.OPEN, closes_at__lte=now):
        transition("system", consultation, State.CLOSED, note=_("Closed on schedule"), now=now)
        closed += 1
    return {"opened": opened, "closed": closed, "failed": failed}


# ---- preview links ---------------------------------------------------------------------------------------------

def preview_token(actor: Any, consultation: Consultation) -> str:
    require(actor, Action.MANAGE_ENGAGEMENT, consultation)
    return signing.dumps({"c": consultation.pk}, salt=PREVIEW_SALT)


def consultation_from_preview(token: str) -> Consultation | None:
    try:
        data = signing.loads(token, salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE)
    except signing.BadSignature:
        return None
    return Consultation.objects.filter(pk=data.get("c")).first()


# ---- documents -------------------------------------------------------------------------------------------------

def add_document(actor: Any, consultation: Consultation, *, title: str, file: Any = None, url: str = "",
                 kind: str = "") -> Document:
    require(actor, Action.MANAGE_ENGAGEMENT, consultation)
    if not file and not url:
        raise ValueError(_("Upload a file or give a link"))
    with transaction.atomic():
        document = Document.objects.create(consultation=consultation, title=title, url=url, kind=kind,
                                           size=getattr(file, "size", 0) or 0)
        if file:
            document.file = file
            document.save(update_fields=["file"])
        audit.record(actor, "consultation.document_added", consultation, after={"title": title})
    return document


def remove_document(actor: Any, document: Document) -> None:
    require(actor, Action.MANAGE_ENGAGEMENT, document)
    with transaction.atomic():
        audit.record(actor, "consultation.document_removed", document.consultation,
                     before={"title": document.title})
        document.delete()


# ---- alerts ----------------------------------------------------------------------------------------------------

def subscribe(email: str, *, area: Area | None, interests: list[str], confirm_url: Any) -> AlertSubscription:
    """Record the request and send the confirmation email (double opt-in). Nothing is sent until confirmed."""
    email = email.strip().lower()
    with transaction.atomic():
        subscription = AlertSubscription.objects.create(email=email, area=area, interest_codes=codes_text(interests))
        link = confirm_url(subscription.token)
        queue_email(email, "consultations.confirm", _("Confirm your consultation alerts"),
                    _("Someone (we hope you) asked for emails about new police consultations.\n\nTo confirm, open "
                      "this link:\n\n%(link)s\n\nIf it was not you, ignore this email and nothing more will be "
                      "sent.") % {"link": link}, idempotency_key=f"consultation-confirm:{subscription.pk}")
    return subscription


def confirm(token: str) -> AlertSubscription | None:
    subscription = AlertSubscription.objects.filter(token=token).first()
    if subscription is None:
        return None
    if subscription.confirmed_at is None:
        with transaction.atomic():
            subscription.confirmed_at = timezone.now()
            subscription.save(update_fields=["confirmed_at"])
            audit.record("public", "consultation.alerts_confirmed", subscription)
    return subscription


def unsubscribe(token: str) -> bool:
    with transaction.atomic():
        return bool(AlertSubscription.objects.filter(token=token).delete()[0])


def matches(subscription: AlertSubscription, consultation: Consultation, area_paths: list[str]) -> bool:
    if subscription.interests and not set(subscription.interests) & set(consultation.interests):
        return False
    if subscription.area is not None and area_paths:
        path = subscription.area.path
        # Either the consultation covers the person's area, or it is about a part of it.
        return any(path.startswith(p) or p.startswith(path) for p in area_paths)
    return True


def send_alerts(consultation: Consultation) -> int:
    """Email each confirmed subscriber whose interests and area match; once per consultation and person."""
    area_paths = list(consultation.areas.values_list("path", flat=True))
    link = settings.BYCONSENT_SITE_URL + reverse("consultations:detail", args=[consultation.slug])
    sent = 0
    for subscription in AlertSubscription.objects.filter(confirmed_at__isnull=False).select_related("area") \
            .iterator():
        if not matches(subscription, consultation, area_paths):
            continue
        stop = settings.BYCONSENT_SITE_URL + reverse("consultations:alerts_stop", args=[subscription.token])
        queue_email(subscription.email, ALERT_TOPIC, _("New consultation: %(title)s") % {"title": consultation.title},
                    f"{consultation.title}\n\n{consultation.summary}\n\n{link}\n\n"
                    + _("To stop these alerts: %(stop)s") % {"stop": stop},
                    idempotency_key=f"consultation-alert:{consultation.pk}:{subscription.pk}")
        sent += 1
    Consultation.objects.filter(pk=consultation.pk).update(alerts_sent_on=timezone.now())
    return sent
