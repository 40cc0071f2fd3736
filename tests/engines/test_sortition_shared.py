"""The small public instances in ../shared/sortition (skipped when absent): known optimal minimum probabilities."""

from __future__ import annotations

import pytest

from byconsent.engines.sortition import SelectionProblem, read_problem_files, select_panel, validate_result
from tests.shared_data import shared_path


def test_example_small_20_leximin_gives_everyone_ten_percent() -> None:
    folder = shared_path("sortition", "citizensassemblies-replication", "data", "example_small_20")
    _, quotas, pool = read_problem_files(folder / "categories.csv", folder / "respondents.csv")
    result = select_panel(pool, quotas, 20, "leximin", seed="shared", lottery_size=1000)
    assert validate_result(SelectionProblem(pool, quotas, 20), result) == []
    assert result.min_probability == pytest.approx(0.1, abs=1e-4)
    assert max(result.marginals.values()) == pytest.approx(0.1, abs=1e-4)


def test_sortition_foundation_fixture_maximin_is_one_eleventh() -> None:
    folder = shared_path("sortition", "sortition-algorithms", "tests", "fixtures")
    _, quotas, pool = read_problem_files(
        folder / "features.csv", folder / "candidates.csv", household_columns=["primary_address1", "primary_zip"]
    )
    result = select_panel(pool, quotas, 22, "maximin", seed="shared", lottery_size=1000)
    assert validate_result(SelectionProblem(pool, quotas, 22), result) == []
    assert result.min_probability == pytest.approx(1 / 11, abs=1e-4)
    assert result.gap <= 1e-4
