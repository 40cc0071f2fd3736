"""NASH: the distribution over panels maximising the product of selection probabilities (sum of logs).

Column generation again: solve the convex program over the generated panels with cvxpy and the open-source
conic solver Clarabel, then price with weights 1/p_i. At the optimum no panel has sum_{i in P} 1/p_i above the
number of people with positive probability (the KKT condition), so the largest such sum bounds the gap.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cvxpy as cp
import numpy as np
import scipy.sparse as sp
from cvxpy.atoms.affine.sum import sum as cvx_sum
from cvxpy.atoms.elementwise.log import log as cvx_log

from byconsent.engines.sortition.colgen import ColumnGenerationOutcome, initial_panels
from byconsent.engines.sortition.compiled import CompiledProblem, FloatArray, IntArray
from byconsent.engines.sortition.heuristics import improving_variants
from byconsent.engines.sortition.model import ProgressCallback
from byconsent.engines.sortition.oracle import PanelOracle, SolverError

RELATIVE_TOLERANCE = 1e-4
MAX_ROUNDS = 300


def _solve_nash(panels: list[IntArray], people: IntArray, size: int) -> FloatArray:
    """Optimal panel probabilities for the current panels (people: those every panel set can reach)."""
    rows = np.concatenate(panels)
    cols = np.repeat(np.arange(len(panels)), [len(p) for p in panels])
    incidence = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, len(panels)))[people]
    weights = cp.Variable(len(panels), nonneg=True)
    program = cp.Problem(cp.Maximize(cvx_sum(cvx_log(incidence @ weights))), [cvx_sum(weights) == 1])
    solve: Callable[..., object] = program.solve  # cvxpy's solve() is unannotated
    solve(solver=cp.CLARABEL)
    if program.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or weights.value is None:
        raise SolverError(f"Nash welfare program stopped with status {program.status}")
    values: FloatArray = np.clip(np.asarray(weights.value, dtype=np.float64), 0.0, None)
    values[values < 1e-10] = 0.0
    normalised: FloatArray = values / values.sum()
    return normalised


def nash(problem: CompiledProblem, rng: np.random.Generator, progress: ProgressCallback) -> ColumnGenerationOutcome:
    started = time.perf_counter()
    oracle = PanelOracle(problem)
    found = initial_panels(problem, oracle, rng)
    covered = np.zeros(problem.size, dtype=np.bool_)
    for panel in found.panels:
        covered[panel] = True
    people = np.flatnonzero(covered)  # initial_panels covers everyone some panel can hold
    gap, rounds = float("inf"), 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        probabilities = _solve_nash(found.panels, people, problem.size)
        marginals = _marginals(found.panels, probabilities, problem.size)
        weights = np.zeros(problem.size)
        weights[people] = 1.0 / np.maximum(marginals[people], 1e-12)
        members, _, upper = oracle.best_panel(weights)
        gap = upper / len(people) - 1.0
        progress(min(0.9, 0.1 + 0.02 * rounds), f"round {rounds}: relative gap {gap:.2e}")
        if gap <= RELATIVE_TOLERANCE:
            break
        found.add(members)
        for variant in improving_variants(problem, members, weights, float(len(people)), rng, 8):
            found.add(variant)
    stats = {
        "generated_panels": float(len(found.panels)),
        "rounds": float(rounds),
        "pricing_calls": float(oracle.calls),
        "pricing_seconds": oracle.seconds,
        "column_generation_seconds": time.perf_counter() - started,
    }
    return ColumnGenerationOutcome(found.panels, probabilities, marginals, max(gap, 0.0), stats)


def _marginals(panels: list[IntArray], probabilities: FloatArray, size: int) -> FloatArray:
    marginals = np.zeros(size)
    for panel, probability in zip(panels, probabilities, strict=True):
        marginals[panel] += probability
    return marginals
