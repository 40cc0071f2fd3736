"""Pure helpers for recruitment and quotas: parse the uploaded CSV files, draw addresses, census shares to quotas.

No database access here, so the rules are easy to test and to explain. The draw is re-derivable by anyone with the
address list and the seed: within each area, addresses are ranked by SHA-256("<seed>:<line number>") and the
lowest-ranked are invited.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

MAX_ADDRESSES = 200_000
SHARE_SUM_TOLERANCE = 0.02
T = TypeVar("T")


@dataclass(frozen=True)
class AddressRow:
    line_number: int
    address: str
    postcode: str
    area: str


@dataclass
class Parsed(Generic[T]):
    rows: list[T] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _reader(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, row) for row in reader]
    rows = [(n, row) for n, row in rows if any(cell.strip() for cell in row) and not row[0].startswith("#")]
    if not rows:
        return [], []
    return [cell.strip().lower() for cell in rows[0][1]], rows[1:]


def parse_address_csv(text: str) -> Parsed[AddressRow]:
    """Columns `address` (required), `postcode` (optional), `area` (required: the stratum the draw is made in).

    Every bad line is reported with its line number; the caller writes nothing unless there are no errors.
    """
    parsed: Parsed[AddressRow] = Parsed()
    try:
        header, rows = _reader(text)
    except csv.Error as error:
        parsed.errors.append(f"The file is not valid CSV: {error}")
        return parsed
    if not header:
        parsed.errors.append("The file is empty.")
        return parsed
    missing = [name for name in ("address", "area") if name not in header]
    if missing:
        parsed.errors.append(f"Line 1: the header needs the column(s) {', '.join(missing)} "
                             f"(found {', '.join(header)}).")
        return parsed
    index = {name: header.index(name) for name in header}
    seen: dict[tuple[str, str], int] = {}
    for line, row in rows:
        cells = [cell.strip() for cell in row] + [""] * len(header)
        address = " ".join(cells[index["address"]].split())
        area = cells[index["area"]]
        postcode = cells[index["postcode"]].upper().replace(" ", "") if "postcode" in index else ""
        if not address:
            parsed.errors.append(f"Line {line}: the address is empty.")
            continue
        if not area:
            parsed.errors.append(f"Line {line}: the area is empty.")
            continue
        if len(postcode) > 8:
            parsed.errors.append(f"Line {line}: '{postcode}' is not a postcode.")
            continue
        key = (address.lower(), postcode)
        if key in seen:
            parsed.errors.append(f"Line {line}: the same address as line {seen[key]}.")
            continue
        seen[key] = line
        parsed.rows.append(AddressRow(line, address, postcode, area))
    if len(parsed.rows) > MAX_ADDRESSES:
        parsed.errors.append(f"The file has {len(parsed.rows)} addresses; the most one round takes is {MAX_ADDRESSES}.")
    if not parsed.rows and not parsed.errors:
        parsed.errors.append("The file has a header but no addresses.")
    return parsed


def parse_oversample(text: str, areas: set[str]) -> tuple[dict[str, float], list[str]]:
    """Lines of `area = factor` (e.g. `Northtown = 2`): invite that area at `factor` times its fair share."""
    factors: dict[str, float] = {}
    errors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if "=" not in line:
            errors.append(f"Line {number}: write 'area = factor', for example 'Northtown = 2'.")
            continue
        area, _, value = (part.strip() for part in line.partition("="))
        if area not in areas:
            errors.append(f"Line {number}: '{area}' is not an area in the address list.")
            continue
        try:
            factor = float(value)
        except ValueError:
            errors.append(f"Line {number}: '{value}' is not a number.")
            continue
        if not 0 < factor <= 20:
            errors.append(f"Line {number}: the factor must be more than 0 and at most 20.")
            continue
        factors[area] = factor
    return factors, errors


def draw_rank(seed: str, line_number: int) -> str:
    return hashlib.sha256(f"{seed}:{line_number}".encode()).hexdigest()


def allocate(counts: Mapping[str, int], sample_size: int, oversample: Mapping[str, float]) -> dict[str, int]:
    """Invitations per area: proportional to addresses x factor, largest remainder, never more than an area has."""
    remaining = min(sample_size, sum(counts.values()))
    allocation = dict.fromkeys(counts, 0)
    open_areas = {area for area, n in counts.items() if n > 0}
    while remaining > 0 and open_areas:
        weights = {area: (counts[area] - allocation[area]) * oversample.get(area, 1.0) for area in open_areas}
        total = sum(weights.values())
        shares = {area: remaining * weights[area] / total for area in open_areas}
        floors = {area: min(math.floor(shares[area]), counts[area] - allocation[area]) for area in open_areas}
        given = sum(floors.values())
        order = sorted(open_areas, key=lambda a: (-(shares[a] - math.floor(shares[a])), a))
        for area in order:
            if given >= remaining:
                break
            if floors[area] < counts[area] - allocation[area]:
                floors[area] += 1
                given += 1
        for area, extra in floors.items():
            allocation[area] += extra
        remaining -= given
        open_areas = {area for area in open_areas if allocation[area] < counts[area]}
        if given == 0:
            break
    return allocation


def draw_addresses(rows: list[AddressRow], sample_size: int, oversample: Mapping[str, float],
                   seed: str) -> tuple[set[int], dict[str, dict[str, float]]]:
    """(line numbers drawn, per-area record {"addresses", "factor", "drawn"})."""
    by_area: dict[str, list[AddressRow]] = defaultdict(list)
    for row in rows:
        by_area[row.area].append(row)
    counts = {area: len(items) for area, items in by_area.items()}
    allocation = allocate(counts, sample_size, oversample)
    drawn: set[int] = set()
    for area, items in by_area.items():
        ranked = sorted(items, key=lambda row: draw_rank(seed, row.line_number))
        drawn.update(row.line_number for row in ranked[: allocation[area]])
    record = {area: {"addresses": counts[area], "factor": oversample.get(area, 1.0), "drawn": allocation[area]}
              for area in sorted(by_area)}
    return drawn, record


@dataclass(frozen=True)
class ShareRow:
    line_number: int
    category: str
    value: str
    share: float


def parse_census_shares(text: str) -> Parsed[ShareRow]:
    """`category,value,share` with shares as fractions (0.51) or percentages (51%); each category must add to 1."""
    parsed: Parsed[ShareRow] = Parsed()
    try:
        header, rows = _reader(text)
    except csv.Error as error:
        parsed.errors.append(f"The text is not valid CSV: {error}")
        return parsed
    if header[:3] != ["category", "value", "share"]:
        parsed.errors.append("Line 1: the header must be 'category,value,share'.")
        return parsed
    seen: set[tuple[str, str]] = set()
    for line, row in rows:
        cells = [cell.strip() for cell in row] + ["", "", ""]
        category, value, share_text = cells[0], cells[1], cells[2]
        if not category or not value:
            parsed.errors.append(f"Line {line}: the category and the value are both needed.")
            continue
        try:
            share = float(share_text.rstrip("%")) / (100 if share_text.endswith("%") else 1)
        except ValueError:
            parsed.errors.append(f"Line {line}: '{share_text}' is not a number.")
            continue
        if not 0 <= share <= 1:
            parsed.errors.append(f"Line {line}: a share must be between 0 and 1 (or 0% and 100%).")
            continue
        if (category, value) in seen:
            parsed.errors.append(f"Line {line}: {category}={value} is listed twice.")
            continue
        seen.add((category, value))
        parsed.rows.append(ShareRow(line, category, value, share))
    totals: dict[str, float] = defaultdict(float)
    for share_row in parsed.rows:
        totals[share_row.category] += share_row.share
    for category, total in totals.items():
        if abs(total - 1) > SHARE_SUM_TOLERANCE:
            parsed.errors.append(f"The shares for '{category}' add up to {total:.3f}, not 1.")
    if not parsed.rows and not parsed.errors:
        parsed.errors.append("Enter at least one line after the header.")
    return parsed


@dataclass(frozen=True)
class QuotaBounds:
    category: str
    value: str
    target: float
    minimum: int
    maximum: int


def quotas_from_shares(shares: list[tuple[str, str, float]], panel_size: int, tolerance: int) -> list[QuotaBounds]:
    """Target = share x panel size; minimum = floor(target - tolerance), maximum = ceil(target + tolerance), kept
    within [0, panel size]. A zero share gives a [0, 0] quota only when the tolerance is 0."""
    quotas = []
    for category, value, share in shares:
        target = share * panel_size
        low = max(0, math.floor(target - tolerance + 1e-9))
        high = min(panel_size, math.ceil(target + tolerance - 1e-9))
        quotas.append(QuotaBounds(category, value, round(target, 3), low, max(low, high)))
    return quotas
