"""LEXIMIN and MAXIMIN by column generation (Flanigan, Gölz, Gupta, Hennig, Procaccia, Nature 2021).

Each stage maximises the lowest selection probability among people not yet fixed, over distributions on panels.
We solve the stage's dual LP over the panels generated so far:

    minimise  z - sum_{j fixed} p_j y_j
    such that sum_{i in P} y_i <= z   for every generated panel P
              sum_{i not fixed} y_i = 1,   y >= 0

A pricing integer program then looks for a panel whose weight sum_{i in P} y_i exceeds z. If one exists it is
added and the LP solved again; otherwise the LP value is the stage's optimum (up to the MIP's dual bound, which
gives the certified gap). The LP is solved by HiGHS's interior point method WITHOUT crossover: it returns a point
in the relative interior of the optimal face, so every person whose weight can be positive in some optimal dual
is positive here, and all of them can be fixed at the stage's level at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from byconsent.engines.sortition.compiled import CompiledProblem, FloatArray, IntArray
from byconsent.engines.sortition.heuristics import covering_panels, improving_variants
from byconsent.engines.sortition.model import ProgressCallback
from byconsent.engines.sortition.oracle import PanelOracle, SolverError, new_highs

STAGE_TOLERANCE = 1e-6  # a stage ends when no panel beats the LP bound by more than this
VARIANTS_PER_ROUND = 24  # extra improving panels generated around each pricing solution
PERTURBED_PRICINGS = 2
PERTURBATION = 0.2
MAX_ROUNDS = 5000
FIXED_SLACK = 1e-6
MAX_FIXED_SLACK = 1e-4
IPM_TOLERANCE = 1e-9


@dataclass
class PanelSet:
    """The generated panels, without duplicates, in the order found."""

    panels: list[IntArray] = field(default_factory=list)
    keys: set[bytes] = field(default_factory=set)

    def add(self, members: IntArray) -> bool:
        key = np.sort(members).astype(np.int32).tobytes()
        if key in self.keys:
            return False
        self.keys.add(key)
        self.panels.append(np.sort(members))
        return True


@dataclass
class ColumnGenerationOutcome:
    panels: list[IntArray]
    probabilities: FloatArray
    fixed: FloatArray  # level fixed for each person (0 for people no panel can hold)
    gap: float
    stats: dict[str, float]


@dataclass
class _Counters:
    rounds: int = 0
    stages: int = 0
    lp_seconds: float = 0.0
    initial_panels: int = 0
    max_gap: float = 0.0


def initial_panels(
    problem: CompiledProblem, oracle: PanelOracle, rng: np.random.Generator, rounds: int = 5
) -> PanelSet:
    """A diverse start: greedy passes over the pool (each pass tries to split it into disjoint valid panels,
    least-covered people first), then a MIP panel for anyone still uncovered. Five passes: measured on the
    replication instances, one pass splits the pool exactly about 60 % of the time, and an exact split lets the
    first LP reach the optimum at once."""
    allowed = np.flatnonzero(oracle.allowed)
    found = PanelSet()
    for panel in covering_panels(problem, allowed, rng, rounds):
        found.add(panel)
    covered = np.zeros(problem.size, dtype=np.bool_)
    for panel in found.panels:
        covered[panel] = True
    for person in allowed.tolist():
        if covered[person]:
            continue
        weights = np.where(covered, 0.0, 1.0)
        weights[person] = float(problem.size)  # insist on this person, then take as many uncovered as possible
        try:
            members, _, _ = oracle.best_panel(weights)
        except SolverError:
            raise
        found.add(members)
        covered[members] = True
    return found


def _dual_lp(
    problem: CompiledProblem,
    panels: list[IntArray],
    fixed: FloatArray,
    is_fixed: np.ndarray,
    allowed: np.ndarray,
    slack: float,
) -> highspy.HighsLp:
    n, m = problem.size, len(panels)
    lp = highspy.HighsLp()
    lp.num_col_ = n + 1
    lp.num_row_ = m + 1
    # The small charge on fixed people's weights (a relaxation of their fixed level by FIXED_SLACK in the primal)
    # keeps the optimal face bounded: without it the interior point drifts off along unbounded optimal rays.
    lp.col_cost_ = np.append(np.where(is_fixed, slack - fixed, 0.0), 1.0)
    lp.col_lower_ = np.zeros(n + 1)
    lp.col_upper_ = np.append(np.where(allowed, highspy.kHighsInf, 0.0), highspy.kHighsInf)
    free_people = np.flatnonzero(~is_fixed & allowed)
    sizes = np.array([len(p) for p in panels], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes + 1), [int(np.sum(sizes + 1)) + len(free_people)]])
    # each panel row: its members with coefficient 1, then z with coefficient -1
    index = np.full(int(np.sum(sizes + 1)), n, dtype=np.int64)
    value = np.full(len(index), -1.0)
    member_slots = np.ones(len(index), dtype=np.bool_)
    member_slots[starts[1 : m + 1] - 1] = False
    if m:
        index[member_slots] = np.concatenate(panels)
    value[member_slots] = 1.0
    index = np.concatenate([index, free_people]).astype(np.int32)
    value = np.concatenate([value, np.ones(len(free_people))])
    starts = starts.astype(np.int32)
    lp.row_lower_ = np.append(np.full(m, -highspy.kHighsInf), 1.0)
    lp.row_upper_ = np.append(np.zeros(m), 1.0)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    return lp


def _solve_dual(lp: highspy.HighsLp, counters: _Counters) -> tuple[FloatArray, float, float, FloatArray]:
    """(weights y, bound z, objective, panel probabilities) of the stage's dual LP, by IPM without crossover."""
    solver = new_highs()
    solver.setOptionValue("solver", "ipm")
    solver.setOptionValue("run_crossover", "off")
    solver.setOptionValue("ipm_optimality_tolerance", IPM_TOLERANCE)
    solver.setOptionValue("presolve", "off")  # measured: presolve finds nothing to remove and costs a quarter
    solver.passModel(lp)
    began = time.perf_counter()
    solver.run()
    status = solver.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        # Interior point without crossover can stall short of its tolerances; crossover then finishes the job.
        solver.setOptionValue("run_crossover", "on")
        solver.run()
        status = solver.getModelStatus()
    counters.lp_seconds += time.perf_counter() - began
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"dual LP stopped with status {solver.modelStatusToString(status)}")
    solution = solver.getSolution()
    values = np.maximum(np.asarray(solution.col_value), 0.0)
    # The row duals of the panel rows are the primal solution: a probability for each generated panel.
    probabilities = np.abs(np.asarray(solution.row_dual)[:-1])
    probabilities /= max(float(probabilities.sum()), 1e-300)
    return values[:-1], float(values[-1]), float(solver.getInfo().objective_function_value), probabilities


def _solve_stage(
    problem: CompiledProblem,
    panels: list[IntArray],
    fixed: FloatArray,
    is_fixed: np.ndarray,
    allowed: np.ndarray,
    counters: _Counters,
) -> tuple[FloatArray, float, float, FloatArray]:
    """The stage's dual LP; if solver noise made earlier levels slightly unreachable, retry with more slack."""
    slack = FIXED_SLACK
    while True:
        try:
            return _solve_dual(_dual_lp(problem, panels, fixed, is_fixed, allowed, slack), counters)
        except SolverError:
            if slack >= MAX_FIXED_SLACK:
                raise
            slack *= 10.0


def _fix_threshold(free_count: int) -> float:
    """Weights above this count as positive; interior-point noise on true zeros is orders of magnitude smaller."""
    return max(1e-9, 1e-4 / max(free_count, 1))


def _price(
    problem: CompiledProblem,
    oracle: PanelOracle,
    found: PanelSet,
    rng: np.random.Generator,
    weights: FloatArray,
    bound: float,
    objective: float,
    support: np.ndarray,
    last_panel: IntArray | None,
    counters: _Counters,
) -> tuple[bool, float, np.ndarray]:
    """One pricing round: (stage certified?, certified gap, people to fix if certified); adds improving panels.

    The restricted dual is highly degenerate (many optimal weightings), and the interior point lands in the middle
    of that optimal face, which pricing can cut off again and again. So we first try the flattest dual on the same
    support, equal weight on everyone the LP weights: if no panel beats the LP level under those weights, that is
    already a certificate of optimality for the stage. Otherwise we price the LP weights themselves.
    """
    if objective * int(support.sum()) < 1.0:
        # Any panel holding one of the supported people already weighs 1/|support| > objective: skip the attempt.
        return _price_lp_weights(problem, oracle, found, rng, weights, bound, support, last_panel, counters)
    uniform = support / max(int(support.sum()), 1)
    members, _, upper = oracle.best_panel(uniform, last_panel)
    flat_gap = upper - objective  # fixed people carry no weight here, so the bound is the panel weight itself
    if flat_gap <= STAGE_TOLERANCE:
        return True, max(flat_gap, 0.0), support
    found.add(members)
    for variant in improving_variants(problem, members, uniform, objective + STAGE_TOLERANCE, rng, VARIANTS_PER_ROUND):
        found.add(variant)
    return _price_lp_weights(problem, oracle, found, rng, weights, bound, support, members, counters)


def _price_lp_weights(
    problem: CompiledProblem,
    oracle: PanelOracle,
    found: PanelSet,
    rng: np.random.Generator,
    weights: FloatArray,
    bound: float,
    support: np.ndarray,
    start: IntArray | None,
    counters: _Counters,
) -> tuple[bool, float, np.ndarray]:
    """Price the LP's own weights: certify the stage or add the best panel and its improving variants."""
    members, _, upper = oracle.best_panel(weights, start)
    gap = upper - bound
    if gap <= STAGE_TOLERANCE:
        return True, max(gap, 0.0), support
    found.add(members)
    for variant in improving_variants(problem, members, weights, bound + STAGE_TOLERANCE, rng, VARIANTS_PER_ROUND):
        found.add(variant)
    # An LP solve costs several pricing solves, so spend a few more pricing solves on randomly perturbed weights:
    # their optimal panels are different, still usually improving, and cut the number of LP rounds.
    for _ in range(PERTURBED_PRICINGS):
        noisy = weights * rng.uniform(1.0 - PERTURBATION, 1.0 + PERTURBATION, size=len(weights))
        extra, _, _ = oracle.best_panel(noisy, members)
        if float(weights[extra].sum()) > bound + STAGE_TOLERANCE and found.add(extra):
            for variant in improving_variants(
                problem, extra, weights, bound + STAGE_TOLERANCE, rng, VARIANTS_PER_ROUND // 2
            ):
                found.add(variant)
    return False, gap, support


def run_stages(
    problem: CompiledProblem,
    oracle: PanelOracle,
    found: PanelSet,
    rng: np.random.Generator,
    *,
    single_stage: bool,
    progress: ProgressCallback,
) -> tuple[FloatArray, float, _Counters]:
    """Fix selection probabilities stage by stage; returns (fixed levels, largest certified gap, counters)."""
    allowed = oracle.allowed
    fixed = np.zeros(problem.size)
    is_fixed = ~allowed  # people no quota lets in are fixed at zero from the start
    counters = _Counters(initial_panels=len(found.panels))
    last_panel: IntArray | None = found.panels[0] if found.panels else None
    while not np.all(is_fixed):
        counters.stages += 1
        while True:
            counters.rounds += 1
            if counters.rounds > MAX_ROUNDS:
                raise SolverError(f"column generation did not converge in {MAX_ROUNDS} rounds")
            weights, bound, objective, probabilities = _solve_stage(
                problem, found.panels, fixed, is_fixed, allowed, counters
            )
            free = ~is_fixed
            support = free & (weights > _fix_threshold(int(free.sum())))
            certified, gap, support = _price(
                problem, oracle, found, rng, weights, bound, objective, support, last_panel, counters
            )
            if certified:
                break
            last_panel = found.panels[-1]
        counters.max_gap = max(counters.max_gap, max(gap, 0.0))
        newly = support
        if single_stage:
            newly = free
        # Fix at what the LP's own distribution actually gives them, never above the LP value: an interior point
        # stops slightly inside its tolerances, and a level set too high would make later stages infeasible.
        achieved = _marginals(found.panels, probabilities, problem.size)
        fixed[newly] = np.clip(np.minimum(achieved[newly], objective), 0.0, None)
        is_fixed |= newly
        share = float(np.mean(is_fixed))
        progress(0.1 + 0.8 * share, f"stage {counters.stages}: fixed {int(newly.sum())} people at {objective:.6f}")
    return fixed, counters.max_gap, counters


def _marginals(panels: list[IntArray], probabilities: FloatArray, size: int) -> FloatArray:
    marginals = np.zeros(size)
    for panel, probability in zip(panels, probabilities, strict=False):
        if probability > 0:
            marginals[panel] += probability
    return marginals


def final_distribution(
    problem: CompiledProblem, panels: list[IntArray], targets: FloatArray, allowed: np.ndarray
) -> tuple[FloatArray, float]:
    """(probabilities over `panels`, shortfall): everyone gets at least their target minus the smallest shortfall.

    Solved by dual simplex, so the answer is a vertex: few panels carry positive probability.
    """
    m, people = len(panels), np.flatnonzero(allowed)
    incidence_rows: list[list[int]] = [[] for _ in range(problem.size)]
    for column, panel in enumerate(panels):
        for person in panel.tolist():
            incidence_rows[person].append(column)
    lp = highspy.HighsLp()
    lp.num_col_ = m + 1  # panel probabilities, then the shortfall
    lp.num_row_ = len(people) + 1
    lp.col_cost_ = np.append(np.zeros(m), 1.0)
    lp.col_lower_ = np.zeros(m + 1)
    lp.col_upper_ = np.append(np.ones(m), highspy.kHighsInf)
    index: list[int] = []
    starts = [0]
    for person in people.tolist():
        index.extend(incidence_rows[person])
        index.append(m)
        starts.append(len(index))
    index.extend(range(m))
    starts.append(len(index))
    values = np.ones(len(index))
    lp.row_lower_ = np.append(targets[people], 1.0)
    lp.row_upper_ = np.append(np.full(len(people), highspy.kHighsInf), 1.0)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = values
    solver = new_highs()
    solver.setOptionValue("solver", "simplex")
    solver.passModel(lp)
    solver.run()
    status = solver.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"final LP stopped with status {solver.modelStatusToString(status)}")
    values = np.asarray(solver.getSolution().col_value)
    probabilities = np.clip(values[:m], 0.0, None)
    probabilities[probabilities < 1e-12] = 0.0
    return probabilities / probabilities.sum(), max(float(values[m]), 0.0)


def leximin_or_maximin(
    problem: CompiledProblem, rng: np.random.Generator, *, single_stage: bool, progress: ProgressCallback
) -> ColumnGenerationOutcome:
    started = time.perf_counter()
    oracle = PanelOracle(problem)
    progress(0.02, "building a diverse set of starting panels")
    found = initial_panels(problem, oracle, rng)
    seeded = time.perf_counter()
    fixed, gap, counters = run_stages(problem, oracle, found, rng, single_stage=single_stage, progress=progress)
    generated = time.perf_counter()
    progress(0.92, f"final LP over {len(found.panels)} panels")
    probabilities, shortfall = final_distribution(problem, found.panels, fixed, oracle.allowed)
    stats = {
        "initial_panels": float(counters.initial_panels),
        "generated_panels": float(len(found.panels)),
        "rounds": float(counters.rounds),
        "stages": float(counters.stages),
        "pricing_calls": float(oracle.calls),
        "pricing_seconds": oracle.seconds,
        "dual_lp_seconds": counters.lp_seconds,
        "initial_seconds": seeded - started,
        "column_generation_seconds": generated - seeded,
        "final_lp_seconds": time.perf_counter() - generated,
    }
    stats["final_shortfall"] = shortfall
    return ColumnGenerationOutcome(found.panels, probabilities, fixed, gap + shortfall, stats)
