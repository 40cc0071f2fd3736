"""`byconsent select-panel`: pick a citizens' panel by a fair lottery from CSV files and write the result as JSON."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from byconsent.engines.sortition import (
    ALGORITHMS,
    DEFAULT_LOTTERY_SIZE,
    InfeasibleQuotasError,
    SelectionInputError,
    SelectionProblem,
    SelectionResult,
    read_problem_files,
    select_panel,
    validate_result,
)

EXIT_OK, EXIT_INFEASIBLE, EXIT_BAD_INPUT, EXIT_INVALID_RESULT = 0, 1, 2, 3
DERIVATION = "ticket = int(SHA-256(seed encoded as UTF-8) as a big-endian integer) mod lottery size"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--categories",
        required=True,
        type=Path,
        help="quota file: 'category,feature,min,max' or 'feature,value,min,max[,min_flex,max_flex]'",
    )
    parser.add_argument("--respondents", required=True, type=Path, help="pool file, one row per volunteer")
    parser.add_argument("--size", required=True, type=int, help="panel size k")
    parser.add_argument("--algorithm", choices=ALGORITHMS, default="leximin")
    parser.add_argument(
        "--id-column",
        default=None,
        help="column holding volunteer ids (default: 'id'/'nationbuilder_id' if present; "
        "the 0-based row number for the replication format)",
    )
    parser.add_argument(
        "--household-column",
        action="append",
        default=[],
        metavar="COL",
        help="address column(s) defining a household; at most one person per household "
        "(repeat the flag or separate with commas)",
    )
    parser.add_argument("--seed", default=None, help="public seed for the draw (default: a fresh random one)")
    parser.add_argument(
        "--lottery-size",
        type=int,
        default=DEFAULT_LOTTERY_SIZE,
        help="round to this many equally likely panels (0 = draw from the exact distribution)",
    )
    parser.add_argument("--output", required=True, type=Path, help="where to write the JSON result")
    parser.add_argument("--quiet", action="store_true", help="no progress messages on stderr")


def result_to_json(result: SelectionResult, *, file_format: str, pool_size: int, panel_size: int) -> dict[str, Any]:
    """The JSON document written by the command; every field but `seconds` and `timings` is reproducible."""
    document: dict[str, Any] = {
        "algorithm": result.algorithm,
        "input_format": file_format,
        "pool_size": pool_size,
        "panel_size": panel_size,
        "min_probability": result.min_probability,
        "gap": None if math.isnan(result.gap) else result.gap,
        "selected": list(result.selected),
        "marginals": result.marginals,
        "panels": [list(panel) for panel in result.panels],
        "panel_probabilities": result.panel_probabilities,
        "solvers": result.solvers,
        "stats": result.stats,
        "seconds": result.seconds,
        "timings": result.timings,
    }
    lottery = result.lottery
    if lottery is not None:
        document["lottery"] = {
            "size": lottery.size,
            "seed": lottery.seed,
            "derivation": DERIVATION,
            "ticket": lottery.drawn_ticket,
            "panel_index": lottery.drawn_panel,
            "panel_tickets": list(lottery.panel_counts),
            "max_marginal_deviation": lottery.max_marginal_deviation,
            "marginals": dict(lottery.marginals),
        }
    return document


def _household_columns(values: list[str]) -> list[str]:
    return [column.strip() for value in values for column in value.split(",") if column.strip()]


def run(args: argparse.Namespace) -> int:
    def progress(fraction: float, message: str) -> None:
        if not args.quiet:
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    try:
        file_format, quotas, pool = read_problem_files(
            args.categories,
            args.respondents,
            id_column=args.id_column,
            household_columns=_household_columns(args.household_column),
        )
        result = select_panel(pool, quotas, args.size, args.algorithm, args.seed, args.lottery_size, progress)
    except SelectionInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InfeasibleQuotasError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INFEASIBLE
    issues = validate_result(SelectionProblem(pool, quotas, args.size), result)
    if issues:
        print("error: the result failed validation:\n" + "\n".join(issues[:20]), file=sys.stderr)
        return EXIT_INVALID_RESULT
    document = result_to_json(result, file_format=file_format, pool_size=len(pool), panel_size=args.size)
    args.output.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(
        f"{result.algorithm}: minimum selection probability {result.min_probability:.6f} "
        f"over {len(result.panels)} panels in {result.seconds:.1f} s; "
        f"selected panel {', '.join(result.selected)}; written to {args.output}"
    )
    return EXIT_OK
