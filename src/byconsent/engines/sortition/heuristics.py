"""Cheap panel construction used to seed column generation and to produce several columns per pricing round.

Nothing here decides the final distribution; these only propose valid panels that the LP may use, so speed and
diversity matter more than optimality. Every panel produced is checked against the quotas before it is returned.
"""

from __future__ import annotations

import numpy as np

from byconsent.engines.sortition.compiled import CompiledProblem, FloatArray, IntArray


def is_valid_panel(problem: CompiledProblem, members: IntArray) -> bool:
    if len(members) != problem.panel_size or len(np.unique(members)) != len(members):
        return False
    counts = problem.counts(members)
    if np.any(counts < problem.low) or np.any(counts > problem.high):
        return False
    homes = problem.household_of[members]
    homes = homes[homes >= 0]
    return len(np.unique(homes)) == len(homes)


def greedy_panel(problem: CompiledProblem, order: IntArray) -> IntArray | None:
    """Walk people in `order`, taking each one whose addition keeps every quota reachable; None if stuck.

    A person is taken when no maximum is exceeded, their household is not yet represented, and, in every category,
    the seats still needed to reach the minimums fit into the seats left after taking them.
    """
    k = problem.panel_size
    counts = np.zeros(len(problem.labels), dtype=np.int64)
    categories = problem.quota_of.shape[1]
    deficit = np.array([np.sum(problem.low[problem.category_of_quota == c]) for c in range(categories)])
    homes_taken: set[int] = set()
    chosen: list[int] = []
    for person in order.tolist():
        rows = problem.quota_of[person]
        if np.any(counts[rows] >= problem.high[rows]):
            continue
        home = int(problem.household_of[person])
        if home >= 0 and home in homes_taken:
            continue
        helps = counts[rows] < problem.low[rows]
        seats_left = k - len(chosen) - 1
        if np.any(deficit - helps > seats_left):
            continue
        counts[rows] += 1
        deficit -= helps
        if home >= 0:
            homes_taken.add(home)
        chosen.append(person)
        if len(chosen) == k:
            members = np.array(sorted(chosen), dtype=np.int64)
            return members if is_valid_panel(problem, members) else None
    return None


def covering_panels(
    problem: CompiledProblem, allowed: IntArray, rng: np.random.Generator, rounds: int, attempts: int = 20
) -> list[IntArray]:
    """Dealt passes, then greedy panels (least-covered people first) until everyone is covered `rounds` times."""
    coverage = np.zeros(problem.size, dtype=np.int64)
    panels: list[IntArray] = []
    for _ in range(rounds):
        for dealt in dealt_panels(problem, allowed, rng):
            coverage[dealt] += 1
            panels.append(dealt)
    failures = 0
    target = rounds * max(1, -(-len(allowed) // problem.panel_size))
    _, types = np.unique(problem.quota_of[allowed], axis=0, return_inverse=True)
    types = types.ravel()
    type_sizes = np.bincount(types)
    while len(panels) < 4 * target and failures < attempts:
        if np.all(coverage[allowed] >= rounds):
            break
        order = allowed[np.lexsort((_interleaved_keys(types, type_sizes, rng), coverage[allowed]))]
        panel = greedy_panel(problem, order)
        if panel is None:
            failures += 1
            continue
        coverage[panel] += 1
        panels.append(panel)
    return panels


def dealt_panels(problem: CompiledProblem, allowed: IntArray, rng: np.random.Generator) -> list[IntArray]:
    """One pass that deals the pool into disjoint panels like cards; only the valid panels are returned.

    People are lined up grouped by their quota values (category by category, values in random order, people in
    random order) and dealt round-robin into floor(n/k) panels of exactly k. Each panel then holds every value
    of the first category in exact proportion (give or take one) and the others nearly so, so on pools that can be
    split evenly most dealt panels are valid and together give everyone the same chance.
    """
    k = problem.panel_size
    count = len(allowed) // k
    if count == 0:
        return []
    value_rank = rng.permutation(len(problem.labels))  # random order of values within each category
    columns = [value_rank[problem.quota_of[allowed, c]] for c in range(problem.quota_of.shape[1])]
    tiebreak = rng.random(len(allowed))
    lined_up = allowed[np.lexsort((tiebreak, *reversed(columns)))]
    kept = lined_up[rng.permutation(len(lined_up))[: count * k]]  # who sits this pass out is random
    kept = lined_up[np.isin(lined_up, kept)]  # back in line order
    panels = [np.sort(kept[seat::count]) for seat in range(count)]
    return [panel for panel in panels if is_valid_panel(problem, panel)]


def _interleaved_keys(types: IntArray, type_sizes: IntArray, rng: np.random.Generator) -> FloatArray:
    """Sort keys that spread each type (people with identical quota values) evenly along the order.

    Person j-th of their type (in random order) gets (j + offset) / size. Any stretch of the sorted order then
    holds every type roughly in proportion, so consecutive greedy panels, and the leftovers at the end of a pass,
    stay close to the pool's mix: a pass tends to split the pool into disjoint valid panels.
    """
    ranks = np.empty(len(types), dtype=np.float64)
    shuffled = rng.permutation(len(types))
    seen = np.zeros(len(type_sizes), dtype=np.int64)
    for person in shuffled.tolist():
        kind = types[person]
        ranks[person] = seen[kind]
        seen[kind] += 1
    offsets = rng.random(len(type_sizes))
    keys: FloatArray = (ranks + offsets[types]) / type_sizes[types]
    return keys


def improving_variants(
    problem: CompiledProblem,
    panel: IntArray,
    weights: FloatArray,
    threshold: float,
    rng: np.random.Generator,
    count: int,
) -> list[IntArray]:
    """Up to `count` other valid panels whose weight stays above `threshold`, made by swapping members out.

    Each variant brings in high-weight outsiders not yet used by earlier variants, pushing out the lowest-weight
    member whose removal keeps every quota and household rule intact. This yields many improving columns per
    expensive pricing solve.
    """
    inside = np.zeros(problem.size, dtype=np.bool_)
    inside[panel] = True
    outsiders = np.flatnonzero(~inside & (weights > 0))
    if len(outsiders) == 0:
        return []
    jitter = rng.random(len(outsiders))
    queue = outsiders[np.lexsort((jitter, -weights[outsiders]))].tolist()
    swaps_per_variant = max(1, problem.panel_size // 8)
    variants: list[IntArray] = []
    for _ in range(count):
        if not queue:
            break
        variant, queue = _swap_in(problem, panel, weights, threshold, queue, swaps_per_variant)
        if variant is not None:
            variants.append(variant)
    return variants


def _swap_in(
    problem: CompiledProblem,
    panel: IntArray,
    weights: FloatArray,
    threshold: float,
    queue: list[int],
    swaps: int,
) -> tuple[IntArray | None, list[int]]:
    members = panel.copy()
    counts = problem.counts(members)
    value = float(weights[members].sum())
    made, skipped, tries = 0, [], 0
    while queue and made < swaps and tries < 4 * swaps:  # bounded effort: variants are cheap extras
        tries += 1
        newcomer = queue.pop(0)
        slot = _cheapest_removable(problem, members, counts, newcomer, weights)
        if slot is None or value - weights[members[slot]] + weights[newcomer] <= threshold:
            skipped.append(newcomer)
            continue
        leaving = int(members[slot])
        counts[problem.quota_of[leaving]] -= 1
        counts[problem.quota_of[newcomer]] += 1
        value += weights[newcomer] - weights[leaving]
        members[slot] = newcomer
        made += 1
    remaining = skipped + queue  # newcomers that did not fit here may fit the next variant
    if made == 0:
        return None, queue
    members = np.sort(members)
    return (members if is_valid_panel(problem, members) else None), remaining


def _cheapest_removable(
    problem: CompiledProblem, members: IntArray, counts: IntArray, newcomer: int, weights: FloatArray
) -> int | None:
    """Position of the lowest-weight member who can make way for `newcomer` without breaking a rule."""
    incoming = problem.quota_of[newcomer]
    outgoing = problem.quota_of[members]  # (k, categories)
    same = outgoing == incoming
    can_leave = same | (counts[outgoing] - 1 >= problem.low[outgoing])
    can_enter = same | (counts[incoming] + 1 <= problem.high[incoming])
    ok = np.all(can_leave & can_enter, axis=1)
    home = problem.household_of[newcomer]
    if home >= 0:
        housemates = problem.household_of[members] == home
        if np.any(housemates):
            ok &= housemates  # the only way in is to replace the housemate
    candidates = np.flatnonzero(ok)
    if len(candidates) == 0:
        return None
    return int(candidates[np.argmin(weights[members[candidates]])])
