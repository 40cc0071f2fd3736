"""Independent check of a selection result against the problem, sharing no code with the solvers.

Counts quotas and households with plain dictionaries straight from the respondents' values, and recomputes the
marginals from the panels, so a bug in the solver's array form cannot hide itself here.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from byconsent.engines.sortition.model import SelectionProblem, SelectionResult


def panel_problems(problem: SelectionProblem, panel: Sequence[str]) -> list[str]:
    """What is wrong with one panel (empty when it is valid)."""
    by_id = {respondent.id: respondent for respondent in problem.respondents}
    issues = []
    if len(panel) != problem.panel_size:
        issues.append(f"has {len(panel)} members, not {problem.panel_size}")
    if len(set(panel)) != len(panel):
        issues.append("lists someone twice")
    unknown = [person for person in panel if person not in by_id]
    if unknown:
        issues.append(f"includes unknown ids {unknown[:5]}")
        return issues
    tally: Counter[tuple[str, str]] = Counter()
    for person in panel:
        for category, value in by_id[person].features.items():
            tally[(category, value)] += 1
    for quota in problem.quotas:
        count = tally[(quota.category, quota.value)]
        if not quota.min <= count <= quota.max:
            issues.append(f"has {count} with {quota.label}, outside [{quota.min}, {quota.max}]")
    homes = Counter(by_id[p].household for p in panel if by_id[p].household is not None)
    shared = [home for home, count in homes.items() if count > 1]
    if shared:
        issues.append(f"has {len(shared)} household(s) with more than one member")
    return issues


def validate_result(problem: SelectionProblem, result: SelectionResult, tolerance: float = 1e-6) -> list[str]:
    """Every problem found with the result; empty means valid."""
    issues = []
    for number, panel in enumerate(result.panels):
        issues += [f"panel {number} {issue}" for issue in panel_problems(problem, panel)]
    if len(result.panel_probabilities) != len(result.panels):
        issues.append("panel_probabilities and panels differ in length")
    if any(p < -tolerance for p in result.panel_probabilities):
        issues.append("a panel has negative probability")
    total = math.fsum(result.panel_probabilities)
    if abs(total - 1.0) > tolerance:
        issues.append(f"panel probabilities sum to {total}, not 1")
    recomputed: dict[str, float] = {respondent.id: 0.0 for respondent in problem.respondents}
    for panel, probability in zip(result.panels, result.panel_probabilities, strict=False):
        for person in panel:
            if person in recomputed:
                recomputed[person] += probability
    if set(result.marginals) != set(recomputed):
        issues.append("marginals do not list exactly the respondents")
    for person, value in recomputed.items():
        if abs(result.marginals.get(person, math.nan) - value) > tolerance or math.isnan(
            result.marginals.get(person, math.nan)
        ):
            issues.append(f"marginal of {person} is {result.marginals.get(person)}, panels give {value}")
            break
    marginal_total = math.fsum(result.marginals.values())
    if abs(marginal_total - problem.panel_size) > tolerance * max(1, problem.panel_size):
        issues.append(f"marginals sum to {marginal_total}, not the panel size {problem.panel_size}")
    if result.marginals and abs(min(result.marginals.values()) - result.min_probability) > tolerance:
        issues.append("min_probability is not the smallest marginal")
    if result.selected and tuple(result.selected) not in {tuple(p) for p in result.panels}:
        issues.append("the selected panel is not one of the panels")
    issues += [f"selected panel {issue}" for issue in panel_problems(problem, result.selected)]
    if result.lottery is not None:
        issues += _lottery_problems(result)
    return issues


def _lottery_problems(result: SelectionResult) -> list[str]:
    lottery = result.lottery
    assert lottery is not None
    issues = []
    if sum(lottery.panel_counts) != lottery.size:
        issues.append(f"lottery tickets sum to {sum(lottery.panel_counts)}, not {lottery.size}")
    if len(lottery.panel_counts) != len(result.panels):
        issues.append("lottery counts and panels differ in length")
    running, holder = 0, -1
    for index, count in enumerate(lottery.panel_counts):
        if running <= lottery.drawn_ticket < running + count:
            holder = index
        running += count
    if holder != lottery.drawn_panel or tuple(result.panels[holder]) != tuple(result.selected):
        issues.append("the drawn ticket does not belong to the selected panel")
    return issues
