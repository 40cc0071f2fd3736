"""Bulk import of responses from CSV or XLSX: a preview with every error and its line number, then an
all-or-nothing commit run as a task.

The file uses the export's column names: one per question; `<key>__<option>` = 1 for a ticked multiple-choice
option; `<key>__other_text` for "other, please specify"; `<key>__<option>` = rank for a ranking; `<key>__<row>`
for a grid; plus `channel` and, optionally, `submitted_on`. Importing the same file again adds nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from byconsent.core import audit
from byconsent.core.models import Channel
from byconsent.core.policy import Action, require
from byconsent.core.postcodes import find_area, normalise_postcode, outward_code
from byconsent.surveys import logic, services
from byconsent.surveys.forms import OTHER, choices_for, rating_choices
from byconsent.surveys.models import Question, Questionnaire, QuestionType, Response

CHANNELS = {Channel.PAPER.value, Channel.PHONE.value, Channel.EMAIL.value, Channel.FOCUS_GROUP.value}
MAX_ROWS = 100_000
_STORED = re.compile(r"^[0-9a-f]{40}\.(csv|xlsx)$")


@dataclass
class Parsed:
    header: list[str]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line number, answers incl. meta)
    errors: list[str] = field(default_factory=list)


@dataclass
class Preview:
    stored: str
    header: list[str]
    rows: int
    sample: list[list[Any]]
    errors: list[str]


@dataclass
class ImportResult:
    created: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def _import_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "surveys" / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_file(name: str) -> Path | None:
    if not _STORED.match(name):
        return None
    path = _import_dir() / name
    return path if path.is_file() else None


def read_table(name: str, content: bytes) -> list[list[str]]:
    if name.lower().endswith(".xlsx"):
        try:
            from openpyxl import load_workbook
        except ImportError as error:  # pragma: no cover - openpyxl is a dependency
            raise ValueError(_("Excel files cannot be read on this server; save the sheet as CSV")) from error
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception as error:
            raise ValueError(_("The file is not a readable Excel workbook")) from error
        return [["" if v is None else (v.isoformat()[:10] if isinstance(v, date) else str(v)) for v in row]
                for row in sheet.iter_rows(values_only=True)]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(_("The file must be a CSV saved as UTF-8, or an Excel .xlsx file")) from error
    return list(csv.reader(io.StringIO(text)))


def _questions(questionnaire: Questionnaire) -> list[Question]:
    version = questionnaire.current_version
    assert version is not None
    return [q for p in services.pages_of(version) for q in p.questions.all()
            if q.type not in (QuestionType.INFO, QuestionType.FILE)]


def parse(questionnaire: Questionnaire, table: list[list[str]]) -> Parsed:
    if not table:
        return Parsed([], errors=[_("The file is empty")])
    header = [h.strip() for h in table[0]]
    parsed = Parsed(header)
    questions = _questions(questionnaire)
    known = {"channel", "reference", "submitted_on"}
    for q in questions:
        known |= _columns(q)
    unknown = [h for h in header if h and h not in known]
    if unknown:
        parsed.errors.append(_("Line 1: unknown columns %(cols)s") % {"cols": ", ".join(unknown)})
    if "channel" not in header:
        parsed.errors.append(_("Line 1: a 'channel' column is required"))
    if parsed.errors:
        return parsed
    if len(table) - 1 > MAX_ROWS:
        parsed.errors.append(_("The file has more than %(n)s rows; split it") % {"n": MAX_ROWS})
        return parsed
    for line, raw in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue
        row = {h: (raw[i].strip() if i < len(raw) else "") for i, h in enumerate(header) if h}
        answers, errors = _row_answers(questions, row)
        if row["channel"] not in CHANNELS:
            errors.insert(0, _("channel must be one of %(c)s") % {"c": ", ".join(sorted(CHANNELS))})
        if row.get("submitted_on"):
            try:
                date.fromisoformat(row["submitted_on"])
            except ValueError:
                errors.append(_("submitted_on must be a date like 2025-03-27"))
        for error in errors:
            parsed.errors.append(_("Line %(line)s: %(error)s") % {"line": line, "error": error})
        if not errors:
            parsed.rows.append((line, {"answers": answers, "channel": row["channel"],
                                       "reference": row.get("reference", ""),
                                       "submitted_on": row.get("submitted_on", "")}))
    return parsed


def _columns(q: Question) -> set[str]:
    if q.type == QuestionType.MULTIPLE_CHOICE:
        cols = {f"{q.key}__{v}" for v, _label in choices_for(q)}
    elif q.type == QuestionType.RANKING:
        cols = {f"{q.key}__{o['value']}" for o in q.options}
    elif q.type == QuestionType.GRID:
        cols = {f"{q.key}__{r['value']}" for r in q.settings.get("rows", [])}
    else:
        cols = {q.key}
    if q.settings.get("allow_other"):
        cols.add(f"{q.key}__other_text")
    return cols


def _row_answers(questions: list[Question], row: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    answers: dict[str, Any] = {}
    errors: list[str] = []
    for q in questions:
        key = q.key
        value = row.get(key, "")
        if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT) and value:
            if value not in dict(choices_for(q)):
                errors.append(_("%(col)s: “%(v)s” is not one of the options") % {"col": key, "v": value})
            answers[key] = value
        elif q.type == QuestionType.RATING and value:
            if value not in dict(rating_choices(q)):
                errors.append(_("%(col)s must be a whole number from 0 to 10") % {"col": key})
            else:
                answers[key] = int(value)
        elif q.type == QuestionType.NUMBER and value:
            try:
                number = float(value)
            except ValueError:
                errors.append(_("%(col)s must be a number") % {"col": key})
            else:
                answers[key] = int(number) if number.is_integer() else number
        elif q.type == QuestionType.DATE and value:
            try:
                answers[key] = date.fromisoformat(value).isoformat()
            except ValueError:
                errors.append(_("%(col)s must be a date like 2025-03-27") % {"col": key})
        elif q.type == QuestionType.POSTCODE and value:
            normalised = normalise_postcode(value)
            if normalised is None:
                errors.append(_("%(col)s: “%(v)s” is not a postcode") % {"col": key, "v": value})
            else:
                answers[key] = outward_code(normalised)
                answers["__area"] = find_area(normalised)
        elif q.type == QuestionType.MULTIPLE_CHOICE:
            chosen = []
            for option, _label in choices_for(q):
                cell = row.get(f"{key}__{option}", "")
                if cell not in ("", "0", "1"):
                    errors.append(_("%(col)s must be 1, 0 or blank") % {"col": f"{key}__{option}"})
                if cell == "1":
                    chosen.append(option)
            if chosen:
                answers[key] = chosen
        elif q.type == QuestionType.RANKING:
            ranks = {str(o["value"]): row.get(f"{key}__{o['value']}", "") for o in q.options}
            given = {v: r for v, r in ranks.items() if r}
            if given:
                if not all(r.isdigit() for r in given.values()) or len(set(given.values())) != len(given):
                    errors.append(_("%(col)s: ranks must be different whole numbers") % {"col": key})
                else:
                    answers[key] = [v for v, _r in sorted(given.items(), key=lambda item: int(item[1]))]
        elif q.type == QuestionType.GRID:
            columns = {str(o["value"]) for o in q.options}
            cells = {str(r["value"]): row.get(f"{key}__{r['value']}", "") for r in q.settings.get("rows", [])}
            bad = [r for r, v in cells.items() if v and v not in columns]
            if bad:
                errors.append(_("%(col)s: answers must be one of %(opts)s") % {"col": key,
                                                                                "opts": ", ".join(sorted(columns))})
            elif any(cells.values()):
                answers[key] = {r: v for r, v in cells.items() if v}
        elif q.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT) and value:
            answers[key] = value
        if q.settings.get("allow_other") and row.get(f"{key}__other_text"):
            answers[f"{key}__other"] = row[f"{key}__other_text"]
            chosen_value = answers.get(key)
            if chosen_value != OTHER and not (isinstance(chosen_value, list) and OTHER in chosen_value):
                errors.append(_("%(col)s is filled in but “Other” was not chosen") % {"col": f"{key}__other_text"})
    return answers, errors


def preview(questionnaire: Questionnaire, name: str, content: bytes) -> Preview:
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ValueError(_("The file must be a .csv or .xlsx file"))
    table = read_table(name, content)
    parsed = parse(questionnaire, table)
    suffix = "xlsx" if name.lower().endswith(".xlsx") else "csv"
    stored = f"{hashlib.sha1(content, usedforsecurity=False).hexdigest()}.{suffix}"
    (_import_dir() / stored).write_bytes(content)
    return Preview(stored, parsed.header, len(parsed.rows), table[1:6], parsed.errors)


def commit(actor: Any, questionnaire: Questionnaire, stored: str,
           report: Callable[[float, str], None] | None = None) -> ImportResult:
    """All or nothing: every row is checked first; one transaction writes them all."""
    require(actor, Action.MANAGE_ENGAGEMENT, questionnaire)
    path = stored_file(stored)
    if path is None:
        return ImportResult(errors=[_("The uploaded file has expired; upload it again")])
    parsed = parse(questionnaire, read_table(path.name, path.read_bytes()))
    if parsed.errors:
        return ImportResult(errors=parsed.errors)
    result = ImportResult()
    version = questionnaire.current_version
    assert version is not None
    pages = services.pages_of(version)
    demographic = {q.key for p in pages for q in p.questions.all() if q.is_demographic}
    demographic |= {f"{k}__other" for k in demographic}
    with transaction.atomic():
        for index, (line, row) in enumerate(parsed.rows, start=1):
            # The same file imported twice makes the same tokens, so nothing is added twice.
            token = f"import:{stored[:40]}:{line}"
            if Response.objects.filter(submission_token=token).exists():
                result.skipped += 1
                continue
            answers = dict(row["answers"])
            area = answers.pop("__area", None)
            answers = logic.prune_hidden(pages, answers)
            services.create_response(
                version, submission_token=token,
                answers={k: v for k, v in answers.items() if k not in demographic},
                demographics={k: v for k, v in answers.items() if k in demographic} or None,
                channel=row["channel"], area=area, recorded_by=actor, actor=actor,
                submitted_on=date.fromisoformat(row["submitted_on"]) if row["submitted_on"] else None)
            result.created += 1
            if report is not None and index % 200 == 0:
                report(index / len(parsed.rows), f"{index} of {len(parsed.rows)} rows")
        audit.record(actor, "survey.responses_imported", questionnaire,
                     after={"created": result.created, "skipped": result.skipped, "file": stored})
    return result
