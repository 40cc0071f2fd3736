"""Every write of the analysis workspace: each function checks permission, owns its transaction, writes an audit
entry and is safe to repeat. Views, tasks and the CLI call these; nothing else writes insights rows."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from byconsent.core import audit, tasks
from byconsent.core.models import Area, Contribution
from byconsent.core.policy import Action, can, can_force_wide, require, scope
from byconsent.engines import weighting
from byconsent.engines.representativeness import RepresentativenessError, read_census_csv
from byconsent.engines.themes import ThemeSettings, discover_themes, embed_texts, make_embedder, suggest_codes
from byconsent.insights import crime as crime_csv
from byconsent.insights.models import (
    AutoCodingRun,
    Code,
    Codebook,
    CodeSuggestion,
    CodingRecord,
    ContributionSet,
    CrimeImport,
    CrimeRecord,
    PopulationTargets,
    ProposedTheme,
    ResponseUpload,
    ThemeRun,
    WeightingRun,
)
from byconsent.insights.responses import ResponseDataError, load_source, parse_response_csv

Report = Callable[[float, str], None]
EMBEDDERS = ("fast", "minilm")


class WorkspaceError(ValueError):
    """A request the workspace cannot carry out, with a message meant for the analyst."""


def _no_report(fraction: float, message: str) -> None:
    return None


# ---- contribution sets and codebooks ------------------------------------------------------------------------------

def create_contribution_set(actor: Any, *, name: str, area: Area, source: Any = None, date_from: date | None = None,
                            date_to: date | None = None, channels: Sequence[str] = (),
                            codebook: Codebook | None = None, source_key: str = "",
                            source_label: str = "") -> ContributionSet:
    """``source`` (a model instance) or ``source_key`` (a choice from insights.sources) limits the set to what
    was said in reply to one consultation, survey or event."""
    require(actor, Action.ANALYSE, area)
    if codebook is not None:
        require(actor, Action.ANALYSE, codebook)
    if date_from and date_to and date_from > date_to:
        raise WorkspaceError("The start date must be on or before the end date.")
    with transaction.atomic():
        chosen = ContributionSet.objects.create(
            name=name, area=area, date_from=date_from, date_to=date_to, channels=list(channels), codebook=codebook,
            source_type=ContentType.objects.get_for_model(source) if source is not None else None,
            source_id=str(source.pk) if source is not None else "", source_key=source_key,
            source_label=source_label[:300], created_by=actor)
        audit.record(actor, "insights.set_created", chosen, after=audit.snapshot(chosen))
    return chosen


def set_codebook(actor: Any, contribution_set: ContributionSet, codebook: Codebook | None) -> ContributionSet:
    require(actor, Action.ANALYSE, contribution_set)
    if codebook is not None:
        require(actor, Action.ANALYSE, codebook)
    with transaction.atomic():
        before = contribution_set.codebook_id
        contribution_set.codebook = codebook
        contribution_set.save(update_fields=["codebook"])
        audit.record(actor, "insights.set_codebook_changed", contribution_set, before={"codebook": before},
                     after={"codebook": codebook.pk if codebook else None})
    return contribution_set


def create_codebook(actor: Any, *, name: str, area: Area, description: str = "") -> Codebook:
    require(actor, Action.ANALYSE, area)
    with transaction.atomic():
        codebook = Codebook.objects.create(name=name, area=area, description=description, created_by=actor)
        audit.record(actor, "insights.codebook_created", codebook, after=audit.snapshot(codebook))
    return codebook


def save_code(actor: Any, codebook: Codebook, *, label: str, description: str = "", parent: Code | None = None,
              code: Code | None = None) -> Code:
    """Add a code, or change one (``code``). Labels are unique within a codebook; parents may not form a loop."""
    require(actor, Action.ANALYSE, codebook)
    label = label.strip()
    if not label:
        raise WorkspaceError("Enter a label for the code.")
    if parent is not None and parent.codebook_id != codebook.pk:
        raise WorkspaceError("The parent code must belong to the same codebook.")
    clash = Code.objects.filter(codebook=codebook, label__iexact=label)
    if code is not None:
        clash = clash.exclude(pk=code.pk)
    if clash.exists():
        raise WorkspaceError(f"The codebook already has a code called “{label}”.")
    if code is not None and parent is not None:
        ancestor: Code | None = parent
        while ancestor is not None:
            if ancestor.pk == code.pk:
                raise WorkspaceError("A code cannot sit beneath itself or one of its own children.")
            ancestor = ancestor.parent
    with transaction.atomic():
        if code is None:
            position = Code.objects.filter(codebook=codebook).count()
            code = Code.objects.create(codebook=codebook, label=label, description=description, parent=parent,
                                       position=position)
            audit.record(actor, "insights.code_added", code, after=audit.snapshot(code))
        else:
            before = audit.snapshot(code)
            code.label, code.description, code.parent = label, description, parent
            code.save()
            audit.record(actor, "insights.code_changed", code, before=before, after=audit.snapshot(code))
    return code


# ---- coding ------------------------------------------------------------------------------------------------------

def save_coding(actor: Any, contribution: Contribution, codebook: Codebook, codes: Iterable[Code],
                note: str = "", resolve_suggestions: bool = False) -> CodingRecord:
    """Record the actor's own codes for one contribution (replacing their earlier ones). No codes = "none apply"."""
    require(actor, Action.ANALYSE, codebook)
    require(actor, Action.VIEW_CONTRIBUTIONS, contribution)
    chosen = list(codes)
    if any(code.codebook_id != codebook.pk for code in chosen):
        raise WorkspaceError("Every code must come from the codebook being used.")
    with transaction.atomic():
        record, created = CodingRecord.objects.get_or_create(
            contribution=contribution, codebook=codebook, coder=actor)
        before = None if created else sorted(record.codes.values_list("pk", flat=True))
        record.codes.set(chosen)
        record.note = note[:500]
        record.coded_at = timezone.now()
        record.save(update_fields=["note", "coded_at"])
        after = sorted(code.pk for code in chosen)
        if before != after or created:
            audit.record(actor, "insights.coded", record, before={"codes": before} if before is not None else None,
                         after={"contribution": contribution.pk, "codes": after})
        if resolve_suggestions:
            # The coder saw the pending suggestions beside the text: ticking a suggested code confirms it, leaving
            # it unticked rejects it. Either way a person decided.
            pending = CodeSuggestion.objects.filter(contribution=contribution, code__codebook=codebook,
                                                    status=CodeSuggestion.Status.PENDING)
            for suggestion in pending:
                accepted = suggestion.code_id in after
                suggestion.status = CodeSuggestion.Status.ACCEPTED if accepted else CodeSuggestion.Status.REJECTED
                suggestion.decided_by = actor
                suggestion.decided_at = timezone.now()
                suggestion.save(update_fields=["status", "decided_by", "decided_at"])
                audit.record(actor, "insights.suggestion_" + ("accepted" if accepted else "rejected"), suggestion,
                             after={"contribution": contribution.pk, "code": suggestion.code_id,
                                    "source": suggestion.source_label})
    return record


def decide_suggestion(actor: Any, suggestion: CodeSuggestion, accept: bool) -> CodeSuggestion:
    """Confirm (the code joins the actor's own coding of that contribution) or reject a suggestion. A decided
    suggestion stays decided: repeating the request changes nothing."""
    require(actor, Action.ANALYSE, suggestion)
    require(actor, Action.VIEW_CONTRIBUTIONS, suggestion.contribution)
    with transaction.atomic():
        suggestion = CodeSuggestion.objects.select_for_update().select_related("code__codebook").get(
            pk=suggestion.pk)
        if suggestion.status != CodeSuggestion.Status.PENDING:
            return suggestion
        if accept:
            codebook = suggestion.code.codebook
            record, _created = CodingRecord.objects.get_or_create(
                contribution=suggestion.contribution, codebook=codebook, coder=actor)
            record.codes.add(suggestion.code)
            record.coded_at = timezone.now()
            record.save(update_fields=["coded_at"])
        suggestion.status = CodeSuggestion.Status.ACCEPTED if accept else CodeSuggestion.Status.REJECTED
        suggestion.decided_by = actor
        suggestion.decided_at = timezone.now()
        suggestion.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(actor, "insights.suggestion_" + ("accepted" if accept else "rejected"), suggestion,
                     after={"contribution": suggestion.contribution_id, "code": suggestion.code_id,
                            "source": suggestion.source_label})
    return suggestion


# ---- theme discovery -----------------------------------------------------------------------------------------------

def visible_contribution_ids(actor: Any, contribution_set: ContributionSet) -> list[int]:
    queryset = scope(actor, Action.VIEW_CONTRIBUTIONS, contribution_set.contributions())
    return list(queryset.values_list("pk", flat=True))


def start_theme_run(actor: Any, contribution_set: ContributionSet, *, n_themes: int | None = None, seed: int = 0,
                    embedder: str = "fast") -> ThemeRun:
    require(actor, Action.ANALYSE, contribution_set)
    if embedder not in EMBEDDERS:
        raise WorkspaceError(f"Unknown embedder {embedder!r}.")
    ids = visible_contribution_ids(actor, contribution_set)
    if len(ids) < 3:
        raise WorkspaceError("Theme discovery needs at least 3 contributions in the set.")
    if n_themes is not None and not 2 <= n_themes <= min(30, len(ids)):
        raise WorkspaceError("Choose between 2 and 30 themes (and no more than there are contributions).")
    with transaction.atomic():
        run = ThemeRun.objects.create(contribution_set=contribution_set, area=contribution_set.area,
                                      n_themes=n_themes, seed=seed, embedder=embedder, contribution_ids=ids,
                                      created_by=actor)
        progress = tasks.start(f"Theme discovery: {contribution_set.name}",
                               "byconsent.insights.tasks.theme_discovery_task", {"run_id": run.pk},
                               requested_by=actor, area=contribution_set.area)
        run.task = progress
        run.save(update_fields=["task"])
        audit.record(actor, "insights.theme_run_started", run,
                     after={**run.parameters(), "contributions": len(ids)})
    return run


def _texts(ids: Sequence[int]) -> list[str]:
    found = Contribution.objects.in_bulk(list(ids))
    return [found[i].text if i in found else "" for i in ids]


def execute_theme_run(run: ThemeRun, report: Report = _no_report) -> dict[str, Any]:
    """The task's work: embed, cluster, label; store the proposals for review. Re-running replaces proposals."""
    ThemeRun.objects.filter(pk=run.pk).update(status=ThemeRun.Status.RUNNING, error="")
    try:
        report(0.05, "Reading contributions")
        ids = list(run.contribution_ids)
        texts = _texts(ids)
        report(0.15, f"Embedding {len(texts)} contributions ({run.embedder})")
        embedder = make_embedder(run.embedder, seed=run.seed)
        result = discover_themes(texts, embedder, ThemeSettings(n_themes=run.n_themes, seed=run.seed))
        report(0.85, f"Found {len(result.themes)} themes; saving them for review")
    except Exception as error:
        ThemeRun.objects.filter(pk=run.pk).update(status=ThemeRun.Status.FAILED, error=str(error)[:2000])
        raise
    with transaction.atomic():
        run.themes.all().delete()
        for theme in result.themes:
            members = [ids[row] for row, assigned in enumerate(result.assignments) if assigned == theme.id]
            ProposedTheme.objects.create(
                run=run, position=theme.id, label=theme.label[:200], original_label=theme.label[:200],
                keywords=theme.keywords, example_ids=[ids[row] for row in theme.example_rows],
                contribution_ids=members)
        run.embedder_backend = result.embedder.backend
        run.model_version = result.embedder.model_version
        run.method = f"{result.method} (byconsent {_package_version()})"[:300]
        run.score_by_k = {str(k): round(v, 6) for k, v in result.score_by_k.items()}
        run.blank_ids = [ids[row] for row in result.blank_rows]
        run.unassigned_ids = [ids[row] for row in result.unassigned_rows]
        run.status = ThemeRun.Status.REVIEW
        run.error = ""
        run.save()
        audit.record("system", "insights.theme_run_finished", run,
                     after={"themes": len(result.themes), "model_version": run.model_version})
    return {"themes": len(result.themes), "contributions": len(ids), "no clear theme": len(result.unassigned_rows)}


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("byconsent")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
        return "source"


def _reviewable(actor: Any, run: ThemeRun) -> None:
    require(actor, Action.ANALYSE, run)
    if run.status != ThemeRun.Status.REVIEW:
        raise WorkspaceError("Only a run awaiting review can be changed.")


def rename_theme(actor: Any, theme: ProposedTheme, label: str, description: str = "") -> ProposedTheme:
    _reviewable(actor, theme.run)
    label = label.strip()
    if not label:
        raise WorkspaceError("Enter a name for the theme.")
    with transaction.atomic():
        before = {"label": theme.label, "description": theme.description}
        theme.label, theme.description = label[:200], description
        theme.save(update_fields=["label", "description"])
        audit.record(actor, "insights.theme_renamed", theme, before=before,
                     after={"label": theme.label, "description": description})
    return theme


def discard_theme(actor: Any, theme: ProposedTheme, discard: bool = True) -> ProposedTheme:
    _reviewable(actor, theme.run)
    allowed = ProposedTheme.Status.PROPOSED if discard else ProposedTheme.Status.DISCARDED
    if theme.status != allowed:
        return theme
    with transaction.atomic():
        theme.status = ProposedTheme.Status.DISCARDED if discard else ProposedTheme.Status.PROPOSED
        theme.save(update_fields=["status"])
        audit.record(actor, "insights.theme_" + ("discarded" if discard else "restored"), theme,
                     after={"status": theme.status})
    return theme


def merge_themes(actor: Any, themes: Sequence[ProposedTheme], label: str = "") -> ProposedTheme:
    """Merge two or more themes into the first; the others stay on record as merged into it."""
    if len({t.pk for t in themes}) < 2:
        raise WorkspaceError("Choose at least two themes to merge.")
    run = themes[0].run
    _reviewable(actor, run)
    if any(t.run_id != run.pk or t.status != ProposedTheme.Status.PROPOSED for t in themes):
        raise WorkspaceError("Only proposed themes of the same run can be merged.")
    target, others = themes[0], list(themes[1:])
    with transaction.atomic():
        members = list(dict.fromkeys([i for t in themes for i in t.contribution_ids]))
        target.contribution_ids = members
        target.keywords = list(dict.fromkeys([k for t in themes for k in t.keywords]))[:15]
        target.example_ids = list(dict.fromkeys([i for t in themes for i in t.example_ids]))[:6]
        if label.strip():
            target.label = label.strip()[:200]
        target.save()
        for other in others:
            other.status = ProposedTheme.Status.MERGED
            other.merged_into = target
            other.save(update_fields=["status", "merged_into"])
        audit.record(actor, "insights.themes_merged", target,
                     after={"into": target.pk, "merged": [t.pk for t in others], "label": target.label})
    return target


def split_theme(actor: Any, theme: ProposedTheme, parts: int = 2) -> list[ProposedTheme]:
    """Split a theme by running discovery again on its members only (same embedder and seed as the run).
    Members the sub-run finds no clear place for go to a part of their own, so nobody is lost."""
    run = theme.run
    _reviewable(actor, run)
    if theme.status != ProposedTheme.Status.PROPOSED:
        raise WorkspaceError("Only a proposed theme can be split.")
    ids = list(theme.contribution_ids)
    if not 2 <= parts <= 10 or len(ids) < parts * 2:
        raise WorkspaceError("A theme needs at least two contributions per part to be split.")
    texts = _texts(ids)
    result = discover_themes(texts, make_embedder(run.embedder, seed=run.seed),
                             ThemeSettings(n_themes=parts, seed=run.seed, min_themes=2))
    groups: list[tuple[str, list[str], list[int], list[int]]] = []
    for sub in result.themes:
        members = [ids[row] for row, assigned in enumerate(result.assignments) if assigned == sub.id]
        groups.append((sub.label, sub.keywords, [ids[row] for row in sub.example_rows], members))
    rest = [ids[row] for row, assigned in enumerate(result.assignments) if assigned is None]
    if rest:
        groups.append((f"{theme.label} (other)", [], rest[:3], rest))
    if len(groups) < 2:
        raise WorkspaceError("These contributions could not be split further.")
    with transaction.atomic():
        position = run.themes.count()
        created = []
        for offset, (label, keywords, examples, members) in enumerate(groups):
            created.append(ProposedTheme.objects.create(
                run=run, position=position + offset, label=label[:200], original_label=label[:200],
                keywords=keywords, example_ids=examples, contribution_ids=members, split_from=theme))
        theme.status = ProposedTheme.Status.SPLIT
        theme.save(update_fields=["status"])
        audit.record(actor, "insights.theme_split", theme, after={"into": [t.pk for t in created]})
    return created


def sign_off_theme_run(actor: Any, run: ThemeRun, codebook: Codebook, parent: Code | None = None) -> ThemeRun:
    """The reviewer's sign-off: every proposed (not discarded or merged) theme becomes a code in ``codebook``
    (an existing code of the same name is reused), and its members become *suggestions* of that code, to be
    confirmed contribution by contribution. Nothing is coded without a person's confirmation."""
    require(actor, Action.ANALYSE, run)
    require(actor, Action.ANALYSE, codebook)
    if run.status == ThemeRun.Status.SIGNED_OFF:
        return run
    _reviewable(actor, run)
    with transaction.atomic():
        run = ThemeRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ThemeRun.Status.REVIEW:
            return run
        accepted = list(run.themes.filter(status=ProposedTheme.Status.PROPOSED))
        if not accepted:
            raise WorkspaceError("Every theme has been discarded: there is nothing to sign off.")
        for theme in accepted:
            code = Code.objects.filter(codebook=codebook, label__iexact=theme.label).first()
            if code is None:
                code = Code.objects.create(codebook=codebook, label=theme.label, parent=parent,
                                           description=theme.description or "Keywords: " + ", ".join(theme.keywords),
                                           position=Code.objects.filter(codebook=codebook).count())
                audit.record(actor, "insights.code_added", code, after=audit.snapshot(code))
            theme.code = code
            theme.save(update_fields=["code"])
            pending = set(CodeSuggestion.objects.filter(code=code, status=CodeSuggestion.Status.PENDING)
                          .values_list("contribution_id", flat=True))
            CodeSuggestion.objects.bulk_create([
                CodeSuggestion(contribution_id=cid, code=code, theme_run=run)
                for cid in theme.contribution_ids if cid not in pending
            ])
        run.status = ThemeRun.Status.SIGNED_OFF
        run.codebook = codebook
        run.signed_off_by = actor
        run.signed_off_at = timezone.now()
        run.save(update_fields=["status", "codebook", "signed_off_by", "signed_off_at"])
        audit.record(actor, "insights.theme_run_signed_off", run,
                     after={"codebook": codebook.pk, "codes": [t.code_id for t in accepted]})
    return run


# ---- auto-coding ---------------------------------------------------------------------------------------------------

def start_autocoding(actor: Any, contribution_set: ContributionSet, embedder: str = "fast",
                     seed: int = 0) -> AutoCodingRun:
    require(actor, Action.ANALYSE, contribution_set)
    if contribution_set.codebook is None:
        raise WorkspaceError("Choose a codebook for this set first.")
    if embedder not in EMBEDDERS:
        raise WorkspaceError(f"Unknown embedder {embedder!r}.")
    ids = visible_contribution_ids(actor, contribution_set)
    with transaction.atomic():
        run = AutoCodingRun.objects.create(contribution_set=contribution_set, codebook=contribution_set.codebook,
                                           area=contribution_set.area, embedder=embedder, seed=seed,
                                           contribution_ids=ids, created_by=actor)
        progress = tasks.start(f"Suggest codes: {contribution_set.name}",
                               "byconsent.insights.tasks.autocoding_task", {"run_id": run.pk},
                               requested_by=actor, area=contribution_set.area)
        run.task = progress
        run.save(update_fields=["task"])
        audit.record(actor, "insights.autocoding_started", run, after={"contributions": len(ids)})
    return run


def execute_autocoding(run: AutoCodingRun, report: Report = _no_report) -> dict[str, Any]:
    """Learn from every coder's coding of the set (a code counts when any coder applied it) and store pending
    suggestions for the uncoded contributions."""
    ids = list(run.contribution_ids)
    coded: dict[int, set[str]] = {}
    # Filtered in Python rather than with a huge IN list (SQLite limits the number of query parameters).
    records = CodingRecord.objects.filter(codebook=run.codebook).prefetch_related("codes")
    row_of = {cid: row for row, cid in enumerate(ids)}
    for record in records:
        if record.contribution_id in row_of:
            coded.setdefault(row_of[record.contribution_id], set()).update(str(c.pk) for c in record.codes.all())
    codebook = [str(code.pk) for code in run.codebook.codes.filter(active=True)]
    report(0.1, f"Embedding {len(ids)} contributions")
    embedder = make_embedder(run.embedder, seed=run.seed)
    embedded = embed_texts(_texts(ids), embedder)
    import numpy as np

    vectors = np.zeros((len(ids), embedded.vectors.shape[1] if len(embedded.rows) else 1), dtype=np.float32)
    if embedded.rows:
        vectors[embedded.rows] = embedded.vectors
    report(0.5, f"Learning {len(codebook)} codes from {len(coded)} coded contributions")
    result = suggest_codes(vectors, coded, codebook)
    codes = {str(code.pk): code for code in run.codebook.codes.all()}
    labels = {key: code.label for key, code in codes.items()}
    with transaction.atomic():
        pending = set(CodeSuggestion.objects.filter(status=CodeSuggestion.Status.PENDING,
                                                    code__codebook=run.codebook)
                      .values_list("contribution_id", "code_id"))
        new = [CodeSuggestion(contribution_id=ids[row], code=codes[s.code], confidence=round(s.confidence, 4),
                              autocoding_run=run)
               for row, suggestions in result.suggestions.items() for s in suggestions
               if (ids[row], int(s.code)) not in pending]
        CodeSuggestion.objects.bulk_create(new)
        run.model_version = f"{embedder.backend}: {embedder.model_version}; one-vs-rest logistic regression"
        run.code_report = [{"code": labels.get(c.code, c.code), "examples": c.examples, "trained": c.trained,
                            "threshold": c.threshold, "f1": c.cross_validated_f1} for c in result.codes]
        run.status = ThemeRun.Status.REVIEW
        run.save(update_fields=["model_version", "code_report", "status"])
        audit.record("system", "insights.autocoding_finished", run, after={"suggestions": len(new)})
    return {"suggestions": len(new), "coded contributions": result.coded_rows}


# ---- responses, targets and weighting -------------------------------------------------------------------------------

def upload_responses(actor: Any, *, name: str, area: Area, csv_text: str,
                     demographic_columns: Sequence[str] = ()) -> ResponseUpload:
    require(actor, Action.ANALYSE, area)
    try:
        parsed = parse_response_csv(csv_text, demographic_columns or None)
    except ResponseDataError as error:
        raise WorkspaceError(str(error)) from error
    with transaction.atomic():
        upload = ResponseUpload.objects.create(name=name, area=area, questions=parsed.questions,
                                               demographics=parsed.demographics, has_weight=parsed.has_weight,
                                               rows=parsed.rows,  # type: ignore[misc]
                                               row_count=len(parsed.rows), created_by=actor)
        audit.record(actor, "insights.responses_uploaded", upload,
                     after={"rows": len(parsed.rows), "questions": parsed.questions,
                            "demographics": parsed.demographics})
    return upload


def parse_targets_csv(text: str) -> dict[str, dict[str, float]]:
    """variable,category,proportion (a header line is required); proportions may be shares or percentages."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not {"variable", "category", "proportion"} <= set(header):
        raise WorkspaceError("The targets file needs the columns variable, category and proportion.")
    targets: dict[str, dict[str, float]] = {}
    errors: list[str] = []
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        try:
            share = float(row["proportion"].rstrip("%"))
        except ValueError:
            errors.append(f"Line {line}: proportion {row['proportion']!r} is not a number")
            continue
        if not row["variable"] or not row["category"]:
            errors.append(f"Line {line}: variable and category are both needed")
            continue
        if row["category"] in targets.get(row["variable"], {}):
            errors.append(f"Line {line}: {row['variable']} / {row['category']} appears twice")
            continue
        targets.setdefault(row["variable"], {})[row["category"]] = share
    for variable, shares in targets.items():
        if sum(shares.values()) > 1.5:  # percentages
            targets[variable] = {c: s / 100.0 for c, s in shares.items()}
    if errors:
        raise WorkspaceError("; ".join(errors[:20]))
    try:
        return {v: {str(c): s for c, s in shares.items()} for v, shares in weighting.validate_targets(targets).items()}
    except weighting.WeightingError as error:
        raise WorkspaceError(str(error)) from error


def save_targets(actor: Any, *, name: str, area: Area, targets: dict[str, dict[str, float]],
                 source: str) -> PopulationTargets:
    require(actor, Action.ANALYSE, area)
    with transaction.atomic():
        saved = PopulationTargets.objects.create(name=name, area=area, targets=targets, source=source[:200],
                                                 created_by=actor)
        audit.record(actor, "insights.targets_saved", saved, after={"targets": targets, "source": source})
    return saved


def targets_from_census(csv_text: str, variable: str, area: Area, level: int = 1) -> dict[str, dict[str, float]]:
    """Population shares for one characteristic from a census CSV (ONS bulk or Scotland's Census layout), summed
    over the area's LSOA / data zone codes when the file has them, else over every area in the file."""
    handle, path = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(csv_text)
        counts = read_census_csv(path, characteristic=variable, level=level)
    except RepresentativenessError as error:
        raise WorkspaceError(str(error)) from error
    finally:
        os.unlink(path)
    zones = {code for a in area.subtree() for code in a.zone_codes}
    chosen = [code for code in counts.counts if code in zones or code == area.code]
    population = counts.population(chosen or None)
    total = sum(population.values())
    if total <= 0:
        raise WorkspaceError("The census file has no population for these categories.")
    return {variable: {category: count / total for category, count in population.items()}}


def single_characteristic_targets(
        targets: dict[str, dict[str, float]]) -> tuple[dict[str, dict[str, float]], list[str]]:
    """The variables raking can use (one characteristic each) and the joint ones it cannot (``age_band × sex``,
    from a joint census table or targets file: the responses have no column of that name). Their margins, when the
    table gives them, are variables of their own and are used."""
    from byconsent.insights.heard import split_joint

    singles = {variable: shares for variable, shares in targets.items() if len(split_joint(variable)) < 2}
    return singles, [variable for variable in targets if variable not in singles]


def run_weighting(actor: Any, *, source_key: str, targets: PopulationTargets, trim_lower: float | None = None,
                  trim_upper: float | None = None) -> WeightingRun:
    """Rake a response source to the targets and keep the report. A failure is kept too, with its reason."""
    require(actor, Action.ANALYSE, targets)
    try:
        table = load_source(actor, source_key)
    except LookupError as error:
        raise WorkspaceError("Those responses are not available to you.") from error
    run = WeightingRun(source_key=source_key, source_label=table.name[:200], targets=targets, area=targets.area,
                       trim_lower=trim_lower, trim_upper=trim_upper, created_by=actor)
    singles, skipped = single_characteristic_targets(targets.targets)
    try:
        if not singles:
            raise weighting.WeightingError(
                "this population table gives only characteristics in pairs (" + ", ".join(skipped) + "): raking "
                "needs one table per characteristic, such as age_band and sex on their own")
        data = {}
        for variable in singles:
            try:
                data[variable] = [value if value is not None else "(not answered)" for value in table.column(variable)]
            except ResponseDataError as error:
                raise weighting.WeightingError(
                    f"the responses have no column {variable!r} to match the target variable") from error
        trim = weighting.TrimBounds(trim_lower, trim_upper) if (trim_lower or trim_upper) else None
        result = weighting.rake(data, singles, base_weights=table.weights, trim=trim)
        run.weights = {rid: round(float(w), 8) for rid, w in zip(table.respondent_ids, result.weights, strict=True)}
        run.report = {
            "iterations": result.iterations, "converged": result.converged,
            "max_margin_error": result.max_margin_error, "design_effect": result.design_effect,
            "effective_sample_size": result.effective_sample_size, "respondents": table.size,
            "cells": result.cells, "trimmed": result.trimmed,
            "margins": [{"variable": m.variable, "category": str(m.category), "target": m.target,
                         "achieved": m.achieved, "respondents": m.respondents} for m in result.margins],
            "skipped": skipped,
        }
    except weighting.WeightingError as error:
        run.status = WeightingRun.Status.FAILED
        run.error = str(error)
        run.report = {"skipped": skipped}
    with transaction.atomic():
        run.save()
        audit.record(actor, "insights.weighting_run", run,
                     after={"status": run.status, "error": run.error,
                            **{k: v for k, v in run.report.items() if k != "margins"}})
    return run


def accept_weighting(actor: Any, run: WeightingRun) -> WeightingRun:
    require(actor, Action.ANALYSE, run)
    if run.status == WeightingRun.Status.ACCEPTED:
        return run
    if run.status != WeightingRun.Status.REVIEW:
        raise WorkspaceError("These weights could not be computed, so they cannot be used.")
    with transaction.atomic():
        run.status = WeightingRun.Status.ACCEPTED
        run.accepted_by = actor
        run.accepted_at = timezone.now()
        run.save(update_fields=["status", "accepted_by", "accepted_at"])
        audit.record(actor, "insights.weighting_accepted", run, after={"status": run.status})
    return run


# ---- who we heard from --------------------------------------------------------------------------------------------

def _heard_filters(source_key: str, filters: dict[str, Any] | None) -> dict[str, Any]:
    """Only the people register takes filters: contact kinds, channel, activity (a contact's source) and dates."""
    from byconsent.insights.heard import PARTICIPATION_KINDS, PEOPLE_SOURCE

    if source_key != PEOPLE_SOURCE or not filters:
        return {}
    kinds = sorted(k for k in (filters.get("kinds") or []) if k in PARTICIPATION_KINDS)
    cleaned: dict[str, Any] = {"kinds": kinds or sorted(PARTICIPATION_KINDS)}
    for name in ("channel", "activity"):
        if str(filters.get(name) or "").strip():
            cleaned[name] = str(filters[name]).strip()[:200]
    for name in ("date_from", "date_to"):
        value = filters.get(name)
        if value:
            cleaned[name] = value.isoformat() if isinstance(value, date) else str(value)
    if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
        raise WorkspaceError("The start date must be on or before the end date.")
    return cleaned


def start_heard_comparison(actor: Any, *, area: Area, source_key: str, targets: Sequence[PopulationTargets],
                           filters: dict[str, Any] | None = None) -> Any:
    """Queue a "who we heard from" comparison of a source's participants in ``area`` with population tables of
    that area. Submitting the same request again while it is waiting or running returns the same comparison."""
    import hashlib
    import json

    from byconsent.insights.heard import PEOPLE_SOURCE
    from byconsent.insights.models import HeardComparison
    from byconsent.insights.responses import sources_for

    require(actor, Action.ANALYSE, area)
    chosen = sorted(targets, key=lambda t: t.pk)
    if not chosen:
        raise WorkspaceError("Choose at least one population table.")
    for table in chosen:
        require(actor, Action.ANALYSE, table)
        if table.area_id != area.pk:
            raise WorkspaceError(f"“{table.name}” is the population of {table.area.name}, not of {area.name}: "
                                 "choose population tables for the area you compare.")
    cleaned = _heard_filters(source_key, filters)
    if source_key == PEOPLE_SOURCE:
        label = "People register: everyone who responded or attended"
    else:
        label = next((s.label for s in sources_for(actor) if s.key == source_key), "")
        if not label:
            raise WorkspaceError("Those responses are not available to you.")
    threshold = disclosure_threshold()
    inputs: dict[str, Any] = {"area": area.pk, "source": source_key, "filters": cleaned,
                              "targets": [t.pk for t in chosen], "threshold": threshold,
                              "by": getattr(actor, "pk", None)}
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    with transaction.atomic():
        Area.objects.select_for_update().filter(pk=area.pk).first()  # one request at a time per area: no twins
        waiting = HeardComparison.objects.filter(
            inputs_key=key, status__in=[HeardComparison.Status.QUEUED, HeardComparison.Status.RUNNING]).first()
        if waiting is not None:
            return waiting
        comparison = HeardComparison.objects.create(
            area=area, source_key=source_key, source_label=label[:300], filters=cleaned,
            threshold=threshold, inputs_key=key, created_by=actor)
        comparison.targets.set(chosen)
        progress = tasks.start(f"Who we heard from: {label}"[:200], "byconsent.insights.tasks.heard_comparison_task",
                               {"comparison_id": comparison.pk}, requested_by=actor, area=area)
        comparison.task = progress
        comparison.save(update_fields=["task"])
        audit.record(actor, "insights.heard_started", comparison,
                     after={"source": source_key, "filters": cleaned, "targets": inputs["targets"]})
    return comparison


def rerun_heard_comparison(actor: Any, comparison: Any) -> Any:
    """The same comparison again (same source, filters and population tables), on today's data."""
    require(actor, Action.ANALYSE, comparison)
    return start_heard_comparison(actor, area=comparison.area, source_key=comparison.source_key,
                                  targets=list(comparison.targets.all()), filters=comparison.filters)


def execute_heard_comparison(comparison: Any, report: Report = _no_report) -> dict[str, Any]:
    """The task's work, as the person who asked (their permissions are checked again). A problem with the inputs
    (no matching characteristic, a source no longer theirs) is kept on the comparison with its message."""
    from django.core.exceptions import PermissionDenied

    from byconsent.insights import heard
    from byconsent.insights.models import HeardComparison

    HeardComparison.objects.filter(pk=comparison.pk).update(status=HeardComparison.Status.RUNNING, error="")
    actor = comparison.created_by
    try:
        require(actor, Action.ANALYSE, comparison.area)  # the role may have gone since the comparison was asked for
        report(0.1, "Reading who took part")
        participants = heard.load_participants(actor, comparison.source_key, comparison.area, comparison.filters,
                                               about=comparison)
        fingerprint = heard.participant_fingerprint(comparison.source_key, participants.ids)
        members = heard.fingerprint_members(fingerprint) or frozenset()
        _refuse_differencing(actor, comparison, members)  # early, before the work; again below, with a lock
        report(0.4, "Comparing with the population and protecting small numbers")
        tables = [(t.name, t.targets) for t in comparison.targets.order_by("pk")]
        result = heard.compare(participants, tables, comparison.threshold)
        result["participant_set"] = fingerprint
        with transaction.atomic():
            # One check-and-store at a time (per force), so that two comparisons finishing together cannot both
            # pass the check against the stored ones and then differ from each other by a few people.
            list(Area.objects.select_for_update().filter(parent__isnull=True).order_by("pk").values_list("pk"))
            _refuse_differencing(actor, comparison, members)
            HeardComparison.objects.filter(pk=comparison.pk).update(
                status=HeardComparison.Status.DONE, result=result, error="", finished_at=timezone.now())
            audit.record("system", "insights.heard_compared", comparison,
                         after={"characteristics": [c["name"] for c in result["characteristics"]],
                                "joint": [c["name"] for c in result["joint"]],
                                "figures withheld": result["suppressed"]})
    except (heard.HeardError, LookupError, PermissionDenied) as error:
        message = str(error) if isinstance(error, heard.HeardError) else "Those participants are not available to you."
        with transaction.atomic():
            HeardComparison.objects.filter(pk=comparison.pk).update(
                status=HeardComparison.Status.FAILED, error=message, finished_at=timezone.now())
            audit.record("system", "insights.heard_failed", comparison, after={"error": message})
        return {"error": message}
    except Exception as error:
        HeardComparison.objects.filter(pk=comparison.pk).update(status=HeardComparison.Status.FAILED,
                                                                error=str(error)[:2000])
        raise
    report(1.0, "Finished")
    return {"characteristics compared": len(result["characteristics"]), "joint comparisons": len(result["joint"]),
            "figures withheld": result["suppressed"]}


def _refuse_differencing(actor: Any, comparison: Any, members: frozenset[bytes]) -> None:
    """Raise HeardError when this comparison's participants, beside the stored comparisons of the same source (any
    area, any filters, anyone's), would let fewer than the threshold of people be singled out by subtraction."""
    from byconsent.insights import heard
    from byconsent.insights.models import HeardComparison

    earlier = []
    stored = (HeardComparison.objects.filter(source_key=comparison.source_key, status=HeardComparison.Status.DONE)
              .exclude(pk=comparison.pk).order_by("pk")
              .values_list("pk", "area__name", "created_at", "result__participant_set"))
    visible = set(heard.comparisons_for(actor).values_list("pk", flat=True))
    for pk, area_name, created_at, fingerprint in stored.iterator(chunk_size=100):
        stored_members = heard.fingerprint_members(fingerprint)
        if stored_members is None:
            continue  # made before fingerprints were kept, or with another secret key: see docs/insights.md
        name = (f"comparison {pk} ({area_name}, {created_at:%d %b %Y})" if pk in visible
                else "a comparison of the same participants that you cannot open")
        earlier.append(heard.Earlier(name=name, members=stored_members))
    problem = heard.differencing_problem(members, earlier, comparison.threshold)
    if problem:
        raise heard.HeardError(problem)


def targets_from_any_census(csv_text: str, variable: str, area: Area) -> dict[str, dict[str, float]]:
    """A census table in any shape the workspace reads: the long shape of ONS custom datasets (one or two
    characteristics named in the file; two give the joint table too), else the ONS or Scotland's Census bulk shape
    for ``variable``."""
    from byconsent.insights.heard import HeardError, long_census_targets

    zones = {code for a in area.subtree() for code in a.zone_codes}
    try:
        found = long_census_targets(csv_text, zones, area.code)
    except HeardError as error:
        raise WorkspaceError(str(error)) from error
    if found is not None:
        return found
    if not variable.strip():
        raise WorkspaceError("Enter the variable name: this file gives one characteristic per table.")
    return targets_from_census(csv_text, variable.strip(), area)


# ---- police.uk street crime ------------------------------------------------------------------------------------------
# One import for the whole platform: the analysis workspace and the public neighbourhood pages both read these rows.

def force_of(area: Area | None) -> Area:
    """The force (top of the tree) an area belongs to; the first force when no area is given."""
    if area is not None:
        return area if area.pk == area.root_id else Area.objects.get(pk=area.root_id)
    force = Area.objects.filter(parent__isnull=True).order_by("pk").first()
    if force is None:
        raise WorkspaceError("Set up the force's areas before importing crime figures.")
    return force


# Either role may import, at force level: analysts for the workspace, engagement officers for the neighbourhood pages.
CRIME_IMPORT_ACTIONS = (Action.ANALYSE, Action.MANAGE_ENGAGEMENT)


def may_import_crime(actor: Any, force: Area | None = None) -> bool:
    """May the actor import street crime: for ``force`` (a force, the top of the tree), or for any force? A file
    covers a whole force, so the analyst or the engagement role must be held at force level."""
    if force is None:
        return any(can_force_wide(actor, action) for action in CRIME_IMPORT_ACTIONS)
    return force.parent_id is None and any(can(actor, action, force) for action in CRIME_IMPORT_ACTIONS)


def require_crime_import(actor: Any, force: Area) -> None:
    from django.core.exceptions import PermissionDenied

    if not may_import_crime(actor, force):
        raise PermissionDenied("Importing street crime needs the analyst or engagement officer role for the whole "
                               "force.")


def crime_import_forces(actor: Any) -> Any:
    """The forces (areas at the top of the tree) the actor may import street crime for."""
    return Area.objects.filter(parent__isnull=True, pk__in=[
        force.pk for force in Area.objects.filter(parent__isnull=True) if may_import_crime(actor, force)])


def start_crime_import(actor: Any, *, file_name: str, csv_text: str, area: Area | None = None) -> CrimeImport:
    """Queue the import of a street-level file. A file covers a whole force and a re-published month replaces that
    force's rows for every area, so importing needs the analyst or engagement officer role at force level, whichever
    area is chosen."""
    force = force_of(area)
    require_crime_import(actor, force)
    with transaction.atomic():
        crime_import = CrimeImport.objects.create(area=force, file_name=file_name[:255], created_by=actor)
        progress = tasks.start(f"Import street crime: {file_name}", "byconsent.insights.tasks.crime_import_task",
                               {"import_id": crime_import.pk, "csv_text": csv_text}, requested_by=actor, area=force)
        crime_import.task = progress
        crime_import.save(update_fields=["task"])
        audit.record(actor, "insights.crime_import_started", crime_import,
                     after={"file": file_name, "characters": len(csv_text)})
    return crime_import


def import_street_crime(actor: Any, *, file_name: str, csv_text: str, area: Area | None = None,
                        report: Report = _no_report) -> CrimeImport:
    """The same import, at once rather than as a task (demo data, the command line, small files in tests)."""
    force = force_of(area)
    require_crime_import(actor, force)
    crime_import = CrimeImport.objects.create(area=force, file_name=file_name[:255],
                                              created_by=actor if getattr(actor, "is_authenticated", False) else None)
    try:
        execute_crime_import(crime_import, csv_text, report)
    except Exception:
        CrimeImport.objects.filter(pk=crime_import.pk).update(status=CrimeImport.Status.FAILED)
        raise
    crime_import.refresh_from_db()
    return crime_import


@dataclass(frozen=True)
class ZoneIndex:
    """LSOA / data zone code -> the deepest area (of a subtree) listing it in Area.zone_codes."""

    area_of: dict[str, int]

    @classmethod
    def for_area(cls, area: Area) -> ZoneIndex:
        mapping: dict[str, tuple[int, int]] = {}
        for candidate in area.subtree().only("pk", "level", "zone_codes"):
            for raw in candidate.zone_codes or []:
                code = str(raw).strip().upper()
                if code not in mapping or mapping[code][0] < candidate.level:
                    mapping[code] = (candidate.level, candidate.pk)
        return cls({code: pk for code, (_level, pk) in mapping.items()})


def execute_crime_import(crime_import: CrimeImport, csv_text: str, report: Report = _no_report) -> dict[str, Any]:
    """Store a street-level file so that the database holds exactly the file's rows for each force and month in it.

    data.police.uk re-publishes earlier months with updated outcomes, so a month already imported for that force is
    REPLACED: rows no longer in the file are removed, new or changed rows added, unchanged rows kept (importing the
    same file twice adds and removes nothing). Every unreadable line is listed by number and the rest imported; a
    file with no readable row changes nothing. Rows are placed in the deepest area of the force listing their LSOA
    or data zone code; rows without a location, or with a code in no area, are counted and reported."""
    CrimeImport.objects.filter(pk=crime_import.pk).update(status=CrimeImport.Status.RUNNING)
    parsed = crime_csv.parse_street_csv(csv_text)
    report(0.2, f"Read {parsed.lines_read} rows")
    force = force_of(crime_import.area)
    zones = ZoneIndex.for_area(force)
    groups: dict[tuple[str, date], list[crime_csv.CrimeRow]] = {}
    for row in parsed.rows:
        groups.setdefault((row.force, row.month), []).append(row)
    added = removed = kept = re_placed = 0
    with transaction.atomic():
        # Two imports for one force at once would each read, delete and add: they take turns instead.
        Area.objects.select_for_update().filter(pk=force.pk).first()
        for number, ((force_name, month), rows) in enumerate(sorted(groups.items()), start=1):
            # Only what was imported into this force is replaced: a file naming another force's "Falls within"
            # must never remove or move that force's records.
            present = {fingerprint: (pk, area_id) for pk, fingerprint, area_id in CrimeRecord.objects.filter(
                falls_within=force_name, month=month, crime_import__area__path__startswith=force.path,
            ).values_list("pk", "fingerprint", "area_id")}
            wanted = {row.fingerprint for row in rows}
            gone = [pk for fingerprint, (pk, _area) in present.items() if fingerprint not in wanted]
            for start in range(0, len(gone), 500):
                CrimeRecord.objects.filter(pk__in=gone[start:start + 500]).delete()
            removed += len(gone)
            moved: dict[int | None, list[int]] = {}
            new_records = []
            for row in rows:
                area_id = zones.area_of.get(row.lsoa_code) if row.lsoa_code else None
                if row.fingerprint in present:
                    kept += 1
                    pk, old_area = present[row.fingerprint]
                    if old_area != area_id:  # zone codes changed since: place the row again
                        moved.setdefault(area_id, []).append(pk)
                    continue
                new_records.append(CrimeRecord(
                    crime_import=crime_import, fingerprint=row.fingerprint, crime_id=row.crime_id, month=row.month,
                    reported_by=row.reported_by, falls_within=row.falls_within, longitude=row.longitude,
                    latitude=row.latitude, location=row.location, lsoa_code=row.lsoa_code, lsoa_name=row.lsoa_name,
                    crime_type=row.crime_type, last_outcome=row.last_outcome, area_id=area_id))
            for area_id, pks in moved.items():
                CrimeRecord.objects.filter(pk__in=pks).update(area_id=area_id)
                re_placed += len(pks)
            for start in range(0, len(new_records), 500):
                CrimeRecord.objects.bulk_create(new_records[start:start + 500], ignore_conflicts=True)
            added += len(new_records)
            report(0.2 + 0.7 * number / len(groups), f"{force_name} {month:%Y-%m}: saved")
        outside = sorted({row.lsoa_code for row in parsed.rows if row.lsoa_code and row.lsoa_code not in zones.area_of})
        crime_import.rows_read = parsed.lines_read
        crime_import.rows_imported = added
        crime_import.rows_already_present = kept
        crime_import.rows_removed = removed
        crime_import.rows_without_location = parsed.without_location
        crime_import.rows_outside_areas = sum(1 for row in parsed.rows
                                              if row.lsoa_code and row.lsoa_code not in zones.area_of)
        crime_import.errors = parsed.errors
        crime_import.status = CrimeImport.Status.DONE_WITH_ERRORS if parsed.errors else CrimeImport.Status.DONE
        crime_import.save()
        outcome = {
            "rows read": parsed.lines_read, "imported": added, "already imported": kept,
            "removed (no longer in a re-published month)": removed, "placed again in another area": re_placed,
            "without a location": crime_import.rows_without_location,
            "anti-social behaviour and other rows without a crime id": parsed.without_crime_id,
            "outside your areas": crime_import.rows_outside_areas,
            "codes in none of your areas": ", ".join(outside[:50]) + (" …" if len(outside) > 50 else ""),
            "forces": ", ".join(parsed.forces), "months": ", ".join(f"{m:%Y-%m}" for m in parsed.months),
            "lines that could not be read": len(parsed.errors)}
        if not parsed.rows:  # nothing could be read: the task page shows why, as an error summary
            outcome["errors"] = parsed.errors[:50]
        audit.record(crime_import.created_by or "system", "insights.crime_imported", crime_import,
                     after={"file": crime_import.file_name, **outcome, "codes in none of your areas": outside[:500]})
    return outcome


def disclosure_threshold() -> int:
    return int(getattr(settings, "BYCONSENT_DISCLOSURE_THRESHOLD", 10))
