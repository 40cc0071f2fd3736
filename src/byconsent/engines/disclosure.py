"""Statistical disclosure control for published count tables.

Rule of the product: a published figure never shows a count below the disclosure threshold (default 10), and no
hidden figure can be worked out by subtracting published figures from each other.

A table is modelled as a vector of cells (inner cells and totals alike) plus the sums that tie them together
("this total is the sum of those cells"). One-way tables with a total, two-way tables with margins and linked tables
(a breakdown by neighbourhood published beside the same breakdown by division) are all the same shape to the code.

1. Primary suppression hides every cell below the threshold (and zeros, unless told otherwise).
2. Secondary suppression hides further cells so that an attacker who knows every published figure, every sum and
   that counts are never negative still cannot pin any primary cell down: the attacker's best bounds on it (a linear
   program) must reach ``upper_protection`` above its true value and down to ``lower_protection`` below it (or 0).
   Chosen by an integer program solved with HiGHS (Benders-style cut generation, exact for one- and two-way tables)
   or, for large tables or when the exact search runs out of time, by a greedy cover of the same cuts (safe by
   construction, more loss).
3. Every result is audited with an exact linear program (``feasible_intervals``) before it is returned.
4. Optional rounding of published figures to a base (e.g. 5), each figure rounded on its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

CellStatus = Literal["published", "primary", "secondary"]
SecondaryMethod = Literal["auto", "exact", "heuristic"]
CostModel = Literal["value", "count"]
MethodUsed = Literal["exact", "heuristic", "none", "everything hidden"]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_TOLERANCE = 1e-6
_T = TypeVar("_T")
_UNBOUNDED = (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible)
_INF = highspy.kHighsInf


# ---------------------------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdditiveTable:
    """Cells of one or more linked tables and the sums that tie them together.

    ``sums`` holds pairs ``(total_cell, part_cells)`` meaning values[total_cell] == sum(values[part_cells]).
    ``shape`` is set for one-way (n + 1,) and two-way (rows + 1, columns + 1) tables, whose cells are stored row by
    row with the total last in each row and the total row last.
    """

    values: tuple[int, ...]
    sums: tuple[tuple[int, tuple[int, ...]], ...]
    labels: tuple[str, ...]
    shape: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.values):
            raise ValueError("one label per cell is needed")
        if any(value < 0 for value in self.values):
            raise ValueError("counts cannot be negative")
        for total, parts in self.sums:
            if self.values[total] != sum(self.values[part] for part in parts):
                raise ValueError(f"cell {self.labels[total]!r} is not the sum of its parts")

    @property
    def size(self) -> int:
        return len(self.values)


def one_way_table(
    counts: Sequence[int], labels: Sequence[str] | None = None, total_label: str = "Total"
) -> AdditiveTable:
    """A breakdown with its total as the last cell."""
    names = list(labels) if labels is not None else [str(index) for index in range(len(counts))]
    values = [int(count) for count in counts]
    return AdditiveTable(
        values=(*values, sum(values)),
        sums=((len(values), tuple(range(len(values)))),),
        labels=(*names, total_label),
        shape=(len(values) + 1,),
    )


def two_way_table(
    counts: Sequence[Sequence[int]] | npt.NDArray[np.integer],
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
) -> AdditiveTable:
    """A cross-tabulation with row totals (last column), column totals (last row) and the grand total."""
    inner = np.asarray(counts, dtype=np.int64)
    if inner.ndim != 2:
        raise ValueError("a two-way table needs a 2-D array of counts")
    rows, columns = inner.shape
    full = np.zeros((rows + 1, columns + 1), dtype=np.int64)
    full[:rows, :columns] = inner
    full[:rows, columns] = inner.sum(axis=1)
    full[rows, :] = full[:rows, :].sum(axis=0)
    width = columns + 1
    sums = [(r * width + columns, tuple(r * width + c for c in range(columns))) for r in range(rows + 1)]
    sums += [(rows * width + c, tuple(r * width + c for r in range(rows))) for c in range(columns + 1)]
    row_names = [*(row_labels or [str(r) for r in range(rows)]), "Total"]
    column_names = [*(column_labels or [str(c) for c in range(columns)]), "Total"]
    labels = tuple(f"{row_name} / {column_name}" for row_name in row_names for column_name in column_names)
    return AdditiveTable(
        values=tuple(int(v) for v in full.ravel()), sums=tuple(sums), labels=labels, shape=(rows + 1, columns + 1)
    )


def linked_area_table(
    counts: Sequence[Sequence[int]] | npt.NDArray[np.integer],
    parent_of: Sequence[int],
    area_labels: Sequence[str] | None = None,
    parent_labels: Sequence[str] | None = None,
    category_labels: Sequence[str] | None = None,
) -> AdditiveTable:
    """A breakdown by small area published beside the same breakdown by parent area (e.g. neighbourhood and division).

    Cells: the area table with its margins first, then one row per parent area (with its total). The category totals
    and the grand total are shared by both tables, so both must be protected together.
    """
    area_table = two_way_table(counts, area_labels, category_labels)
    inner = np.asarray(counts, dtype=np.int64)
    areas, categories = inner.shape
    parents = max(parent_of) + 1 if len(parent_of) else 0
    if len(parent_of) != areas:
        raise ValueError("parent_of needs one parent per area")
    width = categories + 1
    names = list(parent_labels or [f"parent {p}" for p in range(parents)])
    category_names = [*(category_labels or [str(c) for c in range(categories)]), "Total"]
    values = list(area_table.values)
    labels = list(area_table.labels)
    sums = list(area_table.sums)
    offset = len(values)
    for parent in range(parents):
        children = [area for area in range(areas) if parent_of[area] == parent]
        for column in range(width):
            members = tuple(area * width + column for area in children)
            values.append(sum(area_table.values[m] for m in members))
            labels.append(f"{names[parent]} / {category_names[column]}")
            sums.append((offset + parent * width + column, members))
        row = tuple(offset + parent * width + c for c in range(categories))
        sums.append((offset + parent * width + categories, row))
    # Category totals are also the sums of the parent rows; the constraint is implied but helps the solver's cuts.
    for column in range(width):
        members = tuple(offset + parent * width + column for parent in range(parents))
        sums.append((areas * width + column, members))
    return AdditiveTable(values=tuple(values), sums=tuple(sums), labels=tuple(labels))


# ---------------------------------------------------------------------------------------------------------------
# Settings and results
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisclosureSettings:
    """How strictly to protect.

    threshold: counts below this are never shown.
    suppress_zeros: hide zeros too (the safe default: a published 0 says "nobody in this group", which is itself a
        disclosure about everyone in it). Set False only for structural zeros that carry no information.
    upper_protection / lower_protection: how far, in counts, the attacker's bounds on a hidden small cell must reach
        above and below its true value (the lower bound is satisfied by reaching 0). None means the threshold.
    rounding_base: round every published figure to this base (e.g. 5); None publishes exact counts.
    method: "exact" (integer program), "heuristic" (greedy: safe, sometimes more loss) or "auto" (exact for tables
        up to ``exact_max_cells`` cells). When the exact search exceeds ``time_limit_seconds`` the heuristic takes
        over; if the integer program stops at its time limit with a pattern, that best-so-far pattern is used.
    cost: what secondary suppression minimises: "value" (total count hidden, plus one per cell to break ties) or
        "count" (number of cells hidden).
    """

    threshold: int = 10
    suppress_zeros: bool = True
    upper_protection: int | None = None
    lower_protection: int | None = None
    rounding_base: int | None = None
    method: SecondaryMethod = "auto"
    cost: CostModel = "value"
    exact_max_cells: int = 20_000
    time_limit_seconds: float = 20.0

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("threshold must be at least 1")
        if self.rounding_base is not None and self.rounding_base < 1:
            raise ValueError("rounding_base must be at least 1")
        for level in (self.upper_protection, self.lower_protection):
            if level is not None and level < 1:
                raise ValueError("protection levels must be at least 1")

    @property
    def upper_level(self) -> int:
        return self.threshold if self.upper_protection is None else self.upper_protection

    @property
    def lower_level(self) -> int:
        return self.threshold if self.lower_protection is None else self.lower_protection


@dataclass(frozen=True)
class CellInterval:
    """The range an attacker can prove a cell lies in (``upper`` may be infinite)."""

    lower: float
    upper: float

    @property
    def determined(self) -> bool:
        return self.upper - self.lower <= _TOLERANCE


@dataclass(frozen=True)
class AuditFailure:
    cell: int
    label: str
    problem: str


@dataclass(frozen=True)
class AuditReport:
    passed: bool
    failures: tuple[AuditFailure, ...]
    linear_programs_solved: int = 0


@dataclass(frozen=True)
class DisclosureResult:
    """A table ready to publish: ``published[i]`` is None where ``status[i]`` is "primary" or "secondary"."""

    table: AdditiveTable
    published: tuple[int | None, ...]
    status: tuple[CellStatus, ...]
    threshold: int
    rounding_base: int | None
    method_used: MethodUsed
    method_note: str
    audit: AuditReport
    seconds: float = field(default=0.0, compare=False)

    @property
    def primary_count(self) -> int:
        return self.status.count("primary")

    @property
    def secondary_count(self) -> int:
        return self.status.count("secondary")

    @property
    def secondary_value(self) -> int:
        """Information loss: the total of the true counts hidden by secondary suppression."""
        return sum(v for v, s in zip(self.table.values, self.status, strict=True) if s == "secondary")

    def grid(self) -> list[list[int | None]] | list[int | None]:
        """Published figures shaped like the input (margins last); only for one- and two-way tables."""
        return _reshape(self.published, self.table.shape)

    def status_grid(self) -> list[list[CellStatus]] | list[CellStatus]:
        return _reshape(self.status, self.table.shape)


def _reshape(flat: tuple[_T, ...], shape: tuple[int, ...] | None) -> list[list[_T]] | list[_T]:
    if shape is None or len(shape) == 1:
        return list(flat)
    width = shape[1]
    return [list(flat[r * width : (r + 1) * width]) for r in range(shape[0])]


# ---------------------------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------------------------


def protect(table: AdditiveTable, settings: DisclosureSettings | None = None) -> DisclosureResult:
    """Suppress (and optionally round) a table so that it is safe to publish, then audit it."""
    settings = settings or DisclosureSettings()
    started = time.perf_counter()
    primary = primary_mask(table, settings)
    suppressed, chosen_method, attacker = _secondary_suppression(table, primary, settings)
    method_used: MethodUsed = chosen_method
    # Publishing a cell the attacker can already compute leaves the attacker's problem unchanged, so the same
    # attacker model (and every table it has found) serves the tidy-up and the audit.
    attacker = attacker or _AttackerLp(table, suppressed)
    suppressed = _release_determined_cells(attacker, primary, suppressed)
    status: tuple[CellStatus, ...] = tuple(
        "primary" if p else "secondary" if s else "published" for p, s in zip(primary, suppressed, strict=True)
    )
    report = _audit(table, status, settings, attacker)
    if not report.passed:
        # Never publish a table that fails its own audit; hiding everything is the safe fallback.
        status = tuple("primary" if p else "secondary" for p in primary)
        report, method_used = audit(table, status, settings), "everything hidden"
    base = settings.rounding_base
    published = tuple(None if s != "published" else _round(v, base) for v, s in zip(table.values, status, strict=True))
    return DisclosureResult(
        table=table,
        published=published,
        status=status,
        threshold=settings.threshold,
        rounding_base=settings.rounding_base,
        method_used=method_used,
        method_note=method_note(status, settings),
        audit=report,
        seconds=time.perf_counter() - started,
    )


def protect_one_way(counts: Sequence[int], settings: DisclosureSettings | None = None) -> DisclosureResult:
    return protect(one_way_table(counts), settings)


def protect_two_way(
    counts: Sequence[Sequence[int]] | npt.NDArray[np.integer], settings: DisclosureSettings | None = None
) -> DisclosureResult:
    return protect(two_way_table(counts), settings)


def primary_mask(table: AdditiveTable, settings: DisclosureSettings) -> BoolArray:
    """Cells that may never be shown: below the threshold (zeros included unless ``suppress_zeros`` is False)."""
    values = np.asarray(table.values, dtype=np.int64)
    small = values < settings.threshold
    return small if settings.suppress_zeros else small & (values > 0)


def feasible_intervals(table: AdditiveTable, published_mask: Sequence[bool] | BoolArray) -> tuple[CellInterval, ...]:
    """Exact attacker bounds: the range each cell can take given the published cells, the sums and counts >= 0.

    Published cells get their own value. Each hidden cell's range is found with two linear programs (min and max),
    warm-started in one HiGHS model. For one- and two-way tables the sum constraints are totally unimodular, so these
    linear bounds equal the integer bounds; for linked tables they may be slightly wider than an integer attacker's.
    """
    published = np.asarray(published_mask, dtype=bool)
    attacker = _AttackerLp(table, ~published)
    return tuple(
        CellInterval(float(value), float(value))
        if published[cell]
        else CellInterval(attacker.optimum(cell, -1), attacker.optimum(cell, +1))
        for cell, value in enumerate(table.values)
    )


def audit(
    table: AdditiveTable, status: Sequence[CellStatus], settings: DisclosureSettings | None = None
) -> AuditReport:
    """Check a suppression pattern against the product rule with exact attacker bounds.

    Fails when a published cell is below the threshold, when a hidden cell is exactly determined, or when a primary
    cell's attacker range does not reach its protection levels. Exact, but it solves a linear program only when no
    feasible table found so far already proves the point.
    """
    published = np.array([s == "published" for s in status], dtype=bool)
    return _audit(table, status, settings or DisclosureSettings(), _AttackerLp(table, ~published))


def _audit(
    table: AdditiveTable, status: Sequence[CellStatus], settings: DisclosureSettings, attacker: _AttackerLp
) -> AuditReport:
    published = np.array([s == "published" for s in status], dtype=bool)
    primary = primary_mask(table, settings)
    failures: list[AuditFailure] = []
    for cell, value in enumerate(table.values):
        label = table.labels[cell]
        if published[cell]:
            if primary[cell]:
                failures.append(AuditFailure(cell, label, f"published count {value} is below the threshold"))
        elif attacker.determined(cell):
            failures.append(AuditFailure(cell, label, f"hidden count can be worked out exactly ({value})"))
        elif primary[cell]:
            failures.extend(_protection_failures(attacker, cell, label, value, settings))
    return AuditReport(passed=not failures, failures=tuple(failures), linear_programs_solved=attacker.solved)


def method_note(status: Sequence[CellStatus], settings: DisclosureSettings) -> str:
    """Plain-English note to print under a chart or table."""
    primary = sum(1 for s in status if s == "primary")
    secondary = sum(1 for s in status if s == "secondary")
    zeros = " (including zeros)" if settings.suppress_zeros else ""
    sentences = [
        f"To protect people's privacy, counts below {settings.threshold}{zeros} are not shown."
        if primary
        else f"No count here is below {settings.threshold}, so none is hidden for being small."
    ]
    if secondary:
        figure = "figure is" if secondary == 1 else "figures are"
        sentences.append(
            f"{secondary} other {figure} also hidden so that hidden counts cannot be worked out from the totals."
        )
    if settings.rounding_base and settings.rounding_base > 1:
        sentences.append(
            f"Figures are rounded to the nearest {settings.rounding_base}, each on its own, "
            "so parts may not add up exactly to the totals shown."
        )
    return " ".join(sentences)


# ---------------------------------------------------------------------------------------------------------------
# Secondary suppression
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Requirement:
    """The attacker's bound on ``cell`` must move by ``amount`` in ``direction`` (+1 up, -1 down)."""

    cell: int
    direction: int
    amount: float


def _requirements(table: AdditiveTable, primary: BoolArray, settings: DisclosureSettings) -> list[_Requirement]:
    linked = np.zeros(table.size, dtype=bool)
    for total, parts in table.sums:
        linked[total] = True
        linked[list(parts)] = True
    found: list[_Requirement] = []
    for cell in np.flatnonzero(primary & linked):
        value = table.values[cell]
        found.append(_Requirement(int(cell), +1, float(settings.upper_level)))
        downward = min(settings.lower_level, value)
        if downward > 0:
            found.append(_Requirement(int(cell), -1, float(downward)))
    return found


def _secondary_suppression(
    table: AdditiveTable, primary: BoolArray, settings: DisclosureSettings
) -> tuple[BoolArray, Literal["exact", "heuristic", "none"], _AttackerLp | None]:
    requirements = _requirements(table, primary, settings)
    if not requirements:
        return primary.copy(), "none", None
    weights = _weights(table, settings)
    use_exact = settings.method == "exact" or (settings.method == "auto" and table.size <= settings.exact_max_cells)
    if use_exact:
        deadline = time.perf_counter() + settings.time_limit_seconds
        exact = _exact_pattern(table, primary, requirements, weights, deadline)
        if exact is not None:
            return exact[0], "exact", exact[1]
    greedy, attacker = _greedy_pattern(table, primary, requirements, weights)
    return greedy, "heuristic", attacker


def _weights(table: AdditiveTable, settings: DisclosureSettings) -> FloatArray:
    values = np.asarray(table.values, dtype=np.float64)
    return values + 1.0 if settings.cost == "value" else np.ones_like(values)


def _capacities(values: FloatArray, amount: float) -> tuple[FloatArray, FloatArray]:
    """How far each cell may move up and down in a protecting deviation.

    Moves are capped at the protection amount: for sum constraints of this kind a protecting deviation decomposes
    into cycles that each move every cell by at most that amount, so the cap loses nothing for one- and two-way
    tables. A tighter cap could only ever over-protect, never under-protect, and the audit checks the result anyway.
    """
    up = np.full(values.shape, amount)
    down = np.minimum(values, amount)
    return up, down


@dataclass(frozen=True)
class _Cut:
    """sum(coefficients * hidden[cells]) >= amount: enough capacity must be hidden around one primary cell."""

    cells: npt.NDArray[np.intp]
    coefficients: FloatArray
    amount: float


def _exact_pattern(
    table: AdditiveTable, primary: BoolArray, requirements: list[_Requirement], weights: FloatArray, deadline: float
) -> tuple[BoolArray, _AttackerLp] | None:
    """Minimum-loss pattern: an integer master problem over "hide this cell", with cuts from the attacker's LP.

    Returns None if the deadline passes first (the master keeps its best pattern so far at its own time limit, and
    any pattern the loop accepts is checked against every requirement, so a late answer is still safe).
    """

    def master(cuts: list[_Cut], hidden: BoolArray) -> BoolArray | None:
        return _solve_master(weights, primary, cuts, deadline - time.perf_counter())

    return _cut_loop(table, primary, requirements, master, deadline)


def _greedy_pattern(
    table: AdditiveTable, primary: BoolArray, requirements: list[_Requirement], weights: FloatArray
) -> tuple[BoolArray, _AttackerLp]:
    """Fast pattern: the same cuts, each met greedily by hiding the cells with the least loss per unit of capacity.

    Cells are only ever added, so a cut met stays met, and the loop stops only when the attacker's LP confirms every
    requirement: safe by construction, though not of minimum loss.
    """

    def master(cuts: list[_Cut], hidden: BoolArray) -> BoolArray:
        grown = hidden.copy()
        for cut in cuts:
            _meet_greedily(cut, grown, weights)
        return grown

    pattern = _cut_loop(table, primary, requirements, master, math.inf)
    assert pattern is not None  # without a deadline the greedy loop always ends with a pattern
    return pattern


def _meet_greedily(cut: _Cut, hidden: BoolArray, weights: FloatArray) -> None:
    need = cut.amount - float(cut.coefficients[hidden[cut.cells]].sum())
    if need <= _TOLERANCE:
        return
    open_cells = ~hidden[cut.cells]
    cells, capacity = cut.cells[open_cells], cut.coefficients[open_cells]
    for position in np.argsort(weights[cells] / np.minimum(capacity, need), kind="stable"):
        hidden[cells[position]] = True
        need -= capacity[position]
        if need <= _TOLERANCE:
            return


def _cut_loop(
    table: AdditiveTable,
    primary: BoolArray,
    requirements: list[_Requirement],
    master: Callable[[list[_Cut], BoolArray], BoolArray | None],
    deadline: float,
) -> tuple[BoolArray, _AttackerLp] | None:
    """Benders-style loop: choose a pattern meeting the cuts, find requirements it fails, add their dual cuts.

    Starts with the cuts given by each single sum a primary cell is in. A requirement is checked first against
    tables the attacker's LP has already produced (cheap), and only then with the capped deviation LP, whose dual
    gives the new cut.
    """
    matrix = _sum_matrix(table).tocsr()
    values = np.asarray(table.values, dtype=np.float64)
    by_cell = matrix.tocsc()
    cuts = [cut for requirement in requirements for cut in _single_sum_cuts(matrix, by_cell, values, requirement)]
    separator = _DeviationLp(matrix)
    hidden, attacker = primary.copy(), None
    while time.perf_counter() < deadline:
        chosen = master(cuts, hidden)
        if chosen is None:
            return None
        if attacker is not None and np.array_equal(chosen, hidden):
            return hidden, attacker  # a cut no pattern can meet: stop here and let the audit report it
        hidden = chosen
        attacker = _AttackerLp(table, hidden)
        violated = [
            cut
            for requirement in requirements
            if not attacker.reaches(requirement.cell, requirement.direction, _target(values, requirement))
            and (cut := separator.violated_cut(values, hidden, requirement))
        ]
        if not violated:
            return hidden, attacker
        cuts.extend(violated)
    return None


def _target(values: FloatArray, requirement: _Requirement) -> float:
    return float(values[requirement.cell] + requirement.direction * requirement.amount)


def _single_sum_cuts(
    matrix: sp.csr_matrix, by_cell: sp.csc_matrix, values: FloatArray, requirement: _Requirement
) -> list[_Cut]:
    """Dual cuts from one sum at a time: inside each sum the cell is in, something else must be able to move."""
    up, down = _capacities(values, requirement.amount)
    cell = requirement.cell
    cuts: list[_Cut] = []
    first, last = by_cell.indptr[cell], by_cell.indptr[cell + 1]
    for row, sign in zip(by_cell.indices[first:last], by_cell.data[first:last], strict=True):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        cells, signs = matrix.indices[start:end], matrix.data[start:end]
        # With multiplier lambda = direction * a_row,cell on this row, reduced cost r = e_cell - A^T lambda.
        reduced = -requirement.direction * sign * signs
        others = cells != cell
        cuts.append(_make_cut(cells[others], reduced[others], up, down, requirement.amount))
    return cuts


def _make_cut(
    cells: npt.NDArray[np.intp], reduced: FloatArray, up: FloatArray, down: FloatArray, amount: float
) -> _Cut:
    coefficients = np.maximum(reduced, 0.0) * up[cells] + np.maximum(-reduced, 0.0) * down[cells]
    keep = coefficients > 1e-9
    return _Cut(cells[keep].astype(np.intp), coefficients[keep], amount)


def _solve_master(weights: FloatArray, primary: BoolArray, cuts: list[_Cut], seconds: float) -> BoolArray | None:
    size = weights.size
    rows = np.concatenate([np.full(cut.cells.size, index) for index, cut in enumerate(cuts)])
    columns = np.concatenate([cut.cells for cut in cuts])
    data = np.concatenate([cut.coefficients for cut in cuts])
    matrix = sp.csr_matrix((data, (rows, columns)), shape=(len(cuts), size))
    lower = np.array([cut.amount for cut in cuts]) - _TOLERANCE
    result = milp(
        c=np.where(primary, 0.0, weights),
        constraints=LinearConstraint(matrix, lower, np.full(lower.size, np.inf)),
        integrality=np.ones(size),
        bounds=Bounds(primary.astype(np.float64), np.ones(size)),
        options={"time_limit": max(seconds, 0.1), "mip_rel_gap": 1e-6},
    )
    if result.x is None:
        return None
    return np.asarray(result.x > 0.5, dtype=bool)


class _DeviationLp:
    """One warm-started HiGHS model of a deviation d with A d = 0, reused for every requirement.

    A deviation shows the attacker cannot tell the true table from ``values + d``: hidden cells move within their
    capacities, published cells stay put, every sum still holds.
    """

    def __init__(self, matrix: sp.csr_matrix) -> None:
        self.size = matrix.shape[1]
        zeros = np.zeros(matrix.shape[0])
        self.model = _lp_model(matrix.tocsc(), zeros, zeros, np.zeros(self.size), np.zeros(self.size))
        self.indices = np.arange(self.size, dtype=np.int32)

    def violated_cut(self, values: FloatArray, hidden: BoolArray, requirement: _Requirement) -> _Cut | None:
        up, down = _capacities(values, requirement.amount)
        lower = np.where(hidden, -down, 0.0)
        upper = np.where(hidden, up, 0.0)
        # The protected cell itself moves freely in the required direction and not at all in the other.
        cell = requirement.cell
        lower[cell], upper[cell] = (0.0, _INF) if requirement.direction > 0 else (-_INF, 0.0)
        costs = np.zeros(self.size)
        costs[cell] = -float(requirement.direction)
        self.model.changeColsBounds(self.size, self.indices, lower, upper)
        self.model.changeColsCost(self.size, self.indices, costs)
        status = _run(self.model)
        if status in _UNBOUNDED:  # the true table is feasible, so this means unbounded
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"deviation LP ended with status {self.model.modelStatusToString(status)}")
        reach = -self.model.getInfo().objective_function_value
        if reach >= requirement.amount - _TOLERANCE:
            return None
        # HiGHS reports reduced costs c - A^T y for the minimisation; negated they are the r of the maximisation.
        reduced = -np.asarray(self.model.getSolution().col_dual)
        others = np.flatnonzero(self.indices != cell)
        return _make_cut(others, reduced[others], up, down, requirement.amount)


def _release_determined_cells(attacker: _AttackerLp, primary: BoolArray, hidden: BoolArray) -> BoolArray:
    """Publish secondary cells the attacker can compute exactly anyway: hiding them protects nothing."""
    released = hidden.copy()
    for cell in np.flatnonzero(hidden & ~primary):
        if attacker.determined(int(cell)):
            released[cell] = False
    return released


class _AttackerLp:
    """The attacker's linear program for one suppression pattern: hidden cells >= 0, published cells and sums known.

    Every optimal table found is kept as a witness: the lowest and highest value seen for each cell are feasible, so
    questions like "can this cell reach 14?" are often answered without solving anything.
    """

    def __init__(self, table: AdditiveTable, hidden: BoolArray) -> None:
        self.values = np.asarray(table.values, dtype=np.float64)
        self.hidden = np.flatnonzero(hidden)
        self.position = {int(cell): position for position, cell in enumerate(self.hidden)}
        self.seen_low = self.values.copy()
        self.seen_high = self.values.copy()
        self.solved = 0
        self.model: highspy.Highs | None = None
        if self.hidden.size:
            matrix = _sum_matrix(table)
            known = matrix[:, ~hidden] @ self.values[~hidden]
            size = self.hidden.size
            columns = matrix[:, self.hidden].tocsc()
            self.model = _lp_model(columns, -known, -known, np.zeros(size), np.full(size, _INF))
            self.indices = np.arange(size, dtype=np.int32)
            self.costs = np.zeros(size)

    def optimum(self, cell: int, direction: int) -> float:
        """The attacker's exact bound on a hidden cell: lowest (direction -1) or highest (+1) feasible value."""
        assert self.model is not None
        position = self.position[cell]
        self.costs[:] = 0.0
        self.costs[position] = -float(direction)
        self.model.changeColsCost(self.costs.size, self.indices, self.costs)
        status = _run(self.model)
        self.solved += 1
        if status in _UNBOUNDED:  # the true table is feasible, so this means unbounded
            self.seen_high[cell] = math.inf
            return math.inf
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"attacker LP ended with status {self.model.modelStatusToString(status)}")
        solution = np.asarray(self.model.getSolution().col_value)
        np.minimum.at(self.seen_low, self.hidden, solution)
        np.maximum.at(self.seen_high, self.hidden, solution)
        return _snap(float(solution[position]))

    def reaches(self, cell: int, direction: int, target: float) -> bool:
        """Can the attacker not rule out that the cell is at ``target`` (or beyond it, in ``direction``)?"""
        if direction > 0:
            return bool(self.seen_high[cell] >= target - _TOLERANCE) or self.optimum(cell, +1) >= target - _TOLERANCE
        return bool(self.seen_low[cell] <= target + _TOLERANCE) or self.optimum(cell, -1) <= target + _TOLERANCE

    def determined(self, cell: int) -> bool:
        value = self.values[cell]
        return not (self.reaches(cell, +1, value + 2 * _TOLERANCE) or self.reaches(cell, -1, value - 2 * _TOLERANCE))


# ---------------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------------


def _sum_matrix(table: AdditiveTable) -> sp.csr_matrix:
    """One row per sum: +1 on each part, -1 on the total, so the true values satisfy matrix @ values == 0."""
    rows: list[int] = []
    columns: list[int] = []
    data: list[float] = []
    for row, (total, parts) in enumerate(table.sums):
        rows.extend([row] * (len(parts) + 1))
        columns.extend([*parts, total])
        data.extend([1.0] * len(parts) + [-1.0])
    return sp.csr_matrix((data, (rows, columns)), shape=(len(table.sums), table.size))


def _lp_model(
    matrix: sp.csc_matrix, row_lower: FloatArray, row_upper: FloatArray, col_lower: FloatArray, col_upper: FloatArray
) -> highspy.Highs:
    lp = highspy.HighsLp()
    lp.num_col_ = matrix.shape[1]
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = np.zeros(matrix.shape[1])
    lp.col_lower_ = col_lower
    lp.col_upper_ = col_upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    model = highspy.Highs()  # type: ignore[no-untyped-call]
    model.setOptionValue("output_flag", False)
    model.passModel(lp)
    return model


def _run(model: highspy.Highs) -> highspy.HighsModelStatus:
    """Solve, warm-started; after an unbounded solve HiGHS can return "unknown", so retry once from scratch."""
    model.run()
    status = model.getModelStatus()
    if status not in (highspy.HighsModelStatus.kOptimal, *_UNBOUNDED):
        model.clearSolver()
        model.run()
        status = model.getModelStatus()
    return status


def _protection_failures(
    attacker: _AttackerLp, cell: int, label: str, value: int, settings: DisclosureSettings
) -> list[AuditFailure]:
    failures = []
    if not attacker.reaches(cell, +1, value + settings.upper_level):
        failures.append(AuditFailure(cell, label, "attacker's upper bound is too close to the true count"))
    if not attacker.reaches(cell, -1, max(0, value - settings.lower_level)):
        failures.append(AuditFailure(cell, label, "attacker's lower bound is too close to the true count"))
    return failures


def _snap(number: float) -> float:
    """Remove solver noise from bounds that are whole numbers."""
    if math.isinf(number):
        return number
    nearest = round(number)
    return float(nearest) if abs(number - nearest) < _TOLERANCE else number


def _round(value: int, base: int | None) -> int:
    """Round half up to the base; rounding alone is not protection, it only blurs figures already safe to show."""
    if base is None or base <= 1:
        return value
    return (2 * value + base) // (2 * base) * base
