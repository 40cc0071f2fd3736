"""Disclosure control: every test plays the attacker against the published table.

The attacks here are written independently of the engine: repeated differencing over the table's sums, and the
attacker's linear program solved with scipy's ``linprog`` (the engine uses its own HiGHS models).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from byconsent.engines.disclosure import (
    AdditiveTable,
    DisclosureResult,
    DisclosureSettings,
    audit,
    feasible_intervals,
    linked_area_table,
    one_way_table,
    primary_mask,
    protect,
    protect_one_way,
    protect_two_way,
    two_way_table,
)

THRESHOLD = 10
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Counts skewed towards small numbers, so most tables need real work.
counts = st.one_of(st.integers(0, 12), st.integers(0, 12), st.integers(0, 90))
methods = st.sampled_from(["exact", "heuristic"])


# ---------------------------------------------------------------------------------------------------------------
# Independent attacks
# ---------------------------------------------------------------------------------------------------------------


def hidden_cells(result: DisclosureResult) -> list[int]:
    return [cell for cell, value in enumerate(result.published) if value is None]


def differencing_attack(table: AdditiveTable, published: Sequence[int | None]) -> dict[int, int]:
    """Subtract published figures from totals, over and over, until nothing new falls out."""
    known = {cell: value for cell, value in enumerate(published) if value is not None}
    recovered: dict[int, int] = {}
    progress = True
    while progress:
        progress = False
        for total, parts in table.sums:
            unknown = [cell for cell in (total, *parts) if cell not in known]
            if len(unknown) != 1:
                continue
            cell = unknown[0]
            parts_known = sum(known[part] for part in parts if part != cell)
            known[cell] = known[total] - parts_known if cell != total else parts_known
            recovered[cell] = known[cell]
            progress = True
    return recovered


def linprog_bounds(table: AdditiveTable, published: Sequence[int | None]) -> dict[int, tuple[float, float]]:
    """The attacker's LP bounds on each hidden cell, given published figures, the sums and counts >= 0."""
    hidden = [cell for cell, value in enumerate(published) if value is None]
    column = {cell: position for position, cell in enumerate(hidden)}
    rows, rhs = [], []
    for total, parts in table.sums:
        row = np.zeros(len(hidden))
        constant = 0.0
        for cell, sign in [(total, -1.0), *((part, 1.0) for part in parts)]:
            if cell in column:
                row[column[cell]] += sign
            else:
                constant += sign * table.values[cell]
        if row.any():
            rows.append(row)
            rhs.append(-constant)
    bounds: dict[int, tuple[float, float]] = {}
    for cell in hidden:
        objective = np.zeros(len(hidden))
        objective[column[cell]] = 1.0
        ends = []
        for sense in (1.0, -1.0):
            result = linprog(
                sense * objective,
                A_eq=np.array(rows) if rows else None,
                b_eq=rhs or None,
                bounds=(0, None),
                method="highs",
            )
            ends.append(np.inf if result.status == 3 else sense * result.fun)
        bounds[cell] = (ends[0], ends[1])
    return bounds


def integer_upper_and_lower(table: AdditiveTable, published: Sequence[int | None], cell: int) -> tuple[float, float]:
    """An attacker who also uses that counts are whole numbers: integer programs instead of linear ones."""
    hidden = [c for c, value in enumerate(published) if value is None]
    matrix = np.zeros((len(table.sums), table.size))
    for row, (total, parts) in enumerate(table.sums):
        matrix[row, list(parts)] = 1.0
        matrix[row, total] = -1.0
    shown = [c for c in range(table.size) if c not in hidden]
    rhs = -matrix[:, shown] @ np.array([table.values[c] for c in shown], dtype=float)
    objective = np.zeros(len(hidden))
    objective[hidden.index(cell)] = 1.0
    ends = []
    for sense in (1.0, -1.0):
        result = milp(
            sense * objective,
            constraints=LinearConstraint(matrix[:, hidden], rhs, rhs),
            integrality=np.ones(len(hidden)),
            bounds=Bounds(0, 10**6),
        )
        ends.append(sense * result.fun)
    return ends[0], ends[1]


def assert_safe(result: DisclosureResult, threshold: int = THRESHOLD, protection: int = THRESHOLD) -> None:
    """The product rule, checked by attacking the published table."""
    table, published = result.table, result.published
    for cell, value in enumerate(published):
        if value is not None:
            assert table.values[cell] >= threshold, f"published {table.labels[cell]} = {value} is below the threshold"
    recovered = differencing_attack(table, published)
    assert not recovered, f"differencing recovers hidden cells {recovered}"
    for cell, (lower, upper) in linprog_bounds(table, published).items():
        value = table.values[cell]
        assert upper - lower > 1e-6, f"{table.labels[cell]} is pinned to {lower}"
        if result.status[cell] == "primary":
            assert upper >= value + protection - 1e-6, f"{table.labels[cell]} = {value} bounded above by {upper}"
            assert lower <= max(0, value - protection) + 1e-6, (
                f"{table.labels[cell]} = {value} bounded below by {lower}"
            )
    assert result.audit.passed


def secondary_cost(result: DisclosureResult) -> int:
    """The engine's default information loss: hidden value plus one per hidden cell."""
    return sum(v + 1 for v, s in zip(result.table.values, result.status, strict=True) if s == "secondary")


# ---------------------------------------------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------------------------------------------


@FAST
@given(st.lists(counts, min_size=1, max_size=9), methods)
def test_one_way_tables_resist_differencing_and_lp_attacks(values: list[int], method: str) -> None:
    result = protect_one_way(values, DisclosureSettings(method=method))  # type: ignore[arg-type]
    assert_safe(result)
    assert all(s == "primary" for s, v in zip(result.status, result.table.values, strict=True) if v < THRESHOLD)


@FAST
@given(
    st.integers(1, 5).flatmap(
        lambda rows: st.lists(st.lists(counts, min_size=4, max_size=4), min_size=rows, max_size=rows)
    ),
    methods,
)
def test_two_way_tables_resist_differencing_and_lp_attacks(values: list[list[int]], method: str) -> None:
    result = protect_two_way(values, DisclosureSettings(method=method))  # type: ignore[arg-type]
    assert_safe(result)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(2, 6).flatmap(
        lambda areas: st.lists(st.lists(counts, min_size=3, max_size=3), min_size=areas, max_size=areas)
    ),
    methods,
)
def test_linked_area_tables_resist_attacks(values: list[list[int]], method: str) -> None:
    parents = [area % 2 for area in range(len(values))]
    result = protect(linked_area_table(values, parents), DisclosureSettings(method=method))  # type: ignore[arg-type]
    assert_safe(result)
    # Linked tables are not totally unimodular, so also attack with integer programs (10**6 stands for unbounded).
    for cell in (c for c, s in enumerate(result.status) if s == "primary"):
        lower, upper = integer_upper_and_lower(result.table, result.published, cell)
        value = result.table.values[cell]
        assert upper >= value + THRESHOLD and lower <= max(0, value - THRESHOLD)


@FAST
@given(
    st.lists(st.lists(counts, min_size=3, max_size=3), min_size=1, max_size=4),
    st.integers(1, 12),
    st.integers(1, 15),
    st.booleans(),
)
def test_other_settings_still_resist_attacks(
    values: list[list[int]], threshold: int, protection: int, zeros: bool
) -> None:
    chosen = DisclosureSettings(
        threshold=threshold, upper_protection=protection, lower_protection=protection, suppress_zeros=zeros
    )
    result = protect_two_way(values, chosen)
    table, published = result.table, result.published
    for cell, value in enumerate(published):
        if value is not None:
            assert table.values[cell] >= threshold or (table.values[cell] == 0 and not zeros)
    assert not differencing_attack(table, published)
    for cell, (lower, upper) in linprog_bounds(table, published).items():
        if result.status[cell] == "primary":
            assert upper >= table.values[cell] + protection - 1e-6
            assert lower <= max(0, table.values[cell] - protection) + 1e-6


@settings(max_examples=20, deadline=None)
@given(st.lists(st.lists(counts, min_size=4, max_size=4), min_size=2, max_size=5))
def test_counting_cells_hides_no_more_cells_than_counting_value(values: list[list[int]]) -> None:
    by_count = protect_two_way(values, DisclosureSettings(cost="count"))
    by_value = protect_two_way(values)
    assert by_count.secondary_count <= by_value.secondary_count
    assert_safe(by_count)


def test_auto_falls_back_to_the_heuristic_when_the_exact_search_has_no_time() -> None:
    values = [[3, 50, 60, 4], [20, 8, 40, 30], [25, 35, 2, 45]]
    out_of_time = protect_two_way(values, DisclosureSettings(time_limit_seconds=0.0))
    too_big = protect_two_way(values, DisclosureSettings(exact_max_cells=4))
    assert out_of_time.method_used == too_big.method_used == "heuristic"
    assert protect_two_way(values).method_used == "exact"
    assert_safe(out_of_time)


@FAST
@given(st.lists(st.lists(counts, min_size=3, max_size=3), min_size=1, max_size=4), st.data())
def test_feasible_intervals_match_an_independent_lp(values: list[list[int]], data: st.DataObject) -> None:
    table = two_way_table(values)
    mask = data.draw(st.lists(st.booleans(), min_size=table.size, max_size=table.size))
    published = [v if shown else None for v, shown in zip(table.values, mask, strict=True)]
    expected = linprog_bounds(table, published)
    for cell, interval in enumerate(feasible_intervals(table, mask)):
        lower, upper = expected.get(cell, (table.values[cell], table.values[cell]))
        assert interval.lower == pytest.approx(lower, abs=1e-6)
        assert interval.upper == pytest.approx(upper, abs=1e-6) or (interval.upper == upper == np.inf)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), min_size=3, max_size=3), min_size=2, max_size=2))
def test_exact_method_finds_the_cheapest_safe_pattern(values: list[list[int]]) -> None:
    """Brute force: no cheaper set of secondary cells passes the audit."""
    result = protect_two_way(values, DisclosureSettings(method="exact"))
    table = result.table
    primary = primary_mask(table, DisclosureSettings())
    candidates = [cell for cell in range(table.size) if not primary[cell]]
    best = secondary_cost(result)
    for size in range(len(candidates) + 1):
        for chosen in itertools.combinations(candidates, size):
            if sum(table.values[c] + 1 for c in chosen) >= best:
                continue
            status = [
                "primary" if primary[c] else "secondary" if c in chosen else "published" for c in range(table.size)
            ]
            assert not audit(table, status).passed, f"cheaper safe pattern {chosen} than {result.status}"  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(counts, min_size=5, max_size=5), min_size=2, max_size=6))
def test_exact_method_never_loses_more_than_the_heuristic(values: list[list[int]]) -> None:
    exact = protect_two_way(values, DisclosureSettings(method="exact"))
    heuristic = protect_two_way(values, DisclosureSettings(method="heuristic"))
    assert exact.method_used in ("exact", "none")
    assert secondary_cost(exact) <= secondary_cost(heuristic)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(counts, min_size=3, max_size=3), min_size=1, max_size=4), st.sampled_from([3, 5, 10]))
def test_rounding_changes_only_published_figures(values: list[list[int]], base: int) -> None:
    exact = protect_two_way(values)
    rounded = protect_two_way(values, DisclosureSettings(rounding_base=base))
    assert rounded.status == exact.status
    for true, shown in zip(rounded.table.values, rounded.published, strict=True):
        if shown is not None:
            assert shown % base == 0
            assert abs(shown - true) <= base / 2
            assert shown >= THRESHOLD - base / 2


# ---------------------------------------------------------------------------------------------------------------
# Edge cases
# ---------------------------------------------------------------------------------------------------------------


def test_a_single_small_cell_in_a_row_forces_another_suppression_in_its_row_and_column() -> None:
    result = protect_two_way([[3, 50, 60], [20, 30, 40], [25, 35, 45]])
    statuses = result.status_grid()
    assert statuses[0][0] == "primary"
    assert any(s == "secondary" for s in statuses[0][1:3])  # another inner cell in the same row
    assert any(row[0] == "secondary" for row in statuses[1:3])  # and in the same column
    assert result.published[-1] == 308  # margins stay when inner cells can carry the protection
    assert_safe(result)


def test_one_way_table_hides_the_smallest_safe_partner_and_keeps_the_total() -> None:
    result = protect_one_way([3, 50, 60, 12])
    assert result.status == ("primary", "published", "published", "secondary", "published")
    assert result.published[-1] == 125
    assert_safe(result)


def test_two_small_cells_cannot_protect_each_other() -> None:
    """3 + 4 = 7 would be derivable and below the threshold; a third cell must be hidden."""
    result = protect_one_way([3, 4, 50, 60])
    assert result.status[:2] == ("primary", "primary")
    assert result.secondary_count == 1
    assert_safe(result)


def test_a_row_whose_total_is_itself_small() -> None:
    result = protect_two_way([[2, 3, 1], [20, 30, 40], [25, 35, 45]])
    statuses = result.status_grid()
    assert statuses[0] == ["primary", "primary", "primary", "primary"]
    assert_safe(result)


def test_all_cells_small_hides_everything_below_a_small_grand_total() -> None:
    result = protect_two_way([[1, 2], [3, 4]])
    assert all(value is None for value in result.published[:-1])
    # A published grand total of 10 would cap the 1 at 10, short of 1 + 10: it is hidden as well.
    assert result.published[-1] is None
    assert_safe(result)


def test_all_cells_small_with_a_large_total() -> None:
    result = protect_one_way([4, 5, 6, 7, 8])
    assert result.status[:5] == ("primary",) * 5
    assert result.published[5] == 30
    assert_safe(result)


def test_zeros_are_hidden_by_default_and_can_be_published_on_request() -> None:
    values = [[0, 40, 50], [30, 20, 60]]
    hidden = protect_two_way(values)
    assert hidden.status[0] == "primary"
    assert_safe(hidden)
    shown = protect_two_way(values, DisclosureSettings(suppress_zeros=False))
    assert shown.published[0] == 0
    assert shown.secondary_count == 0


def test_a_one_by_n_table_hides_the_column_totals_that_repeat_hidden_cells() -> None:
    result = protect_two_way([[3, 40, 50]])
    statuses = result.status_grid()
    assert statuses[0][0] == statuses[1][0] == "primary"  # the cell and its column total are the same count
    hidden_inner = [c for c in (1, 2) if statuses[0][c] != "published"]
    assert hidden_inner and all(statuses[1][c] != "published" for c in hidden_inner)
    assert_safe(result)


def test_a_single_category_is_shown_or_hidden_with_its_total() -> None:
    assert protect_one_way([5]).published == (None, None)
    assert protect_one_way([15]).published == (15, 15)


def test_a_table_with_nothing_small_is_published_unchanged() -> None:
    result = protect_two_way([[10, 20], [30, 40]])
    assert result.published == tuple(result.table.values)
    assert result.method_used == "none"
    assert "none is hidden" in result.method_note


def test_the_threshold_is_configurable() -> None:
    result = protect_one_way([7, 50, 60], DisclosureSettings(threshold=5))
    assert result.published == (7, 50, 60, 117)
    assert result.threshold == 5


def test_method_note_explains_what_was_done() -> None:
    result = protect_one_way([3, 50, 60], DisclosureSettings(rounding_base=5))
    note = result.method_note
    assert "below 10" in note and "1 other figure" in note and "nearest 5" in note
    assert result.published == (None, None, 60, 115)


def test_audit_catches_unsafe_patterns() -> None:
    table = one_way_table([3, 50, 60])
    only_primary = audit(table, ["primary", "published", "published", "published"])
    assert not only_primary.passed
    assert "worked out exactly" in only_primary.failures[0].problem
    small_shown = audit(table, ["published", "published", "published", "published"])
    assert "below the threshold" in small_shown.failures[0].problem
    two_small = audit(one_way_table([3, 4, 50]), ["primary", "primary", "published", "published"])
    assert not two_small.passed and "upper bound" in two_small.failures[0].problem


def test_feasible_intervals_on_a_known_table() -> None:
    intervals = feasible_intervals(one_way_table([3, 50, 60]), [False, False, True, True])
    assert (intervals[0].lower, intervals[0].upper) == (0, 53)
    assert (intervals[2].lower, intervals[2].upper) == (60, 60)
    everything_hidden = feasible_intervals(one_way_table([3, 50]), [False, False, False])
    assert everything_hidden[0].upper == np.inf


def test_linked_tables_protect_the_division_breakdown_too() -> None:
    # Two neighbourhoods in one division: the division row is their sum, so hiding only in one table leaks.
    values = [[3, 40, 50], [30, 40, 50], [20, 25, 30]]
    table = linked_area_table(values, [0, 0, 1])
    result = protect(table)
    assert result.status[0] == "primary"
    assert_safe(result)
    naive = protect_two_way(values)  # the same pattern, ignoring the division table
    naive_status = list(naive.status) + ["published"] * (table.size - naive.table.size)
    assert not audit(table, naive_status).passed  # type: ignore[arg-type]


def test_tables_must_add_up_and_be_non_negative() -> None:
    with pytest.raises(ValueError, match="sum"):
        AdditiveTable(values=(1, 2, 4), sums=((2, (0, 1)),), labels=("a", "b", "t"))
    with pytest.raises(ValueError, match="negative"):
        one_way_table([-1, 5])
