"""The workspace's personal data, for the privacy registry.

Coders and analysts are staff. Their coding records, and every other workspace row that names them (the sets,
codebooks, runs, uploads, population tables, weighting runs, "who we heard from" comparisons and crime imports they
created, signed off or accepted), are the force's analytic record: the export lists them, and erasure keeps them
linked to the account, which core anonymises, so agreement figures and "who did what" stay true. Only the free-text
notes coders wrote are removed. Uploaded responses carry respondent ids chosen by the uploader, never names or
contact details; demographic answers in them are stored encrypted and are not the uploader's personal data, so the
export names an upload without its rows. A comparison's figures describe participants, not the analyst: the export
gives its inputs, not its result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from byconsent.core.privacy import PrivacyHandler


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _area(row: Any) -> str:
    return str(row.area.name) if getattr(row, "area", None) is not None else ""


def _named_rows(person: Any) -> dict[str, list[dict[str, Any]]]:
    """Every workspace row that names the person (other than codings and suggestion decisions), by kind."""
    from byconsent.insights.models import (
        AutoCodingRun,
        Codebook,
        ContributionSet,
        CrimeImport,
        HeardComparison,
        PopulationTargets,
        ResponseUpload,
        ThemeRun,
        WeightingRun,
    )

    def rows(queryset: Any, describe: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"id": row.pk, **describe(row)} for row in queryset.order_by("pk")]

    return {
        "contribution_sets_created": rows(
            ContributionSet.objects.filter(created_by=person).select_related("area"),
            lambda r: {"name": r.name, "area": _area(r), "created_at": _when(r.created_at)}),
        "codebooks_created": rows(
            Codebook.objects.filter(created_by=person).select_related("area"),
            lambda r: {"name": r.name, "area": _area(r), "created_at": _when(r.created_at)}),
        "theme_runs_started": rows(
            ThemeRun.objects.filter(created_by=person).select_related("contribution_set"),
            lambda r: {"set": r.contribution_set.name, "status": r.status, "created_at": _when(r.created_at)}),
        "theme_runs_signed_off": rows(
            ThemeRun.objects.filter(signed_off_by=person).select_related("contribution_set"),
            lambda r: {"set": r.contribution_set.name, "signed_off_at": _when(r.signed_off_at)}),
        "code_suggestion_runs_started": rows(
            AutoCodingRun.objects.filter(created_by=person).select_related("contribution_set"),
            lambda r: {"set": r.contribution_set.name, "status": r.status, "created_at": _when(r.created_at)}),
        "response_files_uploaded": rows(
            ResponseUpload.objects.filter(created_by=person).select_related("area").defer("rows"),
            lambda r: {"name": r.name, "area": _area(r), "rows": r.row_count, "created_at": _when(r.created_at)}),
        "population_tables_saved": rows(
            PopulationTargets.objects.filter(created_by=person).select_related("area"),
            lambda r: {"name": r.name, "area": _area(r), "source": r.source, "created_at": _when(r.created_at)}),
        "weighting_runs": rows(
            WeightingRun.objects.filter(created_by=person).select_related("targets"),
            lambda r: {"responses": r.source_label, "targets": r.targets.name, "status": r.status,
                       "created_at": _when(r.created_at)}),
        "weights_accepted": rows(
            WeightingRun.objects.filter(accepted_by=person).select_related("targets"),
            lambda r: {"responses": r.source_label, "targets": r.targets.name, "accepted_at": _when(r.accepted_at)}),
        "heard_comparisons": rows(
            HeardComparison.objects.filter(created_by=person).select_related("area").prefetch_related("targets"),
            lambda r: {"area": _area(r), "participants": r.source_label, "filters": r.filters,
                       "population_tables": [t.name for t in r.targets.all()], "status": r.status,
                       "created_at": _when(r.created_at), "finished_at": _when(r.finished_at)}),
        "crime_imports": rows(
            CrimeImport.objects.filter(created_by=person).select_related("area"),
            lambda r: {"file": r.file_name, "force": _area(r), "status": r.status,
                       "created_at": _when(r.created_at)}),
    }


def _export(person: Any) -> dict[str, Any]:
    from byconsent.insights.models import CodeSuggestion, CodingRecord

    records = CodingRecord.objects.filter(coder=person).select_related("codebook").prefetch_related("codes")
    return {
        "codings": [{"contribution": r.contribution_id, "codebook": r.codebook.name,
                     "codes": [c.label for c in r.codes.all()], "coded_at": r.coded_at.isoformat()}
                    for r in records],
        "suggestion_decisions": [{"contribution": s.contribution_id, "code": s.code.label, "status": s.status}
                                 for s in CodeSuggestion.objects.filter(decided_by=person).select_related("code")],
        **_named_rows(person),
    }


def _erase(person: Any) -> int:
    from byconsent.insights.models import CodingRecord

    # Kept (see module docstring), linked to the anonymised account; only the free-text notes a coder wrote go.
    return int(CodingRecord.objects.filter(coder=person).exclude(note="").update(note=""))


def handler() -> PrivacyHandler:
    return PrivacyHandler("insights", "Analysis workspace: codes applied by a coder, their decisions, and the sets, "
                          "runs, tables, comparisons and imports they created", _export, _erase)
