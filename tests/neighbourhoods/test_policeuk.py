"""data.police.uk formats: the real street-level crime file and the priorities API shape."""

from __future__ import annotations

import datetime
import json

from byconsent.neighbourhoods import policeuk
from tests.shared_data import shared_path

JANUARY = datetime.date(2022, 1, 1)


def test_reads_the_real_city_of_london_file():
    text = shared_path("domain-data", "police-uk_2022-01-city-of-london-street.csv").read_text(encoding="utf-8")
    result = policeuk.read_crime_csv(text)
    assert result.errors == []
    assert result.rows == 593
    assert result.no_location == 37  # "No Location": no coordinates and no LSOA
    assert result.without_crime_id == 78  # anti-social behaviour has no crime id
    assert result.sources == {"City of London Police"} and result.months == {JANUARY}
    assert sum(result.counts.values()) == 593 - 37
    assert result.counts[("E01032739", JANUARY, "Violence and sexual offences")] == 78
    assert result.counts[("E01032739", JANUARY, "Anti-social behaviour")] == 44


def test_wrong_lines_are_reported_with_their_numbers():
    text = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
            "Last outcome category,Context\n"
            "a,2022-01,X Police,X Police,,,On or near A,E01000001,A,Burglary,,\n"
            "b,January,X Police,X Police,,,On or near A,E01000001,A,Burglary,,\n"
            "c,2022-01,X Police,X Police,,,On or near A,E01000001,A,,,\n")
    result = policeuk.read_crime_csv(text)
    assert result.errors == ["Line 3: month 'January' is not YYYY-MM", "Line 4: the crime type is empty"]


def test_a_file_of_another_kind_is_refused():
    result = policeuk.read_crime_csv("Type,Date,Outcome\nPerson search,2019-06-01,Arrest\n")
    assert result.errors and "missing column(s): Month, Falls within, LSOA code, Crime type" in result.errors[0]


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
