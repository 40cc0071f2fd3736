"""HTTP views of the panels app (thin: parse, call a service or selector, render). No view writes itself."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from byconsent.core import audit
from byconsent.core.policy import Action, areas_where, can, get_visible_or_404
from byconsent.core.ratelimit import rate_limited
from byconsent.core.views import staff_required
from byconsent.engines.representativeness import RepresentativenessError, read_census_csv
from byconsent.panels import selectors, services
from byconsent.panels.forms import (
    AccessibilityForm,
    AnswersForm,
    AttendanceForm,
    CensusBulkForm,
    CensusSharesForm,
    PanelForm,
    PanelStatusForm,
    PaymentForm,
    QuotaForm,
    RecommendationForm,
    RegistrationForm,
    ReplaceForm,
    ResponseForm,
    RoundForm,
    SelectionForm,
    SessionForm,
    WithdrawForm,
    volunteer_choices,
)
from byconsent.panels.models import Panel, PanelSession, Recommendation, RecruitmentRound, Selection, Volunteer
from byconsent.panels.services import PanelError

MANAGE = Action.MANAGE_ENGAGEMENT


def _panel(request: HttpRequest, pk: int, action: Action = MANAGE) -> Panel:
    panel: Panel = get_visible_or_404(request.user, action, Panel.objects.select_related("area"), pk=pk)
    return panel


def _add_error(form: Any, error: PanelError, field: str | None = None) -> None:
    target = field if field in form.fields else None
    for message in error.errors:
        form.add_error(target, message)


# ---- public -----------------------------------------------------------------------------------------------------

def public_list(request: HttpRequest) -> HttpResponse:
    return render(request, "panels/public_list.html", {"panels": selectors.public_panels()})


def public_detail(request: HttpRequest, slug: str) -> HttpResponse:
    panel = get_object_or_404(Panel.objects.select_related("area").exclude(status=Panel.Status.DRAFT), slug=slug)
    selection = selectors.latest_selection(panel)
    context = {
        "panel": panel, "selection": selection,
        "characteristics": selectors.public_characteristics(panel),
        "threshold": settings.BYCONSENT_DISCLOSURE_THRESHOLD,
        "recommendations": panel.recommendations.filter(published=True).select_related("contribution"),
        # Census shares of the area, not the quota bounds: tight bounds would publish exact counts of members.
        "shares": panel.census_shares.all(),
        "quotas_met": all(row.met for row in selectors.quota_rows(panel)) if selection else None,
    }
    return render(request, "panels/public_detail.html", context)


def public_draw_file(request: HttpRequest, slug: str) -> JsonResponse:
    panel = get_object_or_404(Panel.objects.exclude(status=Panel.Status.DRAFT), slug=slug)
    selection = selectors.latest_selection(panel)
    if selection is None:
        raise Http404
    response = JsonResponse(selectors.draw_file(selection), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{panel.slug}-draw.json"'
    return response


@require_http_methods(["GET", "POST"])
@rate_limited("panel_register", per_minute=5, burst=10)
def register(request: HttpRequest, slug: str) -> HttpResponse:
    panel = get_object_or_404(Panel.objects.exclude(status=Panel.Status.DRAFT), slug=slug)
    return _registration(request, panel, staff=False)


def _registration(request: HttpRequest, panel: Panel, staff: bool) -> HttpResponse:
    categories = services.quota_categories(panel)
    form = RegistrationForm(request.POST or None, categories=categories, youth=panel.is_youth,
                            initial={"code": request.GET.get("code", "")})
    template = "panels/staff_register.html" if staff else "panels/register.html"
    if request.method == "POST" and form.is_valid():
        data = services.Registration(
            code=form.cleaned_data["code"], full_name=form.cleaned_data["full_name"],
            email=form.cleaned_data["email"], phone=form.cleaned_data["phone"], answers=form.answers(),
            accessibility_needs=form.cleaned_data["accessibility_needs"], consent=form.cleaned_data["consent"],
            is_under_16=form.cleaned_data.get("is_under_16") == "yes",
            guardian_name=form.cleaned_data.get("guardian_name", ""),
            guardian_email=form.cleaned_data.get("guardian_email", ""),
            guardian_consent=bool(form.cleaned_data.get("guardian_consent")))
        try:
            volunteer, _created = services.register_volunteer(panel, data, recorded_by=request.user if staff else None)
        except PanelError as error:
            _add_error(form, error, form.field_for(error.field))
        else:
            if staff:
                messages.success(request, _("Registered. Their reference is %(ref)s.") % {"ref": volunteer.reference})
                return redirect("panels:staff_volunteers", pk=panel.pk)
            return render(request, "panels/registered.html", {"panel": panel, "volunteer": volunteer})
    return render(request, template, {"panel": panel, "form": form, "open": panel.registration_open or staff})


# ---- staff: panels ----------------------------------------------------------------------------------------------

@staff_required(MANAGE)
def staff_list(request: HttpRequest) -> HttpResponse:
    return render(request, "panels/staff_list.html", {"panels": selectors.panels_for(request.user)})


@staff_required(MANAGE)
def staff_create(request: HttpRequest) -> HttpResponse:
    areas = areas_where(request.user, MANAGE)
    form = PanelForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            panel = services.create_panel(
                request.user, area=data["area"], name=data["name"], kind=data["kind"], purpose=data["purpose"],
                panel_size=data["panel_size"], reserve_size=data["reserve_size"] or 0,
                quota_tolerance=data["quota_tolerance"] or 0, algorithm=data["algorithm"],
                safeguarding_lead=data["safeguarding_lead"])
        except PanelError as error:
            _add_error(form, error, error.field)
        else:
            messages.success(request, _("Panel created. Next, enter the census shares for its area."))
            return redirect("panels:staff_detail", pk=panel.pk)
    return render(request, "panels/staff_form.html", {"form": form, "title": _("New panel")})


@staff_required(MANAGE)
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    initial = {"name": panel.name, "kind": panel.kind, "area": panel.area, "purpose": panel.purpose,
               "panel_size": panel.panel_size, "reserve_size": panel.reserve_size,
               "quota_tolerance": panel.quota_tolerance, "algorithm": panel.algorithm,
               "safeguarding_lead": panel.safeguarding_lead.email if panel.safeguarding_lead else ""}
    form = PanelForm(request.POST or None, areas=areas_where(request.user, MANAGE), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["reserve_size"] = data["reserve_size"] or 0
        data["quota_tolerance"] = data["quota_tolerance"] or 0
        try:
            services.update_panel(request.user, panel, **data)
        except PanelError as error:
            _add_error(form, error, error.field)
        else:
            messages.success(request, _("Panel saved."))
            return redirect("panels:staff_detail", pk=panel.pk)
    return render(request, "panels/staff_form.html", {"form": form, "title": _("Change panel"), "panel": panel})


@staff_required(MANAGE)
def staff_status(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    form = PanelStatusForm(request.POST or None, initial={"status": panel.status,
                                                          "force_response": panel.force_response})
    if request.method == "POST" and form.is_valid():
        services.update_panel(request.user, panel, status=form.cleaned_data["status"],
                              force_response=form.cleaned_data["force_response"])
        messages.success(request, _("Panel saved."))
        return redirect("panels:staff_detail", pk=panel.pk)
    return render(request, "panels/staff_status.html", {"form": form, "panel": panel})


@staff_required(MANAGE)
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    counts = {status: panel.volunteers.filter(status=status).count() for status in Volunteer.Status.values}
    context = {"panel": panel, "counts": counts, "pool": sum(counts.values()) - counts["dropped_out"],
               "rounds": panel.rounds.all(), "selections": panel.selections.select_related("task")[:5],
               "quota_count": panel.quotas.count(), "share_count": panel.census_shares.count(),
               "history": audit.entries_for(panel)[:15],
               "may_view_safeguarding": services.may_view_safeguarding(request.user, panel)}
    return render(request, "panels/staff_detail.html", context)


# ---- staff: census shares and quotas ----------------------------------------------------------------------------

@staff_required(MANAGE)
def staff_census(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    existing = "category,value,share\n" + "".join(
        f"{s.category},{s.value},{s.share:g}\n" for s in panel.census_shares.all())
    form = CensusSharesForm(request.POST or None, request.FILES or None,
                            initial={"shares": existing if panel.census_shares.exists() else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_census_shares(request.user, panel, form.cleaned_data["shares"])
            services.build_quotas_from_census(request.user, panel)
        except PanelError as error:
            _add_error(form, error, "shares")
        else:
            messages.success(request, _("Census shares saved and quotas rebuilt from them."))
            return redirect("panels:staff_quotas", pk=panel.pk)
    return render(request, "panels/staff_census.html", {"form": form, "panel": panel,
                                                         "bulk_form": CensusBulkForm(prefix="bulk")})


@require_POST
@staff_required(MANAGE)
def staff_census_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    """Read an ONS / Scotland's Census bulk file, sum the chosen areas and turn the counts into shares."""
    panel = _panel(request, pk)
    form = CensusBulkForm(request.POST, request.FILES, prefix="bulk")
    if form.is_valid():
        codes = [code.strip() for code in form.cleaned_data["areas"].split(",") if code.strip()]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "census.csv"
            path.write_bytes(form.cleaned_data["file"].read())
            try:
                census = read_census_csv(path, characteristic=form.cleaned_data["characteristic"] or None)
                counts = census.population(codes)
                text = services.census_shares_from_counts(census.characteristic, counts)
                services.set_census_shares(request.user, panel, text)
                services.build_quotas_from_census(request.user, panel)
            except (RepresentativenessError, ValueError) as error:
                form.add_error("file", str(error))
            else:
                messages.success(request, _("Census shares read from the file and quotas rebuilt from them."))
                return redirect("panels:staff_quotas", pk=panel.pk)
    return render(request, "panels/staff_census.html", {"form": CensusSharesForm(), "panel": panel,
                                                         "bulk_form": form})


@staff_required(MANAGE)
def staff_quotas(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    form = QuotaForm(request.POST or None, quotas=panel.quotas.all())
    feasibility = None
    if request.method == "POST":
        if request.POST.get("relax"):
            check = services.check_feasibility(panel)
            if check.relaxation:
                services.apply_relaxation(request.user, panel, check.relaxation)
                messages.success(request, _("The suggested relaxation is applied."))
            return redirect("panels:staff_quotas", pk=panel.pk)
        if form.is_valid():
            try:
                services.save_quotas(request.user, panel, form.bounds())
            except PanelError as error:
                _add_error(form, error)
            else:
                messages.success(request, _("Quotas saved."))
                return redirect("panels:staff_quotas", pk=panel.pk)
    elif request.GET.get("check"):
        feasibility = services.check_feasibility(panel)
    tallies = {(row.category, row.value): row for row in selectors.quota_rows(panel)}
    rows = [{**row, "tally": tallies.get((row["quota"].category, row["quota"].value))} for row in form.rows()]
    return render(request, "panels/staff_quotas.html", {"form": form, "panel": panel, "rows": rows,
                                                         "feasibility": feasibility})


# ---- staff: recruitment -----------------------------------------------------------------------------------------

@staff_required(MANAGE)
def staff_round_new(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    form = RoundForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.create_round(request.user, panel, form.cleaned_data["file"],
                                           form.cleaned_data["sample_size"], form.cleaned_data["oversample"],
                                           form.cleaned_data["seed"])
        except PanelError as error:
            _add_error(form, error, error.field)
        else:
            messages.success(request, _("Addresses drawn."))
            return redirect("panels:staff_round", pk=panel.pk, round_pk=round_.pk)
    return render(request, "panels/staff_round_new.html", {"form": form, "panel": panel})


def _round(request: HttpRequest, pk: int, round_pk: int) -> RecruitmentRound:
    panel = _panel(request, pk)
    return get_object_or_404(RecruitmentRound.objects.select_related("panel__area"), pk=round_pk, panel=panel)


@staff_required(MANAGE)
def staff_round(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    round_ = _round(request, pk, round_pk)
    drawn = round_.addresses.filter(drawn=True)
    context = {"panel": round_.panel, "round": round_, "drawn": drawn.count(),
               "registered": drawn.filter(volunteer__isnull=False).count(),
               "allocation": sorted(round_.allocation.items())}
    return render(request, "panels/staff_round.html", context)


@staff_required(MANAGE)
def staff_letters(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    """Invitation letters as a print-optimised page: one letter per printed page, each with its own code."""
    round_ = _round(request, pk, round_pk)
    services.record_letters_printed(request.user, round_)
    letters = round_.addresses.filter(drawn=True).order_by("area_label", "line_number")
    register_url = settings.BYCONSENT_SITE_URL + reverse("panels:register", args=[round_.panel.slug])
    return render(request, "panels/letters.html", {"panel": round_.panel, "letters": letters,
                                                   "register_url": register_url, "kind": "invitation"})


@staff_required(MANAGE)
def staff_register(request: HttpRequest, pk: int) -> HttpResponse:
    return _registration(request, _panel(request, pk), staff=True)


@staff_required(MANAGE)
def staff_volunteers(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    volunteers = panel.volunteers.select_related("answers", "replaces").order_by("status", "reserve_rank", "id")
    return render(request, "panels/staff_volunteers.html", {
        "panel": panel, "volunteers": volunteers,
        "show_contacts": services.may_see_contact_details(request.user, panel)})


@staff_required(MANAGE)
def staff_volunteer(request: HttpRequest, pk: int, volunteer_pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    volunteer = get_object_or_404(Volunteer.objects.select_related("answers"), pk=volunteer_pk, panel=panel)
    answers = getattr(volunteer, "answers", None)
    form = AccessibilityForm(request.POST or None,
                             initial={"accessibility_needs": answers.accessibility_needs if answers else ""})
    if request.method == "POST" and form.is_valid():
        services.update_accessibility_needs(request.user, volunteer, form.cleaned_data["accessibility_needs"])
        messages.success(request, _("Accessibility needs saved."))
        return redirect("panels:staff_volunteer", pk=panel.pk, volunteer_pk=volunteer.pk)
    return render(request, "panels/staff_volunteer.html", {
        "panel": panel, "volunteer": volunteer, "form": form, "withdraw_form": WithdrawForm(),
        "show_contacts": services.may_see_contact_details(request.user, panel),
        "attendance": volunteer.attendance.select_related("session"), "payments": volunteer.payments.all(),
        "answers_form": AnswersForm(categories=services.quota_categories(panel), initial=_answer_initial(volunteer))})


def _answer_initial(volunteer: Volunteer) -> dict[str, str]:
    answers = getattr(volunteer, "answers", None)
    values = (answers.answers if answers else None) or {}
    categories = services.quota_categories(volunteer.panel)
    return {f"answer_{i}": values.get(category, "") for i, category in enumerate(categories)}


@staff_required(MANAGE)
def staff_answers(request: HttpRequest, pk: int, volunteer_pk: int) -> HttpResponse:
    """Correct a volunteer's quota answers (special-category data: shown only on this page, to those running the
    panel, and never written to the audit trail)."""
    panel = _panel(request, pk)
    volunteer = get_object_or_404(Volunteer.objects.select_related("answers"), pk=volunteer_pk, panel=panel)
    categories = services.quota_categories(panel)
    form = AnswersForm(request.POST or None, categories=categories, initial=_answer_initial(volunteer))
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_answers(request.user, volunteer, form.answers())
        except PanelError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Answers saved."))
            return redirect("panels:staff_volunteer", pk=panel.pk, volunteer_pk=volunteer.pk)
    return render(request, "panels/staff_answers.html", {"panel": panel, "volunteer": volunteer, "form": form})


# ---- staff: selection -------------------------------------------------------------------------------------------

@staff_required(MANAGE)
def staff_select(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    form = SelectionForm(request.POST or None, initial={"algorithm": panel.algorithm})
    if request.method == "POST" and form.is_valid():
        try:
            selection = services.start_selection(request.user, panel, form.cleaned_data["algorithm"],
                                                 form.cleaned_data["seed"])
        except PanelError as error:
            _add_error(form, error, error.field)
        else:
            return redirect("panels:staff_selection", pk=panel.pk, selection_pk=selection.pk)
    feasibility = services.check_feasibility(panel) if request.method == "GET" else None
    return render(request, "panels/staff_select.html", {"form": form, "panel": panel, "feasibility": feasibility})


def _selection(request: HttpRequest, pk: int, selection_pk: int) -> Selection:
    panel = _panel(request, pk)
    return get_object_or_404(Selection.objects.select_related("panel", "task"), pk=selection_pk, panel=panel)


@staff_required(MANAGE)
def staff_selection(request: HttpRequest, pk: int, selection_pk: int) -> HttpResponse:
    selection = _selection(request, pk, selection_pk)
    panel = selection.panel
    context: dict[str, Any] = {"panel": panel, "selection": selection}
    if selection.status == Selection.Status.DONE:
        outcome = selection.outcome or {}
        lottery = outcome.get("lottery") or {}
        context.update({
            "outcome": outcome, "lottery": lottery, "probabilities": selectors.probability_rows(selection),
            "quota_rows": selectors.quota_rows(panel),
            "members": panel.volunteers.filter(status=Volunteer.Status.SELECTED).order_by("full_name"),
            "reserves": panel.volunteers.filter(status=Volunteer.Status.RESERVE).order_by("reserve_rank"),
            "dropped": panel.volunteers.filter(status=Volunteer.Status.DROPPED_OUT).select_related("replaced_by"),
            "ticket_check": int(hashlib.sha256(selection.seed.encode()).hexdigest(), 16) % lottery["size"]
            if lottery else None,
            "is_latest": selectors.latest_selection(panel) == selection,
            "empty_seats": panel.panel_size - panel.volunteers.filter(status=Volunteer.Status.SELECTED).count(),
        })
    return render(request, "panels/staff_selection.html", context)


@staff_required(MANAGE)
def staff_selection_progress(request: HttpRequest, pk: int, selection_pk: int) -> JsonResponse:
    """Progress for the result page's script (the page itself never refreshes on its own)."""
    selection = _selection(request, pk, selection_pk)
    task = selection.task
    return JsonResponse({"status": selection.status, "task_status": task.status if task else None,
                         "fraction": task.fraction if task else 0.0, "message": task.message if task else ""})


@staff_required(MANAGE)
def staff_draw_file(request: HttpRequest, pk: int, selection_pk: int) -> HttpResponse:
    selection = _selection(request, pk, selection_pk)
    if selection.status != Selection.Status.DONE:
        raise Http404
    response = HttpResponse(json.dumps(selectors.draw_file(selection), indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{selection.panel.slug}-draw-{selection.pk}.json"'
    return response


@staff_required(MANAGE)
def staff_replace(request: HttpRequest, pk: int, volunteer_pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    member = get_object_or_404(Volunteer, pk=volunteer_pk, panel=panel, status=Volunteer.Status.SELECTED)
    form = ReplaceForm(request.POST or None)
    candidate, explanation = services.find_replacement(panel, member)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.replace_member(request.user, member, form.cleaned_data["reason"],
                                              leave_empty_if_none=form.cleaned_data["leave_empty"])
        except PanelError as error:
            _add_error(form, error, "leave_empty")
        else:
            if outcome.replacement is not None:
                messages.success(request, _("Reserve %(ref)s takes the seat; every quota is still met.")
                                 % {"ref": outcome.replacement.reference})
            else:
                messages.success(request, _("The drop-out is recorded and the seat is empty."))
            selection = selectors.latest_selection(panel)
            if selection is not None:
                return redirect("panels:staff_selection", pk=panel.pk, selection_pk=selection.pk)
            return redirect("panels:staff_volunteers", pk=panel.pk)
    return render(request, "panels/staff_replace.html", {"panel": panel, "member": member, "form": form,
                                                         "candidate": candidate, "explanation": explanation})


@require_POST
@staff_required(MANAGE)
def staff_fill_seat(request: HttpRequest, pk: int, selection_pk: int) -> HttpResponse:
    selection = _selection(request, pk, selection_pk)
    try:
        reserve = services.fill_empty_seat(request.user, selection.panel)
    except PanelError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Reserve %(ref)s takes the empty seat; every quota is met.")
                         % {"ref": reserve.reference})
    return redirect("panels:staff_selection", pk=pk, selection_pk=selection_pk)


@require_POST
@staff_required(MANAGE)
def staff_withdraw(request: HttpRequest, pk: int, volunteer_pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    volunteer = get_object_or_404(Volunteer, pk=volunteer_pk, panel=panel)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.withdraw_volunteer(request.user, volunteer, form.cleaned_data["withdraw_reason"])
        except PanelError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("%(ref)s is no longer in the pool.") % {"ref": volunteer.reference})
    else:
        messages.error(request, _("Enter why they are withdrawing."))
    return redirect("panels:staff_volunteer", pk=panel.pk, volunteer_pk=volunteer.pk)


@require_POST
@staff_required(MANAGE)
def staff_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    try:
        counts = services.send_confirmations(request.user, panel)
    except PanelError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(emails)s emails queued; %(letters)s people have no email address and need a "
                                    "letter.") % counts)
    return redirect("panels:staff_detail", pk=panel.pk)


@staff_required(MANAGE)
def staff_confirmation_letters(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    if not services.may_see_contact_details(request.user, panel):
        raise PermissionDenied
    people = panel.volunteers.filter(status__in=[Volunteer.Status.SELECTED, Volunteer.Status.RESERVE],
                                     email="").select_related("address").order_by("status", "reserve_rank")
    return render(request, "panels/letters.html", {"panel": panel, "letters": people, "kind": "confirmation"})


# ---- staff: running the panel -----------------------------------------------------------------------------------

@staff_required(MANAGE)
def staff_sessions(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.create_session(request.user, panel, title=form.cleaned_data["title"], starts_at=form.starts_at(),
                                location=form.cleaned_data["location"], notes=form.cleaned_data["notes"])
        messages.success(request, _("Session added."))
        return redirect("panels:staff_sessions", pk=panel.pk)
    sessions = panel.sessions.all()
    return render(request, "panels/staff_sessions.html", {"panel": panel, "form": form, "sessions": sessions})


@staff_required(MANAGE)
def staff_session(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    session = get_object_or_404(PanelSession, pk=session_pk, panel=panel)
    members = volunteer_choices(panel)
    present = [str(a.volunteer_id) for a in session.attendance.filter(attended=True)]
    form = AttendanceForm(request.POST or None, members=members, initial={"attended": present})
    if request.method == "POST" and form.is_valid():
        count = services.record_attendance(request.user, session, {int(v) for v in form.cleaned_data["attended"]})
        messages.success(request, _("Attendance saved: %(count)s present.") % {"count": count})
        return redirect("panels:staff_session", pk=panel.pk, session_pk=session.pk)
    needs = [(m, m.answers.accessibility_needs) for m in members.select_related("answers")
             if getattr(m, "answers", None) and m.answers.accessibility_needs]
    return render(request, "panels/staff_session.html", {"panel": panel, "session": session, "form": form,
                                                         "needs": needs})


@staff_required(MANAGE)
def staff_payments(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    members = panel.volunteers.filter(status__in=[Volunteer.Status.SELECTED, Volunteer.Status.DROPPED_OUT])
    form = PaymentForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        volunteer = get_object_or_404(Volunteer, pk=form.cleaned_data["volunteer"], panel=panel)
        try:
            services.record_payment(request.user, panel, volunteer=volunteer, kind=form.cleaned_data["kind"],
                                    amount=form.cleaned_data["amount"], description=form.cleaned_data["description"],
                                    idempotency_key=form.cleaned_data["key"])
        except PanelError as error:
            _add_error(form, error, error.field)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect("panels:staff_payments", pk=panel.pk)
    payments = panel.payments.select_related("volunteer")
    return render(request, "panels/staff_payments.html", {"panel": panel, "form": form, "payments": payments})


@staff_required(MANAGE)
def staff_recommendations(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    form = RecommendationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_recommendation(request.user, panel, form.cleaned_data["text"])
        except PanelError as error:
            _add_error(form, error, "text")
        else:
            messages.success(request, _("Recommendation recorded and added to contributions."))
            return redirect("panels:staff_recommendations", pk=panel.pk)
    recommendations = panel.recommendations.select_related("contribution")
    return render(request, "panels/staff_recommendations.html", {
        "panel": panel, "form": form, "recommendations": recommendations,
        "may_view_contributions": can(request.user, Action.VIEW_CONTRIBUTIONS, panel)})


@staff_required(MANAGE)
def staff_recommendation(request: HttpRequest, pk: int, recommendation_pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    recommendation = get_object_or_404(Recommendation.objects.select_related("contribution"), pk=recommendation_pk,
                                       panel=panel)
    form = ResponseForm(request.POST or None, initial={"response": recommendation.response,
                                                       "publish": recommendation.published})
    if request.method == "POST" and form.is_valid():
        try:
            services.respond_to_recommendation(request.user, recommendation, form.cleaned_data["response"],
                                               form.cleaned_data["publish"])
        except PanelError as error:
            _add_error(form, error, "publish")
        else:
            messages.success(request, _("Response saved."))
            return redirect("panels:staff_recommendations", pk=panel.pk)
    return render(request, "panels/staff_recommendation.html", {"panel": panel, "recommendation": recommendation,
                                                                "form": form})


@staff_required(Action.VIEW_STAFF_PAGES)
def staff_safeguarding(request: HttpRequest, pk: int) -> HttpResponse:
    """Youth groups: the safeguarding lead and guardian consent, for those who run the panel and ethics reviewers."""
    panel = get_object_or_404(Panel.objects.select_related("area", "safeguarding_lead"), pk=pk)
    if not panel.is_youth or not services.may_view_safeguarding(request.user, panel):
        raise Http404
    volunteers = panel.volunteers.exclude(status=Volunteer.Status.DROPPED_OUT)
    context = {"panel": panel,
               "under_16": volunteers.filter(is_under_16=True).count(),
               "with_consent": volunteers.filter(is_under_16=True, guardian_consent=True).count(),
               "total": volunteers.count()}
    return render(request, "panels/staff_safeguarding.html", context)
