"""The pure rules: address-list parsing with line numbers, the seeded stratified draw, census shares to quotas."""

from __future__ import annotations

from byconsent.panels.recruitment import (
    allocate,
    draw_addresses,
    parse_address_csv,
    parse_census_shares,
    parse_oversample,
    quotas_from_shares,
)
from tests.panels.conftest import address_csv


def test_address_csv_reports_every_bad_line_with_its_number():
    text = "address,postcode,area\n1 A St,AB1 1AA,North\n,AB1 1AB,North\n2 B St,AB1 1AC,\n1 A St,AB1 1AA,North\n"
    parsed = parse_address_csv(text)
    assert parsed.errors == ["Line 3: the address is empty.", "Line 4: the area is empty.",
                             "Line 5: the same address as line 2."]
    assert [row.line_number for row in parsed.rows] == [2]


def test_address_csv_needs_its_columns():
    assert parse_address_csv("street,town\nx,y\n").errors[0].startswith("Line 1: the header needs")
    assert parse_address_csv("").errors == ["The file is empty."]


def test_draw_is_reproducible_per_area_and_oversamples():
    rows = parse_address_csv(address_csv(200)).rows
    first, record = draw_addresses(rows, 30, {"Northtown": 2.0}, "seed-1")
    again, _ = draw_addresses(rows, 30, {"Northtown": 2.0}, "seed-1")
    other, _ = draw_addresses(rows, 30, {"Northtown": 2.0}, "seed-2")
    assert first == again and first != other and len(first) == 30
    assert record["Northtown"] == {"addresses": 100, "factor": 2.0, "drawn": 20}
    assert record["Southtown"]["drawn"] == 10


def test_allocation_never_exceeds_an_area_and_fills_the_sample():
    assert allocate({"a": 3, "b": 100}, 20, {"a": 10}) == {"a": 3, "b": 17}
    assert allocate({"a": 3, "b": 4}, 50, {}) == {"a": 3, "b": 4}


def test_oversample_lines_are_checked():
    factors, errors = parse_oversample("North = 2\nNowhere = 3\nSouth = x\nSouth", {"North", "South"})
    assert factors == {"North": 2.0}
    assert len(errors) == 3 and errors[0].startswith("Line 2")


def test_census_shares_accept_fractions_and_percentages_and_check_sums():
    parsed = parse_census_shares("category,value,share\nsex,F,51%\nsex,M,0.49\n")
    assert not parsed.errors and parsed.rows[0].share == 0.51
    bad = parse_census_shares("category,value,share\nsex,F,0.6\nsex,M,0.6\nage,x,abc\n")
    assert "Line 4: 'abc' is not a number." in bad.errors
    assert "The shares for 'sex' add up to 1.200, not 1." in bad.errors


def test_quotas_from_census_shares_use_the_tolerance():
    quotas = quotas_from_shares([("sex", "F", 0.51), ("sex", "M", 0.49), ("age", "75+", 0.04)], 20, 1)
    by_value = {q.value: (q.minimum, q.maximum, q.target) for q in quotas}
    assert by_value["F"] == (9, 12, 10.2)  # floor(10.2 - 1), ceil(10.2 + 1)
    assert by_value["M"] == (8, 11, 9.8)
    assert by_value["75+"] == (0, 2, 0.8)
    exact = quotas_from_shares([("sex", "F", 0.5)], 10, 0)
    assert (exact[0].minimum, exact[0].maximum) == (5, 5)
