"""Read queries for neighbourhood pages: finding a neighbourhood, its team, priorities, meetings, and crime figures
protected against small counts."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from byconsent.core.models import Area
from byconsent.core.postcodes import find_area, normalise_postcode
from byconsent.core.registries import ListingItem, public_listings
from byconsent.engines.disclosure import DisclosureSettings, protect, two_way_table
from byconsent.insights.selectors import crime_counts, latest_crime_months
from byconsent.neighbourhoods.models import Meeting, Priority, TeamMember
from byconsent.neighbourhoods.policeuk import priorities_json

MEETING_KIND = "Meeting"


# ---- finding a neighbourhood -------------------------------------------------------------------------------------

@dataclass
class SearchResult:
    query: str
    area: Area | None
    matches: list[Area]
    by_postcode: bool


def find_neighbourhood(query: str) -> SearchResult:
    """A postcode (full or district) or part of a place name."""
    query = (query or "").strip()
    if normalise_postcode(query):
        area = find_area(query)
        return SearchResult(query, area, [area] if area else [], True)
    if len(query) < 2:
        return SearchResult(query, None, [], False)
    matches = list(Area.objects.filter(level__gte=Area.Level.LOCAL_AREA, name__icontains=query)
                   .select_related("parent").order_by("level", "name")[:50])
    exact = [a for a in matches if a.name.strip().lower() == query.lower()]
    area = exact[0] if len(exact) == 1 else (matches[0] if len(matches) == 1 else None)
    return SearchResult(query, area, matches, False)


def neighbourhood_index() -> list[tuple[Area, list[Area]]]:
    """Every local policing area with its neighbourhoods, for the list that stands in for a map."""
    children: dict[int, list[Area]] = defaultdict(list)
    for area in Area.objects.filter(level=Area.Level.NEIGHBOURHOOD).order_by("name"):
        assert area.parent_id is not None
        children[area.parent_id].append(area)
    return [(local, children.get(local.pk, []))
            for local in Area.objects.filter(level=Area.Level.LOCAL_AREA).order_by("name")]


# ---- page content ------------------------------------------------------------------------------------------------

def team(area: Area, today: datetime.date | None = None) -> QuerySet[TeamMember]:
    today = today or timezone.localdate()
    return TeamMember.objects.filter(area=area).filter(Q(left_on__isnull=True) | Q(left_on__gt=today))


def priorities(area: Area, include_closed: bool = False) -> QuerySet[Priority]:
    queryset = Priority.objects.filter(area=area).select_related("ledger_action")
    if not include_closed:
        queryset = queryset.filter(status=Priority.Status.CURRENT)
    return queryset.order_by("status", "-issue_date", "-id")


def upcoming_meetings(area: Area | None, now: datetime.datetime | None = None) -> QuerySet[Meeting]:
    now = now or timezone.now()
    queryset = Meeting.objects.filter(cancelled=False, starts_at__gte=now).select_related("area")
    if area is not None:
        queryset = queryset.filter(Q(area__in=area.ancestors()) | Q(area__path__startswith=area.path))
    return queryset.order_by("starts_at")


def meeting_listings(area: Area | None) -> list[ListingItem]:
    """Upcoming meetings for the public home page's "Open now" list."""
    items = []
    for meeting in upcoming_meetings(area)[:10]:
        when = date_format(timezone.localtime(meeting.starts_at), "j F Y, H:i")
        url = reverse("neighbourhoods:detail", args=[meeting.area.code]) + f"#meeting-{meeting.pk}"
        items.append(ListingItem(title=meeting.title, kind=MEETING_KIND, when=when, summary=meeting.location, url=url))
    return items


def open_listings(area: Area) -> list[ListingItem]:
    """What other apps list as open near here (consultations, surveys, panels), without our own meetings."""
    return [item for item in public_listings(area) if item.kind != MEETING_KIND]


def priorities_for_export(area: Area) -> list[dict[str, Any]]:
    rows = [{"issue": p.issue, "issue_date": p.issue_date, "action": p.action, "action_date": p.action_date}
            for p in Priority.objects.filter(area=area).order_by("-issue_date", "-id")]
    return priorities_json(rows)


# ---- crime figures -----------------------------------------------------------------------------------------------

@dataclass
class CrimeTable:
    months: list[datetime.date]
    rows: list[tuple[str, list[int | None], int | None]]  # crime type, per month, total
    month_totals: list[int | None]
    grand_total: int | None
    note: str
    chart: SafeString
    chart_alt: str
    source: str


def crime_table(area: Area, months: int = 6) -> CrimeTable | None:
    """Monthly counts by crime type for an area and everything in it, over the latest `months` months imported,
    with small counts hidden (and enough others that they cannot be worked out). The counts come from the one
    store of street crime (the analysis workspace's row-level records), aggregated by its selector."""
    counted = crime_counts(area, latest_months=months)
    recent = counted.months
    if not recent:
        return None
    grid = counted.counts
    types = sorted(grid)
    values = [[grid[t].get(m, 0) for m in recent] for t in types]
    threshold = settings.BYCONSENT_DISCLOSURE_THRESHOLD
    key = "neighbourhoods:crime:" + hashlib.sha256(json.dumps([types, [m.isoformat() for m in recent], values,
                                                                threshold]).encode()).hexdigest()
    cached = cache.get(key)
    if cached is None:
        result = protect(two_way_table(values, types, [m.isoformat() for m in recent]),
                         DisclosureSettings(threshold=threshold))
        cached = {"grid": result.grid(), "note": result.method_note}
        cache.set(key, cached, 24 * 3600)
    published: list[list[int | None]] = cached["grid"]
    rows = [(types[i], published[i][:-1], published[i][-1]) for i in range(len(types))]
    month_totals = published[-1][:-1]
    labels = [date_format(m, "M Y") for m in recent]
    chart, alt = _bar_chart(labels, month_totals)
    return CrimeTable(months=recent, rows=rows, month_totals=month_totals, grand_total=published[-1][-1],
                      note=cached["note"], chart=chart, chart_alt=alt, source=", ".join(counted.forces))


def crime_figures_held() -> list[tuple[str, datetime.date]]:
    """Each force whose crime figures are held, with the latest month (for the staff pages)."""
    return latest_crime_months()


def _bar_chart(labels: list[str], values: list[int | None]) -> tuple[SafeString, str]:
    """A plain SVG bar chart of monthly totals; hidden figures are marked [c], never drawn as zero."""
    width, height, left, bottom, top = 560, 220, 40, 30, 20
    known = [v for v in values if v is not None]
    peak = max(known) if known else 1
    step = (width - left - 10) / max(1, len(values))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="app-bar-chart" '
             f'focusable="false" aria-hidden="true" font-family="Arial, sans-serif">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#0b0c0c"/>']
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + index * step + step * 0.15
        bar_width = step * 0.7
        if value is not None:
            bar_height = (height - bottom - top) * value / peak if peak else 0
            y = height - bottom - bar_height
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{bar_height:.1f}" '
                         f'fill="#1d70b8"/>')
            parts.append(f'<text x="{x + bar_width / 2:.1f}" y="{y - 4:.1f}" font-size="12" text-anchor="middle" '
                         f'fill="#0b0c0c">{value}</text>')
        else:
            parts.append(f'<text x="{x + bar_width / 2:.1f}" y="{height - bottom - 6}" font-size="12" '
                         f'text-anchor="middle" fill="#0b0c0c">[c]</text>')
        parts.append(f'<text x="{x + bar_width / 2:.1f}" y="{height - 10}" font-size="12" text-anchor="middle" '
                     f'fill="#0b0c0c">{escape(label)}</text>')
    parts.append("</svg>")
    shown = [f"{label}: {value}" for label, value in zip(labels, values, strict=True) if value is not None]
    alt = _("Recorded crimes and anti-social behaviour per month. %(figures)s") % {
        "figures": "; ".join(shown) if shown else _("The monthly totals are hidden to protect privacy.")}
    return mark_safe("".join(parts)), alt  # noqa: S308  (built here from numbers and escaped labels)
