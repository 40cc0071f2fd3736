"""Panel selection engine: validity, optimality against brute force, infeasibility repair, determinism."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from byconsent.engines.sortition import (
    InfeasibleQuotasError,
    Quota,
    Respondent,
    SelectionInputError,
    SelectionProblem,
    check_feasibility,
    select_panel,
    validate_result,
)
from byconsent.engines.sortition.lottery import ticket_for_seed
from byconsent.engines.sortition.validate import panel_problems

# ---------------------------------------------------------------- helpers: small synthetic instances


def make_pool(
    rows: list[tuple[str, ...]], categories: tuple[str, ...], homes: list[str | None] | None = None
) -> tuple[Respondent, ...]:
    homes = homes or [None] * len(rows)
    return tuple(Respondent(f"r{i}", dict(zip(categories, row, strict=True)), homes[i]) for i, row in enumerate(rows))


def all_valid_panels(problem: SelectionProblem) -> list[tuple[int, ...]]:
    """Brute force: every subset of size k that passes the independent panel check."""
    ids = [r.id for r in problem.respondents]
    return [
        combo
        for combo in itertools.combinations(range(len(ids)), problem.panel_size)
        if not panel_problems(problem, [ids[i] for i in combo])
    ]


def brute_force_leximin(problem: SelectionProblem) -> list[float]:
    """Exact leximin profile (sorted) by enumerating all panels and solving the stage LPs with scipy."""
    panels = all_valid_panels(problem)
    n, m = len(problem.respondents), len(panels)
    incidence = np.zeros((n, m))
    for column, panel in enumerate(panels):
        incidence[list(panel), column] = 1.0
    fixed: dict[int, float] = {}
    while len(fixed) < n:
        free = [i for i in range(n) if i not in fixed]
        level = _max_min(incidence, fixed, free)
        for i in free:  # i must be fixed if it cannot exceed the level while the others keep it
            if _max_single(incidence, fixed, free, level, i) <= level + 1e-7:
                fixed[i] = level
        if not set(free) - set(fixed):
            break
    return sorted(fixed.values())


def _lp_constraints(
    incidence: np.ndarray, fixed: dict[int, float], free: list[int], level: float | None, m: int
) -> tuple[np.ndarray, np.ndarray]:
    rows, bounds = [], []
    for i, value in fixed.items():
        rows.append(np.append(-incidence[i], 0.0))
        bounds.append(-value + 1e-9)
    for i in free:
        rows.append(np.append(-incidence[i], 1.0 if level is None else 0.0))
        bounds.append(0.0 if level is None else -level + 1e-9)
    return np.array(rows), np.array(bounds)


def _max_min(incidence: np.ndarray, fixed: dict[int, float], free: list[int]) -> float:
    m = incidence.shape[1]
    a_ub, b_ub = _lp_constraints(incidence, fixed, free, None, m)
    result = linprog(
        np.append(np.zeros(m), -1.0),
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=np.append(np.ones(m), 0.0)[None, :],
        b_eq=[1.0],
        bounds=[(0, None)] * (m + 1),
    )
    return float(-result.fun)


def _max_single(incidence: np.ndarray, fixed: dict[int, float], free: list[int], level: float, who: int) -> float:
    m = incidence.shape[1]
    a_ub, b_ub = _lp_constraints(incidence, fixed, free, level, m)
    cost = np.append(-incidence[who], 0.0)
    result = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=np.append(np.ones(m), 0.0)[None, :], b_eq=[1.0], bounds=[(0, None)] * (m + 1)
    )
    return float(-result.fun)


@st.composite
def feasible_instances(draw: st.DrawFn, max_people: int = 12, homes: bool = False) -> SelectionProblem:
    """Random pools with quotas built around one random panel, so at least one panel exists."""
    n = draw(st.integers(5, max_people))
    k = draw(st.integers(2, min(5, n - 1)))
    values = {"sex": ["f", "m"], "age": ["young", "mid", "old"]}
    rows = [tuple(draw(st.sampled_from(values[c])) for c in values) for _ in range(n)]
    households: list[str | None] = [None] * n
    if homes:
        households = [draw(st.sampled_from([None, "h1", "h2", "h3"])) for _ in range(n)]
    pool = make_pool(rows, tuple(values), households)
    rng = np.random.default_rng(draw(st.integers(0, 10**6)))
    seed_panel = _random_household_respecting_panel(pool, k, rng)
    if seed_panel is None:
        households = [None] * n
        pool = make_pool(rows, tuple(values), households)
        seed_panel = sorted(rng.choice(n, size=k, replace=False).tolist())
    quotas = []
    for column, category in enumerate(values):
        for value in values[category]:
            count = sum(1 for i in seed_panel if rows[i][column] == value)
            low = max(0, count - draw(st.integers(0, 1)))
            quotas.append(Quota(category, value, low, count + draw(st.integers(0, 1))))
    return SelectionProblem(pool, tuple(quotas), k)


def _random_household_respecting_panel(
    pool: tuple[Respondent, ...], k: int, rng: np.random.Generator
) -> list[int] | None:
    chosen, homes = [], set()
    for i in rng.permutation(len(pool)).tolist():
        home = pool[i].household
        if home is not None and home in homes:
            continue
        chosen.append(i)
        if home is not None:
            homes.add(home)
        if len(chosen) == k:
            return sorted(chosen)
    return None


FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- properties of every output


@FAST
@given(problem=feasible_instances(homes=True), algorithm=st.sampled_from(["leximin", "maximin", "nash", "legacy"]))
def test_every_output_panel_meets_quotas_size_and_households(problem: SelectionProblem, algorithm: str) -> None:
    result = select_panel(
        problem.respondents,
        problem.quotas,
        problem.panel_size,
        algorithm,
        seed="s",
        lottery_size=50,
        legacy_draw_count=50,
    )
    assert validate_result(problem, result) == []
    assert math.isclose(sum(result.panel_probabilities), 1.0, abs_tol=1e-9)
    assert math.isclose(sum(result.marginals.values()), problem.panel_size, abs_tol=1e-6)
    for panel, probability in zip(result.panels, result.panel_probabilities, strict=True):
        assert probability > 0
        assert panel_problems(problem, panel) == []


@FAST
@given(problem=feasible_instances(max_people=9))
def test_leximin_matches_brute_force_profile(problem: SelectionProblem) -> None:
    result = select_panel(problem.respondents, problem.quotas, problem.panel_size, "leximin", seed="x", lottery_size=0)
    expected = brute_force_leximin(problem)
    assert result.min_probability == pytest.approx(expected[0], abs=1e-5)
    assert sorted(result.marginals.values()) == pytest.approx(expected, abs=1e-4)


@FAST
@given(problem=feasible_instances(max_people=9))
def test_maximin_reaches_the_brute_force_minimum(problem: SelectionProblem) -> None:
    result = select_panel(problem.respondents, problem.quotas, problem.panel_size, "maximin", seed="x", lottery_size=0)
    panels = all_valid_panels(problem)
    incidence = np.zeros((len(problem.respondents), len(panels)))
    for column, panel in enumerate(panels):
        incidence[list(panel), column] = 1.0
    optimum = _max_min(incidence, {}, list(range(len(problem.respondents))))
    assert result.min_probability == pytest.approx(optimum, abs=1e-5)
    assert result.gap <= 1e-5


def test_nash_is_at_least_as_balanced_as_legacy_on_a_skewed_pool() -> None:
    rows = [("f",)] * 3 + [("m",)] * 9
    pool = make_pool(rows, ("sex",))
    quotas = (Quota("sex", "f", 2, 2), Quota("sex", "m", 2, 2))
    nash = select_panel(pool, quotas, 4, "nash", seed="1", lottery_size=0)
    # women must fill 2 of 4 seats from 3 people (2/3 each); men 2 seats from 9 (2/9 each): forced by the quotas
    assert nash.marginals["r0"] == pytest.approx(2 / 3, abs=1e-4)
    assert nash.marginals["r5"] == pytest.approx(2 / 9, abs=1e-4)


# ---------------------------------------------------------------- infeasible quotas


def brute_force_relaxation_cost(problem: SelectionProblem) -> int:
    ids = {r.id: r for r in problem.respondents}
    best = math.inf
    for combo in itertools.combinations(list(ids), problem.panel_size):
        homes = [ids[i].household for i in combo if ids[i].household is not None]
        if len(homes) != len(set(homes)):
            continue
        cost = 0
        for quota in problem.quotas:
            count = sum(1 for i in combo if ids[i].features[quota.category] == quota.value)
            cost += max(0, quota.min - count) + max(0, count - quota.max)
        best = min(best, cost)
    return int(best)


@st.composite
def any_quotas(draw: st.DrawFn) -> SelectionProblem:
    n = draw(st.integers(4, 9))
    k = draw(st.integers(2, min(4, n)))
    values = {"sex": ["f", "m"], "area": ["north", "south"]}
    rows = [tuple(draw(st.sampled_from(values[c])) for c in values) for _ in range(n)]
    quotas = []
    for category in values:
        for value in values[category]:
            low = draw(st.integers(0, k))
            quotas.append(Quota(category, value, low, draw(st.integers(low, k))))
    return SelectionProblem(make_pool(rows, tuple(values)), tuple(quotas), k)


@FAST
@given(problem=any_quotas())
def test_infeasible_quotas_get_a_minimal_relaxation_that_works(problem: SelectionProblem) -> None:
    try:
        result = select_panel(
            problem.respondents, problem.quotas, problem.panel_size, "maximin", seed="s", lottery_size=10
        )
    except InfeasibleQuotasError as error:
        assert error.relaxation, str(error)
        assert error.reasons
        total = sum((r.old_min - r.new_min) + (r.new_max - r.old_max) for r in error.relaxation)
        assert total == brute_force_relaxation_cost(problem)
        changes = {(r.category, r.value): r for r in error.relaxation}
        relaxed = tuple(
            Quota(q.category, q.value, changes[(q.category, q.value)].new_min, changes[(q.category, q.value)].new_max)
            if (q.category, q.value) in changes
            else q
            for q in problem.quotas
        )
        repaired = SelectionProblem(problem.respondents, relaxed, problem.panel_size)
        result = select_panel(
            repaired.respondents, repaired.quotas, repaired.panel_size, "maximin", seed="s", lottery_size=10
        )
        assert validate_result(repaired, result) == []
    else:
        assert brute_force_relaxation_cost(problem) == 0
        assert validate_result(problem, result) == []


def test_infeasible_message_names_the_conflicting_category() -> None:
    pool = make_pool([("f",), ("f",), ("m",), ("m",), ("m",)], ("sex",))
    quotas = (Quota("sex", "f", 2, 3), Quota("sex", "m", 2, 3))
    with pytest.raises(InfeasibleQuotasError) as caught:
        select_panel(pool, quotas, 3, "leximin", seed="s")
    assert "minimums of 'sex' add up to 4, more than 3" in str(caught.value)
    assert sum(r.old_min - r.new_min for r in caught.value.relaxation or []) == 1


def test_check_feasibility_passes_quietly_or_raises_with_relaxation() -> None:
    pool = make_pool([("f",), ("f",), ("m",), ("m",), ("m",)], ("sex",))
    check_feasibility(pool, (Quota("sex", "f", 1, 2), Quota("sex", "m", 1, 2)), 3)
    with pytest.raises(InfeasibleQuotasError) as caught:
        check_feasibility(pool, (Quota("sex", "f", 3, 3), Quota("sex", "m", 0, 3)), 3)
    assert "sex=f needs at least 3 but the pool has only 2" in str(caught.value)
    assert [(r.value, r.new_min) for r in caught.value.relaxation or []] == [("f", 2)]


def test_household_rule_that_cannot_be_met_is_reported() -> None:
    pool = make_pool([("f",), ("m",), ("f",)], ("sex",), homes=["a", "a", "a"])
    quotas = (Quota("sex", "f", 0, 2), Quota("sex", "m", 0, 2))
    with pytest.raises(InfeasibleQuotasError) as caught:
        select_panel(pool, quotas, 2, "maximin", seed="s")
    assert "distinct households" in str(caught.value)
    assert caught.value.relaxation is None


# ---------------------------------------------------------------- households, determinism, lottery


def test_household_rule_keeps_housemates_apart_and_shares_their_chance() -> None:
    rows = [("f",), ("f",), ("m",), ("m",), ("f",), ("m",)]
    pool = make_pool(rows, ("sex",), homes=["flat1", "flat1", "flat2", "flat2", None, None])
    quotas = (Quota("sex", "f", 1, 2), Quota("sex", "m", 1, 2))
    problem = SelectionProblem(pool, quotas, 3)
    result = select_panel(pool, quotas, 3, "leximin", seed="h", lottery_size=0)
    assert validate_result(problem, result) == []
    for panel in result.panels:
        assert not {"r0", "r1"} <= set(panel)
        assert not {"r2", "r3"} <= set(panel)
    assert result.marginals["r0"] + result.marginals["r1"] <= 1.0 + 1e-9
    assert result.min_probability == pytest.approx(brute_force_leximin(problem)[0], abs=1e-6)


def _reproducible(result: object) -> dict[str, object]:
    from dataclasses import asdict

    document = asdict(result)  # type: ignore[call-overload]
    document.pop("seconds")
    document.pop("timings")
    document["stats"] = {k: v for k, v in document["stats"].items() if not k.endswith("seconds")}
    return document


@pytest.mark.parametrize("algorithm", ["leximin", "maximin", "nash", "legacy"])
def test_same_inputs_and_seed_give_identical_output(algorithm: str) -> None:
    rng = np.random.default_rng(3)
    rows = [(str(rng.choice(["f", "m"])), str(rng.choice(["a", "b", "c"]))) for _ in range(30)]
    pool = make_pool(rows, ("sex", "area"))
    quotas = (
        Quota("sex", "f", 2, 4),
        Quota("sex", "m", 2, 4),
        Quota("area", "a", 1, 3),
        Quota("area", "b", 1, 3),
        Quota("area", "c", 1, 3),
    )
    first = select_panel(pool, quotas, 6, algorithm, seed="public-seed-2026", lottery_size=100, legacy_draw_count=40)
    second = select_panel(pool, quotas, 6, algorithm, seed="public-seed-2026", lottery_size=100, legacy_draw_count=40)
    assert _reproducible(first) == _reproducible(second)
    other = select_panel(pool, quotas, 6, algorithm, seed="another seed", lottery_size=100, legacy_draw_count=40)
    assert other.lottery is not None and first.lottery is not None
    assert other.lottery.drawn_ticket != first.lottery.drawn_ticket


def test_lottery_tickets_sum_to_m_and_the_draw_is_rederivable() -> None:
    rng = np.random.default_rng(5)
    rows = [(str(rng.choice(["f", "m"])), str(rng.choice(["a", "b", "c"]))) for _ in range(40)]
    pool = make_pool(rows, ("sex", "area"))
    quotas = (
        Quota("sex", "f", 3, 5),
        Quota("sex", "m", 3, 5),
        Quota("area", "a", 2, 4),
        Quota("area", "b", 2, 4),
        Quota("area", "c", 2, 4),
    )
    result = select_panel(pool, quotas, 8, "leximin", seed="town hall 12 May", lottery_size=1000)
    lottery = result.lottery
    assert lottery is not None
    assert sum(lottery.panel_counts) == 1000
    assert lottery.drawn_ticket == ticket_for_seed("town hall 12 May", 1000)
    tickets = [i for i, count in enumerate(lottery.panel_counts) for _ in range(count)]
    assert result.selected == result.panels[tickets[lottery.drawn_ticket]]
    # each panel's ticket count is its probability times m, rounded down or up
    for probability, count in zip(result.panel_probabilities, lottery.panel_counts, strict=True):
        assert math.floor(probability * 1000 - 1e-9) <= count <= math.ceil(probability * 1000 + 1e-9)
    worst = max(abs(lottery.marginals[i] - result.marginals[i]) for i in result.marginals)
    assert worst == pytest.approx(lottery.max_marginal_deviation)
    assert worst <= 8 / 1000  # inside k/m, the bound the transparent-lottery paper proves for its rounding


def test_progress_is_reported_from_zero_to_one() -> None:
    seen: list[tuple[float, str]] = []
    pool = make_pool([("f",), ("m",), ("f",), ("m",)], ("sex",))
    quotas = (Quota("sex", "f", 1, 1), Quota("sex", "m", 1, 1))
    select_panel(pool, quotas, 2, "leximin", seed="p", progress=lambda f, m: seen.append((f, m)))
    assert seen[0][0] == 0.0 and seen[-1][0] == 1.0
    assert all(0.0 <= f <= 1.0 for f, _ in seen)


def test_people_no_quota_admits_get_probability_zero() -> None:
    pool = make_pool([("child",), ("adult",), ("adult",), ("adult",)], ("age",))
    quotas = (Quota("age", "child", 0, 0), Quota("age", "adult", 2, 2))
    result = select_panel(pool, quotas, 2, "leximin", seed="z", lottery_size=0)
    assert result.marginals["r0"] == 0.0
    assert result.marginals["r1"] == pytest.approx(2 / 3, abs=1e-6)


def test_unknown_algorithm_is_rejected() -> None:
    pool = make_pool([("f",), ("m",)], ("sex",))
    with pytest.raises(SelectionInputError, match="unknown algorithm"):
        select_panel(pool, (Quota("sex", "f", 0, 1), Quota("sex", "m", 0, 1)), 1, "random")


def test_validator_catches_a_broken_result() -> None:
    rows = [("f",), ("m",), ("f",), ("m",)]
    pool = make_pool(rows, ("sex",))
    quotas = (Quota("sex", "f", 1, 1), Quota("sex", "m", 1, 1))
    problem = SelectionProblem(pool, quotas, 2)
    result = select_panel(pool, quotas, 2, "leximin", seed="v", lottery_size=0)
    result.panels[0] = ("r0", "r2")  # two women: breaks the quota
    result.marginals["r1"] += 0.5
    issues = validate_result(problem, result)
    assert any("outside [1, 1]" in issue for issue in issues)
    assert any("marginal" in issue for issue in issues)
