"""Reading data.police.uk street-level crime CSVs (``YYYY-MM-<force>-street.csv``).

Columns: Crime ID, Month, Reported by, Falls within, Longitude, Latitude, Location, LSOA code, LSOA name,
Crime type, Last outcome category, Context. Anti-social behaviour rows have no Crime ID; "No Location" rows have
no coordinates and no LSOA. Both are valid. A line that cannot be read is reported with its line number.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date

REQUIRED_COLUMNS = ("Month", "Crime type")
KNOWN_COLUMNS = ("Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                 "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context")


@dataclass(frozen=True)
class CrimeRow:
    line: int
    fingerprint: str
    crime_id: str
    month: date
    reported_by: str
    falls_within: str
    longitude: float | None
    latitude: float | None
    location: str
    lsoa_code: str
    lsoa_name: str
    crime_type: str
    last_outcome: str


@dataclass
class ParsedCrimes:
    rows: list[CrimeRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lines_read: int = 0


def parse_street_csv(text: str) -> ParsedCrimes:
    result = ParsedCrimes()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        result.errors.append(f"Line 1: missing column(s) {', '.join(missing)}; is this a data.police.uk street file?")
        return result
    occurrences: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in raw.items() if key is not None}
        if not any(row.values()):
            continue
        result.lines_read += 1
        problems: list[str] = []
        month = _month(row.get("Month", ""))
        if month is None:
            problems.append(f"month {row.get('Month', '')!r} is not YYYY-MM")
        crime_type = row.get("Crime type", "")
        if not crime_type:
            problems.append("no crime type")
        longitude = _coordinate(row.get("Longitude", ""), -180, 180)
        latitude = _coordinate(row.get("Latitude", ""), -90, 90)
        if longitude is False or latitude is False:
            problems.append("longitude/latitude are not valid numbers")
        if problems:
            result.errors.append(f"Line {line}: " + "; ".join(problems))
            continue
        content = "\x1f".join(row.get(name, "") for name in KNOWN_COLUMNS)
        occurrences[content] = occurrences.get(content, 0) + 1
        # Identical rows are legitimate (two ASB reports on one street in a month): the occurrence number keeps
        # them apart, while the same file imported twice produces the same fingerprints.
        fingerprint = hashlib.sha256(f"{content}\x1e{occurrences[content]}".encode()).hexdigest()
        result.rows.append(CrimeRow(
            line=line, fingerprint=fingerprint, crime_id=row.get("Crime ID", ""), month=month,  # type: ignore[arg-type]
            reported_by=row.get("Reported by", ""), falls_within=row.get("Falls within", ""),
            longitude=_number(longitude), latitude=_number(latitude),
            location=row.get("Location", ""), lsoa_code=row.get("LSOA code", ""),
            lsoa_name=row.get("LSOA name", ""), crime_type=crime_type,
            last_outcome=row.get("Last outcome category", ""),
        ))
    return result


def _month(value: str) -> date | None:
    try:
        year, month = value.split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, TypeError):
        return None


def _number(value: float | bool | None) -> float | None:
    return value if isinstance(value, float) else None


def _coordinate(value: str, low: float, high: float) -> float | bool | None:
    """None when blank, False when invalid."""
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        return False
    return number if low <= number <= high else False
