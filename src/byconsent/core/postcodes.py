"""UK postcode checks and lookup to an area (a full postcode if imported, else its outward code)."""

from __future__ import annotations

import re

from byconsent.core.models import Area, PostcodeArea

# The shape the Royal Mail publishes: outward code (area + district) and inward code (sector + unit).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


def normalise_postcode(value: str) -> str | None:
    """Upper case, no spaces; None unless it is a full postcode or an outward code."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if _POSTCODE.match(compact) or _OUTWARD.match(compact):
        return compact
    return None


def outward_code(postcode: str) -> str:
    match = _POSTCODE.match(postcode)
    return match.group(1) if match else postcode


def find_area(postcode: str) -> Area | None:
    normalised = normalise_postcode(postcode)
    if normalised is None:
        return None
    candidates = [normalised, outward_code(normalised)]
    # One query for both; the full postcode, when it is imported, wins over its outward code.
    found = {row.postcode: row.area for row in
             PostcodeArea.objects.select_related("area").filter(postcode__in=candidates)}
    return next((found[candidate] for candidate in candidates if candidate in found), None)
