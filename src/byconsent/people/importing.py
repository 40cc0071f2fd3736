"""Importing people and organisations: upload, map columns, preview with line-numbered errors and duplicates, then
a background task (core.tasks) that imports the good rows.

Duplicates: a row with the email address of someone already held (or of an earlier row) is not imported; it is
listed against the existing record. A row with a similar name at the same postcode is imported and listed as a
possible duplicate, to be checked on the duplicates screen and merged there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction

from byconsent.core import audit
from byconsent.core.models import Area
from byconsent.core.policy import require
from byconsent.core.postcodes import find_area, normalise_postcode
from byconsent.people import dedupe
from byconsent.people.models import (
    ConsentRecord,
    ContactChannel,
    ImportJob,
    Interest,
    LawfulBasis,
    Membership,
    Organisation,
    Person,
    Purpose,
)
from byconsent.people.permissions import MANAGE_SEGMENTS
from byconsent.people.selectors import find_existing
from byconsent.people.tabular import read_table

PEOPLE_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    # target: (label, header names it is guessed from)
    "full_name": ("Full name", ("full name", "name", "fullname", "contact name")),
    "first_name": ("First name", ("first name", "forename", "given name", "firstname")),
    "last_name": ("Last name", ("last name", "surname", "family name", "lastname")),
    "email": ("Email address", ("email", "email address", "e-mail", "mail")),
    "phone": ("Phone number", ("phone", "telephone", "mobile", "phone number", "tel")),
    "address": ("Postal address", ("address", "postal address", "street address", "address line 1")),
    "postcode": ("Postcode", ("postcode", "post code", "postal code", "zip")),
    "preferred_language": ("Preferred language", ("language", "preferred language")),
    "preferred_channel": ("Preferred way to be contacted", ("preferred channel", "contact by", "channel")),
    "accessibility_needs": ("Accessibility needs", ("accessibility", "accessibility needs", "access needs")),
    "interests": ("Interests (separated by ;)", ("interests", "topics", "interest")),
    "organisation": ("Organisation", ("organisation", "organization", "group", "company")),
    "organisation_role": ("Role in the organisation", ("role", "position", "job title")),
    "consent": ("Agreed to be contacted (yes/no)", ("consent", "agreed", "opt in", "opted in")),
}
ORGANISATION_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("Name", ("name", "organisation", "organization", "organisation name")),
    "kind": ("Type", ("type", "kind", "category", "sector")),
    "email": ("Email address", ("email", "email address", "e-mail")),
    "phone": ("Phone number", ("phone", "telephone", "phone number")),
    "address": ("Postal address", ("address", "postal address")),
    "postcode": ("Postcode", ("postcode", "post code")),
    "website": ("Website", ("website", "web", "url")),
    "notes": ("Notes", ("notes", "comments")),
}
YES = {"yes", "y", "true", "1", "agreed", "x"}


def fields_for(kind: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    return PEOPLE_FIELDS if kind == ImportJob.Kind.PEOPLE else ORGANISATION_FIELDS


def guess_mapping(kind: str, headers: list[str]) -> dict[str, int]:
    """target field -> column index, from the header names."""
    mapping: dict[str, int] = {}
    normalised = [" ".join(h.lower().replace("_", " ").split()) for h in headers]
    for target, (_label, names) in fields_for(kind).items():
        for index, header in enumerate(normalised):
            if header in names and index not in mapping.values():
                mapping[target] = index
                break
    return mapping


def create_job(actor: Any, *, kind: str, filename: str, content: bytes, area: Area) -> ImportJob:
    require(actor, MANAGE_SEGMENTS, area)
    headers, rows = read_table(filename, content)
    with transaction.atomic():
        job = ImportJob.objects.create(kind=kind, filename=filename[:200], area=area, headers=headers, rows=rows,
                                       mapping=guess_mapping(kind, headers), created_by=actor)
        audit.record(actor, "import.uploaded", job, after={"rows": len(rows), "kind": kind})
    return job


def save_mapping(actor: Any, job: ImportJob, mapping: dict[str, int], *, purpose: Purpose | None = None,
                 lawful_basis: str = "", consent_wording: str = "", consent_source: str = "") -> ImportJob:
    require(actor, MANAGE_SEGMENTS, job.area)
    if job.status not in (ImportJob.Status.UPLOADED, ImportJob.Status.MAPPED):
        raise ValidationError("This import has already run")
    if any(not 0 <= index < len(job.headers) for index in mapping.values()):
        raise ValidationError("A mapping points at a column the file does not have")
    if job.kind == ImportJob.Kind.PEOPLE and "full_name" not in mapping and not {"first_name", "last_name"} & set(
            mapping):
        raise ValidationError({"full_name": "Choose the column holding people's names"})
    if job.kind == ImportJob.Kind.ORGANISATIONS and not {"name", "kind"} <= set(mapping):
        raise ValidationError({"name": "Choose the columns holding the organisation's name and type"})
    if purpose is not None:
        if lawful_basis == LawfulBasis.CONSENT and not consent_wording.strip():
            raise ValidationError({"consent_wording": "Record the words people agreed to"})
        if lawful_basis == LawfulBasis.CONSENT and "consent" not in mapping:
            raise ValidationError({"consent": "Choose the column saying whether each person agreed"})
    job.mapping = mapping
    job.purpose = purpose
    job.lawful_basis = lawful_basis if purpose else ""
    job.consent_wording = consent_wording.strip() if purpose else ""
    job.consent_source = consent_source if purpose else ""
    job.status = ImportJob.Status.MAPPED
    job.save()
    return job


@dataclass
class RowResult:
    line: int
    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    duplicate_of: int | None = None
    duplicate_reason: str = ""
    skip: bool = False


def _mapped(job: ImportJob, row: list[str]) -> dict[str, str]:
    return {target: (row[index] if index < len(row) else "").strip() for target, index in job.mapping.items()}


_KIND_WORDS = {value: value for value, _label in Organisation.Kind.choices}
_KIND_WORDS.update({str(label).lower(): value for value, label in Organisation.Kind.choices})
_KIND_WORDS.update({"faith": "faith_group", "church": "faith_group", "mosque": "faith_group", "school": "school",
                    "college": "school", "university": "school", "iag": "advisory_group", "nhs": "health_board",
                    "community": "community_group", "charity": "charity", "local authority": "council"})


def validate_row(job: ImportJob, line: int, row: list[str]) -> RowResult:
    values: dict[str, Any] = _mapped(job, row)
    result = RowResult(line=line, values=values)
    if job.kind == ImportJob.Kind.PEOPLE:
        if not values.get("full_name"):
            values["full_name"] = " ".join(filter(None, [values.get("first_name"), values.get("last_name")]))
        if not values["full_name"]:
            result.errors.append("no name")
        channel = values.get("preferred_channel", "").lower()
        if channel:
            matches = [v for v, label in ContactChannel.choices if channel in (v, str(label).lower())]
            if not matches:
                result.errors.append(f"preferred channel '{values['preferred_channel']}' is not one of email, "
                                     "text message, phone call, post")
            else:
                values["preferred_channel"] = matches[0]
    else:
        if not values.get("name"):
            result.errors.append("no name")
        kind = _KIND_WORDS.get(values.get("kind", "").lower())
        if kind is None:
            result.errors.append(f"type '{values.get('kind', '')}' is not a known organisation type")
        else:
            values["kind"] = kind
        if values.get("website"):
            try:
                URLValidator()(values["website"])
            except ValidationError:
                result.errors.append(f"'{values['website']}' is not a web address")
    if values.get("email"):
        try:
            validate_email(values["email"])
            values["email"] = dedupe.normalise_email(values["email"])
        except ValidationError:
            result.errors.append(f"'{values['email']}' is not an email address")
    if values.get("postcode"):
        postcode = normalise_postcode(values["postcode"])
        if postcode is None:
            result.errors.append(f"'{values['postcode']}' is not a postcode")
        else:
            values["postcode"] = postcode
    return result


def check_rows(job: ImportJob) -> list[RowResult]:
    """Validate every row and find duplicates, in the database (people in the import's area) and within the file."""
    results = []
    seen_emails: dict[str, int] = {}
    candidates = Person.objects.current()
    for offset, row in enumerate(job.rows):
        result = validate_row(job, offset + 2, row)  # line 1 is the header
        if job.kind == ImportJob.Kind.PEOPLE and not result.errors:
            email = result.values.get("email", "")
            if email and email in seen_emails:
                result.skip = True
                result.duplicate_reason = f"same email address as line {seen_emails[email]}"
            else:
                existing, reason = find_existing(email, result.values["full_name"], result.values.get("postcode", ""),
                                                 candidates)
                if existing is not None:
                    result.duplicate_of, result.duplicate_reason = existing.pk, reason or ""
                    result.skip = reason == "same email address"
            if email:
                seen_emails.setdefault(email, result.line)
        results.append(result)
    return results


@dataclass
class Preview:
    rows: list[RowResult]
    total: int
    errors: list[RowResult]
    duplicates: list[RowResult]

    @property
    def importable(self) -> int:
        return sum(1 for r in self.rows if not r.errors and not r.skip)


def preview(job: ImportJob) -> Preview:
    results = check_rows(job)
    return Preview(rows=results, total=len(results), errors=[r for r in results if r.errors],
                   duplicates=[r for r in results if r.duplicate_of or r.skip])


def start_import(actor: Any, job: ImportJob) -> Any:
    from byconsent.core import tasks

    require(actor, MANAGE_SEGMENTS, job.area)
    if job.status != ImportJob.Status.MAPPED:
        raise ValidationError("Map the columns first")
    with transaction.atomic():
        progress = tasks.start(f"Import {job.get_kind_display().lower()} from {job.filename}",
                               "byconsent.people.tasks.import_task", {"job": job.pk}, requested_by=actor,
                               area=job.area)
        job.status = ImportJob.Status.RUNNING
        job.progress = progress
        job.save(update_fields=["status", "progress"])
    return progress


def run_import(job: ImportJob, actor: Any, report: Any = None) -> dict[str, Any]:
    """Import the good rows; return counts and every left-out line with its reason (rows are then discarded)."""
    results = check_rows(job)
    created = 0
    possible_duplicates: list[str] = []
    left_out: list[str] = []
    chunk = 200
    for start in range(0, len(results), chunk):
        with transaction.atomic():
            for result in results[start:start + chunk]:
                if result.errors:
                    left_out.append(f"Line {result.line}: {'; '.join(result.errors)}")
                    continue
                if result.skip:
                    target = f"person #{result.duplicate_of}" if result.duplicate_of else "an earlier line"
                    left_out.append(f"Line {result.line}: not imported, {result.duplicate_reason} ({target})")
                    continue
                record = _create(job, result, actor)
                created += 1
                if result.duplicate_of:
                    possible_duplicates.append(f"Line {result.line}: imported as #{record.pk}, "
                                               f"{result.duplicate_reason} as person #{result.duplicate_of}")
        if report is not None:
            done = min(start + chunk, len(results))
            report(done / max(1, len(results)), f"{done} of {len(results)} rows")
    counts = {"created": created, "left out": len(left_out), "possible duplicates": len(possible_duplicates)}
    with transaction.atomic():
        job.status = ImportJob.Status.DONE
        job.rows = []  # the uploaded data is not kept once imported
        job.outcome = {**counts, "lines left out": left_out, "duplicates to check": possible_duplicates}
        job.save()
        audit.record(actor or "import", "import.finished", job, after=counts)
    # What the task page shows (core's page lists an "errors" key as "nothing was imported", so none is used);
    # the import's own page lists every line.
    return {**counts, "details": f"/staff/people/import/{job.pk}/preview/"}


def _area_for(job: ImportJob, postcode: str) -> Area:
    found = find_area(postcode) if postcode else None
    return found if found is not None and found.is_within(job.area) else job.area


def _create(job: ImportJob, result: RowResult, actor: Any) -> Any:
    values = result.values
    if job.kind == ImportJob.Kind.ORGANISATIONS:
        organisation = Organisation.objects.create(
            name=values["name"][:200], kind=values["kind"], area=_area_for(job, values.get("postcode", "")),
            email=values.get("email", ""), phone=values.get("phone", "")[:40], address=values.get("address", ""),
            postcode=values.get("postcode", ""), website=values.get("website", ""), notes=values.get("notes", ""))
        audit.record(actor or "import", "organisation.imported", organisation, after={"import": job.pk})
        return organisation
    person = Person.objects.create(
        full_name=values["full_name"][:200], email=values.get("email", ""), phone=values.get("phone", "")[:40],
        address=values.get("address", ""), postcode=values.get("postcode", ""),
        preferred_language=_language(values.get("preferred_language", "")),
        preferred_channel=values.get("preferred_channel") or ContactChannel.EMAIL,
        accessibility_needs=values.get("accessibility_needs", ""), area=_area_for(job, values.get("postcode", "")))
    names = [n.strip() for n in values.get("interests", "").split(";") if n.strip()]
    if names:
        person.interests.set([Interest.objects.get_or_create(name=n[:100])[0] for n in names])
    if values.get("organisation"):
        member_of = Organisation.objects.filter(name__iexact=values["organisation"],
                                                area__path__startswith=job.area.path).first()
        if member_of is not None:
            Membership.objects.get_or_create(person=person, organisation=member_of,
                                             defaults={"role": values.get("organisation_role", "")[:100]})
    if job.purpose is not None:
        agreed = values.get("consent", "").strip().lower() in YES
        if job.lawful_basis != LawfulBasis.CONSENT or agreed:
            ConsentRecord.objects.create(person=person, purpose=job.purpose, lawful_basis=job.lawful_basis,
                                         source=job.consent_source or "import", wording=job.consent_wording,
                                         recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit.record(actor or "import", "person.imported", person, after={"import": job.pk, "line": result.line})
    return person


def _language(value: str) -> str:
    value = value.strip().lower()
    return {"english": "en-gb", "en": "en-gb", "welsh": "cy", "cymraeg": "cy", "gaelic": "gd",
            "gàidhlig": "gd"}.get(value, value if value in {"en-gb", "cy", "gd"} else "en-gb")
