"""Inter-coder agreement for qualitative coding: Cohen's kappa and Krippendorff's alpha (nominal).

Pure numpy. Analysts code the same responses independently; these statistics say how far their codes agree
beyond what chance alone would give. Both are computed per code (was the code applied to this response, yes or
no?) because a codebook is multi-label: one response can carry several codes.

Missing data: a coder who did not look at a response is *missing* for it, which is different from looking and
not applying a code. Krippendorff's alpha handles missing values and any number of coders; Cohen's kappa is for
exactly two coders and uses only the responses both coded.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Label = Hashable
# One coder's work: response id -> the set of codes that coder applied. A response absent from the mapping was
# not coded by that coder (missing), not "coded with nothing".
CoderCodings = Mapping[str, frozenset[str] | set[str]]


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement on one code of the codebook."""

    code: str
    krippendorff_alpha: float | None  # None when undefined (no pairable responses, or no variation at all)
    cohen_kappa: float | None  # only for exactly two coders; None otherwise or when undefined
    pairable_units: int  # responses coded by at least two coders
    times_applied: int  # how many (coder, response) codings applied this code


def cohen_kappa(first: Sequence[Label | None], second: Sequence[Label | None]) -> float | None:
    """Cohen's kappa for two coders' nominal labels of the same units; None marks a missing label.

    Units where either label is missing are left out. Returns None when undefined: no units left, or chance
    agreement is total (both coders used one and the same label throughout).
    """
    if len(first) != len(second):
        raise ValueError("both coders must label the same units (sequences of equal length)")
    pairs = [(a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None]
    if not pairs:
        return None
    categories = sorted({label for pair in pairs for label in pair}, key=repr)
    index = {label: i for i, label in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)), dtype=np.float64)
    for a, b in pairs:
        table[index[a], index[b]] += 1.0
    total = table.sum()
    observed = np.trace(table) / total
    expected = float(table.sum(axis=1) @ table.sum(axis=0)) / total**2
    if np.isclose(expected, 1.0):
        return None
    return float((observed - expected) / (1.0 - expected))


def krippendorff_alpha_nominal(reliability_data: Sequence[Sequence[Label | None]]) -> float | None:
    """Krippendorff's alpha for nominal data: rows are coders, columns are units, None marks a missing value.

    Follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": build the coincidence matrix from
    every unit coded by at least two coders, then alpha = 1 - D_observed / D_expected. Returns None when
    undefined (no pairable values, or a single category used throughout so there is no disagreement to expect).
    """
    coincidences = _coincidence_matrix(reliability_data)
    if coincidences is None:
        return None
    pairable_values = coincidences.sum()
    category_totals = coincidences.sum(axis=1)
    observed_disagreement = pairable_values - np.trace(coincidences)
    expected_disagreement = (pairable_values**2 - float(np.sum(category_totals**2))) / (pairable_values - 1.0)
    if np.isclose(expected_disagreement, 0.0):
        return None
    return float(1.0 - observed_disagreement / expected_disagreement)


def _coincidence_matrix(reliability_data: Sequence[Sequence[Label | None]]) -> NDArray[np.float64] | None:
    """o_ck: each unit with m_u >= 2 values adds every ordered pair of its values with weight 1 / (m_u - 1)."""
    if not reliability_data:
        return None
    unit_count = len(reliability_data[0])
    if any(len(row) != unit_count for row in reliability_data):
        raise ValueError("every coder's row must cover the same units")
    categories = sorted({v for row in reliability_data for v in row if v is not None}, key=repr)
    index = {label: i for i, label in enumerate(categories)}
    matrix = np.zeros((len(categories), len(categories)), dtype=np.float64)
    for unit in range(unit_count):
        values = [row[unit] for row in reliability_data if row[unit] is not None]
        if len(values) < 2:
            continue  # a value no other coder can be compared with carries no information about agreement
        counts = np.zeros(len(categories), dtype=np.float64)
        for value in values:
            counts[index[value]] += 1.0
        # Ordered pairs of distinct values within the unit: n_c * n_k off the diagonal, n_c * (n_c - 1) on it.
        pairs = np.outer(counts, counts) - np.diag(counts)
        matrix += pairs / (len(values) - 1.0)
    if matrix.sum() == 0.0:
        return None
    return matrix


def agreement_per_code(
    codings: Mapping[str, CoderCodings], codebook: Sequence[str] | None = None
) -> list[CodeAgreement]:
    """Agreement per code between several coders, each coding some of the responses.

    ``codings`` maps coder name -> {response id -> codes applied}. For each code every coded response becomes a
    binary value per coder (applied / not applied); responses a coder did not code are missing for that coder.
    The codebook defaults to every code any coder used, in sorted order.
    """
    coders = sorted(codings)
    if len(coders) < 2:
        raise ValueError("agreement needs at least two coders")
    codes = (
        list(codebook)
        if codebook is not None
        else sorted({c for cc in codings.values() for s in cc.values() for c in s})
    )
    units = sorted({unit for coder in coders for unit in codings[coder]})
    results: list[CodeAgreement] = []
    for code in codes:
        rows = [_presence_row(codings[coder], units, code) for coder in coders]
        pairable = sum(1 for u in range(len(units)) if sum(row[u] is not None for row in rows) >= 2)
        applied = sum(1 for row in rows for value in row if value is True)
        kappa = cohen_kappa(rows[0], rows[1]) if len(coders) == 2 else None
        results.append(
            CodeAgreement(
                code=code,
                krippendorff_alpha=krippendorff_alpha_nominal(rows),
                cohen_kappa=kappa,
                pairable_units=pairable,
                times_applied=applied,
            )
        )
    return results


def _presence_row(coder_codings: CoderCodings, units: Sequence[str], code: str) -> list[bool | None]:
    """For one coder and one code: True/False per unit they coded, None where they did not code it."""
    return [(code in coder_codings[unit]) if unit in coder_codings else None for unit in units]
