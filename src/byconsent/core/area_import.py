"""Reading an area tree from CSV: every row checked, every problem reported with its line number.

Format (header required): level,code,name,parent_code[,population][,zone_codes][,boundary]
- level: force | division | local_area | neighbourhood
- parent_code: the code of the area one level up (blank for the force); it may appear earlier in the file or
  already exist in the database
- zone_codes: LSOA / data zone codes separated by ";"; boundary: a GeoJSON geometry as JSON text
Lines starting with "#" are comments (used for the licence attribution in fixture files).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from byconsent.core.models import Area

LEVELS = {"force": Area.Level.FORCE, "division": Area.Level.DIVISION, "local_area": Area.Level.LOCAL_AREA,
          "neighbourhood": Area.Level.NEIGHBOURHOOD}
REQUIRED_COLUMNS = ("level", "code", "name", "parent_code")


@dataclass
class AreaRow:
    line: int
    level: int
    code: str
    name: str
    parent_code: str
    population: int | None
    zone_codes: list[str]
    boundary: dict[str, Any] | None


@dataclass
class ParsedAreas:
    rows: list[AreaRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _data_lines(text: str) -> list[tuple[int, str]]:
    return [(number, line) for number, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]


def parse_area_csv(text: str, existing_levels: dict[str, int]) -> ParsedAreas:
    """Parse and validate; `existing_levels` maps codes already in the database to their level."""
    lines = _data_lines(text)
    result = ParsedAreas()
    if not lines:
        result.errors.append("The file is empty.")
        return result
    line_numbers = [number for number, _ in lines]
    reader = csv.DictReader(io.StringIO("\n".join(line for _, line in lines)))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        result.errors.append(f"Line {line_numbers[0]}: missing column(s): {', '.join(missing)}.")
        return result
    known = dict(existing_levels)
    for index, raw in enumerate(reader, start=1):
        row = _parse_row(line_numbers[index], raw, known, result.errors)
        if row is not None:
            known[row.code] = row.level
            result.rows.append(row)
    return result


def _parse_row(line: int, raw: dict[str, str], known: dict[str, int], errors: list[str]) -> AreaRow | None:
    problems: list[str] = []
    level_name = (raw.get("level") or "").strip().lower()
    code = (raw.get("code") or "").strip()
    name = (raw.get("name") or "").strip().replace("\u00a0", " ").strip()
    parent_code = (raw.get("parent_code") or "").strip()
    level = LEVELS.get(level_name)
    if level is None:
        problems.append(f"level must be one of {', '.join(LEVELS)} (got '{level_name}')")
    if not code:
        problems.append("code is empty")
    elif code in known:
        problems.append(f"code {code} appears twice")
    if not name:
        problems.append("name is empty")
    if level is not None and level != Area.Level.FORCE:
        if parent_code not in known:
            problems.append(f"parent {parent_code or '(blank)'} is not a known area")
        elif known[parent_code] != level - 1:
            problems.append(f"parent {parent_code} is not one level above")
    elif level == Area.Level.FORCE and parent_code:
        problems.append("the force has no parent")
    population = _parse_population(raw.get("population"), problems)
    boundary = _parse_boundary(raw.get("boundary"), problems)
    if problems:
        errors.append(f"Line {line}: " + "; ".join(problems) + ".")
        return None
    zones = [z.strip() for z in (raw.get("zone_codes") or "").split(";") if z.strip()]
    return AreaRow(line, int(level), code, name, parent_code, population, zones, boundary)  # type: ignore[arg-type]


def _parse_population(value: str | None, problems: list[str]) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        number = int(value)
    except ValueError:
        problems.append(f"population must be a whole number (got '{value}')")
        return None
    if number < 0:
        problems.append("population cannot be negative")
    return number


def _parse_boundary(value: str | None, problems: list[str]) -> dict[str, Any] | None:
    if value is None or not value.strip():
        return None
    try:
        geometry = json.loads(value)
    except json.JSONDecodeError:
        problems.append("boundary is not valid GeoJSON")
        return None
    if not isinstance(geometry, dict) or "type" not in geometry:
        problems.append("boundary is not a GeoJSON geometry")
        return None
    return geometry
