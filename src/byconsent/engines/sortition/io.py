"""Read pools and quotas in the two public formats, with errors that name the file, line and column.

- Replication format (Flanigan et al. 2021): `categories.csv` with `category,feature,min,max`, and
  `respondents.csv` with one column per category and no id column (the 0-based row number is the id).
- Sortition Foundation format: `feature,value,min,max[,min_flex,max_flex]`, and a people file with an id column.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from byconsent.engines.sortition.model import Quota, Respondent, SelectionInputError

REPLICATION = "replication"
SORTITION_FOUNDATION = "sortition-foundation"
_REPLICATION_HEADER = ("category", "feature", "min", "max")
_SF_HEADER = ("feature", "value", "min", "max")
_ID_COLUMN_GUESSES = ("id", "nationbuilder_id", "respondent_id", "person_id")


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) for each non-blank row; utf-8 with or without a byte-order mark."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            rows = [(reader.line_num, row) for row in reader]
    except FileNotFoundError:
        raise SelectionInputError("file not found", file=str(path)) from None
    except UnicodeDecodeError as error:
        raise SelectionInputError(f"not UTF-8 text ({error.reason})", file=str(path)) from None
    except csv.Error as error:
        raise SelectionInputError(f"not valid CSV ({error})", file=str(path)) from None
    rows = [(number, row) for number, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise SelectionInputError("the file is empty", file=str(path))
    header = [cell.strip() for cell in rows[0][1]]
    return header, rows[1:]


def detect_quota_format(header: Sequence[str]) -> str:
    """Which of the two formats a quota file header belongs to."""
    lowered = tuple(cell.lower() for cell in header)
    if lowered[:4] == _REPLICATION_HEADER:
        return REPLICATION
    if lowered[:4] == _SF_HEADER:
        return SORTITION_FOUNDATION
    raise SelectionInputError(
        "unrecognised header; expected 'category,feature,min,max' (replication format) "
        "or 'feature,value,min,max[,min_flex,max_flex]' (Sortition Foundation format), got " + ",".join(header),
        line=1,
    )


def _parse_int(text: str, *, file: str, line: int, column: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise SelectionInputError(f"'{text}' is not a whole number", file=file, line=line, column=column) from None
    if value < 0:
        raise SelectionInputError(f"{value} is negative", file=file, line=line, column=column)
    return value


def read_quotas(path: str | Path) -> tuple[str, tuple[Quota, ...]]:
    """The quota file's format and its quotas, in file order."""
    path = Path(path)
    header, rows = _read_rows(path)
    try:
        file_format = detect_quota_format(header)
    except SelectionInputError as error:
        raise SelectionInputError(error.detail, file=str(path), line=1) from None
    names = [cell.lower() for cell in header]
    quotas: list[Quota] = []
    seen: set[tuple[str, str]] = set()
    for line, row in rows:
        cells = dict(zip(names, (cell.strip() for cell in row), strict=False))
        if len(row) < 4:
            raise SelectionInputError(f"expected at least 4 cells, found {len(row)}", file=str(path), line=line)
        quota = _quota_from_cells(cells, header, file_format, file=str(path), line=line)
        if (quota.category, quota.value) in seen:
            raise SelectionInputError(f"quota {quota.label} appears twice", file=str(path), line=line)
        seen.add((quota.category, quota.value))
        quotas.append(quota)
    if not quotas:
        raise SelectionInputError("no quotas in the file", file=str(path))
    return file_format, tuple(quotas)


def _quota_from_cells(cells: dict[str, str], header: list[str], file_format: str, *, file: str, line: int) -> Quota:
    category_key, value_key = ("category", "feature") if file_format == REPLICATION else ("feature", "value")
    column = dict(zip((cell.lower() for cell in header), header, strict=False))
    category, value = cells.get(category_key, ""), cells.get(value_key, "")
    if not category:
        raise SelectionInputError("empty", file=file, line=line, column=column[category_key])
    if not value:
        raise SelectionInputError("empty", file=file, line=line, column=column[value_key])
    low = _parse_int(cells["min"], file=file, line=line, column=column["min"])
    high = _parse_int(cells["max"], file=file, line=line, column=column["max"])
    if low > high:
        raise SelectionInputError(f"min {low} is greater than max {high}", file=file, line=line, column=column["min"])
    flex: dict[str, int | None] = {"min_flex": None, "max_flex": None}
    for key in flex:
        if cells.get(key):
            flex[key] = _parse_int(cells[key], file=file, line=line, column=column[key])
    min_flex, max_flex = flex["min_flex"], flex["max_flex"]
    if min_flex is not None and min_flex > low:
        raise SelectionInputError(f"min_flex {min_flex} is above min {low}", file=file, line=line, column="min_flex")
    if max_flex is not None and max_flex < high:
        raise SelectionInputError(f"max_flex {max_flex} is below max {high}", file=file, line=line, column="max_flex")
    return Quota(category, value, low, high, min_flex, max_flex)


def _pick_id_column(header: list[str], id_column: str | None, file_format: str, file: str) -> str | None:
    """The id column, or None when ids are the 0-based row numbers (replication format without --id-column)."""
    if id_column is not None:
        if id_column not in header:
            raise SelectionInputError(f"id column '{id_column}' not in header {header}", file=file, line=1)
        return id_column
    if file_format == REPLICATION:
        return None
    for guess in _ID_COLUMN_GUESSES:
        if guess in header:
            return guess
    raise SelectionInputError("no id column found; name it with --id-column", file=file, line=1)


def read_respondents(
    path: str | Path,
    quotas: Sequence[Quota],
    *,
    file_format: str,
    id_column: str | None = None,
    household_columns: Sequence[str] = (),
) -> tuple[Respondent, ...]:
    """The pool: one respondent per row, each with a value for every quota category."""
    path, file = Path(path), str(path)
    header, rows = _read_rows(path)
    id_key = _pick_id_column(header, id_column, file_format, file)
    allowed: dict[str, set[str]] = {}
    for quota in quotas:
        allowed.setdefault(quota.category, set()).add(quota.value)
    for needed in [*allowed, *household_columns]:
        if needed not in header:
            raise SelectionInputError(f"column '{needed}' is missing from the header", file=file, line=1)
    position = {name: index for index, name in enumerate(header)}
    respondents: list[Respondent] = []
    seen_ids: dict[str, int] = {}
    for row_number, (line, row) in enumerate(rows):
        if len(row) != len(header):
            raise SelectionInputError(f"expected {len(header)} cells, found {len(row)}", file=file, line=line)
        respondent_id = row[position[id_key]].strip() if id_key is not None else str(row_number)
        if id_key is not None and not respondent_id:
            raise SelectionInputError("empty id", file=file, line=line, column=id_key)
        if respondent_id in seen_ids:
            raise SelectionInputError(
                f"id '{respondent_id}' already used on line {seen_ids[respondent_id]}",
                file=file,
                line=line,
                column=id_key,
            )
        seen_ids[respondent_id] = line
        features = {}
        for category, values in allowed.items():
            value = row[position[category]].strip()
            if value not in values:
                raise SelectionInputError(
                    f"value '{value}' has no quota (known values: {', '.join(sorted(values))})",
                    file=file,
                    line=line,
                    column=category,
                )
            features[category] = value
        respondents.append(Respondent(respondent_id, features, _household_key(row, position, household_columns)))
    if not respondents:
        raise SelectionInputError("no respondents in the file", file=file)
    return tuple(respondents)


def _household_key(row: list[str], position: dict[str, int], columns: Sequence[str]) -> str | None:
    """Normalised address key; people with an empty address are treated as their own household."""
    parts = [row[position[column]].strip().casefold() for column in columns]
    if not any(parts):
        return None
    return "\x1f".join(" ".join(part.split()) for part in parts)


def read_problem_files(
    categories: str | Path,
    respondents: str | Path,
    *,
    id_column: str | None = None,
    household_columns: Sequence[str] = (),
) -> tuple[str, tuple[Quota, ...], tuple[Respondent, ...]]:
    """Both files of one instance: (format, quotas, respondents)."""
    file_format, quotas = read_quotas(categories)
    pool = read_respondents(
        respondents, quotas, file_format=file_format, id_column=id_column, household_columns=household_columns
    )
    return file_format, quotas, pool
