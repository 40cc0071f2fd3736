"""Reading and writing data.police.uk formats (no database access here: plain parsing, easy to test).

Street-level crime files are read by ``byconsent.insights.crime`` (the one parser of the platform).

Neighbourhood priorities in the police.uk API shape (``/api/<force>/<neighbourhood>/priorities``):

    [{"issue": "<p>...</p>", "issue-date": "2010-10-28T00:00:00", "action": "<p>...</p>", "action-date": "..."}]
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

PRIORITY_FIELDS = ["issue", "issue-date", "action", "action-date"]


# ---- priorities --------------------------------------------------------------------------------------------------

@dataclass
class PriorityRow:
    issue: str
    issue_date: datetime.date
    action: str
    action_date: datetime.date | None

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.issue_date.isoformat()}|{self.issue.strip()}".encode()).hexdigest()[:32]


@dataclass
class PriorityFile:
    rows: list[PriorityRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _parse_date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    for candidate in (text, text[:10]):
        try:
            return datetime.date.fromisoformat(candidate)
        except ValueError:
            continue
    return None


def _priority(number: str, item: dict[str, Any], result: PriorityFile) -> None:
    issue = str(item.get("issue") or "").strip()
    action = str(item.get("action") or "").strip()
    issue_date = _parse_date(item.get("issue-date"))
    action_date = _parse_date(item.get("action-date"))
    problems = []
    if not issue:
        problems.append("'issue' is empty")
    if issue_date is None:
        problems.append(f"'issue-date' {item.get('issue-date')!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)")
    if item.get("action-date") not in (None, "") and action_date is None:
        problems.append(f"'action-date' {item.get('action-date')!r} is not a date")
    if problems:
        result.errors.append(f"{number}: " + "; ".join(problems))
        return
    assert issue_date is not None
    result.rows.append(PriorityRow(issue, issue_date, action, action_date))


def read_priorities(text: str) -> PriorityFile:
    """Priorities from police.uk API JSON (a list of objects) or a CSV with the same four column names."""
    result = PriorityFile()
    stripped = text.lstrip("\ufeff").strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as error:
            result.errors.append(f"Line {error.lineno}: the JSON cannot be read ({error.msg})")
            return result
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                result.errors.append(f"Item {index}: expected an object with issue, issue-date, action, action-date")
                continue
            _priority(f"Item {index}", item, result)
        return result
    reader = csv.DictReader(io.StringIO(stripped))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if "issue" not in header or "issue-date" not in header:
        result.errors.append("Line 1: expected police.uk priorities JSON, or a CSV with the columns issue, "
                             "issue-date, action, action-date")
        return result
    reader.fieldnames = header
    for line, row in enumerate(reader, start=2):
        if not any((value or "").strip() for value in row.values()):
            continue
        _priority(f"Line {line}", row, result)
    return result


def priorities_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The police.uk API shape: dates as YYYY-MM-DDT00:00:00, null when missing."""

    def stamp(value: datetime.date | None) -> str | None:
        return f"{value.isoformat()}T00:00:00" if value else None

    return [{"issue": row["issue"], "issue-date": stamp(row["issue_date"]), "action": row["action"] or None,
             "action-date": stamp(row["action_date"])} for row in rows]
