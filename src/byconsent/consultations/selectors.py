"""Reads for the public hub, item pages, the home-page listing and staff lists."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from byconsent.consultations.models import PUBLIC_STATES, Consultation, State
from byconsent.core.models import Area
from byconsent.core.registries import AttentionItem, ListingItem

STATUS_STATES = {
    "open": [State.OPEN],
    "upcoming": [State.SCHEDULED],
    "closed": [State.CLOSED, State.ANALYSING, State.FEEDBACK_PUBLISHED],
    "feedback": [State.FEEDBACK_PUBLISHED],
}


def public() -> QuerySet[Consultation]:
    return Consultation.objects.filter(state__in=PUBLIC_STATES).prefetch_related("areas")


def covering(area: Area) -> Q:
    """Consultations about this area, about any area that contains it, or about a part of it."""
    ancestor_ids = [int(part) for part in area.path.strip("/").split("/") if part]
    return Q(areas__in=ancestor_ids) | Q(areas__path__startswith=area.path)


def search(filters: dict[str, Any], area_from_postcode: Area | None = None) -> QuerySet[Consultation]:
    queryset = public()
    if filters.get("q"):
        words = filters["q"].split()
        for word in words[:8]:
            queryset = queryset.filter(Q(title__icontains=word) | Q(summary__icontains=word)
                                       | Q(why_asking__icontains=word))
    if area_from_postcode is not None:
        queryset = queryset.filter(covering(area_from_postcode))
    if filters.get("area"):
        queryset = queryset.filter(covering(filters["area"]))
    for audience in filters.get("audience") or []:
        queryset = queryset.filter(audience_codes__contains=f" {audience} ")
    if filters.get("interest"):
        condition = Q()
        for interest in filters["interest"]:
            condition |= Q(interest_codes__contains=f" {interest} ")
        queryset = queryset.filter(condition)
    if filters.get("status"):
        states = [s for status in filters["status"] for s in STATUS_STATES.get(status, [])]
        queryset = queryset.filter(state__in=states)
    if filters.get("open_from"):
        queryset = queryset.filter(closes_at__date__gte=filters["open_from"])
    if filters.get("open_to"):
        queryset = queryset.filter(opens_at__date__lte=filters["open_to"])
    return queryset.distinct().order_by("-opens_at", "-pk")


def grouped(queryset: QuerySet[Consultation]) -> dict[str, list[Consultation]]:
    groups: dict[str, list[Consultation]] = {"open": [], "upcoming": [], "closed": []}
    for consultation in queryset:
        if consultation.state == State.OPEN:
            groups["open"].append(consultation)
        elif consultation.state == State.SCHEDULED:
            groups["upcoming"].append(consultation)
        else:
            groups["closed"].append(consultation)
    groups["open"].sort(key=lambda c: c.closes_at or timezone.now())
    groups["upcoming"].sort(key=lambda c: c.opens_at or timezone.now())
    return groups


def public_listing(area: Area | None) -> list[ListingItem]:
    """Open consultations for the public home page; near a postcode when one was given."""
    queryset = public().filter(state=State.OPEN)
    if area is not None:
        queryset = queryset.filter(covering(area)).distinct()
    items = []
    for consultation in queryset.order_by("closes_at")[:10]:
        when = _("Closes %(date)s") % {"date": date_format(timezone.localtime(consultation.closes_at), "j F Y")} \
            if consultation.closes_at else ""
        items.append(ListingItem(title=consultation.title, url=reverse("consultations:detail",
                                                                       args=[consultation.slug]),
                                 kind=str(_("Consultation")), summary=consultation.summary[:200], when=when))
    return items


def attention(user: Any) -> list[AttentionItem]:
    from byconsent.core.policy import Action, scope

    in_review = scope(user, Action.MANAGE_ENGAGEMENT, Consultation.objects.filter(state=State.IN_REVIEW))
    return [AttentionItem(title=str(_("Consultations waiting for review")), count=in_review.count(),
                          url=reverse("consultations:staff_list") + "?state=in_review")]
