"""Plain data types shared by the panel-selection engine, its validator and its callers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

ProgressCallback = Callable[[float, str], None]

ALGORITHMS = ("leximin", "maximin", "nash", "legacy")


@dataclass(frozen=True)
class Quota:
    """Bounds on how many panel members may have `value` in `category`.

    `min_flex`/`max_flex` (Sortition Foundation format) are the furthest a relaxation may move the bounds.
    """

    category: str
    value: str
    min: int
    max: int
    min_flex: int | None = None
    max_flex: int | None = None

    @property
    def label(self) -> str:
        return f"{self.category}={self.value}"


@dataclass(frozen=True)
class Respondent:
    """One volunteer in the pool: an id, one value per quota category, and an optional household key."""

    id: str
    features: Mapping[str, str]
    household: str | None = None


@dataclass(frozen=True)
class SelectionProblem:
    """Everything a selection needs: the pool, the quotas and the panel size."""

    respondents: tuple[Respondent, ...]
    quotas: tuple[Quota, ...]
    panel_size: int

    @property
    def categories(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for quota in self.quotas:
            seen.setdefault(quota.category, None)
        return tuple(seen)


@dataclass(frozen=True)
class QuotaRelaxation:
    """How far one quota must move for a panel to exist."""

    category: str
    value: str
    old_min: int
    old_max: int
    new_min: int
    new_max: int


@dataclass(frozen=True)
class Lottery:
    """The distribution rounded to `size` equally likely panels, and the public draw among them."""

    size: int
    seed: str
    panel_counts: tuple[int, ...]  # how many of the `size` tickets each panel of the result holds
    drawn_ticket: int  # SHA-256(seed) mod size
    drawn_panel: int  # index into SelectionResult.panels
    max_marginal_deviation: float  # max over people of |rounded marginal - exact marginal|
    marginals: Mapping[str, float]  # selection probability of each person under the rounded lottery


@dataclass
class SelectionResult:
    """The outcome of one selection run."""

    algorithm: str
    panels: list[tuple[str, ...]]
    panel_probabilities: list[float]
    marginals: dict[str, float]
    min_probability: float
    gap: float  # certified upper bound on how far `min_probability` may lie below the optimum
    selected: tuple[str, ...]
    lottery: Lottery | None
    solvers: dict[str, str]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class SelectionInputError(ValueError):
    """Bad input: names the file, the line and the column when they are known."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, column: str | None = None):
        self.file = file
        self.line = line
        self.column = column
        self.detail = message
        where = []
        if file is not None:
            where.append(str(file))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class InfeasibleQuotasError(ValueError):
    """No panel meets every quota; carries the conflicting quotas and the smallest relaxation that fixes them."""

    def __init__(self, reasons: list[str], relaxation: list[QuotaRelaxation] | None):
        self.reasons = reasons
        self.relaxation = relaxation
        lines = ["No panel satisfies all quotas."]
        lines += [f"- {reason}" for reason in reasons]
        if relaxation:
            lines.append("Smallest relaxation that makes a panel possible:")
            for r in relaxation:
                lines.append(f"- {r.category}={r.value}: min {r.old_min}->{r.new_min}, max {r.old_max}->{r.new_max}")
        elif relaxation is None:
            lines.append("No relaxation of the quotas alone makes a panel possible (check panel size and pool).")
        super().__init__("\n".join(lines))
