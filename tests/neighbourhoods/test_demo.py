"""The demo's crime figures go through the one street crime import and reach both pages."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from byconsent.core.models import Area, Role
from byconsent.insights import selectors as insights
from byconsent.insights.models import CrimeRecord
from byconsent.neighbourhoods import demo, selectors
from tests.neighbourhoods.conftest import quick_user

pytestmark = pytest.mark.django_db


def test_demo_crime_figures_reach_the_public_page_and_the_workspace(area_tree):
    cache.clear()
    assert demo.load_crime_demo() == {"skipped": "load the core demo first (byconsent demo)"}
    ward = Area.objects.create(code=demo.WARD, name="Morningside", level=Area.Level.NEIGHBOURHOOD,
                               parent=area_tree["north_town"], zone_codes=["S01008514", "S01008515", "S01008516"])
    admin = quick_user("admin@demo.byconsent.test", Role.ADMINISTRATOR, area_tree["force"])
    first = demo.load_crime_demo()
    assert first["added"] == first["rows read"] > 0 and first["already held"] == 0
    assert demo.load_crime_demo() == {"skipped": "already loaded"}
    CrimeRecord.objects.filter(month=max(CrimeRecord.objects.values_list("month", flat=True))).delete()
    left = CrimeRecord.objects.count()
    assert demo.load_crime_demo() == {"rows read": first["rows read"], "added": first["rows read"] - left,
                                      "already held": left}
    months = demo.demo_months(timezone.localdate())
    assert CrimeRecord.objects.filter(area=ward).count() == first["rows read"]
    table = selectors.crime_table(ward)
    assert table is not None and table.months == months and table.source == demo.FORCE_NAME
    summary = insights.crime_summary(admin, area_tree["north"])
    assert summary.months == months and sum(summary.totals.values()) == first["rows read"]
