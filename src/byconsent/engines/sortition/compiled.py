"""The selection problem as arrays: one row per quota, one column per person."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from byconsent.engines.sortition.model import SelectionInputError, SelectionProblem

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CompiledProblem:
    """Array form of a SelectionProblem.

    `quota_of[i, c]` is the quota row holding person i's value in category c, so the count of quota q in a panel
    is the number of members with `quota_of[:, c] == q` for q's category c.
    """

    ids: tuple[str, ...]
    panel_size: int
    labels: tuple[str, ...]
    low: IntArray
    high: IntArray
    category_of_quota: IntArray
    quota_of: IntArray  # shape (n, categories)
    household_of: IntArray  # household group number, -1 when the person shares an address with nobody
    households: tuple[IntArray, ...]  # the groups of two or more people at one address

    @property
    def size(self) -> int:
        return len(self.ids)

    def selectable(self) -> BoolArray:
        """People who could sit on some panel as far as single quotas go (no quota of theirs has max 0)."""
        mask: BoolArray = np.all(self.high[self.quota_of] > 0, axis=1)
        return mask

    def counts(self, members: IntArray) -> IntArray:
        """How many of `members` fall in each quota row."""
        return np.bincount(self.quota_of[members].ravel(), minlength=len(self.labels)).astype(np.int64)


def compile_problem(problem: SelectionProblem) -> CompiledProblem:
    categories = problem.categories
    row_of = {(quota.category, quota.value): row for row, quota in enumerate(problem.quotas)}
    quota_of = np.empty((len(problem.respondents), len(categories)), dtype=np.int64)
    for person, respondent in enumerate(problem.respondents):
        for column, category in enumerate(categories):
            value = respondent.features.get(category, "")
            if (category, value) not in row_of:
                raise SelectionInputError(f"respondent '{respondent.id}' has no quota for {category}={value}")
            quota_of[person, column] = row_of[(category, value)]
    if problem.panel_size <= 0:
        raise SelectionInputError(f"panel size must be positive, got {problem.panel_size}")
    groups: dict[str, list[int]] = {}
    for person, respondent in enumerate(problem.respondents):
        if respondent.household is not None:
            groups.setdefault(respondent.household, []).append(person)
    households = tuple(np.array(members, dtype=np.int64) for members in groups.values() if len(members) > 1)
    household_of = np.full(len(problem.respondents), -1, dtype=np.int64)
    for number, members in enumerate(households):
        household_of[members] = number
    category_index = {category: index for index, category in enumerate(categories)}
    return CompiledProblem(
        ids=tuple(respondent.id for respondent in problem.respondents),
        panel_size=problem.panel_size,
        labels=tuple(quota.label for quota in problem.quotas),
        low=np.array([quota.min for quota in problem.quotas], dtype=np.int64),
        high=np.array([quota.max for quota in problem.quotas], dtype=np.int64),
        category_of_quota=np.array([category_index[quota.category] for quota in problem.quotas], dtype=np.int64),
        quota_of=quota_of,
        household_of=household_of,
        households=households,
    )
