"""Raking and weighted estimates: margins reproduced, bounds respected, errors explained, intervals that cover."""

from __future__ import annotations

import argparse
import csv
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from byconsent.commands import rake as rake_command
from byconsent.engines import weighting as w


def _naive_rake(
    columns: list[np.ndarray],
    targets: list[np.ndarray],
    base: np.ndarray,
    sweeps: int,
    bounds: tuple[float, float] | None = None,
) -> np.ndarray:
    """Row-by-row IPF with the textbook loop, as an independent reference for the cell-collapsing engine."""
    weights = base.astype(float).copy()
    total = weights.sum()
    for _ in range(sweeps):
        for codes, target in zip(columns, targets, strict=True):
            for category, share in enumerate(target):
                rows = codes == category
                weights[rows] *= share * total / weights[rows].sum()
        if bounds is not None:
            weights = _clip_around_own_mean(weights, *bounds)
    return weights / weights.mean()


def _clip_around_own_mean(weights: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """Reference trimming: find the mean m with mean(clip(w, lower m, upper m)) = m by Brent's method."""
    if weights.min() >= lower * weights.mean() and weights.max() <= upper * weights.mean():
        return weights
    mean = brentq(lambda m: np.clip(weights, lower * m, upper * m).mean() - m, 1e-9, weights.max() / lower, xtol=1e-15)
    return np.clip(weights, lower * mean, upper * mean)


@st.composite
def raking_problems(draw: st.DrawFn) -> tuple[dict[str, np.ndarray], dict[str, dict[int, float]]]:
    """Small surveys in which every combination of categories occurs, so a raking solution always exists."""
    sizes = draw(st.lists(st.integers(2, 4), min_size=1, max_size=3))
    full = np.array(list(itertools.product(*[range(k) for k in sizes])))
    extra_rows = draw(st.integers(0, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # Skewed extra rows make the raw sample unrepresentative, which gives raking something to correct.
    extra = np.column_stack([np.minimum(rng.integers(0, k, extra_rows), rng.integers(0, k, extra_rows)) for k in sizes])
    rows = np.vstack([full, extra]) if extra_rows else full
    data = {f"v{i}": rows[:, i] for i in range(len(sizes))}
    targets: dict[str, dict[int, float]] = {}
    for i, k in enumerate(sizes):
        raw = draw(st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k))
        targets[f"v{i}"] = {c: value / sum(raw) for c, value in enumerate(raw)}
    return data, targets


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raking_problems())
def test_raked_weights_reproduce_every_margin(
    problem: tuple[dict[str, np.ndarray], dict[str, dict[int, float]]],
) -> None:
    data, targets = problem
    result = w.rake(data, targets, tol=1e-9, max_iter=5000)
    assert result.converged
    assert result.max_margin_error <= 1e-9
    assert np.all(result.weights > 0)
    assert result.weights.mean() == pytest.approx(1.0)
    for variable, shares in targets.items():
        for category, share in shares.items():
            achieved = result.weights[data[variable] == category].sum() / result.weights.sum()
            assert achieved == pytest.approx(share, abs=1e-8)
    for check in result.margins:
        assert check.error <= 1e-8


@settings(max_examples=40, deadline=None)
@given(raking_problems(), st.floats(0.2, 0.8), st.floats(1.5, 4.0))
def test_trimmed_weights_stay_within_bounds(
    problem: tuple[dict[str, np.ndarray], dict[str, dict[int, float]]], lower: float, upper: float
) -> None:
    data, targets = problem
    result = w.rake(data, targets, trim=w.TrimBounds(lower, upper), max_iter=300)
    assert result.weights.min() >= lower * (1 - 1e-9)
    assert result.weights.max() <= upper * (1 + 1e-9)
    # The result is either a solution within the bounds or is reported as not converged.
    if result.converged:
        assert result.max_margin_error <= 1e-6
    else:
        assert result.iterations == 300


def test_trimming_that_bites_still_meets_the_margins_when_feasible() -> None:
    rng = np.random.default_rng(7)
    n = 2000
    young = rng.random(n) < 0.1  # the young are under-sampled, and young men most of all
    male = np.where(young, rng.random(n) < 0.1, rng.random(n) < 0.5)
    data = {"age": young.astype(int), "sex": male.astype(int)}
    targets = {"age": {0: 0.75, 1: 0.25}, "sex": {0: 0.5, 1: 0.5}}
    untrimmed = w.rake(data, targets)
    trimmed = w.rake(data, targets, trim=w.TrimBounds(0.3, 2.6))
    assert untrimmed.weights.max() > 3.0  # the bound really binds
    assert trimmed.converged
    assert trimmed.weights.max() <= 2.6 * (1 + 1e-9)
    assert trimmed.trimmed > 0
    assert trimmed.design_effect < untrimmed.design_effect


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.floats(0.01, 100.0), min_size=2, max_size=30),
    st.sampled_from([(0.5, 2.0), (None, 1.5), (0.8, None), (0.9, 1.1)]),
    st.integers(0, 2**32 - 1),
)
def test_trimmed_mean_solves_its_equation(
    values: list[float], bounds: tuple[float | None, float | None], seed: int
) -> None:
    weight = np.array(values)
    count = np.random.default_rng(seed).integers(1, 5, len(values)).astype(float)
    n = int(count.sum())
    lower = 0.0 if bounds[0] is None else bounds[0]
    upper = math.inf if bounds[1] is None else bounds[1]
    m = w._trimmed_mean(weight, count, n, lower, upper)
    assert m is not None and m > 0
    clipped = np.clip(weight, lower * m, upper * m)
    assert float(np.dot(clipped, count)) / n == pytest.approx(m, rel=1e-12)


def test_infeasible_bounds_are_reported_not_hidden() -> None:
    age = np.array([0] * 5 + [1] * 95)
    result = w.rake({"age": age}, {"age": {0: 0.5, 1: 0.5}}, trim=w.TrimBounds(None, 3.0), max_iter=50)
    assert not result.converged
    assert result.max_margin_error > 0.1
    assert result.weights.max() <= 3.0 + 1e-9


def test_cell_collapsing_matches_row_by_row_raking_with_base_weights_and_trimming() -> None:
    rng = np.random.default_rng(11)
    n = 600
    columns = [rng.integers(0, 3, n), np.minimum(rng.integers(0, 4, n), rng.integers(0, 4, n))]
    base = rng.choice([1.0, 2.0, 3.5], size=n)
    targets = [np.array([0.2, 0.3, 0.5]), np.array([0.25, 0.25, 0.25, 0.25])]
    shares = {f"v{i}": dict(enumerate(t)) for i, t in enumerate(targets)}
    data = {f"v{i}": c for i, c in enumerate(columns)}
    for bounds in (None, (0.4, 2.2)):
        trim = None if bounds is None else w.TrimBounds(*bounds)
        result = w.rake(data, shares, base_weights=base, trim=trim, tol=0.0, max_iter=40)
        reference = _naive_rake(columns, targets, base, sweeps=40, bounds=bounds)
        np.testing.assert_allclose(result.weights, reference, rtol=1e-10)
        # The report is computed from cells; it must agree with the row-level weights.
        assert result.design_effect == pytest.approx(w.kish_design_effect(reference))
        assert result.effective_sample_size == pytest.approx(w.effective_sample_size(reference))


def test_rake_codes_rejects_codes_outside_the_categories() -> None:
    with pytest.raises(w.WeightingError, match="from 0 to 1"):
        w.rake_codes({"sex": np.array([0, 1, 2])}, {"sex": {"f": 0.5, "m": 0.5}})


def test_many_variables_with_many_categories_do_not_overflow_the_cell_key() -> None:
    rng = np.random.default_rng(17)
    data = {f"v{i}": rng.integers(0, 50, 3000) for i in range(12)}  # 50**12 combinations: more than 2**62
    targets = {name: {c: 1 / 50 for c in range(50)} for name in data}
    result = w.rake(data, targets, max_iter=2000)
    assert result.converged
    assert result.cells == 3000
    for values in data.values():
        shares = np.bincount(values, weights=result.weights, minlength=50) / result.weights.sum()
        np.testing.assert_allclose(shares, 1 / 50, atol=1e-6)


def test_base_weights_are_kept_when_the_sample_already_matches() -> None:
    sex = np.array([0, 0, 1, 1])
    base = np.array([1.0, 3.0, 2.0, 2.0])
    result = w.rake({"sex": sex}, {"sex": {0: 0.5, 1: 0.5}}, base_weights=base)
    np.testing.assert_allclose(result.weights, base / base.mean())
    assert result.iterations == 1
    assert result.converged


def test_total_scales_weights_to_a_population() -> None:
    sex = np.array(["f", "m", "m", "m"], dtype=object)
    result = w.rake({"sex": sex}, {"sex": {"f": 0.5, "m": 0.5}}, total=1000.0)
    assert result.weights.sum() == pytest.approx(1000.0)
    assert result.weights[0] == pytest.approx(500.0)


def test_string_and_numpy_unicode_columns_encode_the_same_way() -> None:
    values = ["a", "b", "a", "c"]
    categories = ["c", "b", "a"]
    expected = [2, 1, 2, 0]
    assert w.encode("x", np.array(values, dtype=object), categories).tolist() == expected
    assert w.encode("x", np.array(values), categories).tolist() == expected
    assert w.encode("x", np.array([3, 2, 3, 1]), [1, 2, 3]).tolist() == expected
    assert w.encode("x", np.array([3.0, 2.0, 3.0, 1.0]), [1.0, 2.0, 3.0]).tolist() == expected


# ---------------------------------------------------------------------------------------------------- errors


def test_target_category_without_respondents_is_an_empty_cell_error() -> None:
    with pytest.raises(w.EmptyCategoryError, match=r"'age'.*'75\+'"):
        w.rake({"age": np.array(["16-34", "35-74"])}, {"age": {"16-34": 0.3, "35-74": 0.5, "75+": 0.2}})


def test_respondent_category_missing_from_targets_names_the_rows() -> None:
    with pytest.raises(w.UnknownCategoryError) as caught:
        w.rake({"sex": np.array(["f", "m", "x", "f", "x"])}, {"sex": {"f": 0.5, "m": 0.5}})
    assert caught.value.rows.tolist() == [2, 4]
    assert caught.value.values == ["x"]


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ({"f": 0.5, "m": 0.4}, "sum to 0.9"),
        ({"f": 1.2, "m": -0.2}, "not >= 0"),
        ({"f": float("nan"), "m": 0.5}, "not >= 0"),
        ({}, "no categories"),
    ],
)
def test_bad_targets_are_rejected(shares: dict[str, float], message: str) -> None:
    with pytest.raises(w.TargetsError, match=message):
        w.rake({"sex": np.array(["f", "m"])}, {"sex": shares})


def test_rounded_targets_within_tolerance_are_renormalised() -> None:
    result = w.rake({"g": np.array([0, 1, 2, 2])}, {"g": {0: 0.333, 1: 0.333, 2: 0.333}})
    assert result.converged
    assert result.margins[0].target == pytest.approx(1 / 3)


def test_zero_target_with_respondents_is_rejected_but_without_respondents_is_fine() -> None:
    with pytest.raises(w.TargetsError, match="proportion of 0"):
        w.rake({"g": np.array([0, 1])}, {"g": {0: 1.0, 1: 0.0}})
    result = w.rake({"g": np.array([0, 0])}, {"g": {0: 1.0, 1: 0.0}})
    assert result.converged


def test_missing_data_column_and_bad_base_weights_are_clear() -> None:
    with pytest.raises(w.WeightingError, match="no data column"):
        w.rake({"sex": np.array([0, 1])}, {"age": {0: 1.0}})
    with pytest.raises(w.WeightingError, match="strictly positive"):
        w.rake({"sex": np.array([0, 1])}, {"sex": {0: 0.5, 1: 0.5}}, base_weights=[1.0, 0.0])
    with pytest.raises(w.WeightingError, match="upper trim bound"):
        w.TrimBounds(0.5, 0.9)


# ---------------------------------------------------------------------------------------------------- estimates


def test_design_effect_and_effective_sample_size() -> None:
    assert w.kish_design_effect(np.ones(10)) == pytest.approx(1.0)
    assert w.effective_sample_size(np.ones(10)) == pytest.approx(10.0)
    weights = np.array([1.0, 1.0, 4.0, 4.0])
    assert w.kish_design_effect(weights) == pytest.approx(4 * 34 / 100)
    assert w.effective_sample_size(weights) == pytest.approx(100 / 34)


def test_equal_weights_give_the_simple_random_sample_standard_errors() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(10, 2, 400)
    flags = rng.random(400) < 0.3
    mean = w.weighted_mean(y, np.ones(400))
    assert mean.estimate == pytest.approx(y.mean())
    assert mean.standard_error == pytest.approx(y.std(ddof=1) / math.sqrt(400))
    share = w.weighted_proportion(flags, np.full(400, 2.5))
    p = flags.mean()
    assert share.standard_error == pytest.approx(math.sqrt(p * (1 - p) / 399))
    assert share.ci_low < p < share.ci_high
    assert share.design_effect == pytest.approx(1.0)


def test_korn_graubard_interval_stays_inside_zero_one_at_the_edges() -> None:
    weights = np.random.default_rng(5).uniform(0.5, 2.0, 50)
    none = w.weighted_proportion(np.zeros(50, dtype=bool), weights)
    assert none.ci_low == 0.0
    assert 0.0 < none.ci_high < 0.15
    rare = np.zeros(50, dtype=bool)
    rare[0] = True
    one = w.weighted_proportion(rare, weights)
    assert 0.0 <= one.ci_low < one.estimate < one.ci_high <= 1.0
    assert one.estimate - 1.96 * one.standard_error < 0  # where a Wald interval would have gone negative


def test_subgroup_estimate_matches_the_subset_point_estimate() -> None:
    rng = np.random.default_rng(9)
    y = rng.normal(size=300)
    weights = rng.uniform(0.5, 2.0, 300)
    group = rng.random(300) < 0.4
    domain = w.weighted_mean(y, weights, subset=group)
    alone = w.weighted_mean(y[group], weights[group])
    assert domain.estimate == pytest.approx(alone.estimate)
    assert domain.respondents == int(group.sum())
    assert domain.standard_error == pytest.approx(alone.standard_error, rel=0.05)
    assert domain.design_effect == pytest.approx(w.kish_design_effect(weights[group]))


def _unequal_probability_sample(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group 1 (30% of the population) is over-sampled 3:1; the outcome differs by group."""
    probability_of_group_one = 0.3 * 3 / (0.3 * 3 + 0.7)
    group = rng.random(n) < probability_of_group_one
    outcome = np.where(group, rng.random(n) < 0.6, rng.random(n) < 0.2)
    value = np.where(group, rng.normal(5, 2, n), rng.normal(3, 1, n))
    weights = np.where(group, 1 / 3, 1.0)
    return outcome, value, weights


def test_confidence_intervals_cover_about_95_percent() -> None:
    rng = np.random.default_rng(2024)
    true_share = 0.3 * 0.6 + 0.7 * 0.2
    true_mean = 0.3 * 5 + 0.7 * 3
    reps = 200
    share_hits = mean_hits = 0
    for _ in range(reps):
        outcome, value, weights = _unequal_probability_sample(rng, 250)
        share = w.weighted_proportion(outcome, weights)
        mean = w.weighted_mean(value, weights)
        share_hits += share.ci_low <= true_share <= share.ci_high
        mean_hits += mean.ci_low <= true_mean <= mean.ci_high
    # 200 replicates: the binomial spread around 0.95 is about +/- 0.03.
    assert 0.89 <= share_hits / reps <= 0.995
    assert 0.89 <= mean_hits / reps <= 0.995


def test_calibration_shrinks_the_error_of_outcomes_tied_to_the_margins() -> None:
    rng = np.random.default_rng(4)
    n = 3000
    age = rng.integers(0, 4, n)
    outcome = rng.random(n) < np.array([0.1, 0.3, 0.5, 0.8])[age]
    result = w.rake({"age": age}, {"age": {0: 0.25, 1: 0.25, 2: 0.25, 3: 0.25}})
    plain = w.weighted_proportion(outcome, result.weights)
    calibrated = w.weighted_proportion(outcome, result.weights, calibration=list(result.codes.values()))
    assert calibrated.estimate == plain.estimate
    assert calibrated.standard_error < 0.9 * plain.standard_error
    # A raked margin is known exactly: its calibrated standard error vanishes.
    margin = w.weighted_proportion(age == 0, result.weights, calibration=list(result.codes.values()))
    assert margin.standard_error < 1e-9


def test_calibration_residuals_match_weighted_least_squares() -> None:
    rng = np.random.default_rng(21)
    n = 400
    codes = [rng.integers(0, 3, n), rng.integers(0, 4, n)]
    weights = rng.uniform(0.5, 2.0, n)
    z = rng.normal(size=n) + 0.5 * codes[0] - 0.3 * codes[1]
    design = np.column_stack(
        [np.ones(n)] + [(code == k).astype(float) for code in codes for k in range(1, code.max() + 1)]
    )
    root = np.sqrt(weights)
    coefficients = np.linalg.lstsq(design * root[:, None], z * root, rcond=None)[0]
    expected = z - design @ coefficients
    np.testing.assert_allclose(w._calibration_residuals(z, weights, codes), expected, atol=1e-9)


def test_estimates_by_group_give_one_domain_estimate_per_group() -> None:
    rng = np.random.default_rng(13)
    area = rng.choice(["north", "south", "east"], size=600)
    outcome = rng.random(600) < np.where(area == "north", 0.7, 0.3)
    weights = rng.uniform(0.5, 2.0, 600)
    by_area = w.estimates_by_group(outcome, weights, area, proportion=True)
    assert sorted(by_area) == ["east", "north", "south"]
    for name, estimate in by_area.items():
        direct = w.weighted_proportion(outcome, weights, subset=area == name)
        assert estimate == direct
    assert by_area["north"].ci_low > by_area["south"].ci_high


def test_difference_between_groups_and_between_waves() -> None:
    rng = np.random.default_rng(8)
    n = 2000
    weights = rng.uniform(0.5, 1.5, n)
    group = rng.random(n) < 0.5
    outcome = np.where(group, rng.random(n) < 0.6, rng.random(n) < 0.4)
    split = w.compare_groups(outcome, weights, group, ~group)
    assert split.difference == pytest.approx(0.2, abs=0.05)
    assert split.p_value < 1e-6
    assert split.ci_low < split.difference < split.ci_high
    same = w.compare_groups(outcome, weights, group, group)
    assert same.difference == 0.0
    assert same.p_value == 1.0

    wave_one = w.weighted_proportion(rng.random(800) < 0.50, np.ones(800))
    wave_two = w.weighted_proportion(rng.random(800) < 0.50, np.ones(800))
    change = w.compare_independent(wave_two, wave_one)
    assert change.standard_error == pytest.approx(math.hypot(wave_one.standard_error, wave_two.standard_error))
    assert change.difference == pytest.approx(wave_two.estimate - wave_one.estimate)
    assert 0.0 <= change.p_value <= 1.0
    assert change.z == pytest.approx(change.difference / change.standard_error)


def test_estimates_reject_bad_inputs() -> None:
    with pytest.raises(w.WeightingError, match="0/1"):
        w.weighted_proportion(np.array([0, 2, 1]), np.ones(3))
    with pytest.raises(w.WeightingError, match="same length"):
        w.weighted_mean(np.ones(3), np.ones(4))
    with pytest.raises(w.WeightingError, match="no respondents"):
        w.weighted_mean(np.ones(3), np.ones(3), subset=np.zeros(3, dtype=bool))
    with pytest.raises(w.WeightingError, match="missing"):
        w.weighted_mean(np.array([1.0, np.nan, 2.0]), np.ones(3))


# ---------------------------------------------------------------------------------------------------- CLI


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="byconsent rake")
    rake_command.add_arguments(parser)
    return rake_command.run(parser.parse_args(list(argv)))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


TARGETS_CSV = """variable,category,proportion
age,16-34,0.30
age,35-64,0.50
age,65+,0.20
sex,F,0.51
sex,M,0.49
"""


def test_cli_round_trip_appends_weights_in_input_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(12)
    ages = rng.choice(["16-34", "35-64", "65+"], size=300, p=[0.15, 0.5, 0.35])
    sexes = rng.choice(["F", "M"], size=300, p=[0.6, 0.4])
    lines = ["id,age,comment,sex"] + [
        f'{i},{a},"said ""hi"", then left",{s}' for i, (a, s) in enumerate(zip(ages, sexes, strict=True))
    ]
    data = _write(tmp_path / "data.csv", "\n".join(lines) + "\n")
    targets = _write(tmp_path / "targets.csv", TARGETS_CSV)
    output = tmp_path / "weighted.csv"

    assert _cli("--data", str(data), "--targets", str(targets), "--output", str(output)) == 0

    with output.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["id"] for row in rows] == [str(i) for i in range(300)]
    assert rows[0]["comment"] == 'said "hi", then left'
    weights = np.array([float(row["weight"]) for row in rows])
    assert weights.mean() == pytest.approx(1.0)
    assert weights[ages == "65+"].sum() / weights.sum() == pytest.approx(0.20, abs=1e-6)
    assert weights[sexes == "F"].sum() / weights.sum() == pytest.approx(0.51, abs=1e-6)
    printed = capsys.readouterr().out
    for label in ("iterations:", "max margin error:", "design effect (Kish):", "effective sample size:"):
        assert label in printed
    assert f"{w.kish_design_effect(weights):.4f}" in printed


def test_cli_trim_options_bound_the_weights(tmp_path: Path) -> None:
    rows = ["age,sex"] + ["16-34,M"] * 3 + ["35-64,F"] * 40 + ["65+,F"] * 30 + ["65+,M"] * 27 + ["16-34,F"] * 5
    data = _write(tmp_path / "data.csv", "\n".join(rows) + "\n")
    targets = _write(tmp_path / "targets.csv", TARGETS_CSV)
    output = tmp_path / "out.csv"
    code = _cli("--data", str(data), "--targets", str(targets), "--output", str(output), "--trim-max", "3")
    with output.open(newline="") as handle:
        weights = np.array([float(row["weight"]) for row in csv.DictReader(handle)])
    assert weights.max() <= 3.0 + 1e-9
    assert code in (0, 1)  # written either way; 1 means the bound made the margins unreachable


def test_cli_reports_line_numbers_of_values_not_in_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write(
        tmp_path / "data.csv",
        'age,sex,note\n16-34,F,ok\n35-64,X,"two\nlines"\n65+,M,ok\n35-64,unknown,ok\n',
    )
    targets = _write(tmp_path / "targets.csv", TARGETS_CSV)
    code = _cli("--data", str(data), "--targets", str(targets), "--output", str(tmp_path / "o.csv"))
    error = capsys.readouterr().err
    assert code == 2
    assert "'sex'" in error
    assert "line(s) 3, 6" in error  # the quoted note spans lines 3-4, so the last row starts on line 6
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    ("targets_text", "data_text", "message"),
    [
        ("variable,category,share\nage,16-34,1\n", "age\n16-34\n", "needs columns"),
        ("variable,category,proportion\nage,16-34,lots\n", "age\n16-34\n", "line 2: proportion 'lots' is not a number"),
        ("variable,category,proportion\nage,16-34,0.5\nage,65+,0.3\n", "age\n16-34\n65+\n", "sum to 0.8"),
        ("variable,category,proportion\nage,16-34,1\n", "sex\nF\n", "no column for target variable(s) 'age'"),
        ("variable,category,proportion\nage,16-34,0.5\nage,65+,0.5\n", "age\n16-34\n", "no respondents"),
        ("variable,category,proportion\nage,a,0.5\nage,a,0.5\n", "age\na\n", "line 3: category 'a'"),
    ],
)
def test_cli_input_errors_exit_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], targets_text: str, data_text: str, message: str
) -> None:
    data = _write(tmp_path / "data.csv", data_text)
    targets = _write(tmp_path / "targets.csv", targets_text)
    code = _cli("--data", str(data), "--targets", str(targets), "--output", str(tmp_path / "o.csv"))
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_base_weight_column_is_used(tmp_path: Path) -> None:
    data = _write(tmp_path / "data.csv", "sex,design\nF,1\nF,3\nM,2\nM,2\n")
    targets = _write(tmp_path / "targets.csv", "variable,category,proportion\nsex,F,0.5\nsex,M,0.5\n")
    output = tmp_path / "o.csv"
    assert _cli("--data", str(data), "--targets", str(targets), "--output", str(output), "--base-weight", "design") == 0
    with output.open(newline="") as handle:
        weights = [float(row["weight"]) for row in csv.DictReader(handle)]
    assert weights == pytest.approx([0.5, 1.5, 1.0, 1.0])
