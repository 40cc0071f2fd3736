"""`byconsent rake`: weight survey respondents to population margins from two CSV files.

    byconsent rake --data responses.csv --targets margins.csv --output weighted.csv

The targets file has the columns ``variable,category,proportion``. The data file has one column per variable named
in the targets (other columns are carried through untouched); values are compared as text, exactly. The output is
the data file with a ``weight`` column appended, rows in input order. Weights are normalised to mean 1, so they sum
to the number of respondents. Exit codes: 0 converged, 1 written but not converged, 2 input error.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from byconsent.engines import weighting

WEIGHT_COLUMN = "weight"
TARGET_COLUMNS = ("variable", "category", "proportion")
# How many offending line numbers an error message lists before it summarises the rest.
_SHOWN_LINES = 20


class InputError(Exception):
    """A problem with the input files, explained in words an analyst can act on."""


@dataclass(frozen=True)
class DataTable:
    header: list[str]
    rows: list[list[str]]
    line_numbers: list[int]  # file line on which each row starts (the header is line 1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, type=Path, help="CSV of respondents, one column per variable")
    parser.add_argument("--targets", required=True, type=Path, help="CSV with columns variable,category,proportion")
    parser.add_argument("--output", required=True, type=Path, help="where to write the data with a weight column")
    parser.add_argument("--max-iter", type=int, default=1000, help="maximum raking sweeps (default 1000)")
    parser.add_argument(
        "--tol", type=float, default=1e-6, help="largest allowed gap between weighted and target share (1e-6)"
    )
    parser.add_argument("--trim-min", type=float, default=None, help="lowest weight, relative to the mean (e.g. 0.3)")
    parser.add_argument("--trim-max", type=float, default=None, help="highest weight, relative to the mean (e.g. 3)")
    parser.add_argument("--base-weight", default=None, help="column of design weights to start from (optional)")


def run(args: argparse.Namespace) -> int:
    try:
        targets = read_targets(args.targets)
        table = read_data(args.data)
        result = _rake_table(table, targets, args)
        write_output(args.output, table, result.weights)
    except (InputError, weighting.WeightingError, OSError) as error:
        print(f"byconsent rake: error: {error}", file=sys.stderr)
        return 2
    _print_report(result, len(table.rows), args.output)
    return 0 if result.converged else 1


# ------------------------------------------------------------------------------------------------ reading


def read_targets(path: Path) -> dict[str, dict[str, float]]:
    """Targets as {variable: {category: proportion}}, refusing malformed lines with their line numbers."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        missing = [name for name in TARGET_COLUMNS if name not in header]
        if missing:
            raise InputError(f"{path}: targets file needs columns {', '.join(TARGET_COLUMNS)}; missing {missing}")
        position = {name: header.index(name) for name in TARGET_COLUMNS}
        targets: dict[str, dict[str, float]] = {}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(row) < len(header):
                raise InputError(f"{path}, line {line}: expected {len(header)} fields, found {len(row)}")
            variable = row[position["variable"]].strip()
            category = row[position["category"]]
            proportion = _parse_proportion(row[position["proportion"]], path, line)
            shares = targets.setdefault(variable, {})
            if category in shares:
                raise InputError(f"{path}, line {line}: category {category!r} of {variable!r} is listed twice")
            shares[category] = proportion
    if not targets:
        raise InputError(f"{path}: no target rows")
    return targets


def _parse_proportion(text: str, path: Path, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{path}, line {line}: proportion {text!r} is not a number") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InputError(f"{path}, line {line}: proportion {text!r} must be between 0 and 1")
    return value


def read_data(path: Path) -> DataTable:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path}: the data file is empty")
        rows: list[list[str]] = []
        line_numbers: list[int] = []
        previous_end = reader.line_num
        for row in reader:
            # A quoted field may span lines, so a row starts just after the previous one ended.
            start, previous_end = previous_end + 1, reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                raise InputError(f"{path}, line {start}: expected {len(header)} fields, found {len(row)}")
            rows.append(row)
            line_numbers.append(start)
    if not rows:
        raise InputError(f"{path}: no respondents (only a header)")
    return DataTable(header=header, rows=rows, line_numbers=line_numbers)


# ------------------------------------------------------------------------------------------------ raking


def _rake_table(
    table: DataTable, targets: dict[str, dict[str, float]], args: argparse.Namespace
) -> weighting.RakeResult:
    if WEIGHT_COLUMN in table.header:
        raise InputError(f"{args.data}: already has a {WEIGHT_COLUMN!r} column; rename it or pass --base-weight")
    missing = [variable for variable in targets if variable not in table.header]
    if missing:
        raise InputError(f"{args.data}: no column for target variable(s) {', '.join(map(repr, missing))}")
    shares = weighting.validate_targets(targets)
    codes = {variable: _encode_column(table, variable, list(shares[variable]), args.data) for variable in shares}
    trim = None
    if args.trim_min is not None or args.trim_max is not None:
        trim = weighting.TrimBounds(args.trim_min, args.trim_max)
    return weighting.rake_codes(
        codes,
        shares,
        base_weights=_base_weights(table, args.base_weight, args.data),
        max_iter=args.max_iter,
        tol=args.tol,
        trim=trim,
    )


def _encode_column(table: DataTable, variable: str, categories: list[str], path: Path) -> weighting.IntArray:
    column = table.header.index(variable)
    values = np.array([row[column] for row in table.rows], dtype=object)
    try:
        return weighting.encode(variable, values, categories)
    except weighting.UnknownCategoryError as error:
        lines = [table.line_numbers[int(i)] for i in error.rows]
        shown = ", ".join(map(str, lines[:_SHOWN_LINES]))
        more = f" and {len(lines) - _SHOWN_LINES} more" if len(lines) > _SHOWN_LINES else ""
        values_shown = ", ".join(repr(v) for v in error.values[:10])
        raise InputError(
            f"{path}: column {variable!r} has values not in the targets ({values_shown}) on line(s) {shown}{more}"
        ) from None


def _base_weights(table: DataTable, column_name: str | None, path: Path) -> weighting.FloatArray | None:
    if column_name is None:
        return None
    if column_name not in table.header:
        raise InputError(f"{path}: no base weight column {column_name!r}")
    column = table.header.index(column_name)
    values = np.empty(len(table.rows))
    bad: list[int] = []
    for index, row in enumerate(table.rows):
        try:
            values[index] = float(row[column])
        except ValueError:
            values[index] = math.nan
        if not (math.isfinite(values[index]) and values[index] > 0):
            bad.append(table.line_numbers[index])
    if bad:
        shown = ", ".join(map(str, bad[:_SHOWN_LINES]))
        raise InputError(f"{path}: base weights must be positive numbers; see line(s) {shown}")
    return values


# ------------------------------------------------------------------------------------------------ writing


def write_output(path: Path, table: DataTable, weights: Sequence[float] | weighting.FloatArray) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*table.header, WEIGHT_COLUMN])
        # repr() of a float is the shortest text that reads back as the same number.
        writer.writerows([*row, repr(float(weight))] for row, weight in zip(table.rows, weights, strict=True))


def _print_report(result: weighting.RakeResult, respondents: int, output: Path) -> None:
    status = "converged" if result.converged else "NOT converged"
    print(f"respondents:            {respondents}")
    print(f"cells:                  {result.cells}")
    print(f"iterations:             {result.iterations} ({status})")
    print(f"max margin error:       {result.max_margin_error:.3g}")
    print(f"design effect (Kish):   {result.design_effect:.4f}")
    print(f"effective sample size:  {result.effective_sample_size:.1f}")
    if result.trimmed:
        print(f"respondents at a bound: {result.trimmed}")
    print(f"weights (mean 1) written to {output}")
    if not result.converged:
        print(
            "byconsent rake: warning: the margins were not met within --tol; loosen the trim bounds, merge sparse "
            "categories or raise --max-iter",
            file=sys.stderr,
        )
