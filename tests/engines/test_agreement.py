"""Inter-coder agreement against worked textbook examples and hand-computed cases."""

from __future__ import annotations

import pytest

from byconsent.engines.agreement import agreement_per_code, cohen_kappa, krippendorff_alpha_nominal

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: nominal data, four observers,
# twelve units, missing values. The paper works it through to alpha = 0.743.
KRIPPENDORFF_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]

# Same paper, section A: binary data, two observers, no missing values; alpha = 0.095.
KRIPPENDORFF_A = [
    [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
    [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
]


def test_krippendorff_nominal_with_missing_values_matches_the_worked_example() -> None:
    assert krippendorff_alpha_nominal(KRIPPENDORFF_C) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_binary_two_coders_matches_the_worked_example() -> None:
    assert krippendorff_alpha_nominal(KRIPPENDORFF_A) == pytest.approx(0.095, abs=5e-4)


def test_cohen_kappa_on_the_same_binary_data_by_hand() -> None:
    # Agreement 6/10; coder A says 1 twice, coder B four times: chance = 0.2*0.4 + 0.8*0.6 = 0.56.
    expected = (0.6 - 0.56) / (1 - 0.56)
    first, second = KRIPPENDORFF_A
    assert cohen_kappa(first, second) == pytest.approx(expected)


def test_cohen_kappa_textbook_two_by_two_table() -> None:
    # 50 items: both yes 20, both no 15, A yes/B no 5, A no/B yes 10. p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5.
    first = ["yes"] * 20 + ["no"] * 15 + ["yes"] * 5 + ["no"] * 10
    second = ["yes"] * 20 + ["no"] * 15 + ["no"] * 5 + ["yes"] * 10
    assert cohen_kappa(first, second) == pytest.approx(0.4)


def test_cohen_kappa_ignores_units_missing_for_either_coder() -> None:
    first = ["a", "b", None, "a", "c"]
    second = ["a", "b", "a", None, "c"]
    assert cohen_kappa(first, second) == pytest.approx(1.0)


def test_perfect_agreement_gives_one_and_constant_data_is_undefined() -> None:
    assert krippendorff_alpha_nominal([["x", "y", "x"], ["x", "y", "x"]]) == pytest.approx(1.0)
    assert krippendorff_alpha_nominal([["x", "x"], ["x", "x"]]) is None
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None
    assert krippendorff_alpha_nominal([[1, None], [None, 2]]) is None  # nothing pairable


def test_krippendorff_two_coders_no_missing_is_close_to_kappa_for_many_units() -> None:
    # Alpha corrects kappa's chance term for small samples; with many units they converge.
    first = ([1] * 40 + [0] * 60) * 5
    second = ([1] * 30 + [0] * 10 + [1] * 10 + [0] * 50) * 5
    alpha = krippendorff_alpha_nominal([first, second])
    kappa = cohen_kappa(first, second)
    assert alpha is not None and kappa is not None
    assert alpha == pytest.approx(kappa, abs=0.01)


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError):
        cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError):
        krippendorff_alpha_nominal([[1, 2], [1]])


def test_agreement_per_code_treats_uncoded_responses_as_missing() -> None:
    codings = {
        "ana": {"r1": {"parking"}, "r2": {"staff", "parking"}, "r3": set[str](), "r4": {"staff"}},
        "ben": {"r1": {"parking"}, "r2": {"staff"}, "r3": set[str](), "r5": {"staff"}},
    }
    results = {r.code: r for r in agreement_per_code(codings)}
    assert set(results) == {"parking", "staff"}
    # Both coded r1, r2, r3 only. parking: ana T,T,F; ben T,F,F.
    parking = results["parking"]
    assert parking.pairable_units == 3
    assert parking.cohen_kappa == pytest.approx(cohen_kappa([True, True, False], [True, False, False]))
    assert parking.krippendorff_alpha == pytest.approx(
        krippendorff_alpha_nominal([[True, True, False], [True, False, False]])
    )
    staff = results["staff"]
    assert staff.cohen_kappa == pytest.approx(1.0)
    assert staff.times_applied == 4


def test_agreement_per_code_with_three_coders_has_alpha_but_no_kappa() -> None:
    codings = {name: {"r1": {"a"}, "r2": set[str](), "r3": {"a"}, "r4": set[str]()} for name in ("x", "y", "z")}
    (result,) = agreement_per_code(codings, codebook=["a"])
    assert result.cohen_kappa is None
    assert result.krippendorff_alpha == pytest.approx(1.0)
    with pytest.raises(ValueError):
        agreement_per_code({"solo": {"r1": {"a"}}})
