"""Survey weighting: raking to population margins, and weighted estimates with honest uncertainty.

Raking (iterative proportional fitting) adjusts respondent weights until the weighted share of every category of
every margin variable (age band, sex, area, deprivation quintile, ...) matches the population share. Only the
one-way margins are matched, so the census does not need to publish the full cross-classification.

Speed comes from two facts. Respondents with the same combination of margin categories always receive the same
raking factor, so we rake the *cells* (at most the product of the category counts, e.g. 6 x 2 x 30 x 5 = 1,800)
instead of the rows, then broadcast the factors back. And every margin sum is one ``np.bincount`` with weights.

Estimates use Taylor linearisation for the standard error of a ratio (weighted) mean, treating each respondent as
its own primary sampling unit drawn with replacement. Optionally the raking itself is taken into account by
replacing the linearised values by their residuals from a weighted regression on the margin categories (the
Deville-Sarndal calibration variance), which is what makes raked estimates more precise for variables related to
the margins. Intervals for proportions are Korn-Graubard (Clopper-Pearson on the effective sample size), which
stay inside [0, 1] and keep their coverage near 0 and 1 where the Wald interval fails.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

# A dense lookup table is used to encode integers and to number cells while it stays below this many entries;
# beyond it we fall back to sorting (np.unique), which is slower but has no memory blow-up.
_DENSE_TABLE_LIMIT = 1 << 24


# --------------------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------------------


class WeightingError(ValueError):
    """Base class of every weighting input error: the message is meant for the analyst, as is."""


class TargetsError(WeightingError):
    """The targets are malformed: negative or missing proportions, or a variable that does not sum to one."""


class EmptyCategoryError(WeightingError):
    """A category has a positive population share but no respondent, so no weight can reproduce it."""

    def __init__(self, variable: str, categories: Sequence[object]) -> None:
        self.variable = variable
        self.categories = list(categories)
        shown = ", ".join(repr(c) for c in self.categories)
        super().__init__(
            f"variable {variable!r}: no respondents in target categor{'y' if len(self.categories) == 1 else 'ies'} "
            f"{shown}; merge it with a neighbouring category or drop it from the targets"
        )


class UnknownCategoryError(WeightingError):
    """Some respondents have a value that the targets do not mention (``rows`` are 0-based row positions)."""

    def __init__(self, variable: str, rows: IntArray, values: Sequence[object]) -> None:
        self.variable = variable
        self.rows = rows
        self.values = list(values)
        shown = ", ".join(repr(v) for v in self.values[:10])
        more = "" if len(self.values) <= 10 else f" and {len(self.values) - 10} more"
        super().__init__(
            f"variable {variable!r}: {len(rows)} respondent(s) have value(s) not in the targets: {shown}{more}"
        )


# --------------------------------------------------------------------------------------------------------------
# Raking: inputs and outputs
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrimBounds:
    """Bounds on the final weights, relative to the mean weight (e.g. 0.3 and 3.0). ``None`` means unbounded."""

    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        if self.lower is not None and not 0.0 <= self.lower <= 1.0:
            raise WeightingError(f"lower trim bound must be in [0, 1] (relative to the mean weight), got {self.lower}")
        if self.upper is not None and not self.upper >= 1.0:
            raise WeightingError(f"upper trim bound must be at least 1 (relative to the mean weight), got {self.upper}")


@dataclass(frozen=True)
class MarginCheck:
    """One category of one margin: its population share and the weighted share achieved."""

    variable: str
    category: object
    target: float
    achieved: float
    respondents: int

    @property
    def error(self) -> float:
        return abs(self.achieved - self.target)


@dataclass(frozen=True)
class RakeResult:
    """Weights (mean 1 unless a total was asked for) and the report an analyst needs to trust them."""

    weights: FloatArray
    iterations: int
    max_margin_error: float
    converged: bool
    design_effect: float
    effective_sample_size: float
    cells: int
    trimmed: int
    margins: list[MarginCheck] = field(repr=False)
    codes: dict[str, IntArray] = field(repr=False)


# --------------------------------------------------------------------------------------------------------------
# Encoding values as integer codes aligned with the target categories
# --------------------------------------------------------------------------------------------------------------


def encode(variable: str, values: npt.ArrayLike, categories: Sequence[object]) -> IntArray:
    """Codes 0..k-1 giving each respondent's position in ``categories``; raise if a value is not listed."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise WeightingError(f"variable {variable!r}: expected a one-dimensional column of values")
    if np.issubdtype(array.dtype, np.integer) and all(isinstance(c, (int, np.integer)) for c in categories):
        codes = _encode_integers(array, [int(c) for c in categories])  # type: ignore[call-overload]
    elif array.dtype.kind in "OUS":
        codes = _encode_by_dict(array, categories)
    else:
        codes = _encode_by_unique(array, categories)
    unknown = np.flatnonzero(codes < 0)
    if unknown.size:
        raise UnknownCategoryError(variable, unknown, _distinct_in_order(array[unknown]))
    return codes


def _encode_integers(array: npt.NDArray[np.integer[Any]], categories: list[int]) -> IntArray:
    """Integer columns: a dense lookup table over the value range, O(n) with no sort."""
    if array.size == 0:
        return np.empty(0, dtype=np.intp)
    low, high = int(array.min()), int(array.max())
    if categories == list(range(len(categories))) and low >= 0 and high < len(categories):
        return array.astype(np.intp, copy=False)  # already codes 0..k-1 in target order: nothing to do
    if high - low >= _DENSE_TABLE_LIMIT:
        return _encode_by_unique(array, categories)
    table = np.full(high - low + 1, -1, dtype=np.intp)
    for position, category in enumerate(categories):
        if low <= category <= high:
            table[category - low] = position
    codes: IntArray = table[array - low] if low else table[array]
    return codes


def _encode_by_dict(array: npt.NDArray[Any], categories: Sequence[object]) -> IntArray:
    """Strings and objects: one dictionary look-up per row is faster than sorting Python objects."""
    position = {category: index for index, category in enumerate(categories)}
    return np.fromiter((position.get(value, -1) for value in array.tolist()), dtype=np.intp, count=array.size)


def _encode_by_unique(array: npt.NDArray[Any], categories: Sequence[object]) -> IntArray:
    """Anything else (floats, huge integer ranges): encode the distinct values, then map them."""
    distinct, inverse = np.unique(array, return_inverse=True)
    position = {category: index for index, category in enumerate(categories)}
    mapped = np.array([position.get(value.item(), -1) for value in distinct], dtype=np.intp)
    return mapped[inverse.reshape(-1)]


def _distinct_in_order(values: npt.NDArray[Any]) -> list[object]:
    seen: dict[object, None] = {}
    for value in values.tolist():
        seen.setdefault(value, None)
    return list(seen)


# --------------------------------------------------------------------------------------------------------------
# Validating targets
# --------------------------------------------------------------------------------------------------------------


def validate_targets(
    targets: Mapping[str, Mapping[Any, float]], sum_tolerance: float = 1e-3
) -> dict[str, dict[Any, float]]:
    """Check every variable's proportions are finite, non-negative and sum to one; return them renormalised.

    A small rounding slack (``sum_tolerance``) is accepted because published census shares are rounded; the shares
    are then rescaled to sum exactly to one, otherwise no set of weights could satisfy two margins at once.
    """
    if not targets:
        raise TargetsError("no targets given: name at least one variable with its population proportions")
    cleaned: dict[str, dict[Any, float]] = {}
    for variable, shares in targets.items():
        if not shares:
            raise TargetsError(f"variable {variable!r} has no categories")
        for category, share in shares.items():
            if not (isinstance(share, (int, float)) and math.isfinite(share)) or share < 0:
                raise TargetsError(f"variable {variable!r}, category {category!r}: proportion {share!r} is not >= 0")
        total = float(sum(shares.values()))
        if abs(total - 1.0) > sum_tolerance + 1e-12:
            raise TargetsError(
                f"variable {variable!r}: proportions sum to {total:.6g}, not 1 (tolerance {sum_tolerance:g})"
            )
        cleaned[variable] = {category: float(share) / total for category, share in shares.items()}
    return cleaned


# --------------------------------------------------------------------------------------------------------------
# Raking
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    """Respondents collapsed into cells that always share one weight."""

    of_row: IntArray  # cell index of each respondent
    codes: list[IntArray]  # per margin variable, the category code of each cell
    mass: FloatArray  # sum of base weights of the respondents in each cell
    base: FloatArray  # the (common) base weight of one respondent in each cell
    respondents: FloatArray  # number of respondents in each cell


def rake(
    data: Mapping[str, npt.ArrayLike],
    targets: Mapping[str, Mapping[Any, float]],
    *,
    base_weights: npt.ArrayLike | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
    trim: TrimBounds | None = None,
    sum_tolerance: float = 1e-3,
    total: float | None = None,
) -> RakeResult:
    """Rake respondents to population margins.

    ``data`` maps each margin variable to one value per respondent; ``targets`` maps it to
    ``{category: population proportion}``. Convergence means every weighted share is within ``tol`` (absolute
    difference of proportions) of its target and no weight changed by more than a relative ``tol`` in the last
    sweep. Weights have mean 1, or sum to ``total`` when given.
    """
    shares = validate_targets(targets, sum_tolerance)
    missing = [variable for variable in shares if variable not in data]
    if missing:
        raise WeightingError(f"no data column for target variable(s): {', '.join(map(repr, missing))}")
    codes = {variable: encode(variable, data[variable], list(shares[variable])) for variable in shares}
    return rake_codes(
        codes,
        shares,
        base_weights=base_weights,
        max_iter=max_iter,
        tol=tol,
        trim=trim,
        total=total,
    )


def rake_codes(
    codes: Mapping[str, IntArray],
    shares: Mapping[str, Mapping[Any, float]],
    *,
    base_weights: npt.ArrayLike | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
    trim: TrimBounds | None = None,
    total: float | None = None,
) -> RakeResult:
    """Rake respondents already encoded as codes 0..k-1 into each variable's (validated) ``shares``."""
    if max_iter < 1:
        raise WeightingError("max_iter must be at least 1")
    variables = list(shares)
    n = _common_length(codes, variables)
    targets = [np.array(list(shares[variable].values()), dtype=np.float64) for variable in variables]
    _check_code_ranges(codes, variables, targets)
    base = _base_weights(base_weights, n)
    if base is not None and not np.ptp(base) > 0:
        base = None  # equal base weights change nothing once weights are normalised
    cells = _collapse(
        [codes[variable] for variable in variables],
        [len(t) for t in targets],
        base,
        split_by_base=base is not None and trim is not None,
    )
    # Every per-category count and total below is taken over cells, not rows: that is what keeps it fast.
    counts = [_weighted_count(code, cells.respondents, len(t)) for code, t in zip(cells.codes, targets, strict=True)]
    _check_empty_categories(variables, shares, targets, counts)
    factors, iterations, error, settled = _ipf(cells, targets, max_iter, tol, trim, n)

    factors *= (n if total is None else total) / float(np.dot(factors, cells.mass))
    row_factors = factors[cells.of_row]
    weights = row_factors if base is None else row_factors * base
    sum_of_squares = float(np.dot(factors**2, cells.mass if base is None else _squared_mass(cells, base)))
    weight_total = float(np.dot(factors, cells.mass))
    return RakeResult(
        weights=weights,
        iterations=iterations,
        max_margin_error=error,
        converged=settled,
        design_effect=n * sum_of_squares / weight_total**2,
        effective_sample_size=weight_total**2 / sum_of_squares,
        cells=len(cells.mass),
        trimmed=_count_at_bounds(cells, factors, trim, n),
        margins=_margin_report(variables, shares, cells, factors * cells.mass, counts),
        codes={variable: codes[variable] for variable in variables},
    )


def _check_code_ranges(codes: Mapping[str, IntArray], variables: Sequence[str], targets: Sequence[FloatArray]) -> None:
    for variable, target in zip(variables, targets, strict=True):
        code = codes[variable]
        if not np.issubdtype(code.dtype, np.integer) or int(code.min()) < 0 or int(code.max()) >= len(target):
            raise WeightingError(f"variable {variable!r}: codes must be integers from 0 to {len(target) - 1}")


def _squared_mass(cells: _Cells, base: FloatArray) -> FloatArray:
    """Sum of squared base weights per cell (for the design effect when base weights vary within a cell)."""
    return _weighted_count(cells.of_row, base * base, len(cells.mass))


def _weighted_count(code: IntArray, weights: FloatArray, length: int) -> FloatArray:
    """Sum of ``weights`` per code 0..length-1: the one primitive every margin total is built from."""
    return np.bincount(code, weights=weights, minlength=length).astype(np.float64, copy=False)


def _common_length(codes: Mapping[str, IntArray], variables: Sequence[str]) -> int:
    lengths = {variable: len(codes[variable]) for variable in variables}
    if len(set(lengths.values())) != 1:
        raise WeightingError(f"margin variables have different numbers of respondents: {lengths}")
    n = next(iter(lengths.values()))
    if n == 0:
        raise WeightingError("no respondents to weight")
    return n


def _base_weights(base_weights: npt.ArrayLike | None, n: int) -> FloatArray | None:
    if base_weights is None:
        return None
    base = np.asarray(base_weights, dtype=np.float64)
    if base.shape != (n,):
        raise WeightingError(f"base weights: expected {n} values, got shape {base.shape}")
    if not np.all(np.isfinite(base)) or np.any(base <= 0):
        raise WeightingError("base weights must be finite and strictly positive")
    return base


def _check_empty_categories(
    variables: Sequence[str],
    shares: Mapping[str, Mapping[Any, float]],
    targets: Sequence[FloatArray],
    counts: Sequence[FloatArray],
) -> None:
    for variable, target, count in zip(variables, targets, counts, strict=True):
        categories = list(shares[variable])
        empty = [categories[i] for i in np.flatnonzero((count == 0) & (target > 0))]
        if empty:
            raise EmptyCategoryError(variable, empty)
        # A zero share with respondents would force their weights to zero, which hides them from every estimate.
        zeroed = [categories[i] for i in np.flatnonzero((count > 0) & (target == 0))]
        if zeroed:
            raise TargetsError(
                f"variable {variable!r}: categor{'y' if len(zeroed) == 1 else 'ies'} "
                f"{', '.join(map(repr, zeroed))} have respondents but a population proportion of 0"
            )


def _collapse(codes: Sequence[IntArray], sizes: Sequence[int], base: FloatArray | None, split_by_base: bool) -> _Cells:
    """Number the distinct combinations of categories (and base weight, when trimming needs it) present."""
    parts = list(zip(codes, sizes, strict=True))
    base_values: FloatArray | None = None
    if split_by_base and base is not None:
        base_values, base_code = np.unique(base, return_inverse=True)
        parts.append((base_code.reshape(-1).astype(np.intp), len(base_values)))
    key = parts[0][0].astype(np.int64)
    space = parts[0][1]
    renumbered = False
    for code, size in parts[1:]:
        if space * size >= 2**62:
            # Renumber the combinations seen so far before the mixed-radix key could overflow 64 bits.
            key, present = _dense_ids(key, space)
            key, space, renumbered = key.astype(np.int64), len(present), True
        key *= size
        key += code
        space *= size
    of_row, cell_keys = _dense_ids(key, space)
    part_codes = _part_codes(cell_keys, parts) if not renumbered else _member_codes(of_row, parts)
    respondents = np.bincount(of_row, minlength=len(cell_keys)).astype(np.float64)
    mass = respondents if base is None else _weighted_count(of_row, base, len(cell_keys))
    # Without a split, a cell's base is only used for trimming, where it is constant (all ones) by construction.
    cell_base = np.ones(len(cell_keys)) if base_values is None else base_values[part_codes[-1]]
    return _Cells(
        of_row=of_row,
        codes=part_codes[: len(codes)],
        mass=mass,
        base=cell_base,
        respondents=respondents,
    )


def _part_codes(cell_keys: npt.NDArray[np.int64], parts: Sequence[tuple[IntArray, int]]) -> list[IntArray]:
    """Each cell's code in every part, read back from its mixed-radix key (O(cells), no pass over the rows)."""
    remainder = cell_keys.copy()
    decoded: list[IntArray] = []
    for _, size in reversed(parts):
        decoded.append((remainder % size).astype(np.intp))
        remainder //= size
    decoded.reverse()
    return decoded


def _member_codes(of_row: IntArray, parts: Sequence[tuple[IntArray, int]]) -> list[IntArray]:
    """Each cell's code in every part, from any one of its respondents (used when keys were renumbered)."""
    member = np.empty(int(of_row.max()) + 1, dtype=np.intp)
    member[of_row] = np.arange(len(of_row))
    return [code[member] for code, _ in parts]


def _dense_ids(key: npt.NDArray[np.int64], space: int) -> tuple[IntArray, npt.NDArray[np.int64]]:
    """Map keys to 0..m-1 (m distinct keys), via a lookup table when the key space is small, else by sorting."""
    if space <= _DENSE_TABLE_LIMIT:
        present = np.flatnonzero(np.bincount(key, minlength=space))
        table = np.full(space, -1, dtype=np.intp)
        table[present] = np.arange(len(present))
        return table[key], present.astype(np.int64)
    distinct, inverse = np.unique(key, return_inverse=True)
    return inverse.reshape(-1).astype(np.intp), distinct


def _ipf(
    cells: _Cells, targets: Sequence[FloatArray], max_iter: int, tol: float, trim: TrimBounds | None, n: int
) -> tuple[FloatArray, int, float, bool]:
    """Iterative proportional fitting on cells, trimming after every sweep; return factors per cell.

    Converged means two things: every weighted share is within ``tol`` of its target, and no weight moved by
    more than a relative ``tol`` in the last sweep. The second matters: small cells can still be far from their
    final weight while every margin already looks right, and two tools that stop there disagree on the weights.
    """
    total_mass = float(cells.mass.sum())
    absolute = [target * total_mass for target in targets]
    factors = np.ones(len(cells.mass))
    error = math.inf
    iterations = 0
    settled = False
    for sweep in range(1, max_iter + 1):
        iterations = sweep
        previous = factors.copy()
        for code, goal in zip(cells.codes, absolute, strict=True):
            current = np.bincount(code, weights=factors * cells.mass, minlength=len(goal))
            ratio = np.divide(goal, current, out=np.zeros_like(goal), where=current > 0)
            factors *= ratio[code]
        if trim is not None:
            factors = _apply_trim(factors, cells, trim, n)
        error = _max_error(cells, factors, targets)
        change = float(np.max(np.abs(factors / previous - 1.0)))
        settled = error <= tol and change <= tol
        if settled:
            break
    return factors, iterations, error, settled


def _apply_trim(factors: FloatArray, cells: _Cells, trim: TrimBounds, n: int) -> FloatArray:
    """Clip weights to [lower, upper] x their mean, where the mean is that of the clipped weights themselves.

    Clipping moves the mean, so clipping around the old mean can leave weights outside the new bounds. We solve
    mean(clip(w, lower m, upper m)) = m for m exactly instead (see ``_trimmed_mean``).
    """
    weight = factors * cells.base
    lower = 0.0 if trim.lower is None else trim.lower
    upper = math.inf if trim.upper is None else trim.upper
    mean = float(np.dot(weight, cells.respondents)) / n
    if weight.min() >= lower * mean and weight.max() <= upper * mean:
        return factors
    m = _trimmed_mean(weight, cells.respondents, n, lower, upper)
    if m is None:
        return factors
    trimmed: FloatArray = np.clip(weight, lower * m, upper * m) / cells.base
    return trimmed


def _trimmed_mean(weight: FloatArray, count: FloatArray, n: int, lower: float, upper: float) -> float | None:
    """The m > 0 with sum(count * clip(weight, lower m, upper m)) = n m, without iterating.

    The clipped mean divided by m falls as m grows, and between consecutive break points (weight / lower,
    weight / upper) the set of weights on each bound is fixed, so the equation is linear there. Sorting once and
    using prefix sums evaluates the ratio at every break point at the same time; the root lies in the interval
    where the ratio crosses 1.
    """
    order = np.argsort(weight)
    sorted_weight, sorted_count = weight[order], count[order]
    people = np.concatenate(([0.0], np.cumsum(sorted_count)))
    mass = np.concatenate(([0.0], np.cumsum(sorted_count * sorted_weight)))

    def bound_sets(m: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        at_lower = np.searchsorted(sorted_weight, lower * m, side="right")
        at_upper = np.searchsorted(sorted_weight, upper * m, side="left")
        return people[at_lower], people[-1] - people[at_upper], mass[at_upper] - mass[at_lower]

    positive = sorted_weight[sorted_weight > 0]
    if positive.size == 0:
        return None
    breaks = [positive / upper] if math.isfinite(upper) else []
    if lower > 0:
        breaks.append(positive / lower)
    candidates = np.unique(np.concatenate(breaks)) if breaks else np.array([float(positive.mean())])
    # Weights driven towards 0 by infeasible bounds can underflow here; such break points carry no information.
    candidates = candidates[(candidates > 0) & np.isfinite(candidates)]
    if candidates.size == 0:
        return None
    below, above, free = bound_sets(candidates)
    # With no upper bound nobody is above it; writing that out avoids inf * 0.
    capped = upper * candidates * above if math.isfinite(upper) else np.zeros_like(candidates)
    ratio = (lower * candidates * below + capped + free) / (n * candidates)
    crossing = int(np.searchsorted(-ratio, -1.0, side="right"))  # ratio is non-increasing: first index below 1
    if crossing == 0:
        probe = candidates[0] / 2
    elif crossing == len(candidates):
        probe = candidates[-1] * 2
    else:
        probe = (candidates[crossing - 1] + candidates[crossing]) / 2
    people_below, people_above, free_mass = (float(x[0]) for x in bound_sets(np.array([probe])))
    denominator = n - lower * people_below - (upper * people_above if people_above > 0 else 0.0)
    if denominator > 1e-12 * n and free_mass > 0:
        return free_mass / denominator
    # Everyone is on a bound and the bounds balance exactly: every m in this interval solves it; take the probe.
    return float(probe) if abs(denominator) <= 1e-9 * n and free_mass <= 0 else None


def _max_error(cells: _Cells, factors: FloatArray, targets: Sequence[FloatArray]) -> float:
    weighted = factors * cells.mass
    total = float(weighted.sum())
    worst = 0.0
    for code, target in zip(cells.codes, targets, strict=True):
        achieved = np.bincount(code, weights=weighted, minlength=len(target)) / total
        worst = max(worst, float(np.max(np.abs(achieved - target))))
    return worst


def _count_at_bounds(cells: _Cells, factors: FloatArray, trim: TrimBounds | None, n: int) -> int:
    """Respondents whose weight sits on a trim bound (a sign of how hard the bounds bite)."""
    if trim is None:
        return 0
    weight = factors * cells.base
    mean_weight = float((weight * cells.respondents).sum()) / n
    at_bound = np.zeros(len(weight), dtype=bool)
    if trim.lower is not None:
        at_bound |= weight <= trim.lower * mean_weight * (1 + 1e-9)
    if trim.upper is not None:
        at_bound |= weight >= trim.upper * mean_weight * (1 - 1e-9)
    return int(cells.respondents[at_bound].sum())


def _margin_report(
    variables: Sequence[str],
    shares: Mapping[str, Mapping[Any, float]],
    cells: _Cells,
    cell_weight: FloatArray,
    counts: Sequence[FloatArray],
) -> list[MarginCheck]:
    total = float(cell_weight.sum())
    report: list[MarginCheck] = []
    for variable, code, count in zip(variables, cells.codes, counts, strict=True):
        categories = list(shares[variable])
        achieved = np.bincount(code, weights=cell_weight, minlength=len(categories)) / total
        for index, category in enumerate(categories):
            report.append(
                MarginCheck(
                    variable=variable,
                    category=category,
                    target=float(shares[variable][category]),
                    achieved=float(achieved[index]),
                    respondents=int(count[index]),
                )
            )
    return report


# --------------------------------------------------------------------------------------------------------------
# Design effect and effective sample size
# --------------------------------------------------------------------------------------------------------------


def kish_design_effect(weights: npt.ArrayLike) -> float:
    """Kish's design effect due to unequal weights: n * sum(w^2) / sum(w)^2 = 1 + CV^2 of the weights."""
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0:
        return math.nan
    return float(w.size * np.dot(w, w) / w.sum() ** 2)


def effective_sample_size(weights: npt.ArrayLike) -> float:
    """Kish's effective sample size: sum(w)^2 / sum(w^2), the size of a simple random sample as precise."""
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0:
        return 0.0
    return float(w.sum() ** 2 / np.dot(w, w))


# --------------------------------------------------------------------------------------------------------------
# Weighted estimates
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A weighted estimate for the whole sample or a subgroup, with its uncertainty."""

    estimate: float
    standard_error: float
    ci_low: float
    ci_high: float
    respondents: int
    weighted_total: float
    effective_sample_size: float
    design_effect: float
    confidence: float
    method: str


@dataclass(frozen=True)
class Difference:
    """Difference ``first - second`` between two estimates, with a two-sided z-test."""

    difference: float
    standard_error: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    confidence: float


def weighted_mean(
    values: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    subset: npt.ArrayLike | None = None,
    calibration: Sequence[IntArray] | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """Weighted mean of ``values`` (over ``subset`` if given) with a linearised standard error and t interval.

    ``calibration``: the margin codes the weights were raked on (``RakeResult.codes.values()``); when given, the
    standard error accounts for the raking, which usually makes it smaller for outcomes related to the margins.
    """
    y, w, domain = _prepare(values, weights, subset)
    mean, linearised, respondents, domain_weight = _domain_mean(y, w, domain)
    se = _linearised_se(linearised, w, calibration)
    crit = _t_critical(confidence, len(w))
    return Estimate(
        estimate=mean,
        standard_error=se,
        ci_low=mean - crit * se,
        ci_high=mean + crit * se,
        respondents=respondents,
        weighted_total=domain_weight,
        effective_sample_size=effective_sample_size(w[domain]),
        design_effect=kish_design_effect(w[domain]),
        confidence=confidence,
        method="linearised mean, t interval" + (" (calibrated)" if calibration is not None else ""),
    )


def weighted_proportion(
    indicator: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    subset: npt.ArrayLike | None = None,
    calibration: Sequence[IntArray] | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """Weighted proportion of respondents with ``indicator`` true, with a Korn-Graubard interval.

    Korn-Graubard: the linearised variance gives an effective sample size n* = p(1-p)/se^2 (capped at the
    respondents, adjusted for degrees of freedom); the interval is the exact Clopper-Pearson interval for p*n*
    successes out of n*. Unlike p +/- 1.96 se it never leaves [0, 1] and keeps its coverage for rare outcomes.
    """
    flags = np.asarray(indicator)
    if flags.dtype != np.bool_ and not np.all(np.isin(flags, (0, 1))):
        raise WeightingError("a proportion needs a 0/1 or boolean indicator")
    y, w, domain = _prepare(flags.astype(np.float64), weights, subset)
    share, linearised, respondents, domain_weight = _domain_mean(y, w, domain)
    se = _linearised_se(linearised, w, calibration)
    kish_n = effective_sample_size(w[domain])
    low, high = _korn_graubard(share, se, respondents, kish_n, len(w), confidence)
    return Estimate(
        estimate=share,
        standard_error=se,
        ci_low=low,
        ci_high=high,
        respondents=respondents,
        weighted_total=domain_weight,
        effective_sample_size=kish_n,
        design_effect=kish_design_effect(w[domain]),
        confidence=confidence,
        method="linearised proportion, Korn-Graubard interval" + (" (calibrated)" if calibration is not None else ""),
    )


def estimates_by_group(
    values: npt.ArrayLike,
    weights: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    proportion: bool = False,
    calibration: Sequence[IntArray] | None = None,
    confidence: float = 0.95,
) -> dict[Any, Estimate]:
    """One estimate per value of ``groups`` (e.g. per area), each a domain of the whole sample."""
    labels = np.asarray(groups)
    estimate = weighted_proportion if proportion else weighted_mean
    return {
        label.item(): estimate(values, weights, subset=labels == label, calibration=calibration, confidence=confidence)
        for label in np.unique(labels)
    }


def compare_groups(
    values: npt.ArrayLike,
    weights: npt.ArrayLike,
    first: npt.ArrayLike,
    second: npt.ArrayLike,
    *,
    calibration: Sequence[IntArray] | None = None,
    confidence: float = 0.95,
) -> Difference:
    """Difference of weighted means (or proportions, for 0/1 values) between two subgroups of one sample.

    The variance of the difference is linearised jointly, so it is right even when the groups overlap.
    """
    y, w, first_mask = _prepare(values, weights, first)
    _, _, second_mask = _prepare(values, weights, second)
    first_mean, first_lin, first_n, _ = _domain_mean(y, w, first_mask)
    second_mean, second_lin, second_n, _ = _domain_mean(y, w, second_mask)
    if first_n == 0 or second_n == 0:
        raise WeightingError("both groups need at least one respondent")
    se = _linearised_se(first_lin - second_lin, w, calibration)
    return _difference(first_mean - second_mean, se, confidence)


def compare_independent(first: Estimate, second: Estimate, confidence: float = 0.95) -> Difference:
    """Difference between estimates from independent samples (e.g. two survey waves): variances add."""
    se = math.hypot(first.standard_error, second.standard_error)
    return _difference(first.estimate - second.estimate, se, confidence)


def _difference(difference: float, se: float, confidence: float) -> Difference:
    crit = float(stats.norm.ppf(0.5 + confidence / 2))
    if se > 0:
        z = difference / se
        p_value = float(2 * stats.norm.sf(abs(z)))
    else:
        z = 0.0 if difference == 0 else math.copysign(math.inf, difference)
        p_value = 1.0 if difference == 0 else 0.0
    return Difference(
        difference=difference,
        standard_error=se,
        ci_low=difference - crit * se,
        ci_high=difference + crit * se,
        z=z,
        p_value=p_value,
        confidence=confidence,
    )


def _prepare(
    values: npt.ArrayLike, weights: npt.ArrayLike, subset: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    y = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if y.ndim != 1 or y.shape != w.shape:
        raise WeightingError(f"values and weights must be one-dimensional and the same length ({y.shape}, {w.shape})")
    if y.size < 2:
        raise WeightingError("at least two respondents are needed for a standard error")
    if not np.all(np.isfinite(y)):
        raise WeightingError("values contain missing or infinite entries; filter them out (use subset) first")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise WeightingError("weights must be finite and non-negative")
    domain = np.ones(y.size, dtype=bool) if subset is None else np.asarray(subset, dtype=bool)
    if domain.shape != y.shape:
        raise WeightingError("subset must be a boolean mask with one entry per respondent")
    return y, w, domain


def _domain_mean(y: FloatArray, w: FloatArray, domain: npt.NDArray[np.bool_]) -> tuple[float, FloatArray, int, float]:
    """Ratio mean over a domain and its linearised (influence) values over the *whole* sample.

    Domain estimation must keep every respondent: respondents outside the domain contribute zeros, which is what
    makes the variance reflect that the domain's own sample size is random.
    """
    domain_weight = float(w[domain].sum())
    respondents = int(domain.sum())
    if respondents == 0 or domain_weight <= 0:
        raise WeightingError("the group has no respondents with positive weight")
    mean = float(np.dot(w[domain], y[domain]) / domain_weight)
    linearised = np.where(domain, (y - mean) / domain_weight, 0.0)
    return mean, linearised, respondents, domain_weight


def _linearised_se(linearised: FloatArray, w: FloatArray, calibration: Sequence[IntArray] | None) -> float:
    """With-replacement variance of sum(w * z): n/(n-1) * sum((w z - mean(w z))^2)."""
    z = linearised if calibration is None else _calibration_residuals(linearised, w, calibration)
    scores = w * z
    n = scores.size
    centred = scores - scores.mean()
    return math.sqrt(n / (n - 1) * float(np.dot(centred, centred)))


def _calibration_residuals(
    z: FloatArray, w: FloatArray, calibration: Sequence[IntArray], sweeps: int = 500, tol: float = 1e-12
) -> FloatArray:
    """Residuals of a weighted regression of z on the margin categories (main effects), by backfitting.

    Backfitting removes, variable by variable, the weighted mean of the residual within each category; repeated, it
    converges to the weighted least-squares projection without building the n x K design matrix. The fitted
    values are constant within a cell of the margin categories, so the sweeps run on cell totals, not on rows.
    """
    codes = [np.asarray(code, dtype=np.intp) for code in calibration]
    if any(code.shape != z.shape for code in codes):
        raise WeightingError("calibration codes must have one entry per respondent")
    cells = _collapse(codes, [int(code.max()) + 1 for code in codes], None, split_by_base=False)
    cell_weight = _weighted_count(cells.of_row, w, len(cells.mass))
    cell_sum = _weighted_count(cells.of_row, w * z, len(cells.mass))
    category_weight = [_weighted_count(code, cell_weight, int(code.max()) + 1) for code in cells.codes]
    fitted = np.zeros(len(cells.mass))
    scale = float(np.abs(z).max()) or 1.0
    for _ in range(sweeps):
        largest_shift = 0.0
        for code, total in zip(cells.codes, category_weight, strict=True):
            sums = _weighted_count(code, cell_sum - cell_weight * fitted, len(total))
            means = np.divide(sums, total, out=np.zeros_like(sums), where=total > 0)
            fitted += means[code]
            largest_shift = max(largest_shift, float(np.abs(means).max()))
        if largest_shift <= tol * scale:
            break
    residual: FloatArray = z - fitted[cells.of_row]
    return residual


def _t_critical(confidence: float, n: int) -> float:
    if not 0 < confidence < 1:
        raise WeightingError(f"confidence must be between 0 and 1, got {confidence}")
    return float(stats.t.ppf(0.5 + confidence / 2, df=max(n - 1, 1)))


def _korn_graubard(
    share: float, se: float, respondents: int, kish_n: float, n: int, confidence: float
) -> tuple[float, float]:
    alpha = 1 - confidence
    # p = 0 or 1 has no sampling variance to estimate from; fall back on the weighting design effect there.
    n_star = min(share * (1 - share) / se**2, float(respondents)) if se > 0 and 0 < share < 1 else kish_n
    # Degrees-of-freedom adjustment: a t rather than a normal reference shrinks n* a little for small samples.
    n_star *= (stats.norm.ppf(alpha / 2) / stats.t.ppf(alpha / 2, df=max(n - 1, 1))) ** 2
    successes = share * n_star
    low = 0.0 if successes <= 0 else float(stats.beta.ppf(alpha / 2, successes, n_star - successes + 1))
    high = 1.0 if successes >= n_star else float(stats.beta.ppf(1 - alpha / 2, successes + 1, n_star - successes))
    return low, high
