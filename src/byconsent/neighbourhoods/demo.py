"""Demo crime figures for `byconsent demo`: six months of street-level rows in the data.police.uk shape for the demo
ward, imported through the one street crime import (``insights.services.import_street_crime``), so the public
neighbourhood page and the analysis workspace's crime page both have figures.

Police Scotland does not publish on data.police.uk, so these rows are MADE UP (seeded, so loading twice changes
nothing) and say so in their force name.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from typing import Any

from django.utils import timezone

from byconsent.core.models import Area, User

WARD = "S13002928"  # Morningside, the ward the other demo content uses
FORCE_NAME = "Police Scotland (made-up demo figures)"
TYPES = [("Anti-social behaviour", 30), ("Violence and sexual offences", 22), ("Other theft", 14),
         ("Shoplifting", 10), ("Criminal damage and arson", 8), ("Burglary", 6), ("Vehicle crime", 5),
         ("Public order", 5), ("Bicycle theft", 3), ("Drugs", 3), ("Robbery", 1)]
OUTCOMES = ["Investigation complete; no suspect identified", "Under investigation", "Local resolution",
            "Status update unavailable"]
COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
           "LSOA name", "Crime type", "Last outcome category", "Context"]


def demo_months(today: datetime.date, count: int = 6) -> list[datetime.date]:
    """The `count` complete months before today, oldest first (police.uk publishes a month or two behind)."""
    month = today.replace(day=1)
    months = []
    for _ in range(count):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        months.append(month)
    return sorted(months)


def demo_crime_csv(zones: list[str], months: list[datetime.date]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for month in months:
        rng = random.Random(f"{WARD}:{month:%Y-%m}")  # made-up demo figures: not security
        for crime_type, weight in TYPES:
            for number in range(max(0, round(rng.gauss(weight, weight ** 0.5)))):
                asb = crime_type == "Anti-social behaviour"
                crime_id = "" if asb else f"demo-{month:%Y%m}-{crime_type[:3].lower()}-{number}"
                zone = rng.choice(zones)
                writer.writerow([crime_id, f"{month:%Y-%m}", FORCE_NAME, FORCE_NAME,
                                 f"{-3.21 + rng.uniform(-0.01, 0.01):.6f}", f"{55.93 + rng.uniform(-0.01, 0.01):.6f}",
                                 "On or near a demo street", zone, "Morningside", crime_type,
                                 "" if asb else rng.choice(OUTCOMES), ""])
    return out.getvalue()


def latest_crime_months_held() -> set[tuple[datetime.date, str]]:
    from byconsent.neighbourhoods.selectors import crime_figures_held

    return {(month, force) for force, month in crime_figures_held()}


def load_crime_demo() -> dict[str, Any]:
    """Idempotent: skipped when the latest demo month is held; otherwise the rows are the same on every run and an
    import replaces a month rather than adding to it."""
    from byconsent.insights import services as insights

    ward = Area.objects.filter(code=WARD).first()
    admin = User.objects.filter(email="admin@demo.byconsent.test").first()
    if ward is None or admin is None or not ward.zone_codes:
        return {"skipped": "load the core demo first (byconsent demo)"}
    months = demo_months(timezone.localdate())
    if (months[-1], FORCE_NAME) in latest_crime_months_held():
        return {"skipped": "already loaded"}
    crime_import = insights.import_street_crime(
        admin, file_name=f"{months[-1]:%Y-%m}-demo-street.csv", csv_text=demo_crime_csv(list(ward.zone_codes), months),
        area=ward)
    return {"rows read": crime_import.rows_read, "added": crime_import.rows_imported,
            "already held": crime_import.rows_already_present}
