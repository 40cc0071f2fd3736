"""Cross-tabulation of a closed question by a demographic or area, weighted or not, with confidence intervals.

Every count is passed through the disclosure control engine before anything is shown or exported: a cell whose
respondent count is below the threshold (or which secondary suppression hides so it cannot be worked out by
subtraction) shows neither its count, nor its percentage, nor its interval. Percentages are shares of the row
(the group); the interval is Korn-Graubard from engines/weighting.py (with weights of 1 when unweighted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from byconsent.engines import disclosure, weighting
from byconsent.insights.responses import ResponseDataError, ResponseTable

SUPPRESSED = "[c]"  # the ONS symbol for a figure withheld for confidentiality


@dataclass(frozen=True)
class Cell:
    count: int | None  # None: suppressed
    percent: float | None  # share of the row, 0..100
    ci_low: float | None
    ci_high: float | None
    status: str  # "published", "primary" or "secondary"

    @property
    def shown(self) -> bool:
        return self.status == "published"


@dataclass(frozen=True)
class Row:
    group: str
    cells: list[Cell]
    total: int | None  # respondents in the group, None when suppressed
    weighted_base: float | None


@dataclass(frozen=True)
class CrossTab:
    question: str
    question_label: str
    by: str
    answers: list[str]
    rows: list[Row]
    column_totals: list[int | None]
    grand_total: int | None
    weighted: bool
    threshold: int
    suppressed_cells: int
    method_note: str
    unanswered: int  # respondents without an answer to the question or without a group

    def flat_rows(self) -> list[list[str]]:
        """The published table as text: group, then per answer count, percent and interval; then the total."""
        lines: list[list[str]] = []
        for row in self.rows:
            line = [row.group]
            for cell in row.cells:
                line += [_text(cell.count), _pct(cell.percent), _interval(cell)]
            line.append(_text(row.total))
            lines.append(line)
        totals = [str(_translated_total())]
        for count in self.column_totals:
            totals += [_text(count), "", ""]
        totals.append(_text(self.grand_total))
        lines.append(totals)
        return lines

    def headers(self) -> list[str]:
        names = [self.by]
        for answer in self.answers:
            names += [f"{answer}: count", f"{answer}: %", f"{answer}: 95% interval"]
        names.append("Respondents")
        return names


def _translated_total() -> str:
    from django.utils.translation import gettext

    return gettext("All respondents")


def _text(value: int | None) -> str:
    return SUPPRESSED if value is None else str(value)


def _pct(value: float | None) -> str:
    return SUPPRESSED if value is None else f"{value:.1f}"


def _interval(cell: Cell) -> str:
    if cell.ci_low is None or cell.ci_high is None:
        return SUPPRESSED
    return f"{cell.ci_low:.1f} to {cell.ci_high:.1f}"


def cross_tabulate(table: ResponseTable, question: str, by: str, weights: Sequence[float] | None = None,
                   threshold: int = 10, answer_order: Sequence[str] | None = None,
                   group_labels: dict[str, str] | None = None) -> CrossTab:
    """Cross-tabulate ``question`` by ``by``. ``weights`` (one per respondent) makes percentages weighted; the
    counts shown are always respondents (what disclosure control protects)."""
    if question not in table.questions:
        raise ResponseDataError(f"no closed question {question!r} in these responses")
    answers_column = table.column(question)
    groups_column = table.column(by)
    keep = [i for i in range(table.size) if answers_column[i] is not None and groups_column[i] is not None]
    if not keep:
        raise ResponseDataError("no respondent answered this question with a known group")
    given = [str(a) for a in answer_order] if answer_order else []
    answers: list[str] = given + sorted({str(answers_column[i]) for i in keep} - set(given))
    groups = sorted({str(groups_column[i]) for i in keep})
    answer_index = {a: j for j, a in enumerate(answers)}
    group_index = {g: r for r, g in enumerate(groups)}
    counts = np.zeros((len(groups), len(answers)), dtype=np.int64)
    for i in keep:
        counts[group_index[str(groups_column[i])], answer_index[str(answers_column[i])]] += 1

    protected = disclosure.protect(
        disclosure.two_way_table(counts, groups, answers), disclosure.DisclosureSettings(threshold=threshold))
    published = protected.grid()
    status = protected.status_grid()

    w_all = np.asarray(weights if weights is not None else np.ones(table.size), dtype=np.float64)[keep]
    group_of = np.array([group_index[str(groups_column[i])] for i in keep])
    answer_of = np.array([answer_index[str(answers_column[i])] for i in keep])
    rows: list[Row] = []
    for r, group in enumerate(groups):
        in_group = group_of == r
        cells: list[Cell] = []
        for j in range(len(answers)):
            cell_status = str(status[r][j])  # type: ignore[index]
            count = published[r][j]  # type: ignore[index]
            if cell_status != "published" or count is None:
                cells.append(Cell(None, None, None, None, cell_status))
                continue
            estimate = weighting.weighted_proportion(answer_of == j, w_all, subset=in_group)
            cells.append(Cell(int(count), 100 * estimate.estimate, 100 * estimate.ci_low, 100 * estimate.ci_high,
                              "published"))
        total = published[r][len(answers)]  # type: ignore[index]
        rows.append(Row((group_labels or {}).get(group, group), cells, total,  # type: ignore[arg-type]
                        float(w_all[in_group].sum()) if total is not None else None))
    last = published[len(groups)]  # type: ignore[index]
    return CrossTab(
        question=question, question_label=table.label(question), by=by, answers=answers, rows=rows,
        column_totals=list(last[: len(answers)]), grand_total=last[len(answers)],  # type: ignore[index,arg-type]
        weighted=weights is not None, threshold=threshold,
        suppressed_cells=protected.primary_count + protected.secondary_count,
        method_note=protected.method_note, unanswered=table.size - len(keep),
    )
