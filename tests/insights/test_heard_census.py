"""Who we heard from against a real census table: Census 2011 ethnic group for the districts of one police force
area (Nomis QS201EW shape, from /work/shared/domain-data; skipped when absent)."""

from __future__ import annotations

import csv
from typing import Any

import pytest

from byconsent.insights import heard, services
from tests.shared_data import shared_path


def test_people_register_labels_against_a_real_english_census_table(analyst: Any, area_tree: dict[str, Any]) -> None:
    path = shared_path("domain-data", "lad16_to_pfa16_with_census2011_ethnic_group.csv")
    text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    force = rows[0]["PFA16NM"]
    districts = [row["geography"] for row in rows if row["PFA16NM"] == force]
    area = area_tree["north"]
    area.zone_codes = districts  # this file names districts rather than coding them
    area.save()
    targets = services.targets_from_census(text, "Ethnic Group", area)
    table = services.save_targets(analyst, name=f"Census 2011 ethnic group, {force}", area=area, targets=targets,
                                  source="census: QS201EW")
    shares = table.targets["Ethnic Group"]
    assert sum(shares.values()) == pytest.approx(1.0) and shares["White"] > 0.9

    # Labels as the people register writes them (Scotland's Census wording) against the English table's groups
    # (White, Mixed, Asian, Black, Other): White matches, "Mixed or multiple ethnic groups" and "Asian, Asian
    # Scottish or Asian British" are matched by their first word and said so, "Caribbean or Black" is listed.
    values = (["White"] * 150 + ["Mixed or multiple ethnic groups"] * 12
              + ["Asian, Asian Scottish or Asian British"] * 15 + ["Caribbean or Black"] * 11 + [None] * 12)
    result = heard.compare(heard.Participants("People register", len(values), {"ethnicity": values}),
                           [(table.name, table.targets)], threshold=10)
    ethnic = result["characteristics"][0]
    assert ethnic["key"] == "ethnicity" and ethnic["unmatched_labels"] == ["Caribbean or Black"]
    assert ethnic["loosely_matched"] == [["Asian, Asian Scottish or Asian British", "Asian"],
                                         ["Mixed or multiple ethnic groups", "Mixed"]]
    white = next(g for g in ethnic["groups"] if g["group"] == "White")
    if white["count"] is not None and ethnic["compared"] is not None:
        assert white["ratio"] == pytest.approx((150 / ethnic["compared"]) / shares["White"])
    assert ethnic["not_given"] == 12 and ethnic["unmatched"] == 11
    assert ethnic["index"] is None or 0 < ethnic["index"] <= 1
