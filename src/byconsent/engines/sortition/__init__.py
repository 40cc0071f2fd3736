"""Panel selection for citizens' panels: fair lotteries over panels that meet every quota.

Pure computation (no Django): read a pool and quotas, run LEXIMIN / MAXIMIN / NASH (or the LEGACY greedy method
for comparison), round to a transparent lottery, draw from a public seed, and validate the result independently.
"""

from byconsent.engines.sortition.api import DEFAULT_LOTTERY_SIZE, check_feasibility, select_panel
from byconsent.engines.sortition.io import read_problem_files, read_quotas, read_respondents
from byconsent.engines.sortition.model import (
    ALGORITHMS,
    InfeasibleQuotasError,
    Lottery,
    Quota,
    QuotaRelaxation,
    Respondent,
    SelectionInputError,
    SelectionProblem,
    SelectionResult,
)
from byconsent.engines.sortition.validate import panel_problems, validate_result

__all__ = [
    "ALGORITHMS",
    "DEFAULT_LOTTERY_SIZE",
    "InfeasibleQuotasError",
    "Lottery",
    "Quota",
    "QuotaRelaxation",
    "Respondent",
    "SelectionInputError",
    "SelectionProblem",
    "SelectionResult",
    "check_feasibility",
    "panel_problems",
    "read_problem_files",
    "read_quotas",
    "read_respondents",
    "select_panel",
    "validate_result",
]
