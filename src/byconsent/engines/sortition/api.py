"""The one entry point callers use: `select_panel(pool, quotas, k, algorithm, seed, lottery_size, progress)`."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from byconsent.engines.sortition.colgen import ColumnGenerationOutcome, leximin_or_maximin
from byconsent.engines.sortition.compiled import CompiledProblem, FloatArray, IntArray, compile_problem
from byconsent.engines.sortition.legacy import legacy_draws
from byconsent.engines.sortition.lottery import drawn_panel, round_distribution, ticket_for_seed, uniform_for_seed
from byconsent.engines.sortition.model import (
    ALGORITHMS,
    Lottery,
    ProgressCallback,
    Quota,
    Respondent,
    SelectionInputError,
    SelectionProblem,
    SelectionResult,
)
from byconsent.engines.sortition.nash import nash
from byconsent.engines.sortition.oracle import diagnose_infeasibility, find_any_panel, highs_version

DEFAULT_LOTTERY_SIZE = 1000
DEFAULT_LEGACY_DRAWS = 1000


def _quiet(fraction: float, message: str) -> None:
    """Default progress callback: report nothing."""


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def solver_names(algorithm: str) -> dict[str, str]:
    highs = highs_version()
    if algorithm == "legacy":
        return {"sampler": "greedy legacy method (numpy random generator PCG64)"}
    names = {"pricing_mip": f"{highs} branch and bound", "final_lp": f"{highs} dual simplex"}
    if algorithm in ("leximin", "maximin"):
        names["dual_lp"] = f"{highs} interior point, crossover off"
    if algorithm == "nash":
        names["convex"] = f"Clarabel {_package_version('clarabel')} via cvxpy {_package_version('cvxpy')}"
        del names["final_lp"]
    return names


def generator_for_seed(seed: str) -> np.random.Generator:
    """The random generator behind the heuristics: a pure function of the seed, so reruns are identical."""
    digest = hashlib.sha256(f"byconsent-sortition:{seed}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def check_feasibility(pool: Sequence[Respondent], quotas: Sequence[Quota], k: int) -> None:
    """Return quietly if some panel meets every quota and the household rule; otherwise raise
    InfeasibleQuotasError with the conflicts and the smallest relaxation (SelectionInputError for bad input).

    Cheap (one integer program, plus the relaxation program when infeasible): suits a form that checks quotas
    while staff edit them.
    """
    problem = SelectionProblem(tuple(pool), tuple(quotas), k)
    compiled = compile_problem(problem)
    if find_any_panel(compiled) is None:
        raise diagnose_infeasibility(problem, compiled)


def select_panel(
    pool: Sequence[Respondent],
    quotas: Sequence[Quota],
    k: int,
    algorithm: str = "leximin",
    seed: str | None = None,
    lottery_size: int = DEFAULT_LOTTERY_SIZE,
    progress: ProgressCallback | None = None,
    legacy_draw_count: int = DEFAULT_LEGACY_DRAWS,
) -> SelectionResult:
    """Find a fair distribution over valid panels and draw one panel from it.

    Raises SelectionInputError for malformed input and InfeasibleQuotasError (with the smallest relaxation) when
    no panel meets the quotas. `lottery_size` 0 draws straight from the exact distribution instead of m tickets.
    """
    if algorithm not in ALGORITHMS:
        raise SelectionInputError(f"unknown algorithm '{algorithm}'; choose one of {', '.join(ALGORITHMS)}")
    if lottery_size < 0:
        raise SelectionInputError(f"lottery size must be 0 or more, got {lottery_size}")
    report = progress or _quiet
    seed = seed if seed is not None else secrets.token_hex(8)
    started = time.perf_counter()
    problem = SelectionProblem(tuple(pool), tuple(quotas), k)
    compiled = compile_problem(problem)
    report(0.0, "checking that the quotas can be met")
    if find_any_panel(compiled) is None:
        raise diagnose_infeasibility(problem, compiled)
    checked = time.perf_counter()
    panels, probabilities, gap, stats = _run(compiled, algorithm, generator_for_seed(seed), report, legacy_draw_count)
    solved = time.perf_counter()
    report(0.95, "rounding to a lottery and drawing")
    result = _assemble(compiled, algorithm, panels, probabilities, gap, seed, lottery_size)
    result.solvers = solver_names(algorithm)
    result.stats = stats
    finished = time.perf_counter()
    result.timings = {"feasibility": checked - started, "solve": solved - checked, "lottery": finished - solved}
    result.seconds = finished - started
    report(1.0, "done")
    return result


def _run(
    compiled: CompiledProblem, algorithm: str, rng: np.random.Generator, report: ProgressCallback, draws: int
) -> tuple[list[IntArray], FloatArray, float, dict[str, float]]:
    if algorithm == "legacy":
        found = legacy_draws(compiled, rng, draws)
        report(0.9, f"{draws} legacy draws done")
        return found, np.full(len(found), 1.0 / len(found)), math.nan, {"draws": float(draws)}
    outcome: ColumnGenerationOutcome
    if algorithm == "nash":
        outcome = nash(compiled, rng, report)
    else:
        outcome = leximin_or_maximin(compiled, rng, single_stage=algorithm == "maximin", progress=report)
    return outcome.panels, outcome.probabilities, outcome.gap, outcome.stats


def _canonical(panels: list[IntArray], probabilities: FloatArray) -> tuple[list[IntArray], FloatArray]:
    """Panels with positive probability, duplicates merged, in a fixed order (by their members' row numbers)."""
    merged: dict[tuple[int, ...], float] = {}
    for panel, probability in zip(panels, probabilities, strict=True):
        if probability > 0:
            key = tuple(sorted(panel.tolist()))
            merged[key] = merged.get(key, 0.0) + float(probability)
    keys = sorted(merged)
    weights = np.array([merged[key] for key in keys])
    return [np.array(key, dtype=np.int64) for key in keys], weights / weights.sum()


def _assemble(
    compiled: CompiledProblem,
    algorithm: str,
    panels: list[IntArray],
    probabilities: FloatArray,
    gap: float,
    seed: str,
    lottery_size: int,
) -> SelectionResult:
    panels, probabilities = _canonical(panels, probabilities)
    marginal_array = np.zeros(compiled.size)
    for panel, probability in zip(panels, probabilities, strict=True):
        marginal_array[panel] += probability
    ids = compiled.ids
    lottery = None
    if lottery_size > 0:
        counts, deviation = round_distribution(panels, probabilities, compiled.size, lottery_size)
        ticket = ticket_for_seed(seed, lottery_size)
        chosen = drawn_panel(counts, ticket)
        rounded = np.zeros(compiled.size)
        for panel, count in zip(panels, counts, strict=True):
            rounded[panel] += count / lottery_size
        lottery = Lottery(
            lottery_size,
            seed,
            tuple(int(c) for c in counts),
            ticket,
            chosen,
            deviation,
            {ids[i]: float(rounded[i]) for i in range(compiled.size)},
        )
    else:
        chosen = min(
            int(np.searchsorted(np.cumsum(probabilities), uniform_for_seed(seed), side="right")), len(panels) - 1
        )
    return SelectionResult(
        algorithm=algorithm,
        panels=[tuple(ids[i] for i in panel) for panel in panels],
        panel_probabilities=[float(p) for p in probabilities],
        marginals={ids[i]: float(marginal_array[i]) for i in range(compiled.size)},
        min_probability=float(marginal_array.min()),
        gap=gap,
        selected=tuple(ids[i] for i in panels[chosen]),
        lottery=lottery,
        solvers={},
        seconds=0.0,
    )
