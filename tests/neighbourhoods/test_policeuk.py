"""data.police.uk priorities in the API shape (street-level crime files: tests/insights/test_crime.py)."""

from __future__ import annotations

import json

from byconsent.neighbourhoods import policeuk


def test_priorities_json_round_trip():
    source = [{"issue": "<p>Speeding on Mill Road</p>", "issue-date": "2025-10-28T00:00:00",
               "action": "<p>Weekly speed checks</p>", "action-date": "2025-11-05T00:00:00"},
              {"issue": "<p>Litter</p>", "issue-date": "2025-09-01T00:00:00", "action": None, "action-date": None}]
    parsed = policeuk.read_priorities(json.dumps(source))
    assert parsed.errors == [] and len(parsed.rows) == 2
    out = policeuk.priorities_json([{"issue": r.issue, "issue_date": r.issue_date, "action": r.action,
                                     "action_date": r.action_date} for r in parsed.rows])
    assert out == source


def test_priorities_csv_and_errors():
    parsed = policeuk.read_priorities("issue,issue-date,action,action-date\nParking,2025-01-02,,\n,2025-01-03,,\n"
                                      "Noise,yesterday,,\n")
    assert [r.issue for r in parsed.rows] == ["Parking"]
    assert parsed.errors == ["Line 3: 'issue' is empty",
                             "Line 4: 'issue-date' 'yesterday' is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)"]
    assert policeuk.read_priorities("[{").errors[0].startswith("Line 1: the JSON cannot be read")
    assert policeuk.read_priorities("a,b\n1,2\n").errors[0].startswith("Line 1: expected police.uk priorities")
