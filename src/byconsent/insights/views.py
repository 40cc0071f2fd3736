"""HTTP views of the analysis workspace (thin: parse, call a service or selector, render). No view writes itself."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from byconsent.core.models import Area, Contribution
from byconsent.core.policy import Action, areas_where, can, get_visible_or_404
from byconsent.core.views import staff_required
from byconsent.insights import charts, forms, selectors, services
from byconsent.insights import heard as heard_reads
from byconsent.insights.crosstab import CrossTab
from byconsent.insights.models import (
    AutoCodingRun,
    Code,
    Codebook,
    CodeSuggestion,
    CodingRecord,
    ContributionSet,
    CrimeImport,
    ProposedTheme,
    ThemeRun,
    WeightingRun,
)
from byconsent.insights.responses import AREA, ResponseDataError, sources_for
from byconsent.insights.sources import source_choices


def _areas(request: HttpRequest) -> Any:
    return areas_where(request.user, Action.ANALYSE).filter(level__lte=Area.Level.NEIGHBOURHOOD)


MEMBERS_SHOWN = 25


def _file_name(request: HttpRequest, field: str) -> str:
    upload = request.FILES.get(field)
    return str(getattr(upload, "name", "") or "")


def _get(request: HttpRequest, queryset: Any, **lookup: Any) -> Any:
    return get_visible_or_404(request.user, Action.ANALYSE, queryset, **lookup)


@staff_required(Action.ANALYSE)
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "sets": selectors.sets_for(user)[:20],
        "codebooks": selectors.codebooks_for(user)[:20],
        "runs": selectors.theme_runs_for(user)[:10],
        "sources": sources_for(user),
        "weighting_runs": selectors.weighting_runs_for(user)[:5],
    }
    return render(request, "insights/home.html", context)


# ---- contribution sets ---------------------------------------------------------------------------------------------

@staff_required(Action.ANALYSE)
def set_create(request: HttpRequest) -> HttpResponse:
    form = forms.ContributionSetForm(request.POST or None, areas=_areas(request),
                                     codebooks=selectors.codebooks_for(request.user),
                                     sources=source_choices(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = services.create_contribution_set(
            request.user, name=data["name"], area=data["area"], date_from=data["date_from"],
            date_to=data["date_to"], channels=data["channels"], codebook=data["codebook"],
            source_key=data["source"], source_label=dict(form.fields["source"].choices).get(  # type: ignore[attr-defined]
                data["source"], ""))
        messages.success(request, _("Set created."))
        return redirect("insights:set_detail", pk=chosen.pk)
    return render(request, "insights/set_form.html", {"form": form})


@staff_required(Action.ANALYSE)
def set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    chosen = _get(request, ContributionSet.objects.select_related("area", "codebook"), pk=pk)
    form = forms.SetCodebookForm(request.POST or None, codebooks=selectors.codebooks_for(request.user),
                                 initial={"codebook": chosen.codebook_id})
    if request.method == "POST" and form.is_valid():
        services.set_codebook(request.user, chosen, form.cleaned_data["codebook"])
        messages.success(request, _("Codebook chosen."))
        return redirect("insights:set_detail", pk=pk)
    context = {"set": chosen, "form": form, "progress": selectors.coding_progress(request.user, chosen),
               "count": selectors.set_contributions(request.user, chosen).count(),
               "runs": chosen.theme_runs.all()[:10],
               "autocoding_runs": AutoCodingRun.objects.filter(contribution_set=chosen)[:5]}
    return render(request, "insights/set_detail.html", context)


@staff_required(Action.ANALYSE)
def coding_screen(request: HttpRequest, pk: int) -> HttpResponse:
    """One contribution at a time. Without JavaScript it is a plain form; with it, number keys tick codes,
    s saves and n skips."""
    chosen = _get(request, ContributionSet.objects.select_related("area", "codebook"), pk=pk)
    codebook = chosen.codebook
    if codebook is None:
        messages.error(request, _("Choose a codebook for this set before coding."))
        return redirect("insights:set_detail", pk=pk)
    contribution = _contribution_to_code(request, chosen)
    if contribution is None:
        return render(request, "insights/coding_done.html", {"set": chosen})
    existing = CodingRecord.objects.filter(contribution=contribution, codebook=codebook,
                                           coder_id=request.user.pk).first()
    initial = {"codes": [str(c.pk) for c in existing.codes.all()], "note": existing.note} if existing else {}
    form = forms.CodingForm(request.POST or None, codebook=codebook, initial=initial)
    if request.method == "POST":
        if "skip" in request.POST:
            return redirect(_next_url(request, chosen, contribution.pk))
        if form.is_valid():
            services.save_coding(request.user, contribution, codebook, form.chosen_codes(), form.cleaned_data["note"],
                                 resolve_suggestions=True)
            messages.success(request, _("Saved."))
            return redirect(_next_url(request, chosen, contribution.pk))
    suggestions = CodeSuggestion.objects.filter(contribution=contribution, code__codebook=codebook,
                                                status=CodeSuggestion.Status.PENDING).select_related("code")
    progress = selectors.my_progress(request.user, chosen)
    context = {"set": chosen, "codebook": codebook, "contribution": contribution, "form": form,
               "codes": form.ordered, "suggestions": suggestions, "progress": progress, "existing": existing}
    return render(request, "insights/coding_screen.html", context)


def _contribution_to_code(request: HttpRequest, chosen: ContributionSet) -> Contribution | None:
    wanted = request.GET.get("contribution")
    if wanted and wanted.isdigit():
        found = selectors.set_contributions(request.user, chosen).filter(pk=int(wanted)).select_related("area").first()
        if found is None:
            raise Http404
        return found
    after = request.GET.get("after")
    return selectors.next_uncoded(request.user, chosen, int(after) if after and after.isdigit() else None)


def _next_url(request: HttpRequest, chosen: ContributionSet, after: int) -> str:
    return f"{reverse('insights:coding_screen', args=[chosen.pk])}?after={after}"


@staff_required(Action.ANALYSE)
def agreement(request: HttpRequest, pk: int) -> HttpResponse:
    chosen = _get(request, ContributionSet.objects.select_related("area", "codebook"), pk=pk)
    if chosen.codebook is None:
        raise Http404
    report = selectors.agreement_report(request.user, chosen.codebook, chosen)
    return render(request, "insights/agreement.html", {"set": chosen, "report": report})


# ---- codebooks and suggestions --------------------------------------------------------------------------------------

@staff_required(Action.ANALYSE)
def codebook_create(request: HttpRequest) -> HttpResponse:
    form = forms.CodebookForm(request.POST or None, areas=_areas(request))
    if request.method == "POST" and form.is_valid():
        book = services.create_codebook(request.user, name=form.cleaned_data["name"], area=form.cleaned_data["area"],
                                        description=form.cleaned_data["description"])
        messages.success(request, _("Codebook created. Add its codes."))
        return redirect("insights:codebook_detail", pk=book.pk)
    return render(request, "insights/codebook_form.html", {"form": form})


@staff_required(Action.ANALYSE)
def codebook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    book = _get(request, Codebook.objects.select_related("area"), pk=pk)
    form = forms.CodeForm(request.POST or None, codebook=book)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_code(request.user, book, label=form.cleaned_data["label"],
                               description=form.cleaned_data["description"], parent=form.cleaned_data["parent"])
            messages.success(request, _("Code added."))
            return redirect("insights:codebook_detail", pk=pk)
        except services.WorkspaceError as error:
            form.add_error("label", str(error))
    pending = selectors.pending_suggestions(request.user, book).count()
    return render(request, "insights/codebook_detail.html",
                  {"codebook": book, "codes": book.ordered_codes(), "form": form, "pending": pending})


@staff_required(Action.ANALYSE)
def code_edit(request: HttpRequest, pk: int, code_pk: int) -> HttpResponse:
    book = _get(request, Codebook.objects.select_related("area"), pk=pk)
    code = _get(request, Code.objects.filter(codebook=book), pk=code_pk)
    form = forms.CodeForm(request.POST or None, codebook=book, exclude=code,
                          initial={"label": code.label, "description": code.description, "parent": code.parent_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.save_code(request.user, book, label=form.cleaned_data["label"],
                               description=form.cleaned_data["description"], parent=form.cleaned_data["parent"],
                               code=code)
            messages.success(request, _("Code saved."))
            return redirect("insights:codebook_detail", pk=pk)
        except services.WorkspaceError as error:
            form.add_error("label" if "label" in str(error) or "called" in str(error) else "parent", str(error))
    return render(request, "insights/code_form.html", {"codebook": book, "code": code, "form": form})


@staff_required(Action.ANALYSE)
def suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    book = _get(request, Codebook.objects.select_related("area"), pk=pk)
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("suggestion") if i.isdigit()]
        decision = request.POST.get("decision")
        if decision not in {"accept", "reject"} or not ids:
            messages.error(request, _("Tick at least one suggestion, then confirm or reject."))
        else:
            chosen = selectors.pending_suggestions(request.user, book).filter(pk__in=ids)
            for suggestion in chosen:
                services.decide_suggestion(request.user, suggestion, accept=decision == "accept")
            messages.success(request, _("%(count)s suggestion(s) decided.") % {"count": len(chosen)})
        return redirect("insights:suggestions", pk=pk)
    pending = list(selectors.pending_suggestions(request.user, book)[:200])
    return render(request, "insights/suggestions.html", {"codebook": book, "pending": pending})


# ---- theme discovery ------------------------------------------------------------------------------------------------

@staff_required(Action.ANALYSE)
def theme_run_list(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/theme_run_list.html", {"runs": selectors.theme_runs_for(request.user)[:100]})


@staff_required(Action.ANALYSE)
def theme_run_create(request: HttpRequest, pk: int) -> HttpResponse:
    chosen = _get(request, ContributionSet.objects.select_related("area"), pk=pk)
    form = forms.ThemeRunForm(request.POST or None, initial={"seed": 0, "embedder": "fast"})
    if request.method == "POST" and form.is_valid():
        try:
            run = services.start_theme_run(request.user, chosen, n_themes=form.cleaned_data["n_themes"],
                                           seed=form.cleaned_data["seed"], embedder=form.cleaned_data["embedder"])
            return redirect("core:task_detail", pk=run.task_id)
        except services.WorkspaceError as error:
            form.add_error("n_themes", str(error))
    return render(request, "insights/theme_run_form.html", {"set": chosen, "form": form})


@staff_required(Action.ANALYSE)
def theme_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get(request, ThemeRun.objects.select_related("contribution_set", "area", "task", "codebook"), pk=pk)
    themes = list(run.themes.all())
    shown = [i for t in themes for i in t.example_ids + t.contribution_ids[:MEMBERS_SHOWN]]
    texts = selectors.contribution_texts(request.user, shown)
    for theme in themes:
        theme.examples = [texts[i] for i in theme.example_ids if i in texts]  # type: ignore[attr-defined]
        theme.members = [texts[i] for i in theme.contribution_ids[:MEMBERS_SHOWN]  # type: ignore[attr-defined]
                         if i in texts and i not in theme.example_ids]
    sign_off = forms.SignOffForm(codebooks=selectors.codebooks_for(request.user),
                                 initial={"codebook": run.contribution_set.codebook_id})
    return render(request, "insights/theme_run_detail.html", {
        "run": run, "themes": [t for t in themes if t.status == ProposedTheme.Status.PROPOSED],
        "set_aside": [t for t in themes if t.status != ProposedTheme.Status.PROPOSED],
        "sign_off_form": sign_off, "reviewable": run.status == ThemeRun.Status.REVIEW})


def _theme(request: HttpRequest, pk: int, theme_pk: int) -> ProposedTheme:
    run = _get(request, ThemeRun.objects.select_related("area"), pk=pk)
    theme: ProposedTheme = _get(request, ProposedTheme.objects.filter(run=run).select_related("run__area"),
                                pk=theme_pk)
    return theme


@staff_required(Action.ANALYSE)
def theme_rename(request: HttpRequest, pk: int, theme_pk: int) -> HttpResponse:
    theme = _theme(request, pk, theme_pk)
    form = forms.RenameThemeForm(request.POST or None,
                                 initial={"label": theme.label, "description": theme.description})
    if request.method == "POST" and form.is_valid():
        try:
            services.rename_theme(request.user, theme, form.cleaned_data["label"], form.cleaned_data["description"])
            messages.success(request, _("Theme renamed."))
            return redirect("insights:theme_run_detail", pk=pk)
        except services.WorkspaceError as error:
            form.add_error("label", str(error))
    return render(request, "insights/theme_rename.html", {"theme": theme, "form": form})


@require_POST
@staff_required(Action.ANALYSE)
def theme_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Discard, restore, split or merge (the theme ids come from the review page's buttons and tick boxes)."""
    run = _get(request, ThemeRun.objects.select_related("area"), pk=pk)
    action, _sep, one = request.POST.get("action", "").partition("-")
    ids = [int(one)] if one.isdigit() else [int(i) for i in request.POST.getlist("theme") if i.isdigit()]
    themes = {t.pk: t for t in run.themes.filter(pk__in=ids)}
    chosen = [themes[i] for i in ids if i in themes]
    try:
        if action in {"discard", "restore"} and len(chosen) == 1:
            services.discard_theme(request.user, chosen[0], discard=action == "discard")
            messages.success(request, _("Theme discarded.") if action == "discard" else _("Theme restored."))
        elif action == "split" and len(chosen) == 1:
            parts = services.split_theme(request.user, chosen[0], parts=2)
            messages.success(request, _("Theme split into %(count)s themes.") % {"count": len(parts)})
        elif action == "merge":
            services.merge_themes(request.user, chosen, request.POST.get("merged_label", ""))
            messages.success(request, _("Themes merged."))
        else:
            messages.error(request, _("Choose what to do with which themes."))
    except services.WorkspaceError as error:
        messages.error(request, str(error))
    return redirect("insights:theme_run_detail", pk=pk)


@require_POST
@staff_required(Action.ANALYSE)
def theme_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get(request, ThemeRun.objects.select_related("area", "contribution_set"), pk=pk)
    form = forms.SignOffForm(request.POST, codebooks=selectors.codebooks_for(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose a codebook or name a new one"))
        return redirect("insights:theme_run_detail", pk=pk)
    try:
        book = form.cleaned_data["codebook"] or services.create_codebook(
            request.user, name=form.cleaned_data["new_codebook"].strip(), area=run.area)
        services.sign_off_theme_run(request.user, run, book)
        messages.success(request, _("Signed off: the themes are codes now, and their contributions are suggestions "
                                    "awaiting confirmation."))
        return redirect("insights:suggestions", pk=book.pk)
    except services.WorkspaceError as error:
        messages.error(request, str(error))
        return redirect("insights:theme_run_detail", pk=pk)


@require_POST
@staff_required(Action.ANALYSE)
def autocode(request: HttpRequest, pk: int) -> HttpResponse:
    chosen = _get(request, ContributionSet.objects.select_related("area", "codebook"), pk=pk)
    try:
        run = services.start_autocoding(request.user, chosen)
    except services.WorkspaceError as error:
        messages.error(request, str(error))
        return redirect("insights:set_detail", pk=pk)
    return redirect("core:task_detail", pk=run.task_id)


# ---- responses and cross-tabs ---------------------------------------------------------------------------------------

@staff_required(Action.ANALYSE)
def responses_upload(request: HttpRequest) -> HttpResponse:
    form = forms.ResponseUploadForm(request.POST or None, request.FILES or None, areas=_areas(request))
    if request.method == "POST" and form.is_valid():
        columns = [c for c in form.cleaned_data["demographics"].split(",") if c.strip()]
        try:
            upload = services.upload_responses(request.user, name=form.cleaned_data["name"],
                                               area=form.cleaned_data["area"], csv_text=form.cleaned_data["file"],
                                               demographic_columns=columns)
            messages.success(request, _("%(count)s responses uploaded.") % {"count": upload.row_count})
            return redirect(f"{reverse('insights:crosstab')}?source=upload:{upload.pk}")
        except services.WorkspaceError as error:
            form.add_error("file", str(error))
    return render(request, "insights/responses_upload.html", {"form": form, "sources": sources_for(request.user)})


@staff_required(Action.ANALYSE)
def crosstab(request: HttpRequest) -> HttpResponse:
    user = request.user
    sources = sources_for(user)
    source_key = request.GET.get("source", "")
    table = None
    if source_key:
        try:
            table = selectors.responses_with_weights(user, source_key, None).table
        except LookupError as error:
            raise Http404 from error
    weightings = [(str(run.pk), str(run)) for run in selectors.weighting_runs_for(user).filter(
        source_key=source_key, status=WeightingRun.Status.ACCEPTED)] if source_key else []
    form = forms.CrossTabForm(
        request.GET or None, sources=[(s.key, s.label) for s in sources],
        questions=[(q, table.label(q)) for q in table.questions] if table else [],
        breakdowns=[(b, _("Area") if b == AREA else b) for b in table.breakdowns()] if table else [],
        weightings=weightings)
    result: CrossTab | None = None
    weighting_run = None
    if table is not None and form.is_valid() and form.cleaned_data["question"] and form.cleaned_data["by"]:
        run_id = form.cleaned_data["weighting"]
        try:
            loaded = selectors.responses_with_weights(user, source_key, int(run_id) if run_id else None)
            weighting_run = loaded.weighting_run
            result = selectors.crosstab(user, loaded, form.cleaned_data["question"], form.cleaned_data["by"],
                                        services.disclosure_threshold())
        except (LookupError, ResponseDataError) as error:
            form.add_error("question", str(error))
        if result is not None and request.GET.get("format") in {"csv", "xlsx"}:
            return _export(result, request.GET["format"])
    context: dict[str, Any] = {"form": form, "result": result, "weighting_run": weighting_run,
                               "has_sources": bool(sources)}
    if result is not None:
        context.update(_crosstab_chart(result))
        query = request.GET.copy()
        query["format"] = "csv"
        context["csv_url"] = f"?{query.urlencode()}"
        query["format"] = "xlsx"
        context["xlsx_url"] = f"?{query.urlencode()}"
    return render(request, "insights/crosstab.html", context)


def _crosstab_chart(result: CrossTab) -> dict[str, Any]:
    bars = [[charts.Bar(c.percent, c.ci_low, c.ci_high) for c in row.cells] for row in result.rows]
    headers = [result.by] + [f"{a} (%)" for a in result.answers] + [_("Respondents")]
    rows = [[row.group] + [_cell_text(c) for c in row.cells] + [_count_text(row.total)] for row in result.rows]
    rows.append([_("All respondents")] + [_count_text(c) for c in result.column_totals]
                + [_count_text(result.grand_total)])
    return {"chart": charts.grouped_bars([r.group for r in result.rows], result.answers, bars, maximum=100.0),
            "chart_headers": headers, "chart_rows": rows}


def _cell_text(cell: Any) -> str:
    if cell.count is None:
        return _("[c] not shown")
    return f"{cell.percent:.1f}% ({cell.ci_low:.1f}–{cell.ci_high:.1f}), n={cell.count}"


def _count_text(count: int | None) -> str:
    return _("[c] not shown") if count is None else str(count)


def _export(result: CrossTab, kind: str) -> HttpResponse:
    headers = result.headers()
    lines = result.flat_rows()
    note = [f"Question: {result.question_label}", f"Weighted: {'yes' if result.weighted else 'no'}",
            f"[c] = not shown: fewer than {result.threshold} respondents, or hidden so that such a figure cannot be "
            "worked out from the others"]
    name = f"crosstab-{result.question}-by-{result.by}".replace(" ", "_")[:80]
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(lines)
        writer.writerow([])
        for sentence in note:
            writer.writerow([sentence])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Cross-tab")
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, headers, bold)
    for r, cells in enumerate(lines, start=1):
        for c, value in enumerate(cells):
            try:
                number = float(value) if value and c > 0 and "to" not in value else None
            except ValueError:
                number = None
            if number is not None:
                sheet.write_number(r, c, number)
            else:
                sheet.write_string(r, c, value)
    for offset, text in enumerate(note, start=len(lines) + 2):
        sheet.write_string(offset, 0, text)
    workbook.close()
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# ---- weighting ------------------------------------------------------------------------------------------------------

@staff_required(Action.ANALYSE)
def weighting_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    areas = _areas(request)
    targets_form = forms.TargetsUploadForm(prefix="targets", areas=areas)
    census_form = forms.CensusTargetsForm(prefix="census", areas=areas)
    run_form = forms.WeightingForm(
        prefix="run", sources=[(s.key, s.label) for s in sources_for(user)],
        targets=[(str(t.pk), t.name) for t in selectors.targets_for(user)])
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "targets":
            targets_form = forms.TargetsUploadForm(request.POST, request.FILES, prefix="targets", areas=areas)
            if targets_form.is_valid():
                data = targets_form.cleaned_data
                try:
                    services.save_targets(user, name=data["name"], area=data["area"],
                                          targets=services.parse_targets_csv(data["file"]),
                                          source=_file_name(request, "targets-file"))
                    messages.success(request, _("Targets saved."))
                    return redirect("insights:weighting_list")
                except services.WorkspaceError as error:
                    targets_form.add_error("file", str(error))
        elif which == "census":
            census_form = forms.CensusTargetsForm(request.POST, request.FILES, prefix="census", areas=areas)
            if census_form.is_valid():
                data = census_form.cleaned_data
                try:
                    targets = services.targets_from_any_census(data["file"], data["variable"], data["area"])
                    services.save_targets(user, name=data["name"], area=data["area"], targets=targets,
                                          source=f"census: {_file_name(request, 'census-file')}")
                    messages.success(request, _("Targets built from the census table."))
                    return redirect("insights:weighting_list")
                except services.WorkspaceError as error:
                    census_form.add_error("variable" if "variable name" in str(error) else "file", str(error))
        elif which == "run":
            run_form = forms.WeightingForm(
                request.POST, prefix="run", sources=[(s.key, s.label) for s in sources_for(user)],
                targets=[(str(t.pk), t.name) for t in selectors.targets_for(user)])
            if run_form.is_valid():
                targets = _get(request, selectors.targets_for(user), pk=int(run_form.cleaned_data["targets"]))
                try:
                    run = services.run_weighting(user, source_key=run_form.cleaned_data["source"], targets=targets,
                                                 trim_upper=run_form.cleaned_data["trim_upper"])
                    return redirect("insights:weighting_detail", pk=run.pk)
                except services.WorkspaceError as error:
                    run_form.add_error("source", str(error))
    context = {"targets_form": targets_form, "census_form": census_form, "run_form": run_form,
               "targets": selectors.targets_for(user)[:50], "runs": selectors.weighting_runs_for(user)[:50],
               "forms": [targets_form, census_form, run_form]}
    return render(request, "insights/weighting_list.html", context)


@staff_required(Action.ANALYSE)
def weighting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get(request, WeightingRun.objects.select_related("targets", "area"), pk=pk)
    if request.method == "POST":
        try:
            services.accept_weighting(request.user, run)
            messages.success(request, _("Weights accepted: weighted results can now use them."))
        except services.WorkspaceError as error:
            messages.error(request, str(error))
        return redirect("insights:weighting_detail", pk=pk)
    return render(request, "insights/weighting_detail.html", {
        "run": run, "report": run.report,
        "margins": selectors.weighting_margins(run, services.disclosure_threshold())})


# ---- crime ----------------------------------------------------------------------------------------------------------

@staff_required(Action.VIEW_STAFF_PAGES)
def crime(request: HttpRequest) -> HttpResponse:
    """Analysts see the figures of their areas; those who may import (the analyst or engagement officer role at
    force level) also get the import form, which offers forces only. Everyone else is refused."""
    user = request.user
    forces = services.crime_import_forces(user)
    may_import = forces.exists()
    may_analyse = can(user, Action.ANALYSE)
    if not (may_import or may_analyse):
        raise PermissionDenied
    if request.method == "POST" and not may_import:
        raise PermissionDenied("Importing street crime needs the analyst or engagement officer role for the whole "
                               "force.")
    form = None
    if may_import:
        form = forms.CrimeImportForm(request.POST or None, request.FILES or None, areas=forces)
        if request.method == "POST" and form.is_valid():
            crime_import = services.start_crime_import(user, area=form.cleaned_data["area"],
                                                       file_name=_file_name(request, "file"),
                                                       csv_text=form.cleaned_data["file"])
            return redirect("core:task_detail", pk=crime_import.task_id)
    area_form = forms.CrimeAreaForm(request.GET or None, areas=_areas(request)) if may_analyse else None
    context: dict[str, Any] = {
        "form": form, "area_form": area_form, "forms_list": [f for f in (form, area_form) if f is not None],
        "cannot_import": not may_import,
        "imports": CrimeImport.objects.filter(area__in=forces).select_related("area")[:20],
        "held": selectors.latest_crime_months(),
    }
    if area_form is not None and area_form.is_bound and area_form.is_valid():
        area = area_form.cleaned_data["area"]
        summary = selectors.crime_summary(user, area)
        labels = [m.strftime("%b %Y") for m in summary.months]
        context.update({
            "area": area, "summary": summary,
            "chart": charts.column_chart(labels, [float(summary.totals.get(m, 0)) for m in summary.months]),
            "chart_headers": [_("Month"), _("Recorded crime and anti-social behaviour"), _("Contributions")],
            "chart_rows": [[label, summary.totals.get(m, 0), summary.contributions.get(m, 0)]
                           for label, m in zip(labels, summary.months, strict=True)],
            "type_rows": [[name] + [summary.counts[name].get(m, 0) for m in summary.months]
                          for name in summary.crime_types],
            "month_labels": labels,
        })
    return render(request, "insights/crime.html", context)


@staff_required(Action.VIEW_STAFF_PAGES)
def crime_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An import's page, for those who may import for its force or analyse there; a 404 for anyone else."""
    crime_import = CrimeImport.objects.select_related("area", "task").filter(pk=pk).first()
    if crime_import is None or not (services.may_import_crime(request.user, crime_import.area)
                                    or can(request.user, Action.ANALYSE, crime_import)):
        raise Http404
    return render(request, "insights/crime_import_detail.html", {"import": crime_import})


# ---- who we heard from ----------------------------------------------------------------------------------------------

@staff_required(Action.ANALYSE)
def heard(request: HttpRequest) -> HttpResponse:
    """Choose participants, area and population tables; the comparison runs as a task."""
    from byconsent.insights.models import PopulationTargets

    user = request.user
    targets = heard_reads.target_choices(user)
    form = forms.HeardForm(request.POST or None, areas=_areas(request), sources=heard_reads.source_choices(user),
                           targets=targets)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tables = _scoped(user, PopulationTargets, [int(pk) for pk in data["targets"]])
        try:
            comparison = services.start_heard_comparison(
                user, area=data["area"], source_key=data["source"], targets=tables,
                filters={name: data[name] for name in ("kinds", "channel", "activity", "date_from", "date_to")})
            return redirect("insights:heard_detail", pk=comparison.pk)
        except services.WorkspaceError as error:
            form.add_error("targets" if "population" in str(error) else "source", str(error))
    return render(request, "insights/heard.html", {"form": form, "weighting_url": reverse("insights:weighting_list"),
                                                   "has_targets": bool(targets),
                                                   "comparisons": heard_reads.comparisons_for(user)[:30]})


def _scoped(user: Any, model: Any, pks: list[int]) -> list[Any]:
    from byconsent.core.policy import scope

    return list(scope(user, Action.ANALYSE, model.objects.filter(pk__in=pks).select_related("area")))


@staff_required(Action.ANALYSE)
def heard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    comparison = _get(request, heard_reads.comparisons_for(request.user), pk=pk)
    if request.method == "POST":
        try:
            again = services.rerun_heard_comparison(request.user, comparison)
            return redirect("insights:heard_detail", pk=again.pk)
        except services.WorkspaceError as error:
            messages.error(request, str(error))
            return redirect("insights:heard_detail", pk=pk)
    result = comparison.result or {}
    filters = [f"{name.replace('_', ' ')}: {', '.join(value) if isinstance(value, list) else value}"
               for name, value in (comparison.filters or {}).items()]
    context: dict[str, Any] = {"comparison": comparison, "result": result, "filters": filters,
                               "targets": list(comparison.targets.all())}
    if comparison.status == comparison.Status.DONE and result:
        context["singles"] = [_heard_table(c) for c in result["characteristics"]]
        context["joints"] = [_heard_table(c) for c in result["joint"]]
        context["under_heard"] = [_under_heard_text(item) for item in result["under_heard"]]
    return render(request, "insights/heard_detail.html", context)


@staff_required(Action.ANALYSE)
def heard_csv(request: HttpRequest, pk: int) -> HttpResponse:
    from byconsent.insights.heard import CSV_HEADERS, csv_rows

    comparison = _get(request, heard_reads.comparisons_for(request.user), pk=pk)
    if comparison.status != comparison.Status.DONE:
        raise Http404
    result = comparison.result
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    writer.writerows(csv_rows(result))
    writer.writerow([])
    for sentence in (f"Participants: {comparison.source_label}; area: {comparison.area.name}",
                     f"Population: {'; '.join(t.name for t in comparison.targets.all())}",
                     f"[c] = not shown: fewer than {result['threshold']} participants, or hidden so that such a "
                     "figure cannot be worked out from the others",
                     "Ratio = share of participants / share of the population; 1 = heard in proportion",
                     *_left_out_sentence(result)):
        writer.writerow([sentence])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="who-we-heard-from-{comparison.pk}.csv"'
    return response


def _left_out_sentence(result: dict[str, Any]) -> list[str]:
    """Respondents whose area is unknown are not counted; the CSV says so, as the page does."""
    if result.get("left_out"):
        return [f"Left out: {result['left_out']} respondents whose area is not known to be in this area"]
    if result.get("left_out_fewer_than"):
        return [f"Left out: fewer than {result['threshold']} respondents whose area is not known to be in this area"]
    return []


VERDICTS = {"under": _("Under-heard"), "over": _("Over-heard"), "in proportion": _("In proportion"),
            "under (figures not shown)": _("Under-heard (figures not shown)")}


def _percent(value: float | None) -> str:
    return _("[c] not shown") if value is None else f"{100 * value:.1f}%"


def _ratio_text(row: dict[str, Any]) -> str:
    if row["ratio"] is not None:
        return f"{row['ratio']:.2f} ({row['low']:.2f} to {row['high']:.2f})"
    if row["ratio_at_most"] is not None:
        return _("[c] at most %(ratio).2f") % {"ratio": row["ratio_at_most"]}
    return _("[c] not shown")


def _heard_table(comparison: dict[str, Any]) -> dict[str, Any]:
    groups = comparison["groups"]
    bars = []
    for row in groups:
        q = row["population_share"]
        mine = (charts.Bar(100 * row["share"], 100 * row["low"] * q, 100 * row["high"] * q)
                if row["share"] is not None and row["low"] is not None else charts.Bar(None))
        bars.append([mine, charts.Bar(100 * q)])
    rows = [[row["group"], _count_text(row["count"]), _percent(row["share"]), _percent(row["population_share"]),
             _ratio_text(row), VERDICTS.get(row["verdict"], "–")] for row in groups]
    rows.append([_("Participants compared"), _count_text(comparison["compared"]), "", "", "", ""])
    return {
        "name": comparison["name"],
        "chart": charts.grouped_bars([row["group"] for row in groups], [_("Participants"), _("Population")], bars),
        "headers": [_("Group"), _("Participants"), _("Share of participants"), _("Population share"),
                    _("Ratio (95% interval)"), _("Heard")],
        "rows": rows, "index": comparison["index"], "benchmark": comparison["benchmark"],
        "pooled": comparison["pooled"], "unmatched": comparison.get("unmatched"),
        "unmatched_count": _count_text(comparison.get("unmatched")),
        "unmatched_labels": comparison.get("unmatched_labels") or [],
        "loosely_matched": comparison.get("loosely_matched") or [],
        "rare_answers": comparison.get("rare_answers", False),
        "not_given": _count_text(comparison.get("not_given")), "is_joint": "table" in comparison,
    }


def _under_heard_text(item: dict[str, Any]) -> dict[str, Any]:
    if item["ratio"] is not None:
        ratio = f"{item['ratio']:.2f}"
    else:
        ratio = _("at most %(ratio).2f (figures not shown)") % {"ratio": item["ratio_at_most"]}
    return {**item, "ratio_text": ratio}
