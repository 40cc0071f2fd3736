"""The small data interface through which any app feeds closed-question responses to the workspace.

A *provider* lists the response sources a user may analyse and loads one as a ``ResponseTable``: respondent ids,
closed-question answers, demographics, an area code per respondent and an optional weight. The workspace registers
a provider for CSV uploads (``ResponseUpload``); another app (surveys, pulse...) registers its own from its
``AppConfig.ready()``::

    from byconsent.insights.responses import ResponseProvider, register_provider
    register_provider(ResponseProvider("surveys", "Surveys", list_sources, load))

Source keys are "<provider>:<id>" strings, stable enough to be stored with a weighting run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


class ResponseDataError(ValueError):
    """A problem with uploaded or provided responses, with a message meant for the analyst."""


@dataclass(frozen=True)
class ResponseTable:
    """One row per respondent; every column lists one value per respondent (None: not answered)."""

    name: str
    respondent_ids: list[str]
    questions: dict[str, list[str | None]]
    demographics: dict[str, list[str | None]] = field(default_factory=dict)
    areas: list[str | None] = field(default_factory=list)  # area codes (core Area.code), None when unknown
    weights: list[float] | None = None  # design or supplied weights, if the source has them
    question_labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.respondent_ids)
        if len(set(self.respondent_ids)) != n:
            raise ResponseDataError("respondent ids must be unique")
        for kind, columns in (("question", self.questions), ("demographic", self.demographics)):
            for name, values in columns.items():
                if len(values) != n:
                    raise ResponseDataError(f"{kind} {name!r} has {len(values)} values for {n} respondents")
        if self.areas and len(self.areas) != n:
            raise ResponseDataError("one area per respondent is needed")
        if self.weights is not None and len(self.weights) != n:
            raise ResponseDataError("one weight per respondent is needed")

    @property
    def size(self) -> int:
        return len(self.respondent_ids)

    def label(self, question: str) -> str:
        return self.question_labels.get(question, question)

    def breakdowns(self) -> list[str]:
        """What a question can be broken down by: every demographic, and the area when known."""
        names = list(self.demographics)
        if any(self.areas):
            names.append(AREA)
        return names

    def column(self, name: str) -> list[str | None]:
        if name == AREA:
            return list(self.areas) if self.areas else [None] * self.size
        if name in self.demographics:
            return self.demographics[name]
        if name in self.questions:
            return self.questions[name]
        raise ResponseDataError(f"no column {name!r} in these responses")


AREA = "area"


@dataclass(frozen=True)
class ResponseSource:
    key: str  # "<provider>:<id>"
    label: str
    area: Any  # a core Area: the policy scopes sources by it


@dataclass(frozen=True)
class ResponseProvider:
    name: str
    label: str
    list_sources: Callable[[Any], list[ResponseSource]]  # receives the user; returns what they may analyse
    load: Callable[[Any, str], ResponseTable]  # receives the user and the id part of the key


_providers: dict[str, ResponseProvider] = {}


def register_provider(provider: ResponseProvider) -> None:
    _providers[provider.name] = provider


def providers() -> list[ResponseProvider]:
    return list(_providers.values())


def sources_for(user: Any) -> list[ResponseSource]:
    return [source for provider in providers() for source in provider.list_sources(user)]


def load_source(user: Any, key: str) -> ResponseTable:
    """Load a source by key; the provider checks the user may see it (unknown or hidden: LookupError)."""
    name, _, identifier = key.partition(":")
    provider = _providers.get(name)
    if provider is None or not identifier:
        raise LookupError(f"no response source {key!r}")
    return provider.load(user, identifier)


# ---- CSV uploads --------------------------------------------------------------------------------------------------

RESPONDENT_COLUMN = "respondent_id"
AREA_COLUMN = "area_code"
WEIGHT_COLUMN = "weight"
KNOWN_DEMOGRAPHICS = ("age", "age_band", "sex", "gender", "ethnicity", "ethnic_group", "religion", "faith",
                      "disability", "sexual_orientation")


@dataclass(frozen=True)
class ParsedResponses:
    questions: list[str]
    demographics: list[str]
    has_weight: bool
    rows: list[dict[str, str]]


def parse_response_csv(text: str, demographic_columns: Sequence[str] | None = None) -> ParsedResponses:
    """Read a responses CSV: ``respondent_id`` (required), ``area_code`` and ``weight`` (optional), demographic
    columns (those named, else the usual names such as age_band, sex, ethnicity, religion, disability) and every
    other column as a closed question. Errors name the line."""
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if RESPONDENT_COLUMN not in header:
        raise ResponseDataError(f"the file needs a {RESPONDENT_COLUMN!r} column (found: {', '.join(header) or 'none'})")
    if len(set(header)) != len(header):
        raise ResponseDataError("two columns have the same name")
    reserved = {RESPONDENT_COLUMN, AREA_COLUMN, WEIGHT_COLUMN}
    if demographic_columns:
        wanted = [name.strip() for name in demographic_columns if name.strip()]
        unknown = [name for name in wanted if name not in header]
        if unknown:
            raise ResponseDataError(f"demographic column(s) not in the file: {', '.join(unknown)}")
        demographics = wanted
    else:
        demographics = [name for name in header if name.lower() in KNOWN_DEMOGRAPHICS]
    questions = [name for name in header if name not in reserved and name not in demographics]
    if not questions:
        raise ResponseDataError("the file has no question columns")
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    errors: list[str] = []
    for line, raw in enumerate(reader, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in raw.items() if key is not None}
        if not any(row.values()):
            continue
        respondent = row.get(RESPONDENT_COLUMN, "")
        if not respondent:
            errors.append(f"Line {line}: no respondent id")
        elif respondent in seen:
            errors.append(f"Line {line}: respondent {respondent} appears twice")
        seen.add(respondent)
        if WEIGHT_COLUMN in header and row.get(WEIGHT_COLUMN):
            try:
                if float(row[WEIGHT_COLUMN]) <= 0:
                    raise ValueError
            except ValueError:
                errors.append(f"Line {line}: weight {row[WEIGHT_COLUMN]!r} is not a positive number")
        rows.append(row)
    if errors:
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        raise ResponseDataError("; ".join(errors[:20]) + more)
    if not rows:
        raise ResponseDataError("the file has no responses")
    return ParsedResponses(questions, demographics, WEIGHT_COLUMN in header, rows)


def table_from_rows(name: str, questions: Sequence[str], demographics: Sequence[str], has_weight: bool,
                    rows: Sequence[dict[str, str]]) -> ResponseTable:
    def values(column: str) -> list[str | None]:
        return [row.get(column) or None for row in rows]

    weights = [float(row.get(WEIGHT_COLUMN) or 1.0) for row in rows] if has_weight else None
    return ResponseTable(
        name=name,
        respondent_ids=[row[RESPONDENT_COLUMN] for row in rows],
        questions={q: values(q) for q in questions},
        demographics={d: values(d) for d in demographics},
        areas=values(AREA_COLUMN),
        weights=weights,
    )


def _upload_sources(user: Any) -> list[ResponseSource]:
    from byconsent.core.policy import Action, scope
    from byconsent.insights.models import ResponseUpload

    uploads = scope(user, Action.ANALYSE, ResponseUpload.objects.select_related("area"))
    return [ResponseSource(f"upload:{u.pk}", str(u.name), u.area) for u in uploads]


def _load_upload(user: Any, identifier: str) -> ResponseTable:
    from byconsent.core.policy import Action, can
    from byconsent.insights.models import ResponseUpload

    upload = ResponseUpload.objects.filter(pk=int(identifier) if identifier.isdigit() else 0).first()
    if upload is None or not can(user, Action.ANALYSE, upload):
        raise LookupError("no such response upload")
    rows: list[dict[str, str]] = upload.rows  # type: ignore[assignment]  # decrypted JSON
    return table_from_rows(upload.name, upload.questions, upload.demographics, upload.has_weight, rows)


def register_builtin_providers() -> None:
    register_provider(ResponseProvider("upload", "Uploaded responses (CSV)", _upload_sources, _load_upload))
