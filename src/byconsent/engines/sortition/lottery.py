"""Transparent lottery: round the distribution to m equally likely panels and draw one from a public seed.

Rounding (after Flanigan, Kehne, Procaccia, "Fair sortition made transparent", NeurIPS 2021): panel P gets
c_P = floor(m * p_P) or ceil(m * p_P) tickets, the counts summing to m. Which panels round up is chosen by a small
integer program that minimises the largest change of any person's selection probability; it starts from a
systematic rounding, so it never does worse than that. HiGHS runs single-threaded with a fixed seed and a node
limit rather than a time limit, so the same input always gives the same counts.

Draw: tickets are numbered 0..m-1, panel by panel in the published order. The drawn ticket is
int(SHA-256(seed as UTF-8), big-endian) mod m; anyone can recompute it, e.g.
`python -c "import hashlib; print(int(hashlib.sha256(b'SEED').hexdigest(), 16) % 1000)"`.
"""

from __future__ import annotations

import hashlib

import highspy
import numpy as np

from byconsent.engines.sortition.compiled import FloatArray, IntArray
from byconsent.engines.sortition.oracle import new_highs

NODE_LIMIT = 1  # the root node (cuts and heuristics) already does nearly all the good; see docs


def ticket_for_seed(seed: str, size: int) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest(), "big") % size


def uniform_for_seed(seed: str) -> float:
    """A number in [0, 1) from the seed, for drawing directly from an unrounded distribution."""
    return int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest(), "big") / float(2**256)


def _systematic(scaled: FloatArray, size: int) -> IntArray:
    """Counts floor/ceil of `scaled` adding to `size`: round up the largest fractional parts (ties by position)."""
    floors = np.floor(scaled + 1e-9).astype(np.int64)
    missing = size - int(floors.sum())
    fractions = scaled - floors
    order = np.lexsort((np.arange(len(scaled)), -fractions))
    counts = floors.copy()
    counts[order[:missing]] += 1
    return counts


def round_distribution(
    panels: list[IntArray], probabilities: FloatArray, population: int, size: int
) -> tuple[IntArray, float]:
    """(tickets per panel summing to `size`, largest change of any person's marginal)."""
    scaled = probabilities * size
    start = _systematic(scaled, size)
    counts = _improve(panels, scaled, start, population, size)
    return counts, _max_deviation(panels, probabilities, counts, population, size)


def _incidence(panels: list[IntArray], weights: FloatArray, population: int) -> FloatArray:
    marginals = np.zeros(population)
    for panel, weight in zip(panels, weights, strict=True):
        marginals[panel] += weight
    return marginals


def _max_deviation(
    panels: list[IntArray], probabilities: FloatArray, counts: IntArray, population: int, size: int
) -> float:
    exact = _incidence(panels, probabilities, population)
    rounded = _incidence(panels, counts.astype(np.float64) / size, population)
    return float(np.max(np.abs(rounded - exact)))


def _improve(panels: list[IntArray], scaled: FloatArray, start: IntArray, population: int, size: int) -> IntArray:
    """Choose which fractional panels round up so the worst person's deviation is smallest."""
    floors = np.floor(scaled + 1e-9).astype(np.int64)
    fractional = np.flatnonzero(scaled - floors > 1e-9)
    if len(fractional) < 2:
        return start
    base = _incidence(panels, floors.astype(np.float64), population) - _incidence(panels, scaled, population)
    people = np.unique(np.concatenate([panels[j] for j in fractional]))
    column_of = {int(j): c for c, j in enumerate(fractional)}
    f = len(fractional)
    solver = new_highs()
    solver.setOptionValue("mip_max_nodes", NODE_LIMIT)
    solver.setOptionValue("mip_rel_gap", 1e-4)
    infinity = highspy.kHighsInf
    # columns: one binary per fractional panel (1 = round up), then t, the largest deviation in tickets
    solver.addVars(f + 1, np.zeros(f + 1), np.append(np.ones(f), infinity))
    solver.changeColsIntegrality(f, np.arange(f, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * f))
    solver.changeColsCost(1, np.array([f], dtype=np.int32), np.array([1.0]))
    solver.addRow(float(size - floors.sum()), float(size - floors.sum()), f, np.arange(f, dtype=np.int32), np.ones(f))
    members_by_person: dict[int, list[int]] = {int(p): [] for p in people}
    for j in fractional.tolist():
        for person in panels[j].tolist():
            members_by_person[person].append(column_of[j])
    for person, columns in members_by_person.items():
        index = np.array([*columns, f], dtype=np.int32)
        offset = float(base[person])
        # -t <= offset + sum(up) <= t
        solver.addRow(-infinity, -offset, len(index), index, np.append(np.ones(len(columns)), -1.0))
        solver.addRow(-offset, infinity, len(index), index, np.append(np.ones(len(columns)), 1.0))
    initial = highspy.HighsSolution()
    ups = (start - floors)[fractional].astype(np.float64)
    deviation = np.abs(base + _incidence(panels, (start - floors).astype(np.float64), population))
    initial.col_value = np.append(ups, float(deviation.max()))
    solver.setSolution(initial)
    solver.run()
    values = np.asarray(solver.getSolution().col_value)
    if solver.getSolution().value_valid is False or len(values) != f + 1:
        return start
    counts = floors.copy()
    counts[fractional] += np.rint(values[:f]).astype(np.int64)
    if int(counts.sum()) != size or np.any(counts < 0):
        return start
    new_deviation = np.abs(base + _incidence(panels, (counts - floors).astype(np.float64), population)).max()
    return counts if new_deviation <= deviation.max() else start


def drawn_panel(counts: IntArray, ticket: int) -> int:
    """Index of the panel holding `ticket`, tickets being numbered panel by panel in order."""
    return int(np.searchsorted(np.cumsum(counts), ticket, side="right"))
