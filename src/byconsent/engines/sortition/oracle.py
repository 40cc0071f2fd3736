"""Integer programs over single panels, solved with HiGHS: the best panel for given weights, and quota repair.

The same model (binary x_i per person; panel size; every quota; at most one per household) serves the pricing step
of column generation, the search for a panel covering a given person, and the feasibility check.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import highspy
import numpy as np

from byconsent.engines.sortition.compiled import BoolArray, CompiledProblem, FloatArray, IntArray
from byconsent.engines.sortition.model import InfeasibleQuotasError, QuotaRelaxation, SelectionProblem

# Pricing accuracy: the certified gap of column generation is the MIP's dual bound minus the LP value, so the MIP
# must be solved essentially to optimality (the default absolute gap of 1e-6 is large next to weights of ~1/n).
MIP_REL_GAP = 1e-7
MIP_ABS_GAP = 1e-10


class SolverError(RuntimeError):
    """A solver stopped with a status we cannot use."""


# highspy's constructor carries no annotations; this typed alias keeps mypy --strict quiet without an ignore.
_make_highs: Callable[[], highspy.Highs] = highspy.Highs


def highs_version() -> str:
    return f"HiGHS {_make_highs().version()}"


def new_highs() -> highspy.Highs:
    solver = _make_highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)  # deterministic and polite on a shared 2-core machine
    solver.setOptionValue("random_seed", 0)
    return solver


def _panel_lp(problem: CompiledProblem, allowed: BoolArray) -> highspy.HighsLp:
    """The panel polytope: size row, one row per quota, one row per household of two or more."""
    n, quotas = problem.size, len(problem.labels)
    rows_per_person = [np.zeros(n, dtype=np.int64)]
    rows_per_person += [1 + problem.quota_of[:, column] for column in range(problem.quota_of.shape[1])]
    has_home = problem.household_of >= 0
    home_rows = np.where(has_home, 1 + quotas + problem.household_of, -1)
    entries = np.stack([*rows_per_person, home_rows], axis=1)  # (n, 1 + categories + 1); -1 marks no entry
    starts, indices = [0], []
    for person in range(n):
        row_ids = entries[person][entries[person] >= 0]
        indices.extend(row_ids.tolist())
        starts.append(len(indices))
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = 1 + quotas + len(problem.households)
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = allowed.astype(np.float64)
    k = float(problem.panel_size)
    lp.row_lower_ = np.concatenate([[k], problem.low.astype(np.float64), np.zeros(len(problem.households))])
    lp.row_upper_ = np.concatenate([[k], problem.high.astype(np.float64), np.ones(len(problem.households))])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(indices, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(len(indices))
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    return lp


class PanelOracle:
    """Finds a panel of maximum total weight; the model is built once and only its objective changes."""

    def __init__(self, problem: CompiledProblem, allowed: BoolArray | None = None):
        self.problem = problem
        self.allowed = problem.selectable() if allowed is None else allowed
        self.solver = new_highs()
        self.solver.setOptionValue("mip_rel_gap", MIP_REL_GAP)
        self.solver.setOptionValue("mip_abs_gap", MIP_ABS_GAP)
        # Measured: presolve of this model (many identical columns) costs 5x the search on a 2,000-person pool.
        self.solver.setOptionValue("presolve", "off")
        self.solver.passModel(_panel_lp(problem, self.allowed))
        self.columns = np.arange(problem.size, dtype=np.int32)
        self.calls = 0
        self.seconds = 0.0

    def best_panel(self, weights: FloatArray, start: IntArray | None = None) -> tuple[IntArray, float, float]:
        """(members sorted, their total weight, an upper bound on any panel's weight)."""
        self.calls += 1
        self.solver.clearSolver()
        self.solver.changeColsCost(len(self.columns), self.columns, np.asarray(weights, dtype=np.float64))
        if start is not None:
            self._offer_start(start)
        began = time.perf_counter()
        self.solver.run()
        status = self.solver.getModelStatus()
        self.seconds += time.perf_counter() - began
        if status == highspy.HighsModelStatus.kInfeasible:
            raise SolverError("no panel satisfies the quotas")
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"pricing MIP stopped with status {self.solver.modelStatusToString(status)}")
        values = np.asarray(self.solver.getSolution().col_value)
        members = np.flatnonzero(values > 0.5).astype(np.int64)
        info = self.solver.getInfo()
        value = float(np.sum(weights[members]))
        bound = max(value, float(info.mip_dual_bound))
        return members, value, bound

    def _offer_start(self, members: IntArray) -> None:
        """A known panel as the incumbent, so branch and bound starts with a good lower bound."""
        solution = highspy.HighsSolution()
        values = np.zeros(self.problem.size)
        values[members] = 1.0
        solution.col_value = values
        self.solver.setSolution(solution)


def find_any_panel(problem: CompiledProblem) -> IntArray | None:
    """Some valid panel, or None when the quotas cannot all be met."""
    oracle = PanelOracle(problem)
    try:
        members, _, _ = oracle.best_panel(np.zeros(problem.size))
    except SolverError:
        return None
    return members


def diagnose_infeasibility(selection: SelectionProblem, problem: CompiledProblem) -> InfeasibleQuotasError:
    """Say why no panel exists and find the smallest total change to mins and maxes that makes one exist."""
    reasons = _obvious_conflicts(selection, problem)
    relaxation = _minimal_relaxation(selection, problem, respect_flex=True)
    if relaxation is None and any(q.min_flex is not None or q.max_flex is not None for q in selection.quotas):
        reasons.append("no relaxation within the min_flex/max_flex bounds suffices; the proposal below ignores them")
        relaxation = _minimal_relaxation(selection, problem, respect_flex=False)
    elif relaxation is None:
        relaxation = _minimal_relaxation(selection, problem, respect_flex=False)
    if relaxation is not None and not reasons:
        labels = ", ".join(f"{r.category}={r.value}" for r in relaxation)
        reasons.append(f"the quotas {labels} cannot all be met together by the people in this pool")
    return InfeasibleQuotasError(reasons, relaxation)


def _obvious_conflicts(selection: SelectionProblem, problem: CompiledProblem) -> list[str]:
    k, reasons = problem.panel_size, []
    if problem.size < k:
        reasons.append(f"the pool has {problem.size} people, fewer than the panel size {k}")
    addresses = int(np.sum(problem.household_of < 0)) + len(problem.households)
    if addresses < k <= problem.size:
        reasons.append(f"only {addresses} distinct households, fewer than the panel size {k}")
    available = np.bincount(problem.quota_of.ravel(), minlength=len(problem.labels))
    for category_number, category in enumerate(selection.categories):
        rows = np.flatnonzero(problem.category_of_quota == category_number)
        if problem.low[rows].sum() > k:
            reasons.append(f"the minimums of '{category}' add up to {problem.low[rows].sum()}, more than {k}")
        if problem.high[rows].sum() < k:
            reasons.append(f"the maximums of '{category}' add up to {problem.high[rows].sum()}, less than {k}")
    for row, label in enumerate(problem.labels):
        if available[row] < problem.low[row]:
            reasons.append(f"{label} needs at least {problem.low[row]} but the pool has only {available[row]}")
    return reasons


def _minimal_relaxation(
    selection: SelectionProblem, problem: CompiledProblem, *, respect_flex: bool
) -> list[QuotaRelaxation] | None:
    """Integer program: minimise the total lowering of mins plus raising of maxes so that some panel exists."""
    n, quotas = problem.size, len(problem.labels)
    solver = new_highs()
    base = _panel_lp(problem, np.ones(n, dtype=np.bool_))
    solver.passModel(base)
    solver.changeObjectiveSense(highspy.ObjSense.kMinimize)
    # Quota rows become free; the slack columns below carry the bounds instead.
    infinity = highspy.kHighsInf
    for row in range(1, 1 + quotas):
        solver.changeRowBounds(row, -infinity, infinity)
    for row, quota in enumerate(selection.quotas):
        lower_room = quota.min - (quota.min_flex if respect_flex and quota.min_flex is not None else 0)
        upper_room = (quota.max_flex - quota.max) if respect_flex and quota.max_flex is not None else n
        # count + down >= min  and  count - up <= max, with down/up integer slacks costing 1 each
        solver.addVars(2, np.zeros(2), np.array([float(lower_room), float(upper_room)]))
        down, up = n + 2 * row, n + 2 * row + 1
        solver.changeColsIntegrality(
            2, np.array([down, up], dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * 2)
        )
        solver.changeColsCost(2, np.array([down, up], dtype=np.int32), np.ones(2))
        members = np.flatnonzero(problem.quota_of[:, problem.category_of_quota[row]] == row).astype(np.int32)
        solver.addRow(
            float(quota.min),
            infinity,
            len(members) + 1,
            np.append(members, down).astype(np.int32),
            np.ones(len(members) + 1),
        )
        solver.addRow(
            -infinity,
            float(quota.max),
            len(members) + 1,
            np.append(members, up).astype(np.int32),
            np.append(np.ones(len(members)), -1.0),
        )
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    values = np.rint(np.asarray(solver.getSolution().col_value)).astype(np.int64)
    changes = []
    for row, quota in enumerate(selection.quotas):
        down, up = values[n + 2 * row], values[n + 2 * row + 1]
        if down or up:
            changes.append(
                QuotaRelaxation(
                    quota.category, quota.value, quota.min, quota.max, quota.min - int(down), quota.max + int(up)
                )
            )
    return changes
