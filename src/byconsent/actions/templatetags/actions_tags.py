from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()

STATUS_COLOURS = {"planned": "blue", "in_progress": "yellow", "done": "green", "not_possible": "grey"}
OUTCOME_COLOURS = {"adopted": "green", "partly": "yellow", "not_adopted": "orange"}


@register.filter
def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "grey")


@register.filter
def outcome_colour(outcome: str) -> str:
    return OUTCOME_COLOURS.get(outcome, "grey")


@register.filter
def outcome_short(outcome: str) -> str:
    return {"adopted": _("Adopted"), "partly": _("Partly adopted"), "not_adopted": _("Not adopted")}.get(outcome, "")


@register.filter
def published(value: Any) -> str:
    """A protected count: the figure, or [c] where it is hidden to protect privacy."""
    return "[c]" if value is None else str(value)


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"
