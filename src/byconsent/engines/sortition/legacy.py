"""LEGACY: the Sortition Foundation's earlier greedy draw, kept only to compare fairness against.

Seat by seat it finds the quota value whose unmet minimum is largest relative to the people still available
with that value, draws one of them uniformly at random, removes them (and their household), and removes everyone
whose value has reached its maximum. A draw that gets stuck is thrown away and repeated. It meets the quotas but
gives some volunteers far lower chances than others.
"""

from __future__ import annotations

import numpy as np

from byconsent.engines.sortition.compiled import CompiledProblem, IntArray
from byconsent.engines.sortition.heuristics import is_valid_panel

MAX_ATTEMPTS = 100


class _Pool:
    """Remaining people per quota value, with O(1) removal (swap with last)."""

    def __init__(self, problem: CompiledProblem, members_of: list[list[int]]):
        self.problem = problem
        self.lists = [list(members) for members in members_of]
        self.position = [{person: index for index, person in enumerate(members)} for members in self.lists]
        self.present = problem.selectable().tolist()

    def remove(self, person: int) -> None:
        if not self.present[person]:
            return
        self.present[person] = False
        for quota in self.problem.quota_of[person].tolist():
            members, where = self.lists[quota], self.position[quota]
            index = where.pop(person)
            last = members.pop()
            if last != person:
                members[index] = last
                where[last] = index


def _members_by_quota(problem: CompiledProblem) -> list[list[int]]:
    selectable = problem.selectable()
    lists: list[list[int]] = [[] for _ in problem.labels]
    for person in np.flatnonzero(selectable).tolist():
        for quota in problem.quota_of[person].tolist():
            lists[quota].append(person)
    return lists


def legacy_attempt(problem: CompiledProblem, rng: np.random.Generator, members_of: list[list[int]]) -> IntArray | None:
    pool = _Pool(problem, members_of)
    low, high = problem.low.tolist(), problem.high.tolist()
    counts = [0] * len(low)
    homes: dict[int, list[int]] = {h: members.tolist() for h, members in enumerate(problem.households)}
    chosen: list[int] = []
    for _ in range(problem.panel_size):
        best, best_ratio = -1, -float("inf")
        for quota, available in enumerate(pool.lists):
            if not available:
                continue
            ratio = (low[quota] - counts[quota]) / len(available)
            if ratio > best_ratio:
                best, best_ratio = quota, ratio
        if best < 0:
            return None
        person = pool.lists[best][int(rng.integers(len(pool.lists[best])))]
        chosen.append(person)
        pool.remove(person)
        home = int(problem.household_of[person])
        for housemate in homes.get(home, []):
            pool.remove(housemate)
        for quota in problem.quota_of[person].tolist():
            counts[quota] += 1
            if counts[quota] >= high[quota]:
                for other in list(pool.lists[quota]):
                    pool.remove(other)
        if any(counts[q] < low[q] and len(pool.lists[q]) < low[q] - counts[q] for q in range(len(low))):
            return None
    members = np.array(sorted(chosen), dtype=np.int64)
    return members if is_valid_panel(problem, members) else None


def legacy_panel(problem: CompiledProblem, rng: np.random.Generator) -> IntArray | None:
    """One legacy draw, retried up to MAX_ATTEMPTS times; None if every attempt got stuck."""
    members_of = _members_by_quota(problem)
    for _ in range(MAX_ATTEMPTS):
        panel = legacy_attempt(problem, rng, members_of)
        if panel is not None:
            return panel
    return None


def legacy_draws(problem: CompiledProblem, rng: np.random.Generator, draws: int) -> list[IntArray]:
    """`draws` independent legacy panels (stuck attempts retried, as the original does)."""
    members_of = _members_by_quota(problem)
    panels: list[IntArray] = []
    failures = 0
    while len(panels) < draws:
        panel = legacy_attempt(problem, rng, members_of)
        if panel is None:
            failures += 1
            if failures > MAX_ATTEMPTS * max(1, draws):
                raise RuntimeError("the legacy method keeps getting stuck on these quotas")
            continue
        panels.append(panel)
    return panels
