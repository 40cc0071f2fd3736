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

    def __init__(self, problem: CompiledProblem, template: _Template):
        self.quotas_of = template.quotas_of
        self.lists = [list(members) for members in template.lists]
        self.position = [dict(where) for where in template.positions]
        self.present = list(template.present)

    def remove(self, person: int) -> None:
        if not self.present[person]:
            return
        self.present[person] = False
        for quota in self.quotas_of[person]:
            members, where = self.lists[quota], self.position[quota]
            index = where.pop(person)
            last = members.pop()
            if last != person:
                members[index] = last
                where[last] = index


class _Template:
    """Everything an attempt starts from, built once: people per quota value, positions, plain-list lookups."""

    def __init__(self, problem: CompiledProblem):
        self.quotas_of: list[list[int]] = problem.quota_of.tolist()
        self.present: list[bool] = problem.selectable().tolist()
        self.lists: list[list[int]] = [[] for _ in problem.labels]
        for person, allowed in enumerate(self.present):
            if allowed:
                for quota in self.quotas_of[person]:
                    self.lists[quota].append(person)
        self.positions = [{person: index for index, person in enumerate(members)} for members in self.lists]
        self.housemates: dict[int, list[int]] = {}
        for members in problem.households:
            for person in members.tolist():
                self.housemates[person] = [other for other in members.tolist() if other != person]


def legacy_attempt(problem: CompiledProblem, rng: np.random.Generator, template: _Template) -> IntArray | None:
    pool = _Pool(problem, template)
    low, high = problem.low.tolist(), problem.high.tolist()
    counts = [0] * len(low)
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
        for housemate in template.housemates.get(person, ()):
            pool.remove(housemate)
        for quota in template.quotas_of[person]:
            counts[quota] += 1
            if counts[quota] >= high[quota]:
                for other in list(pool.lists[quota]):
                    pool.remove(other)
        # stuck: some minimum can no longer be reached with the people left
        for quota, needed in enumerate(low):
            if counts[quota] < needed and len(pool.lists[quota]) < needed - counts[quota]:
                return None
    members = np.array(sorted(chosen), dtype=np.int64)
    return members if is_valid_panel(problem, members) else None


def legacy_panel(problem: CompiledProblem, rng: np.random.Generator) -> IntArray | None:
    """One legacy draw, retried up to MAX_ATTEMPTS times; None if every attempt got stuck."""
    template = _Template(problem)
    for _ in range(MAX_ATTEMPTS):
        panel = legacy_attempt(problem, rng, template)
        if panel is not None:
            return panel
    return None


def legacy_draws(problem: CompiledProblem, rng: np.random.Generator, draws: int) -> list[IntArray]:
    """`draws` independent legacy panels (stuck attempts retried, as the original does)."""
    template = _Template(problem)
    panels: list[IntArray] = []
    failures = 0
    while len(panels) < draws:
        panel = legacy_attempt(problem, rng, template)
        if panel is None:
            failures += 1
            if failures > MAX_ATTEMPTS * max(1, draws):
                raise RuntimeError("the legacy method keeps getting stuck on these quotas")
            continue
        panels.append(panel)
    return panels
