"""The words people receive: plain language, short, one item per change, with a link and an unsubscribe per item."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from byconsent.core import notifications


def status_sentence(status: str) -> str:
    return {
        "planned": _("This is planned."),
        "in_progress": _("Work on this has started."),
        "done": _("This has been done."),
        "not_possible": _("We have not been able to do this."),
    }.get(status, "")


def outcome_sentence(outcome: str) -> str:
    return {
        "adopted": _("They agreed to do what people asked."),
        "partly": _("They agreed to do part of what people asked."),
        "not_adopted": _("They decided not to do what people asked."),
    }.get(outcome, "")


def _day(value: datetime.date) -> str:
    return date_format(value, "j F Y")


def _link(name: str, pk: int) -> str:
    return settings.BYCONSENT_SITE_URL + reverse(name, args=[pk])


def _what_you_said(contributions: list[Any]) -> str:
    if not contributions:
        return ""
    first = contributions[0]
    when = date_format(first.created_on, "F Y")
    text = first.text if len(first.text) <= 200 else first.text[:197].rstrip() + "..."
    lines = [_("In %(month)s you told us: \"%(text)s\"") % {"month": when, "text": text}]
    if len(contributions) > 1:
        lines.append(ngettext("(and %(n)d other thing you said on this)", "(and %(n)d other things you said on this)",
                              len(contributions) - 1) % {"n": len(contributions) - 1})
    return "\n".join(lines)


def event_paragraph(event: Any, contributions: list[Any]) -> tuple[str, str]:
    """(heading, paragraph) for one change."""
    parts = [_what_you_said(contributions)]
    if event.decision_id:
        decision = event.decision
        heading = _("A decision has been made")
        parts.append(_("On %(date)s, %(forum)s made a decision.") % {"date": _day(decision.decided_on),
                                                                     "forum": decision.forum})
        parts.append(outcome_sentence(decision.outcome))
        parts.append(decision.summary)
        if decision.reasons:
            parts.append(_("Why: %(reasons)s") % {"reasons": decision.reasons})
        parts.append(_("Read more: %(url)s") % {"url": _link("actions:public_decision", decision.pk)})
    else:
        action = event.action
        heading = _("News on: %(title)s") % {"title": action.title}
        parts.append(_("We said we would: %(title)s.") % {"title": action.title})
        parts.append(status_sentence(event.status_after))
        latest = action.updates.order_by("-created_at", "-id").first()
        if latest is not None and latest.text != status_sentence(event.status_after):
            parts.append(latest.text)
        parts.append(_("Read more: %(url)s") % {"url": _link("actions:public_action", action.pk)})
    return heading, "\n".join(p for p in parts if p)


def digest(person: Any, items: list[tuple[Any, list[Any]]], letter: bool = False) -> tuple[str, str]:
    """One message covering every change in this batch for one person."""
    count = len(items)
    subject = ngettext("What happened after you spoke to us", "What happened after you spoke to us: %(n)d updates",
                       count) % {"n": count}
    greeting = _("Dear %(name)s,") % {"name": person.full_name} if person.full_name else _("Hello,")
    blocks = [greeting, _("You asked us to tell you what happened after you shared your views. Here is the news.")]
    for event, contributions in items:
        heading, paragraph = event_paragraph(event, contributions)
        block = f"{heading}\n{'-' * len(heading)}\n{paragraph}"
        if not letter:
            block += "\n" + _("Stop hearing about this: %(url)s") % {
                "url": notifications.unsubscribe_url(person.email, event.topic)}
        blocks.append(block)
    if letter:
        blocks.append(_("If you no longer want letters like this, call 101 and tell us."))
    # Emails get a link to stop all "You said, we did" messages from core.notifications when they are sent.
    blocks.append(_("This is not a way to report a crime. In an emergency call 999; otherwise call 101."))
    return subject, "\n\n".join(blocks)


def overdue(action: Any, today: datetime.date) -> tuple[str, str]:
    days = (today - action.due_on).days
    subject = _("Overdue action: %(title)s") % {"title": action.title}
    body = "\n\n".join([
        ngettext("This action in %(area)s was due on %(date)s and is %(days)d day overdue.",
                 "This action in %(area)s was due on %(date)s and is %(days)d days overdue.", days)
        % {"area": action.area.name, "date": _day(action.due_on), "days": days},
        _("Owner: %(owner)s. Status: %(status)s. Progress: %(progress)d%%.") % {
            "owner": action.owner, "status": action.get_status_display(), "progress": action.progress},
        _("Update it, or change its due date with a public explanation: %(url)s") % {
            "url": _link("actions:action_detail", action.pk)},
    ])
    return subject, body
