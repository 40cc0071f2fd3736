"""Read queries shared by the panel views: lists in the user's areas, quota tallies, public figures, the draw file."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from byconsent.core.policy import Action, scope
from byconsent.engines.disclosure import DisclosureSettings, protect_one_way
from byconsent.panels.models import Panel, Selection, Volunteer
from byconsent.panels.services import features_of, quota_categories


def panels_for(user: Any) -> QuerySet[Panel]:
    return scope(user, Action.MANAGE_ENGAGEMENT, Panel.objects.select_related("area")).annotate(
        pool=Count("volunteers", filter=~Q(volunteers__status=Volunteer.Status.DROPPED_OUT)),
        members=Count("volunteers", filter=Q(volunteers__status=Volunteer.Status.SELECTED)))


def public_panels(area: Any = None) -> QuerySet[Panel]:
    panels = Panel.objects.exclude(status=Panel.Status.DRAFT).select_related("area")
    if area is not None:
        ids = [a.pk for a in area.ancestors()] + list(area.subtree().values_list("pk", flat=True))
        panels = panels.filter(area__in=ids)
    return panels


def latest_selection(panel: Panel) -> Selection | None:
    return panel.selections.filter(status=Selection.Status.DONE).first()


@dataclass
class QuotaRow:
    category: str
    value: str
    minimum: int
    maximum: int
    target: float | None
    pool: int
    members: int

    @property
    def met(self) -> bool:
        return self.minimum <= self.members <= self.maximum


def quota_rows(panel: Panel) -> list[QuotaRow]:
    """Each quota with how many in the pool and on the panel (now) have that value. Staff only."""
    categories = quota_categories(panel)
    pool: Counter[tuple[str, str]] = Counter()
    members: Counter[tuple[str, str]] = Counter()
    volunteers = panel.volunteers.exclude(status=Volunteer.Status.DROPPED_OUT).select_related("answers")
    for volunteer in volunteers:
        for pair in features_of(volunteer, categories).items():
            pool[pair] += 1
            if volunteer.status == Volunteer.Status.SELECTED:
                members[pair] += 1
    return [QuotaRow(q.category, q.value, q.minimum, q.maximum, q.target, pool[(q.category, q.value)],
                     members[(q.category, q.value)]) for q in panel.quotas.all()]


@dataclass
class PublicFigure:
    label: str
    count: int | None  # None: hidden by disclosure control


@dataclass
class PublicCharacteristic:
    category: str
    figures: list[PublicFigure]
    total: int | None
    note: str


def public_characteristics(panel: Panel) -> list[PublicCharacteristic]:
    """Members' characteristics in aggregate, through disclosure control (threshold from settings): a small count
    is hidden, and enough others with it that it cannot be recovered by subtraction from the total."""
    members = list(panel.volunteers.filter(status=Volunteer.Status.SELECTED).select_related("answers"))
    if not members:
        return []
    disclosure = DisclosureSettings(threshold=settings.BYCONSENT_DISCLOSURE_THRESHOLD)
    characteristics = []
    for category, values in quota_categories(panel).items():
        tally = Counter(features_of(m, {category: values})[category] for m in members)
        counts = [tally[value] for value in values]
        result = protect_one_way(counts, disclosure)
        published = list(result.published)
        figures = [PublicFigure(value, published[i]) for i, value in enumerate(values)]
        characteristics.append(PublicCharacteristic(category, figures, published[-1], result.method_note))
    return characteristics


def volunteer_public_id(seed: str, reference: str) -> str:
    """The id a volunteer has in the published draw file: a hash of the seed and their reference, so the file
    names no one, and each volunteer (who knows their reference) can find themselves in it."""
    return hashlib.sha256(f"{seed}:{reference}".encode()).hexdigest()[:12]


def draw_file(selection: Selection) -> dict[str, Any]:
    """Everything needed to re-derive the draw: the panels in published order, their tickets, and the seed."""
    outcome = selection.outcome or {}
    lottery = outcome.get("lottery") or {}
    seed = selection.seed

    def ids(members: list[str]) -> list[str]:
        return [volunteer_public_id(seed, m) for m in members]

    return {
        "panel": selection.panel.name,
        "algorithm": outcome.get("algorithm"),
        "seed": seed,
        "lottery_size": lottery.get("size"),
        "how_to_check": [
            "ticket = int(SHA-256(seed as UTF-8 bytes), read as a big-endian number) mod lottery_size",
            "number tickets from 0: the first panel holds tickets 0 .. tickets-1, the next panel the following "
            "ones, and so on in the order given",
            "the selected panel is the one holding the ticket",
        ],
        "drawn_ticket": lottery.get("drawn_ticket"),
        "panels": [{"number": i, "tickets": (lottery.get("panel_counts") or [None] * (i + 1))[i],
                    "probability": outcome.get("panel_probabilities", [None] * (i + 1))[i],
                    "members": sorted(ids(members))}
                   for i, members in enumerate(outcome.get("panels", []))],
        "selected": sorted(ids(outcome.get("selected", []))),
        "id_note": _("Each id is the first 12 hex digits of SHA-256('<seed>:<your reference>'); your reference is "
                     "in your registration email."),
    }


def probability_rows(selection: Selection) -> list[dict[str, Any]]:
    """Staff only: each volunteer's chance of selection (under the published lottery), by reference, rounded to a
    tenth of a percentage point; names are left out so the page can be shown to an oversight board."""
    outcome = selection.outcome or {}
    marginals: dict[str, float] = outcome.get("marginals", {})
    selected = set(outcome.get("selected", []))
    reserves = outcome.get("reserves", [])
    rows = [{"reference": ref, "percent": round(100 * p, 1), "selected": ref in selected,
             "reserve": reserves.index(ref) + 1 if ref in reserves else None}
            for ref, p in marginals.items()]
    return sorted(rows, key=lambda row: (-row["percent"], row["reference"]))
