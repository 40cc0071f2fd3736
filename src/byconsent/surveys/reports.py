"""Summary reports (per question: counts, percentages, a chart with its table, free-text samples) and full exports.

Exports have one column per question, per option of a multiple choice, per row of a grid and per option of a
ranking, the same whichever path through the logic a respondent took (a question they never saw is blank). They
are written row by row from a database cursor, so memory stays flat however many responses there are.
Demographic (special-category) answers are never in these exports.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import xlsxwriter
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from byconsent.surveys.forms import OTHER, choices_for, rating_choices
from byconsent.surveys.models import DemographicAnswers, Question, Questionnaire, QuestionType, Response

FIXED_COLUMNS = [
    ("reference", "Receipt reference"),
    ("submitted_on", "Date submitted"),
    ("channel", "How the response reached us"),
    ("version", "Questionnaire version answered"),
    ("area", "Area code (from postcode)"),
    ("publication", "Publication choice"),
]
CHUNK = 2000
SAMPLE_SIZE = 5


# ---- columns ------------------------------------------------------------------------------------------------------

@dataclass
class Column:
    name: str
    question: str
    kind: str
    values: str
    read: Callable[[dict[str, Any]], Any]


def export_questions(questionnaire: Questionnaire) -> list[Question]:
    """One question per key across every version, the newest wording first, in the newest version's order."""
    seen: dict[str, Question] = {}
    versions = questionnaire.versions.order_by("-number").prefetch_related("pages__questions")
    ordered: list[Question] = []
    for version in versions:
        for page in version.pages.all():
            for question in page.questions.all():
                if question.key not in seen and question.type != QuestionType.INFO and not question.is_demographic:
                    seen[question.key] = question
                    ordered.append(question)
    return ordered


def _plain(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda answers: answers.get(key, "")


def _ticked(key: str, value: str) -> Callable[[dict[str, Any]], Any]:
    def read(answers: dict[str, Any]) -> Any:
        chosen = answers.get(key)
        if chosen is None:
            return ""
        return 1 if value in chosen else 0

    return read


def _rank(key: str, value: str) -> Callable[[dict[str, Any]], Any]:
    def read(answers: dict[str, Any]) -> Any:
        order = answers.get(key) or []
        return order.index(value) + 1 if value in order else ""

    return read


def _cell(key: str, row: str) -> Callable[[dict[str, Any]], Any]:
    return lambda answers: (answers.get(key) or {}).get(row, "")


def _file(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda answers: (answers.get(key) or {}).get("name", "") if isinstance(answers.get(key), dict) else ""


def columns_for(questions: list[Question]) -> list[Column]:
    columns: list[Column] = []
    for q in questions:
        coded = "; ".join(f"{v} = {label}" for v, label in choices_for(q))
        if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT):
            columns.append(Column(q.key, q.text, q.get_type_display(), coded, _plain(q.key)))
        elif q.type == QuestionType.RATING:
            columns.append(Column(q.key, q.text, q.get_type_display(), "0 to 10", _plain(q.key)))
        elif q.type == QuestionType.MULTIPLE_CHOICE:
            for value, label in choices_for(q):
                columns.append(Column(f"{q.key}__{value}", f"{q.text}: {label}", q.get_type_display(),
                                      "1 = ticked, 0 = not ticked, blank = not answered", _ticked(q.key, value)))
        elif q.type == QuestionType.RANKING:
            for option in q.options:
                columns.append(Column(f"{q.key}__{option['value']}", f"{q.text}: {option['label']}",
                                      q.get_type_display(), "rank, 1 = first", _rank(q.key, str(option["value"]))))
        elif q.type == QuestionType.GRID:
            columns_coded = "; ".join(f"{o['value']} = {o['label']}" for o in q.options)
            for row in q.settings.get("rows", []):
                columns.append(Column(f"{q.key}__{row['value']}", f"{q.text}: {row['label']}",
                                      q.get_type_display(), columns_coded, _cell(q.key, str(row["value"]))))
        elif q.type == QuestionType.FILE:
            columns.append(Column(q.key, q.text, q.get_type_display(), "file name", _file(q.key)))
        else:
            values = {QuestionType.DATE: "YYYY-MM-DD", QuestionType.NUMBER: "number",
                      QuestionType.POSTCODE: "outward code only (e.g. AB1)"}.get(q.type, "free text")  # type: ignore
            columns.append(Column(q.key, q.text, q.get_type_display(), values, _plain(q.key)))
        if q.settings.get("allow_other"):
            # "__other_text": a multiple choice already has a "__other" column for the tick box.
            columns.append(Column(f"{q.key}__other_text", f"{q.text}: other, please specify", "free text",
                                  "free text", _plain(f"{q.key}__other")))
    return columns


def data_dictionary(columns: list[Column]) -> list[list[str]]:
    rows = [["column", "question", "type", "values"]]
    rows += [[name, label, "fixed", ""] for name, label in FIXED_COLUMNS]
    rows += [[c.name, c.question, str(c.kind), c.values] for c in columns]
    return rows


def response_rows(questionnaire: Questionnaire, columns: list[Column]) -> Iterator[list[Any]]:
    """Rows, streamed from the database in chunks (a server-side cursor on PostgreSQL)."""
    queryset = Response.objects.filter(questionnaire=questionnaire).order_by("id").values_list(
        "reference", "submitted_on", "channel", "version__number", "area__code", "publication", "answers")
    readers = [c.read for c in columns]
    for reference, submitted_on, channel, version, area, publication, answers in queryset.iterator(
            chunk_size=CHUNK):
        answers = answers or {}
        yield [reference, submitted_on.isoformat(), channel, version, area or "", publication,
               *[read(answers) for read in readers]]


def header(columns: list[Column]) -> list[str]:
    return [name for name, _label in FIXED_COLUMNS] + [c.name for c in columns]


# ---- writing exports ----------------------------------------------------------------------------------------------

def export_dir(questionnaire: Questionnaire) -> Path:
    path = Path(settings.MEDIA_ROOT) / "exports" / f"questionnaire-{questionnaire.pk}"
    path.mkdir(parents=True, exist_ok=True)
    return path


_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,120}$")


def export_path(questionnaire: Questionnaire, name: str) -> Path | None:
    if not _SAFE_NAME.match(name):
        return None
    path = export_dir(questionnaire) / name
    return path if path.is_file() else None


def _csv_safe(value: Any) -> Any:
    """Stop spreadsheet formula injection: text starting =, +, - or @ is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_csv(questionnaire: Questionnaire, target: Path, report: Callable[[float, str], None] | None = None,
              total: int | None = None) -> int:
    columns = columns_for(export_questions(questionnaire))
    count = 0
    with target.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header(columns))
        for row in response_rows(questionnaire, columns):
            writer.writerow([_csv_safe(v) for v in row])
            count += 1
            if report and total and count % 10000 == 0:
                report(count / total, f"{count} of {total} responses")
    dictionary = target.with_name(target.stem + "-data-dictionary.csv")
    with dictionary.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows(data_dictionary(columns))
    return count


def write_xlsx(questionnaire: Questionnaire, target: Path, report: Callable[[float, str], None] | None = None,
               total: int | None = None) -> int:
    from byconsent.surveys import xlsx

    columns = columns_for(export_questions(questionnaire))

    def rows() -> Iterator[list[Any]]:
        for count, row in enumerate(response_rows(questionnaire, columns), start=1):
            if report and total and count % 10000 == 0:
                report(count / total, f"{count} of {total} responses")
            yield row

    dictionary = data_dictionary(columns)
    return xlsx.write(target, [("Responses", header(columns), rows()),
                               ("Data dictionary", dictionary[0], iter(dictionary[1:]))])


def write_json(questionnaire: Questionnaire, target: Path, report: Callable[[float, str], None] | None = None,
               total: int | None = None) -> int:
    columns = columns_for(export_questions(questionnaire))
    names = header(columns)
    count = 0
    with target.open("w", encoding="utf-8") as handle:
        dictionary = [dict(zip(["column", "question", "type", "values"], row, strict=True))
                      for row in data_dictionary(columns)[1:]]
        handle.write('{"questionnaire": ' + json.dumps(questionnaire.title) + ', "data_dictionary": '
                     + json.dumps(dictionary) + ', "responses": [\n')
        for count, row in enumerate(response_rows(questionnaire, columns), start=1):
            if count > 1:
                handle.write(",\n")
            handle.write(json.dumps(dict(zip(names, row, strict=True)), default=str))
            if report and total and count % 10000 == 0:
                report(count / total, f"{count} of {total} responses")
        handle.write("\n]}\n")
    return count


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json}


# ---- the summary report -----------------------------------------------------------------------------------------

@dataclass
class QuestionSummary:
    question: Question
    answered: int
    headers: list[str]
    rows: list[list[Any]]
    chart: SafeString | None = None
    samples: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Summary:
    questionnaire: Questionnaire
    total: int
    questions: list[QuestionSummary]
    by_channel: list[tuple[str, int]]


def _percent(n: int, d: int) -> str:
    return f"{(100 * n / d):.0f}%" if d else "–"


def bar_chart(labels: list[str], values: list[Any]) -> SafeString:
    """A plain horizontal bar chart as SVG (no scripts, no styles: the CSP allows it inline)."""
    width, bar, gap, label_width = 640, 22, 8, 260
    top = max(values) if values and max(values) else 1
    height = len(values) * (bar + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
             f'focusable="false" aria-hidden="true">']
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = gap + index * (bar + gap)
        length = int((width - label_width - 60) * value / top)
        short = label if len(label) <= 38 else label[:36] + "…"
        parts.append(f'<text x="{label_width - 8}" y="{y + bar * 0.7:.0f}" text-anchor="end" font-size="14" '
                     f'fill="#0b0c0c">{escape(short)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar}" fill="#1d70b8"/>')
        parts.append(f'<text x="{label_width + length + 6}" y="{y + bar * 0.7:.0f}" font-size="14" '
                     f'fill="#0b0c0c">{value}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (labels are escaped above)


def summary(questionnaire: Questionnaire, *, published_only: bool = False) -> Summary:
    questions = export_questions(questionnaire)
    counters: dict[str, Counter[str]] = {q.key: Counter() for q in questions}
    answered: Counter[str] = Counter()
    samples: dict[str, list[str]] = {q.key: [] for q in questions}
    channels: Counter[str] = Counter()
    total = 0
    for channel, answers in Response.objects.filter(questionnaire=questionnaire).values_list(
            "channel", "answers").iterator(chunk_size=CHUNK):
        total += 1
        channels[channel] += 1
        for q in questions:
            value = (answers or {}).get(q.key)
            if value in (None, "", [], {}):
                continue
            answered[q.key] += 1
            counter = counters[q.key]
            if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT, QuestionType.RATING):
                counter[str(value)] += 1
            elif q.type == QuestionType.MULTIPLE_CHOICE:
                counter.update(str(v) for v in value)
            elif q.type == QuestionType.RANKING:
                if value:
                    counter[str(value[0])] += 1
            elif q.type == QuestionType.GRID:
                counter.update(f"{row}\x1f{col}" for row, col in value.items())
            elif q.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT) and not published_only \
                    and len(samples[q.key]) < SAMPLE_SIZE:
                samples[q.key].append(str(value))
    if published_only:
        from byconsent.surveys.selectors import published_answers

        for answer in published_answers(questionnaire):
            bucket = samples.setdefault(answer.question.key, [])
            if len(bucket) < SAMPLE_SIZE:
                bucket.append(answer.published_text)
    results = [_summarise(q, answered[q.key], counters[q.key], samples.get(q.key, [])) for q in questions]
    return Summary(questionnaire, total, results, channels.most_common())


def _summarise(q: Question, answered: int, counter: Counter[str], samples: list[str]) -> QuestionSummary:
    headers = [str(_("Answer")), str(_("Number")), str(_("Per cent of those answering"))]
    if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT, QuestionType.MULTIPLE_CHOICE,
                  QuestionType.RATING):
        choices = rating_choices(q) if q.type == QuestionType.RATING else choices_for(q)
        rows = [[label, counter[value], _percent(counter[value], answered)] for value, label in choices]
        note = str(_("People could choose more than one answer, so the percentages can add up to more than 100.")) \
            if q.type == QuestionType.MULTIPLE_CHOICE else ""
        if OTHER in counter and all(v != OTHER for v, _label in choices):
            rows.append([str(_("Other")), counter[OTHER], _percent(counter[OTHER], answered)])
        return QuestionSummary(q, answered, headers, rows, bar_chart([str(r[0]) for r in rows],
                                                                     [r[1] for r in rows]), note=note)
    if q.type == QuestionType.RANKING:
        headers = [str(_("Option")), str(_("Ranked first")), str(_("Per cent of those answering"))]
        rows = [[o["label"], counter[str(o["value"])], _percent(counter[str(o["value"])], answered)]
                for o in q.options]
        return QuestionSummary(q, answered, headers, rows, bar_chart([str(r[0]) for r in rows],
                                                                     [r[1] for r in rows]))
    if q.type == QuestionType.GRID:
        headers = [str(_("Row"))] + [str(o["label"]) for o in q.options]
        rows = [[row["label"]] + [counter[f"{row['value']}\x1f{o['value']}"] for o in q.options]
                for row in q.settings.get("rows", [])]
        return QuestionSummary(q, answered, headers, rows)
    return QuestionSummary(q, answered, [str(_("Answered")), str(_("Number"))], [[str(_("Answers")), answered]],
                           samples=samples)


def summary_xlsx(result: Summary) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet("Summary")
    sheet.write_row(0, 0, [result.questionnaire.title], bold)
    sheet.write_row(1, 0, [str(_("Responses")), result.total])
    row = 3
    for index, item in enumerate(result.questions, start=1):
        sheet.write_row(row, 0, [f"{index}. {item.question.text}"], bold)
        sheet.write_row(row + 1, 0, [str(_("Answered")), item.answered])
        row += 2
        first = row
        sheet.write_row(row, 0, item.headers, bold)
        for values in item.rows:
            row += 1
            sheet.write_row(row, 0, values)
        if item.chart is not None and item.rows:
            chart = workbook.add_chart({"type": "bar"})
            chart.add_series({"categories": ["Summary", first + 1, 0, row, 0],
                              "values": ["Summary", first + 1, 1, row, 1], "name": item.question.text[:250]})
            chart.set_legend({"none": True})
            sheet.insert_chart(first, 5, chart, {"x_scale": 0.8, "y_scale": 0.6})
            row = max(row, first + 16)
        for sample in item.samples:
            row += 1
            sheet.write_row(row, 0, [sample])
        row += 2
    workbook.close()
    return buffer.getvalue()


def disclosure_safe(result: Summary, threshold: int = 10) -> Summary:
    """The summary as it may be published: counts under the threshold hidden, and enough other cells hidden that
    no hidden count can be worked out by subtraction (engines.disclosure on each one-way table)."""
    from byconsent.engines.disclosure import DisclosureSettings, protect_one_way

    hidden = str(_("fewer than %(n)s") % {"n": threshold})
    settings_ = DisclosureSettings(threshold=threshold)
    safe_questions = []
    for item in result.questions:
        if item.question.type == QuestionType.GRID:
            rows = []
            for row in item.rows:
                outcome = protect_one_way([int(v) for v in row[1:]], settings_)
                rows.append([row[0]] + [hidden if v is None else v for v in outcome.published[:-1]])
            safe_questions.append(QuestionSummary(item.question, item.answered, item.headers, rows,
                                                  samples=item.samples))
            continue
        if not item.chart:
            safe_questions.append(item)
            continue
        counts = [int(row[1]) for row in item.rows]
        if item.question.type == QuestionType.MULTIPLE_CHOICE:
            published: list[int | None] = [c if c >= threshold else None for c in counts]
        else:
            published = list(protect_one_way(counts, settings_).published[:-1])
        rows = [[row[0], hidden if value is None else value,
                 "–" if value is None else row[2]] for row, value in zip(item.rows, published, strict=True)]
        chart = bar_chart([str(r[0]) for r in rows], [v or 0 for v in published])
        note = " ".join(filter(None, [item.note, str(_("Counts below %(n)s are not shown, to protect the people "
                                                        "who answered.") % {"n": threshold})]))
        safe_questions.append(QuestionSummary(item.question, item.answered, item.headers, rows, chart,
                                              samples=item.samples, note=note))
    total = result.total if result.total >= threshold or result.total == 0 else 0
    return Summary(result.questionnaire, total, safe_questions, [])


# ---- who answered: the "About you" answers, disclosure-controlled ------------------------------------------------

WITHHELD = "[c]"  # the ONS symbol for a figure withheld for confidentiality


@dataclass
class WhoAnsweredTable:
    question: Question
    rows: list[tuple[str, int | None]]  # (category, count or None when withheld)
    total: int | None
    note: str = ""
    additive: bool = True  # the categories add up to the total (not so for multiple choice)


@dataclass
class WhoAnswered:
    respondents: int
    threshold: int
    tables: list[WhoAnsweredTable]


def demographic_questions(questionnaire: Questionnaire) -> list[Question]:
    """The "About you" questions with categories, one per short name across versions (newest wording first)."""
    seen: dict[str, Question] = {}
    for version in questionnaire.versions.order_by("-number").prefetch_related("pages__questions"):
        for page in version.pages.all():
            for question in page.questions.all():
                if question.is_demographic and question.key not in seen and question.type in (
                        QuestionType.SINGLE_CHOICE, QuestionType.LIKERT, QuestionType.MULTIPLE_CHOICE):
                    seen[question.key] = question
    return list(seen.values())


def who_answered(questionnaire: Questionnaire, threshold: int | None = None) -> WhoAnswered:
    """Respondents per category of each "About you" question, for staff who may analyse.

    Each question is a one-way table whose categories (including "Not answered") add up to the number of
    responses, passed through engines.disclosure: a count below the threshold is never shown, and enough other
    counts are withheld that none can be worked out from the total or from each other. The total is the number
    of responses, which the report shows anyway, so a pattern that would need the total withheld is not shown at
    all. Multiple-choice categories do not add up; each is shown only when it reaches the threshold."""
    from byconsent.engines.disclosure import DisclosureSettings, one_way_table, protect

    threshold = threshold or int(getattr(settings, "BYCONSENT_DISCLOSURE_THRESHOLD", 10))
    questions = demographic_questions(questionnaire)
    respondents = Response.objects.filter(questionnaire=questionnaire).count()
    counters: dict[str, Counter[str]] = {q.key: Counter() for q in questions}
    if questions:
        for data in DemographicAnswers.objects.filter(response__questionnaire=questionnaire).values_list(
                "data", flat=True).iterator(chunk_size=CHUNK):
            for q in questions:
                value = (data or {}).get(q.key) if isinstance(data, dict) else None
                if value in (None, "", [], {}):
                    continue
                if isinstance(value, list):
                    counters[q.key].update(str(v) for v in value)
                else:
                    counters[q.key][str(value)] += 1
    disclosure_settings = DisclosureSettings(threshold=threshold)
    tables = []
    not_answered = str(_("Not answered"))
    for q in questions:
        choices = choices_for(q)
        known = {value for value, _label in choices}
        counter = counters[q.key]
        counts = [counter[value] for value, _label in choices]
        labels = [label for _value, label in choices]
        unknown = sum(n for value, n in counter.items() if value not in known)
        if unknown:
            counts.append(unknown)
            labels.append(str(_("Other answers")))
        if q.type == QuestionType.MULTIPLE_CHOICE:
            rows = [(label, n if n >= threshold else None) for label, n in zip(labels, counts, strict=True)]
            tables.append(WhoAnsweredTable(q, rows, None, str(_(
                "People could choose more than one answer, so the counts do not add up to the total.")), False))
            continue
        answered = sum(counts)
        counts.append(max(0, respondents - answered))
        labels.append(not_answered)
        result = protect(one_way_table(counts, labels), disclosure_settings)
        published = list(result.published)
        if published[-1] is None:  # the total is public elsewhere: this pattern would not protect, show nothing
            published = [None] * len(published)
        rows = list(zip(labels, published[:-1], strict=True))
        tables.append(WhoAnsweredTable(q, rows, respondents if respondents >= threshold else None))
    return WhoAnswered(respondents, threshold, tables)
