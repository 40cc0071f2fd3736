"""What the panels app adds to shared pages: panels recruiting near a place, and work waiting for staff."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from byconsent.core.policy import Action, scope
from byconsent.core.registries import AttentionItem, ListingItem
from byconsent.panels.models import Panel, Selection, Volunteer


def recruiting_near(area: Any) -> list[ListingItem]:
    from byconsent.panels.selectors import public_panels

    panels = public_panels(area).filter(status=Panel.Status.RECRUITING)[:10]
    return [ListingItem(title=p.name, url=reverse("panels:public_detail", args=[p.slug]), kind=_("Citizens' panel"),
                        summary=_("Recruiting: if you received a letter with a code, you can volunteer."))
            for p in panels]


def needs_attention(user: Any) -> list[AttentionItem]:
    panels = scope(user, Action.MANAGE_ENGAGEMENT, Panel.objects.all())
    infeasible = Selection.objects.filter(panel__in=panels, status=Selection.Status.INFEASIBLE).exclude(
        panel__selections__status=Selection.Status.DONE).values("panel").distinct().count()
    dropped = Volunteer.objects.filter(panel__in=panels, status=Volunteer.Status.DROPPED_OUT,
                                       replaced_by__isnull=True,
                                       panel__status__in=[Panel.Status.SELECTED, Panel.Status.RUNNING]).count()
    url = reverse("panels:staff_list")
    return [AttentionItem(_("Panel selections that could not meet the quotas"), infeasible, url),
            AttentionItem(_("Panel seats left empty after a drop-out"), dropped, url)]
