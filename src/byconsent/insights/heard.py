"""Who we heard from: participants compared with the census population, across several characteristics at once.

Reads and the comparison itself (the writes are in services.py):

- ``load_participants`` gathers one value per participant and characteristic, from a response source (an uploaded
  response file, a questionnaire of the surveys app) or from the people register (everyone with a "responded" or
  "attended" contact, read through ``people.selectors.participant_characteristics``, which audits the read);
- ``compare`` matches characteristic names and category labels with the population tables, compares them with
  ``engines/representativeness`` and protects every participant count with ``engines/disclosure`` before anything
  is kept: only the protected figures are stored, shown or exported.

Disclosure rule (see docs/insights.md, "Who we heard from"). All the counts of one comparison form one linked table:
per characteristic the census groups, the participants compared, those whose answer is not in the census table, those
who did not say, and the shared total; for a joint comparison (age band x sex) its cells and, never shown, the
people with one of the two characteristics missing, so that no single or joint figure can be worked out from the
others. A group's share, ratio and interval are shown only when both its count and the number compared are shown
(either reveals the count otherwise). For a hidden group we show only what anyone could work out from the shown
figures: the largest ratio they allow (an exact linear program over the shown figures). The index of a characteristic
is computed with the hidden groups combined into one, so it too depends on shown figures only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from byconsent.engines import disclosure
from byconsent.engines import representativeness as rep

SUPPRESSED = "[c]"
PEOPLE_SOURCE = "people"
JOINT_MARK = re.compile(r"\s*(?:\u00d7|\bx\b)\s*")  # "age_band × sex" or "age_band x sex"
PARTICIPATION_KINDS = ("response", "attendance")


class HeardError(ValueError):
    """A comparison that cannot be made, with a message meant for the analyst."""


# ---- names and labels ----------------------------------------------------------------------------------------------

SYNONYMS: dict[str, tuple[str, ...]] = {
    "age_band": ("age", "age band", "age bands", "age group", "age groups", "aged"),
    "sex": ("sex", "gender", "sex or gender"),
    "ethnicity": ("ethnicity", "ethnic group", "ethnic groups", "ethnic", "ethnic background"),
    "religion": ("religion", "religion or belief", "faith", "belief"),
    "disability": ("disability", "disabled", "disability or long term condition", "long term condition",
                   "long term health problem or disability", "limiting long term illness"),
    "sexual_orientation": ("sexual orientation", "sexuality"),
}
_SYNONYM_OF = {synonym: key for key, synonyms in SYNONYMS.items() for synonym in (key.replace("_", " "), *synonyms)}
NOT_GIVEN = {"prefer not to say", "prefer not", "not stated", "not answered", "not known", "unknown", "refused",
             "no answer", "don t know"}
CATEGORY_ALIASES = {"none": "no religion", "no": "no", "not disabled": "no", "men": "male", "women": "female",
                    "man": "male", "woman": "female"}


def _words(text: str) -> str:
    text = re.sub(r"\([^)]*\)", " ", str(text).lower())
    text = re.sub(r"[^a-z0-9+]+", " ", text.replace("_", " "))
    return " ".join(text.split())


def characteristic_key(name: str) -> str:
    """One key for a characteristic whatever it is called: "Age (6 categories)", "age", "Age band" -> age_band."""
    words = _words(name)
    return _SYNONYM_OF.get(words, words.replace(" ", "_"))


def category_key(label: str) -> str:
    """Census and survey labels reduced to a comparable form: "Aged 16 to 24 years" and "16-24" -> "16 to 24"."""
    text = str(label).lower().replace("\u2013", "-")
    text = re.sub(r"(\d)\s*-\s*(\d)", r"\1 to \2", text)
    text = re.sub(r"(\d)\s*\+", r"\1 and over", text)
    words = _words(text)
    words = re.sub(r"\b(or|and) (over|older)\b|\bplus\b", "and over", words)
    words = " ".join(w for w in words.split() if w not in {"aged", "years", "year", "old"})
    return CATEGORY_ALIASES.get(words, words)


def split_joint(name: str) -> list[str]:
    return [part for part in JOINT_MARK.split(name) if part.strip()]


# ---- participants ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Participants:
    label: str
    count: int
    columns: dict[str, list[str | None]]  # characteristic (as the source names it) -> one label per participant
    options: dict[str, list[str]] = field(default_factory=dict)  # the answers the source offers, when it has a list
    ids: tuple[str, ...] = ()  # one identifier per participant (never stored: only its keyed fingerprint is)
    left_out: int = 0  # respondents of the source left out because their area is not known to be in the area


def _in_area(codes: Sequence[str | None], area: Any) -> list[bool]:
    """Respondents whose area is ``area`` or an area beneath it. When the source records areas, respondents with no
    area, or with a code that is none of our areas, cannot be placed and are left out (the caller counts them); a
    source that records no area at all is kept whole (it was chosen in the area)."""
    if not any(codes):
        return [True] * len(codes)
    inside = set(area.subtree().values_list("code", flat=True))
    return [code is not None and code in inside for code in codes]


def load_participants(user: Any, source_key: str, area: Any, filters: dict[str, Any],
                      about: Any = None) -> Participants:
    """The participants of a source, in ``area``; ``filters`` (people register only): kinds, channel, activity,
    date_from, date_to. Raises LookupError when the source is not the user's to read."""
    if source_key == PEOPLE_SOURCE:
        return _people_participants(user, area, filters, about)
    from byconsent.insights.responses import load_source

    table = load_source(user, source_key)
    keep = _in_area(table.areas or [None] * table.size, area)
    columns = {name: [value for value, kept in zip(values, keep, strict=True) if kept]
               for name, values in table.demographics.items()}
    ids = tuple(str(i) for i, kept in zip(table.respondent_ids, keep, strict=True) if kept)
    options = _survey_options(source_key.partition(":")[2]) if source_key.startswith("survey:") else {}
    return Participants(label=table.name, count=len(ids), columns=columns, options=options, ids=ids,
                        left_out=table.size - len(ids))


def _survey_options(identifier: str) -> dict[str, list[str]]:
    """The answers a questionnaire's demographic questions offer (by their labels), whoever chose them."""
    from django.apps import apps

    if not apps.is_installed("byconsent.surveys") or not identifier.isdigit():
        return {}
    from byconsent.surveys.models import Question
    from byconsent.surveys.selectors import choices_for

    options: dict[str, list[str]] = {}
    for question in Question.objects.filter(page__version__questionnaire_id=int(identifier), is_demographic=True):
        options[question.key] = [str(label) for _value, label in choices_for(question)]
    return options


def participation_people(user: Any, area: Any, filters: dict[str, Any]) -> QuerySet[Any]:
    """People (current records, in ``area``) with a "responded" or "attended" contact matching the filters."""
    from byconsent.people.models import ContactEvent, Person

    events = ContactEvent.objects.filter(kind__in=filters.get("kinds") or PARTICIPATION_KINDS)
    if filters.get("channel"):
        events = events.filter(channel=filters["channel"])
    if filters.get("activity"):
        events = events.filter(source=filters["activity"])
    if filters.get("date_from"):
        events = events.filter(occurred_at__gte=_start_of(filters["date_from"]))
    if filters.get("date_to"):
        events = events.filter(occurred_at__lt=_start_of(filters["date_to"], days=1))
    return Person.objects.current().filter(area__path__startswith=area.path,
                                           pk__in=events.values("person_id"))


def _start_of(value: str | date, days: int = 0) -> datetime:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    from datetime import timedelta

    return timezone.make_aware(datetime.combine(day + timedelta(days=days), time.min))


def _people_participants(user: Any, area: Any, filters: dict[str, Any], about: Any) -> Participants:
    from byconsent.core.policy import Action, areas_where
    from byconsent.people import characteristics
    from byconsent.people.selectors import participant_characteristics

    people = participation_people(user, area, filters)
    if not getattr(user, "is_superuser", False):
        # The same people participant_characteristics reads (it leaves out, silently, people outside the actor's
        # areas): counting anyone else would count them as "not given".
        people = people.filter(area__in=areas_where(user, Action.ANALYSE) | areas_where(user, Action.MANAGE_PRIVACY))
    ids = list(people.values_list("pk", flat=True))
    answers = participant_characteristics(user, people, reason="who we heard from", about=about)
    columns: dict[str, list[str | None]] = {}
    for characteristic in characteristics.TARGETABLE:
        values: list[str | None] = []
        for person_id in ids:
            code = answers.get(person_id, {}).get(characteristic.key)
            values.append(characteristic.label_for(code) if code and code != "prefer_not" else None)
        columns[characteristic.key] = values
    options = {c.key: [str(label) for code, label in c.options if code != "prefer_not"]
               for c in characteristics.TARGETABLE}
    return Participants(label="People register", count=len(ids), columns=columns, options=options,
                        ids=tuple(str(i) for i in ids))


# ---- the comparison --------------------------------------------------------------------------------------------------

@dataclass
class _Single:
    name: str  # as the population table names it
    key: str
    column: str
    categories: list[str]
    shares: list[float]
    assigned: list[int | None]  # per participant: category index, -1 = answer not in the census, None = not given
    unmatched_labels: list[str] = field(default_factory=list)
    loosely_matched: list[tuple[str, str]] = field(default_factory=list)
    rare_hidden: bool = False


Singles = dict[str, tuple[str, dict[str, float]]]
Joints = dict[tuple[str, str], tuple[str, dict[tuple[str, str], float]]]
Tables = Sequence[tuple[str, dict[str, dict[str, float]]]]


def _merge_population(tables: Tables) -> tuple[Singles, Joints]:
    """Population tables -> singles {key: (name, shares)} and joints {(key a, key b): (name, {(cat a, cat b): share})}.
    Two tables giving the same characteristic is an error (which one should count?)."""
    singles: Singles = {}
    joints: Joints = {}
    origin: dict[str, str] = {}
    for table_name, targets in tables:
        for variable, shares in targets.items():
            parts = split_joint(variable)
            if len(parts) == 2:
                pair = (characteristic_key(parts[0]), characteristic_key(parts[1]))
                cells: dict[tuple[str, str], float] = {}
                for category, share in shares.items():
                    halves = split_joint(category)
                    if len(halves) != 2:
                        raise HeardError(f"“{variable}” in “{table_name}”: the category “{category}” should name one "
                                         f"group of each characteristic, like “16-24 × Female”.")
                    cells[(halves[0].strip(), halves[1].strip())] = float(share)
                joints[pair] = (variable, cells)
                continue
            if len(parts) > 2:
                raise HeardError(f"“{variable}”: only two characteristics at once can be compared.")
            key = characteristic_key(variable)
            if key in singles:
                raise HeardError(f"Both “{origin[key]}” and “{table_name}” give the population by “{variable}”: "
                                 "choose one of them.")
            origin[key] = table_name
            singles[key] = (variable, {str(c): float(s) for c, s in shares.items()})
    for (a, b), (variable, cells) in joints.items():
        # A joint table also gives both margins: use them when no single table was chosen.
        for index, key in enumerate((a, b)):
            if key not in singles:
                margin: dict[str, float] = {}
                for pair, share in cells.items():
                    margin[pair[index]] = margin.get(pair[index], 0.0) + share
                singles[key] = (split_joint(variable)[index].strip(), margin)
    return singles, joints


@dataclass(frozen=True)
class _Matching:
    assigned: list[int | None]  # per participant: census group, -1 = answer not a census group, None = not given
    unmatched: list[str]  # answers named as not census groups
    loose: list[tuple[str, str]]  # (answer, census group) matched by their first word, named
    rare_hidden: bool  # other answers, each given by fewer than the threshold, not named


def _assign(values: Sequence[str | None], categories: Sequence[str], options: Sequence[str] = (),
            threshold: int = 10) -> _Matching:
    """Each participant's census group (index), -1 when the answer is not a census group, None when not given.

    Labels match when they are the same once case, punctuation and wording such as "Aged ... years" are set aside.
    Failing that, an answer whose first word is the first word of exactly one census group ("Asian, Asian Scottish
    or Asian British" and "Asian/Asian British") is matched to it, and the pair is reported so that it is seen.

    Naming an answer says somebody gave it, so answers are named only when the source offers them anyway
    (``options``: a questionnaire's or the register's answer list, named whether or not anyone chose them) or when at
    least ``threshold`` participants gave them; rarer free answers are reported without their names."""
    by_key = {category_key(c): i for i, c in enumerate(categories)}
    first_words: dict[str, list[int]] = {}
    for i, c in enumerate(categories):
        head = category_key(c).split(" ")[0]
        if head.isalpha():  # never for numbers: "16 to 24" is not "16 to 19"
            first_words.setdefault(head, []).append(i)

    def match(value: str) -> tuple[int, bool]:
        key = category_key(value)
        if key in by_key:
            return by_key[key], False
        candidates = first_words.get(key.split(" ")[0], []) if key else []
        return (candidates[0], True) if len(candidates) == 1 else (-1, False)

    assigned: list[int | None] = []
    unmatched: dict[str, int] = {}
    loose: dict[str, int] = {}
    for value in values:
        if value is None or not str(value).strip() or category_key(value) in NOT_GIVEN:
            assigned.append(None)
            continue
        index, is_loose = match(str(value))
        assigned.append(index)
        if index < 0:
            unmatched[str(value)] = unmatched.get(str(value), 0) + 1
        elif is_loose:
            loose[str(value)] = loose.get(str(value), 0) + 1
    offered = [o for o in options if o and category_key(o) not in NOT_GIVEN]
    named_unmatched = {o for o in offered if match(o)[0] < 0}
    named_unmatched |= {label for label, n in unmatched.items() if n >= threshold}
    named_loose = {o for o in offered if match(o)[0] >= 0 and match(o)[1]}
    named_loose |= {label for label, n in loose.items() if n >= threshold}
    rare = any(label not in named_unmatched for label in unmatched) or any(
        label not in named_loose for label in loose)
    return _Matching(assigned, sorted(named_unmatched),
                     sorted((label, categories[match(label)[0]]) for label in named_loose), rare)


def compare(participants: Participants, tables: Tables,
            threshold: int = 10, top: int = 10) -> dict[str, Any]:
    """The protected comparison as JSON-safe data: nothing in it reveals a participant count below ``threshold``."""
    singles_population, joints_population = _merge_population(tables)
    column_of: dict[str, str] = {}
    for column in participants.columns:
        column_of.setdefault(characteristic_key(column), column)
    singles: list[_Single] = []
    missing: list[str] = []
    for key, (name, shares) in singles_population.items():
        if key not in column_of:
            missing.append(name)
            continue
        categories = list(shares)
        matching = _assign(participants.columns[column_of[key]], categories,
                           participants.options.get(column_of[key], ()), threshold)
        singles.append(_Single(name, key, column_of[key], categories, [shares[c] for c in categories],
                               matching.assigned, matching.unmatched, matching.loose, matching.rare_hidden))
    if not singles:
        raise HeardError("None of the population's characteristics is among the participants' answers "
                         f"(population: {', '.join(n for n, _ in singles_population.values()) or 'nothing'}; "
                         f"participants: {', '.join(participants.columns) or 'no characteristics'}).")
    unused = [c for c in participants.columns if characteristic_key(c) not in singles_population]

    builder = _TableBuilder(participants.count)
    for single in singles:
        builder.add_single(single)
    joint_specs: list[tuple[str, _Single, _Single, list[list[float]]]] = []
    joint_notes: list[str] = []
    by_key = {s.key: s for s in singles}
    for (a, b), (name, cells) in joints_population.items():
        if a not in by_key or b not in by_key:
            joint_notes.append(f"“{name}”: the participants have no answers for "
                               f"{' and '.join(k for k in (a, b) if k not in by_key)}.")
            continue
        first, second = by_key[a], by_key[b]
        lookup = {(category_key(x), category_key(y)): share for (x, y), share in cells.items()}
        grid = [[lookup.get((category_key(x), category_key(y)), math.nan) for y in second.categories]
                for x in first.categories]
        gaps = [f"{x} × {y}" for i, x in enumerate(first.categories) for j, y in enumerate(second.categories)
                if math.isnan(grid[i][j])]
        if gaps:
            joint_notes.append(f"“{name}”: its groups do not line up with the single tables "
                               f"(no population for {', '.join(gaps[:6])}).")
            continue
        builder.add_joint(first, second)
        joint_specs.append((name, first, second, grid))
    if not joints_population:
        joint_notes.append("The population tables give each characteristic on its own, so the comparison of two "
                           "at once (for example age band × sex) needs a joint table: a population table with a "
                           "variable such as “age_band × sex” and categories such as “16-24 × Female”.")

    result = builder.protect(threshold)
    characteristics = [_single_result(single, result, builder) for single in singles]
    joint = [_joint_result(name, first, second, grid, result, builder)
             for name, first, second, grid in joint_specs]
    indices = [c["index"] for c in characteristics if c["index"] is not None]
    total_shown = result.published[0]
    return {
        "threshold": threshold,
        "participants": total_shown,
        "participants_label": participants.label,
        # Respondents of a source that records areas, left out for having no area (or an unknown one): the number,
        # or "fewer than the threshold" (a count of people, so never shown below it).
        "left_out": participants.left_out if participants.left_out >= threshold else 0,
        "left_out_fewer_than": 0 < participants.left_out < threshold,
        "characteristics": characteristics,
        "joint": joint,
        "joint_notes": joint_notes,
        "missing_characteristics": missing,
        "unused_characteristics": unused,
        "average_index": sum(indices) / len(indices) if indices else None,
        "indices_averaged": len(indices),
        "under_heard": _under_heard([*characteristics, *joint], top),
        "suppressed": result.primary_count + result.secondary_count,
        "method_note": result.method_note,
    }


class _TableBuilder:
    """Every participant count of one comparison as one linked additive table (see the module docstring)."""

    def __init__(self, total: int) -> None:
        self.values: list[int] = [total]
        self.labels: list[str] = ["All participants"]
        self.sums: list[tuple[int, tuple[int, ...]]] = []
        self.shown: list[bool] = [True]
        self.single_cells: dict[str, dict[str, Any]] = {}
        self.joint_cells: dict[tuple[str, str], dict[str, Any]] = {}
        # Sums (by position in self.sums) whose never-shown "without" cell is zero. Protection leaves such a cell out
        # (an attacker who knew it is zero knows more, so that is safe); the bounds we show must not (see upper_bound).
        self.zero_rests: list[int] = []

    def _cell(self, value: int, label: str, shown: bool = True) -> int:
        self.values.append(int(value))
        self.labels.append(label)
        self.shown.append(shown)
        return len(self.values) - 1

    def add_single(self, single: _Single) -> None:
        counts = [0] * len(single.categories)
        unmatched = not_given = 0
        for index in single.assigned:
            if index is None:
                not_given += 1
            elif index < 0:
                unmatched += 1
            else:
                counts[index] += 1
        groups = [self._cell(c, f"{single.name}: {category}") for c, category in zip(counts, single.categories,
                                                                                          strict=True)]
        compared = self._cell(sum(counts), f"{single.name}: compared")
        # Bookkeeping cells that are zero are left out (the sum still holds): "nobody skipped this question" is not
        # worth hiding, and hiding it would force other figures to be hidden with it.
        other = self._cell(unmatched, f"{single.name}: not in the census") if unmatched else None
        silent = self._cell(not_given, f"{single.name}: not given") if not_given else None
        self.sums.append((compared, tuple(groups)))
        self.sums.append((0, tuple(c for c in (compared, other, silent) if c is not None)))
        self.single_cells[single.key] = {"groups": groups, "compared": compared, "unmatched": other,
                                         "not_given": silent}

    def add_joint(self, first: _Single, second: _Single) -> None:
        rows, columns = len(first.categories), len(second.categories)
        counts = [[0] * columns for _ in range(rows)]
        for x, y in zip(first.assigned, second.assigned, strict=True):
            if x is not None and y is not None and x >= 0 and y >= 0:
                counts[x][y] += 1
        cells = [[self._cell(counts[i][j], f"{first.name} × {second.name}: {first.categories[i]} × "
                                           f"{second.categories[j]}") for j in range(columns)] for i in range(rows)]
        compared = self._cell(sum(map(sum, counts)), f"{first.name} × {second.name}: compared")
        self.sums.append((compared, tuple(c for row in cells for c in row)))
        a_groups = self.single_cells[first.key]["groups"]
        b_groups = self.single_cells[second.key]["groups"]
        for i in range(rows):  # people of group i whose other characteristic is not compared: never shown
            rest = self.values[a_groups[i]] - sum(counts[i])
            extra = [self._cell(rest, f"{first.name}: {first.categories[i]} without {second.name}", shown=False)
                     ] if rest else []
            if not rest:
                self.zero_rests.append(len(self.sums))
            self.sums.append((a_groups[i], (*cells[i], *extra)))
        for j in range(columns):
            rest = self.values[b_groups[j]] - sum(counts[i][j] for i in range(rows))
            extra = [self._cell(rest, f"{second.name}: {second.categories[j]} without {first.name}", shown=False)
                     ] if rest else []
            if not rest:
                self.zero_rests.append(len(self.sums))
            self.sums.append((b_groups[j], (*(cells[i][j] for i in range(rows)), *extra)))
        self.joint_cells[(first.key, second.key)] = {"cells": cells, "compared": compared}

    def protect(self, threshold: int) -> disclosure.DisclosureResult:
        table = disclosure.AdditiveTable(values=tuple(self.values), sums=tuple(self.sums), labels=tuple(self.labels))
        result = disclosure.protect(table, disclosure.DisclosureSettings(threshold=threshold))
        # What is actually shown: published and meant to be shown. Bounds for hidden groups use only these.
        self.visible = [status == "published" and shown for status, shown in zip(result.status, self.shown,
                                                                                  strict=True)]
        self._bounds: tuple[disclosure.CellInterval, ...] | None = None
        self.table = table
        return result

    def reader_table(self) -> tuple[disclosure.AdditiveTable, list[bool]]:
        """The table as a reader of the page knows it: every never-shown "without" cell is there, zero or not (the
        reader cannot know it is zero), so a bound is worked out on the table shape the reader sees."""
        values = list(self.values)
        visible = list(self.visible)
        sums = list(self.sums)
        for position in self.zero_rests:
            total, parts = sums[position]
            values.append(0)
            visible.append(False)
            sums[position] = (total, (*parts, len(values) - 1))
        labels = (*self.labels, *(["(never shown)"] * len(self.zero_rests)))
        return disclosure.AdditiveTable(values=tuple(values), sums=tuple(sums), labels=labels), visible

    def upper_bound(self, cell: int) -> float:
        if self._bounds is None:
            self._bounds = disclosure.feasible_intervals(*self.reader_table())
        return float(self._bounds[cell].upper)


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _groups(characteristic: str, labels: Sequence[str], shares: Sequence[float], cells: Sequence[int],
            compared_cell: int, result: disclosure.DisclosureResult, builder: _TableBuilder) -> dict[str, Any]:
    """Rows of one comparison (single or joint) from the protected counts, and its index on shown figures only."""
    published = result.published
    compared = published[compared_cell]
    population_total = sum(shares)
    rows: list[dict[str, Any]] = []
    shown_counts: dict[str, int] = {}
    shown_population: dict[str, float] = {}
    hidden_share = 0.0
    for label, share, cell in zip(labels, shares, cells, strict=True):
        q = share / population_total if population_total else 0.0
        count = published[cell]
        row: dict[str, Any] = {"group": label, "count": count, "population_share": q, "share": None, "ratio": None,
                               "low": None, "high": None, "shortfall": None, "verdict": "", "ratio_at_most": None,
                               "clearly_under": False}
        if count is not None and compared and q > 0:
            low, high = rep.wilson_interval(count, compared)
            row.update(share=count / compared, ratio=count / compared / q, low=low / q, high=high / q,
                       shortfall=round(q * compared - count, 1))
            row["clearly_under"] = high / q < 1.0
            row["verdict"] = "under" if high / q < 1.0 else "over" if low / q > 1.0 else "in proportion"
            shown_counts[label] = count
            shown_population[label] = q
        else:
            hidden_share += q
            if compared and q > 0:
                most = builder.upper_bound(cell)
                at_most = most / (compared * q)
                row["ratio_at_most"] = at_most
                if at_most < 1.0:
                    _low, high = rep.wilson_interval(int(most), compared)
                    row["clearly_under"] = high / q < 1.0
                    row["verdict"] = "under (figures not shown)"
        rows.append(row)
    index = benchmark = None
    if compared and shown_counts:
        counts = dict(shown_counts)
        population = dict(shown_population)
        if hidden_share > 0 or compared > sum(shown_counts.values()):
            counts["(groups not shown, combined)"] = compared - sum(shown_counts.values())
            population["(groups not shown, combined)"] = hidden_share
        pooled = rep.compare_characteristic(characteristic, counts, population)
        index = pooled.index
        try:
            mark = rep.index_benchmark(pooled, replicates=500, seed=0)
            benchmark = {"low": mark.interval_low, "high": mark.interval_high,
                         "representative_median": mark.representative_median,
                         "representative_low": mark.representative_low}
        except rep.RepresentativenessError:
            benchmark = None
    return {"name": characteristic, "compared": compared, "groups": rows, "index": index, "benchmark": benchmark,
            "pooled": any(r["count"] is None for r in rows)}


def _single_result(single: _Single, result: disclosure.DisclosureResult, builder: _TableBuilder) -> dict[str, Any]:
    cells = builder.single_cells[single.key]
    data = _groups(single.name, single.categories, single.shares, cells["groups"], cells["compared"], result,
                   builder)
    data.update(key=single.key, column=single.column, unmatched=_published(result, cells["unmatched"]),
                unmatched_labels=single.unmatched_labels, not_given=_published(result, cells["not_given"]),
                loosely_matched=[list(pair) for pair in single.loosely_matched], rare_answers=single.rare_hidden)
    return data


def _published(result: disclosure.DisclosureResult, cell: int | None) -> int | None:
    return 0 if cell is None else result.published[cell]


def _joint_result(name: str, first: _Single, second: _Single, grid: list[list[float]],
                  result: disclosure.DisclosureResult, builder: _TableBuilder) -> dict[str, Any]:
    cells = builder.joint_cells[(first.key, second.key)]
    labels = [f"{x} × {y}" for x in first.categories for y in second.categories]
    shares = [share for row in grid for share in row]
    flat = [cell for row in cells["cells"] for cell in row]
    data = _groups(f"{first.name} × {second.name}", labels, shares, flat, cells["compared"], result, builder)
    data.update(key=f"{first.key}×{second.key}", table=name, unmatched=None, unmatched_labels=[], not_given=None)
    return data


def _under_heard(comparisons: Sequence[dict[str, Any]], top: int) -> list[dict[str, Any]]:
    found = []
    for comparison in comparisons:
        for row in comparison["groups"]:
            ratio = row["ratio"] if row["ratio"] is not None else row["ratio_at_most"]
            if ratio is None or row["population_share"] <= 0 or ratio >= 1.0:
                continue
            found.append({"characteristic": comparison["name"], "group": row["group"], "ratio": row["ratio"],
                          "ratio_at_most": row["ratio_at_most"] if row["ratio"] is None else None,
                          "clearly_under": row["clearly_under"], "population_share": row["population_share"],
                          "shortfall": row["shortfall"], "sort": ratio})
    found.sort(key=lambda item: (item["sort"], -item["population_share"]))
    return found[:top]


# ---- differencing between comparisons ---------------------------------------------------------------------------

FINGERPRINT_BYTES = 8  # per participant: 64 bits of a keyed hash, so two different people practically never collide


def _fingerprint_key() -> bytes:
    from django.conf import settings

    return hmac.new(str(settings.SECRET_KEY).encode(), b"byconsent who we heard from participants",
                    hashlib.sha256).digest()


def participant_fingerprint(source_key: str, ids: Sequence[str]) -> dict[str, Any]:
    """A compact, non-reversible record of who a comparison counted: per participant the first bytes of an HMAC
    (keyed with a key derived from the project's secret key) of the source and the participant's id, sorted, never
    the ids themselves. Kept in ``HeardComparison.result`` (never shown or exported) to refuse later comparisons
    that would differ from it by a few people."""
    key = _fingerprint_key()
    digests = sorted(hmac.new(key, f"{source_key}\x00{i}".encode(), hashlib.sha256).digest()[:FINGERPRINT_BYTES]
                     for i in ids)
    return {"version": 1, "key": hashlib.sha256(key).hexdigest()[:12],
            "members": base64.b64encode(b"".join(digests)).decode("ascii")}


def fingerprint_members(fingerprint: Any) -> frozenset[bytes] | None:
    """The set a stored fingerprint describes; None when it was made with another secret key (or is missing)."""
    if not isinstance(fingerprint, dict) or fingerprint.get("key") != hashlib.sha256(
            _fingerprint_key()).hexdigest()[:12]:
        return None
    raw = base64.b64decode(fingerprint.get("members") or "")
    return frozenset(raw[i:i + FINGERPRINT_BYTES] for i in range(0, len(raw), FINGERPRINT_BYTES))


@dataclass(frozen=True)
class Earlier:
    """A stored comparison of the same source: how to name it in a message, and whom it counted."""

    name: str
    members: frozenset[bytes]


def differencing_problem(members: frozenset[bytes], earlier: Sequence[Earlier], threshold: int) -> str | None:
    """Why publishing a comparison of ``members`` beside the ``earlier`` ones (same source) would let fewer than
    ``threshold`` people be singled out by adding and subtracting published figures; None when it would not.

    Take every stored comparison that shares a participant with the new one. Their participants fall into groups
    ("atoms") of people counted by exactly the same comparisons. Any sum or difference of published figures is a
    sum over whole atoms, so as long as every atom that is not a whole comparison has at least ``threshold`` people,
    nobody can isolate a smaller group, by two comparisons or by a chain of any length. The new comparison is
    refused when it would cut an atom into a part of fewer than ``threshold`` people, or add fewer than
    ``threshold`` people that no earlier comparison counted. The direct case — two comparisons whose participants
    differ by 1 to threshold-1 people — is checked first, to name the comparison it is about."""
    overlapping = [e for e in earlier if e.members & members]
    if not overlapping:
        return None
    nearest = min(overlapping, key=lambda e: len(e.members ^ members))
    if 0 < len(nearest.members ^ members) < threshold:
        return (f"These participants differ from those of {nearest.name} by fewer than {threshold} people, so "
                "the difference between the two could be read by subtracting one from the other. Change the "
                f"filters or the area so that at least {threshold} people are in one and not the other, or use the "
                "earlier comparison.")
    membership: dict[bytes, list[int]] = {}
    for index, comparison in enumerate(overlapping):
        for member in comparison.members:
            membership.setdefault(member, []).append(index)
    sizes = Counter(tuple(indices) for indices in membership.values())
    taken = Counter(tuple(membership[m]) for m in members if m in membership)
    for signature, inside in sorted(taken.items()):
        outside = sizes[signature] - inside
        if outside and min(inside, outside) < threshold:
            names = " and ".join(overlapping[i].name for i in signature[:3])
            return (f"Together with {names}, these participants would let a group of fewer than {threshold} people "
                    "be worked out by adding and subtracting the published figures (the people counted by the "
                    f"earlier comparison{'s' if len(signature) > 1 else ''} are split into a small part counted here "
                    "and a part that is not). Change the filters or the area so that no such small group appears, "
                    "or use the earlier comparison.")
    fresh = sum(1 for m in members if m not in membership)
    if 0 < fresh < threshold:
        names = " and ".join(e.name for e in sorted(overlapping, key=lambda e: len(e.members ^ members))[:3])
        return (f"Compared with {names}, these participants add fewer than {threshold} people that no earlier "
                "comparison counted, so their answers could be read by subtracting one from the other. Wait until "
                f"at least {threshold} more people have taken part, or change the filters or the area.")
    return None


# ---- export ---------------------------------------------------------------------------------------------------------

CSV_HEADERS = ["Characteristic", "Group", "Participants", "Share of participants (%)", "Population share (%)",
               "Ratio", "Ratio 95% interval low", "Ratio 95% interval high", "Heard"]


def _fmt(value: Any, digits: int = 2, scale: float = 1.0) -> str:
    if value is None:
        return SUPPRESSED
    return f"{value * scale:.{digits}f}"


def csv_rows(result: dict[str, Any]) -> list[list[str]]:
    """The protected table as text rows (the header is CSV_HEADERS). Hidden figures are [c]."""
    lines: list[list[str]] = []
    for comparison in [*result["characteristics"], *result["joint"]]:
        for row in comparison["groups"]:
            verdict = row["verdict"]
            if row["ratio"] is None and row["ratio_at_most"] is not None:
                verdict = f"ratio at most {row['ratio_at_most']:.2f}" + (" (under-heard)" if verdict else "")
            lines.append([comparison["name"], row["group"], _count(row["count"]), _fmt(row["share"], 1, 100),
                          _fmt(row["population_share"], 1, 100), _fmt(row["ratio"]), _fmt(row["low"]),
                          _fmt(row["high"]), verdict])
        lines.append([comparison["name"], "Participants compared", _count(comparison["compared"]), "", "", "", "",
                      "", ""])
        if comparison.get("unmatched_labels") or comparison.get("unmatched") or comparison.get("rare_answers"):
            names = list(comparison["unmatched_labels"])
            if comparison.get("rare_answers"):
                names.append(f"other answers given by fewer than {result['threshold']} people each")
            lines.append([comparison["name"], "Answers not in the census table: " + "; ".join(names),
                          _count(comparison["unmatched"]), "", "", "", "", "", ""])
        for answer, group in comparison.get("loosely_matched") or []:
            lines.append([comparison["name"], f"Answer “{answer}” counted as “{group}” (same first word)", "", "", "",
                          "", "", "", ""])
        if comparison.get("not_given") is not None or comparison["key"].count("×") == 0:
            lines.append([comparison["name"], "Not given", _count(comparison.get("not_given")), "", "", "", "", "",
                          ""])
        lines.append([comparison["name"], "Index (1 = participants mirror the population)",
                      _fmt(comparison["index"]), "", "", "", "", "", ""])
    return lines


def _count(value: int | None) -> str:
    return SUPPRESSED if value is None else str(value)


# ---- reads for the pages -------------------------------------------------------------------------------------------

def comparisons_for(user: Any) -> QuerySet[Any]:
    from byconsent.core.policy import Action, scope
    from byconsent.insights.models import HeardComparison
    from byconsent.insights.responses import sources_for

    # A comparison is the viewer's when its area is in their areas and its source is one they may read (the people
    # register is read in their own areas; a response source only when sources_for offers it to them). The result
    # (with its participant fingerprint) is read only by the pages that need it.
    readable = [PEOPLE_SOURCE, *(s.key for s in sources_for(user))]
    return scope(user, Action.ANALYSE, HeardComparison.objects.select_related("area", "created_by", "task")
                 .prefetch_related("targets")).filter(source_key__in=readable).defer("result")


def target_choices(user: Any) -> list[tuple[str, str]]:
    from byconsent.core.policy import Action, scope
    from byconsent.insights.models import PopulationTargets

    tables = scope(user, Action.ANALYSE, PopulationTargets.objects.select_related("area"))
    return [(str(t.pk), f"{t.name} ({t.area.name}): {', '.join(t.targets)}") for t in tables[:200]]


def source_choices(user: Any) -> list[tuple[str, str]]:
    from byconsent.insights.responses import sources_for

    return [(PEOPLE_SOURCE, "People register: everyone who responded or attended")] + [
        (s.key, s.label) for s in sources_for(user)]


# ---- census tables with several characteristics (ONS "custom dataset" long shape) ---------------------------------

_COUNT_COLUMNS = ("observation", "count", "value", "number")
_NOT_APPLICABLE = {"does not apply", "not applicable"}


def long_census_targets(text: str, zones: set[str], area_code: str = "") -> dict[str, dict[str, float]] | None:
    """Population shares from a census table in the long shape of ONS custom datasets: one row per area and
    combination, e.g. ``"Lower layer Super Output Areas Code", "Lower layer Super Output Areas", "Age (6 categories)
    Code", "Age (6 categories)", "Sex (2 categories) Code", "Sex (2 categories)", "Observation"``. Summed over the
    rows whose area code is in ``zones`` (or ``area_code``), else over every row. One characteristic gives one
    variable; two give both margins and the joint table ("Age (6 categories) × Sex (2 categories)"). Returns None
    when the file is not in this shape, so the wide readers can try."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if len(rows) < 2:
        return None
    header = [cell.strip() for cell in rows[0]]
    lowered = [name.lower() for name in header]
    count_at = next((i for i, name in enumerate(lowered) if name in _COUNT_COLUMNS), None)
    coded = [i for i, name in enumerate(lowered) if name.endswith(" code")]
    if count_at is None or not coded:
        return None
    area_at = coded[0]
    labels = [i for i, name in enumerate(header) if i not in coded and i != count_at
              and f"{lowered[i]} code" not in {lowered[area_at]}]
    characteristics = [i for i in labels if f"{lowered[i]} code" in lowered]
    if not 1 <= len(characteristics) <= 2:
        if characteristics:
            raise HeardError("A census table can give at most two characteristics at once.")
        return None
    counts: dict[tuple[str, ...], float] = {}
    chosen_rows = [row for row in rows[1:] if len(row) > count_at and row[area_at].strip() in zones | {area_code}]
    for line, row in enumerate(chosen_rows or rows[1:], start=2):
        if len(row) <= max(count_at, *characteristics):
            continue
        key = tuple(row[i].strip() for i in characteristics)
        if any(part.lower() in _NOT_APPLICABLE for part in key):
            continue
        try:
            value = float(row[count_at].replace(",", "").strip() or 0)
        except ValueError:
            raise HeardError(f"Line {line}: the count {row[count_at]!r} is not a number.") from None
        counts[key] = counts.get(key, 0.0) + value
    total = sum(counts.values())
    if total <= 0:
        raise HeardError("The census table has no population for these areas.")
    names = [header[i] for i in characteristics]
    targets: dict[str, dict[str, float]] = {}
    for position, name in enumerate(names):
        margin: dict[str, float] = {}
        for key, value in counts.items():
            margin[key[position]] = margin.get(key[position], 0.0) + value / total
        targets[name] = margin
    if len(names) == 2:
        targets[f"{names[0]} × {names[1]}"] = {f"{a} × {b}": value / total for (a, b), value in counts.items()}
    return targets
