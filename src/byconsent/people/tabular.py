"""Read an uploaded table (CSV, or the first sheet of an XLSX workbook) into a header row and data rows.

XLSX is read with the standard library (zipfile and ElementTree): a workbook is a zip of XML parts. Only what an
import needs is supported: shared and inline strings, numbers, booleans, and dates stored as serial numbers in a
cell styled as a date. Formulas give their cached value.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime, timedelta
from xml.etree import ElementTree

MAX_ROWS = 20000
MAX_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # refuse zip bombs

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
# Built-in number formats that are dates (ECMA-376 Part 1, 18.8.30).
_DATE_FORMAT_IDS = set(range(14, 23)) | set(range(45, 48))


class TableError(ValueError):
    """The file cannot be read as a table; the message says why in plain words."""


def read_table(filename: str, content: bytes) -> tuple[list[str], list[list[str]]]:
    if len(content) > MAX_BYTES:
        raise TableError("The file must be smaller than 20 MB")
    if filename.lower().endswith(".xlsx") or content[:2] == b"PK":
        headers, rows = read_xlsx(content)
    else:
        headers, rows = read_csv(content)
    headers = [h.strip() for h in headers]
    if not any(headers):
        raise TableError("The first row must hold the column names")
    if len(rows) > MAX_ROWS:
        raise TableError(f"The file has {len(rows)} rows; import at most {MAX_ROWS} at a time")
    width = len(headers)
    return headers, [(row + [""] * width)[:width] for row in rows if any(cell.strip() for cell in row)]


def read_csv(content: bytes) -> tuple[list[str], list[list[str]]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise TableError("Save the file as UTF-8 CSV")
    rows = list(csv.reader(io.StringIO(text), delimiter=_delimiter(text)))
    if not rows:
        raise TableError("The file is empty")
    return rows[0], rows[1:]


def _delimiter(text: str) -> str:
    """Comma, semicolon (Excel in many European locales) or tab: whichever splits the header row into the most
    columns (a comma when they tie). csv.Sniffer guesses from the data and is easily fooled by quoted text."""
    best, best_width = ",", 0
    for candidate in (",", ";", "\t"):
        try:
            header = next(csv.reader(io.StringIO(text), delimiter=candidate), [])
        except csv.Error:
            continue
        if len(header) > best_width:
            best, best_width = candidate, len(header)
    return best


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - ord("A") + 1)
    return index - 1


def read_xlsx(content: bytes) -> tuple[list[str], list[list[str]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as error:
        raise TableError("This is not an Excel (.xlsx) workbook; save it as .xlsx or CSV") from error
    with archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
            raise TableError("The workbook is too large once unpacked")
        try:
            sheet_path = _first_sheet_path(archive)
            shared = _shared_strings(archive)
            date_styles = _date_styles(archive)
            sheet = ElementTree.fromstring(archive.read(sheet_path))  # noqa: S314
        except (KeyError, ElementTree.ParseError) as error:
            raise TableError("The workbook could not be read; save it again as .xlsx or CSV") from error
    table: list[list[str]] = []
    for row in sheet.iterfind(".//m:sheetData/m:row", NS):
        values: dict[int, str] = {}
        for position, cell in enumerate(row.iterfind("m:c", NS)):
            ref = cell.get("r", "")
            match = _CELL_REF.match(ref)
            column = _column_index(match.group(1)) if match else position
            values[column] = _cell_value(cell, shared, date_styles)
        if values:
            width = max(values) + 1
            table.append([values.get(i, "") for i in range(width)])
        else:
            table.append([])
        if len(table) > MAX_ROWS + 1:
            break
    if not table:
        raise TableError("The first sheet is empty")
    return table[0], table[1:]


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
    first = workbook.find("m:sheets/m:sheet", NS)
    if first is None:
        raise KeyError("no sheet")
    rel_id = first.get(f"{{{NS['r']}}}id")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    for rel in rels.iterfind("rel:Relationship", NS):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise KeyError("sheet relationship")


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))  # noqa: S314
    return ["".join(t.text or "" for t in item.iterfind(".//m:t", NS)) for item in root.iterfind("m:si", NS)]


def _date_styles(archive: zipfile.ZipFile) -> set[int]:
    """Indexes of cell styles (the `s` attribute) whose number format is a date."""
    if "xl/styles.xml" not in archive.namelist():
        return set()
    root = ElementTree.fromstring(archive.read("xl/styles.xml"))  # noqa: S314
    custom_dates = {int(fmt.get("numFmtId", "0")) for fmt in root.iterfind("m:numFmts/m:numFmt", NS)
                    if any(token in (fmt.get("formatCode") or "").lower() for token in ("yy", "dd", "mmm"))}
    styles = set()
    for index, xf in enumerate(root.iterfind("m:cellXfs/m:xf", NS)):
        fmt = int(xf.get("numFmtId", "0"))
        if fmt in _DATE_FORMAT_IDS or fmt in custom_dates:
            styles.add(index)
    return styles


def _cell_value(cell: ElementTree.Element, shared: list[str], date_styles: set[int]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iterfind(".//m:t", NS))
    raw = cell.findtext("m:v", default="", namespaces=NS)
    if kind == "s":
        try:
            return shared[int(raw)]
        except (ValueError, IndexError):
            return ""
    if kind == "b":
        return "TRUE" if raw == "1" else "FALSE"
    if kind in ("str", "e"):
        return raw
    if not raw:
        return ""
    if int(cell.get("s", "0")) in date_styles:
        try:
            return (datetime(1899, 12, 30) + timedelta(days=float(raw))).date().isoformat()
        except (ValueError, OverflowError):
            return raw
    number = float(raw)
    return str(int(number)) if number.is_integer() and "E" not in raw.upper() else raw
