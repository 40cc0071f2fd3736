"""Reading data.police.uk street-level crime CSVs (``YYYY-MM-<force>-street.csv``): the one parser of ByConsent.
No database access here: plain parsing, easy to test. Imports (``insights.services``) store what it returns.

Columns (https://data.police.uk/about/#columns): Crime ID, Month, Reported by, Falls within, Longitude, Latitude,
Location, LSOA code, LSOA name, Crime type, Last outcome category, Context.

- Anti-social behaviour rows have no Crime ID (and no outcome): valid.
- Rows that could not be placed on the map say "No Location" and have no coordinates and no LSOA code: valid.
- Month is YYYY-MM. LSOA codes are English/Welsh LSOAs (2011 or 2021, depending on the release); Scottish data
  zones use the same column where they are published.
- A line that cannot be read (month not YYYY-MM, no crime type, no force, bad coordinates) is reported with its
  line number; the other lines are still returned.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date

REQUIRED_COLUMNS = ("Month", "Falls within", "LSOA code", "Crime type")
KNOWN_COLUMNS = ("Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                 "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


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

    @property
    def force(self) -> str:
        """The force whose file this row comes from: a re-published month replaces that force's rows."""
        return self.falls_within


@dataclass
class ParsedCrimes:
    rows: list[CrimeRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lines_read: int = 0

    @property
    def without_location(self) -> int:
        return sum(1 for row in self.rows if not row.lsoa_code)

    @property
    def without_crime_id(self) -> int:
        return sum(1 for row in self.rows if not row.crime_id)

    @property
    def months(self) -> list[date]:
        return sorted({row.month for row in self.rows})

    @property
    def forces(self) -> list[str]:
        return sorted({row.force for row in self.rows})


def parse_street_csv(text: str) -> ParsedCrimes:
    """Every readable row, with a fingerprint (its content and its occurrence number in the file), and every
    unreadable line by number."""
    result = ParsedCrimes()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(name or "").strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        result.errors.append(f"Line 1: this is not a data.police.uk street-level crime file; missing column(s): "
                             f"{', '.join(missing)}")
        return result
    occurrences: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        row = {key.strip(): (value or "").strip() for key, value in raw.items() if isinstance(key, str)}
        if not any(row.values()):
            continue
        result.lines_read += 1
        problems: list[str] = []
        month = parse_month(row.get("Month", ""))
        if month is None:
            problems.append(f"month {row.get('Month', '')!r} is not YYYY-MM")
        crime_type = row.get("Crime type", "")
        if not crime_type:
            problems.append("no crime type")
        falls_within = row.get("Falls within", "") or row.get("Reported by", "")
        if not falls_within:
            problems.append("'Falls within' is empty")
        longitude = _coordinate(row.get("Longitude", ""), -180, 180)
        latitude = _coordinate(row.get("Latitude", ""), -90, 90)
        if longitude is False or latitude is False:
            problems.append("longitude/latitude are not valid numbers")
        if problems or month is None:
            result.errors.append(f"Line {line}: " + "; ".join(problems))
            continue
        content = "\x1f".join(row.get(name, "") for name in KNOWN_COLUMNS)
        occurrences[content] = occurrences.get(content, 0) + 1
        # Identical rows are legitimate (two ASB reports on one street in a month): the occurrence number keeps
        # them apart, while the same file imported twice produces the same fingerprints.
        fingerprint = hashlib.sha256(f"{content}\x1e{occurrences[content]}".encode()).hexdigest()
        result.rows.append(CrimeRow(
            line=line, fingerprint=fingerprint, crime_id=row.get("Crime ID", ""), month=month,
            reported_by=row.get("Reported by", ""), falls_within=falls_within,
            longitude=_number(longitude), latitude=_number(latitude),
            location=row.get("Location", ""), lsoa_code=row.get("LSOA code", "").upper(),
            lsoa_name=row.get("LSOA name", ""), crime_type=crime_type,
            last_outcome=row.get("Last outcome category", ""),
        ))
    if result.lines_read == 0 and not result.errors:
        result.errors.append("The file has no rows")
    return result


def parse_month(value: str) -> date | None:
    """YYYY-MM, and nothing else, as the first day of that month."""
    match = MONTH.match(value.strip())
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
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
