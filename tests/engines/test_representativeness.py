"""Representativeness: ratios with intervals, an index that survives an absent group, ranking, census reading."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from byconsent.engines import representativeness as r
from tests.shared_data import shared_path

POPULATION = {
    "age": {"16-34": 3000.0, "35-64": 5000.0, "65+": 2000.0},
    "sex": {"Female": 5100.0, "Male": 4900.0},
}


def _participants(rng: np.random.Generator, n: int, age_shares: list[float], female: float) -> dict[str, list[str]]:
    return {
        "age": list(rng.choice(["16-34", "35-64", "65+"], size=n, p=age_shares)),
        "sex": list(rng.choice(["Female", "Male"], size=n, p=[female, 1 - female])),
    }


# ---------------------------------------------------------------------------------------------------- statistics


def test_wilson_interval_contains_the_share_and_stays_in_bounds() -> None:
    low, high = r.wilson_interval(0, 40)
    assert low == 0.0
    assert 0.0 < high < 0.15
    low, high = r.wilson_interval(40, 40)
    assert 0.85 < low < 1.0
    assert high == 1.0
    low, high = r.wilson_interval(30, 100)
    assert low < 0.3 < high
    assert r.wilson_interval(30, 100, 0.99)[0] < low  # more confidence, wider interval


def test_wilson_interval_covers_about_95_percent() -> None:
    rng = np.random.default_rng(31)
    hits = 0
    for successes in rng.binomial(80, 0.12, size=400):
        low, high = r.wilson_interval(int(successes), 80)
        hits += low <= 0.12 <= high
    assert 0.92 <= hits / 400 <= 0.99


def test_hellinger_index_is_one_for_a_match_and_falls_with_the_mismatch() -> None:
    population = [0.3, 0.5, 0.2]
    assert r.hellinger_index(population, population) == pytest.approx(1.0)
    slight = r.hellinger_index([0.32, 0.48, 0.2], population)
    strong = r.hellinger_index([0.1, 0.5, 0.4], population)
    assert 1.0 > slight > strong > 0.0
    assert r.hellinger_index([1.0, 0.0], [0.0, 1.0]) == pytest.approx(0.0)


# ---------------------------------------------------------------------------------------------------- comparing


def test_ratios_compare_participant_and_population_shares() -> None:
    comparison = r.compare_characteristic("age", {"16-34": 12, "35-64": 53, "65+": 35}, POPULATION["age"])
    by_category = {group.category: group for group in comparison.groups}
    young = by_category["16-34"]
    assert young.ratio == pytest.approx(0.12 / 0.30)
    assert young.ratio_low < young.ratio < young.ratio_high
    assert young.clearly_under_heard
    assert young.shortfall == pytest.approx(0.30 * 100 - 12)
    assert by_category["65+"].ratio == pytest.approx(1.75)
    assert by_category["65+"].clearly_over_heard
    middle = by_category["35-64"]
    assert middle.ratio_low < 1.0 < middle.ratio_high
    assert not middle.clearly_under_heard and not middle.clearly_over_heard
    assert comparison.participants == 100


def test_index_does_not_collapse_when_one_group_is_absent() -> None:
    population = {"a": 450.0, "b": 450.0, "c": 100.0}
    missed_small = r.compare_characteristic("g", {"a": 50, "b": 50}, population)
    missed_large = r.compare_characteristic("g", {"b": 90, "c": 10}, population)
    absent = next(group for group in missed_small.groups if group.category == "c")
    assert absent.participants == 0
    assert absent.ratio == 0.0
    assert absent.ratio_high > 0.0  # zero participants is still compatible with a small positive share
    assert 0.5 < missed_small.index < 1.0
    assert missed_large.index < missed_small.index


def test_assess_covers_characteristics_jointly_and_ranks_the_under_heard() -> None:
    rng = np.random.default_rng(5)
    participants = _participants(rng, 400, [0.10, 0.55, 0.35], female=0.52)
    joint_population = {
        ("age", "sex"): {
            (age, sex): POPULATION["age"][age] * POPULATION["sex"][sex] / 10_000
            for age in POPULATION["age"]
            for sex in POPULATION["sex"]
        }
    }
    report = r.assess(participants, POPULATION, joint_population=joint_population)
    assert [c.characteristic for c in report.characteristics] == ["age", "sex"]
    assert report.average_index == pytest.approx(sum(c.index for c in report.characteristics) / 2)
    sex_index = report.characteristics[1].index
    age_index = report.characteristics[0].index
    assert sex_index > age_index  # sex matches closely; age under-samples the young
    joint = report.joint[0]
    assert joint.characteristic == f"age{r.JOINT_SEPARATOR}sex"
    assert len(joint.groups) == 6
    assert sum(g.participants for g in joint.groups) == 400
    first = report.under_heard[0]
    assert first.category.startswith("16-34")
    assert first.clearly_under_heard
    ratios = [g.ratio for g in report.under_heard]
    assert ratios == sorted(ratios)
    assert all(g.ratio < 1 for g in report.under_heard)


def test_index_benchmark_separates_small_samples_from_unrepresentative_ones() -> None:
    population = {f"g{i}": 100.0 for i in range(12)}
    fair_small = r.compare_characteristic("g", {f"g{i}": 2 + (i % 3) for i in range(12)}, population)
    skewed_large = r.compare_characteristic("g", {f"g{i}": 10 + 40 * (i < 4) for i in range(12)}, population)
    small = r.index_benchmark(fair_small, replicates=1000, seed=1)
    large = r.index_benchmark(skewed_large, replicates=1000, seed=1)
    # A fair sample of 36 people cannot score 1 by chance alone; its index is within the representative range.
    assert small.representative_median < 0.97
    assert small.observed >= small.representative_low
    # 280 people with four groups heard five times as much: well below what chance would give.
    assert large.observed < large.representative_low
    assert large.interval_low <= large.observed <= large.interval_high
    assert large.representative_median > small.representative_median  # more people, closer to 1 by chance
    assert r.index_benchmark(skewed_large, replicates=1000, seed=1) == large  # seeded, reproducible


def test_undisclosed_values_are_left_out_of_that_characteristic_only() -> None:
    participants = {"age": ["16-34", None, "65+", ""], "sex": ["Female", "Male", None, "Male"]}
    report = r.assess(participants, POPULATION, joint_population={("age", "sex"): {("16-34", "Female"): 1.0}})
    assert report.characteristics[0].participants == 2
    assert report.characteristics[1].participants == 3
    assert report.joint[0].participants == 1


def test_unknown_participant_category_and_bad_population_are_errors() -> None:
    with pytest.raises(r.RepresentativenessError, match="'Other'"):
        r.compare_characteristic("sex", {"Female": 3, "Other": 1}, POPULATION["sex"])
    with pytest.raises(r.RepresentativenessError, match="add up to zero"):
        r.compare_characteristic("sex", {"Female": 3}, {"Female": 0.0, "Male": 0.0})
    with pytest.raises(r.RepresentativenessError, match="no participant column"):
        r.assess({"age": ["16-34"]}, POPULATION)


def test_group_absent_from_the_population_is_not_ranked() -> None:
    comparison = r.compare_characteristic("g", {"a": 5, "b": 5}, {"a": 10.0, "b": 0.0, "c": 10.0})
    by_category = {group.category: group for group in comparison.groups}
    assert math.isinf(by_category["b"].ratio)
    assert math.isnan(r.compare_characteristic("g", {"a": 5}, {"a": 1.0, "b": 0.0}).groups[1].ratio)
    assert [g.category for g in r.rank_under_heard([comparison])] == ["c"]


# ---------------------------------------------------------------------------------------------------- census files


def test_reads_the_ons_bulk_shape_from_real_census_2021_rows() -> None:
    path = shared_path("domain-data", "census2021-ts001-lsoa_subset.csv")
    table = r.read_census_csv(path)
    assert table.source_format == "ons"
    assert table.characteristic == "Residence type"
    assert table.categories == ["Lives in a household", "Lives in a communal establishment"]
    with path.open(newline="", encoding="utf-8") as handle:
        raw = list(csv.DictReader(handle))
    assert len(table.counts) == len(raw)
    for row in raw[:50]:
        code = row["geography code"]
        assert table.area_names[code] == row["geography"]
        assert table.totals[code] == float(row["Residence type: Total; measures: Value"])
        assert sum(table.counts[code].values()) == table.totals[code]  # the categories partition the total


def test_reads_hierarchical_ethnic_groups_at_one_level_and_sums_a_police_force_area() -> None:
    path = shared_path("domain-data", "lad16_to_pfa16_with_census2011_ethnic_group.csv")
    top = r.read_census_csv(path)
    detailed = r.read_census_csv(path, level=2)
    assert top.characteristic == "Ethnic Group"
    assert "White" in top.categories and "White: Irish" not in top.categories
    assert "White: Irish" in detailed.categories and "White" not in detailed.categories
    for area, total in top.totals.items():
        assert sum(top.counts[area].values()) == pytest.approx(total)
        assert sum(detailed.counts[area].values()) == pytest.approx(total)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    force = rows[0]["PFA16NM"]
    districts = [row["geography"] for row in rows if row["PFA16NM"] == force]
    population = top.population(districts)
    assert sum(population.values()) == pytest.approx(sum(top.totals[d] for d in districts))
    # A comparison against real denominators: a sample drawn in proportion should look representative.
    rng = np.random.default_rng(1)
    shares = np.array(list(population.values())) / sum(population.values())
    draws = rng.choice(list(population), size=2000, p=shares)
    comparison = r.compare_characteristic("ethnic group", r.count_values(list(draws)), population)
    assert comparison.index > 0.95


def test_reads_scotland_bulk_shape_with_preamble_dashes_and_footnotes(tmp_path: Path) -> None:
    path = tmp_path / "KS201SC.csv"
    path.write_text(
        "Table KS201SC - Ethnic group\n"
        "All people\n"
        ',All people,White,White: Scottish,White: Other British,"Asian, Asian Scottish or Asian British",Other\n'
        'S12000033,"222,793",204087,"170,003",34084,"13,321",5385\n'
        "S12000034,261960,255412,230000,25412,-,6548\n"
        "Notes: '-' means zero\n",
        encoding="utf-8",
    )
    table = r.read_census_csv(path)
    assert table.source_format == "scotland"
    assert table.characteristic == "KS201SC"
    assert table.categories == ["White", "Asian, Asian Scottish or Asian British", "Other"]
    assert table.counts["S12000033"]["Asian, Asian Scottish or Asian British"] == 13321.0
    assert table.counts["S12000034"]["Asian, Asian Scottish or Asian British"] == 0.0
    assert table.totals["S12000033"] == 222793.0
    assert sorted(table.counts) == ["S12000033", "S12000034"]
    detailed = r.read_census_csv(path, level=2)
    assert detailed.categories == ["White: Scottish", "White: Other British"]


def test_reads_any_csv_with_a_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "ages.csv"
    path.write_text("ward,young,middle,old,notes\nW1,10,20,5,x\nW2,1,2,3,y\n", encoding="utf-8")
    table = r.read_census_csv(
        path,
        area_column="ward",
        columns={"young": "16-34", "middle": "35-64", "old": "65+"},
        characteristic="age",
    )
    assert table.source_format == "mapped"
    assert table.population() == {"16-34": 11.0, "35-64": 22.0, "65+": 8.0}
    assert table.population(["W2"]) == {"16-34": 1.0, "35-64": 2.0, "65+": 3.0}
    with pytest.raises(r.RepresentativenessError, match="areas not in the census table"):
        table.population(["W9"])


def test_census_reader_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        '"date","geography","geography code","Sex: Female; measures: Value"\n"2021","A","E01000001",n/a\n',
        encoding="utf-8",
    )
    with pytest.raises(r.RepresentativenessError, match="non-numeric count 'n/a'"):
        r.read_census_csv(bad)
    mapped = tmp_path / "mapped.csv"
    mapped.write_text("area,x\nA,1\n", encoding="utf-8")
    with pytest.raises(r.RepresentativenessError, match="missing column"):
        r.read_census_csv(mapped, area_column="area", columns={"y": "Y"}, characteristic="c")
    two = tmp_path / "two.csv"
    two.write_text(
        '"geography code","Sex: Female; measures: Value","Age: Old; measures: Value"\n"E01000001",1,2\n',
        encoding="utf-8",
    )
    with pytest.raises(r.RepresentativenessError, match="several variables"):
        r.read_census_csv(two)
    assert r.read_census_csv(two, characteristic="Age").categories == ["Old"]
