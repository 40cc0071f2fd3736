"""HTTP views of the actions app (thin: parse, call a service or selector, render)."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from byconsent.actions import selectors, services
from byconsent.actions.forms import (
    ActionFilterForm,
    ActionForm,
    ConcernForm,
    ContributionSearchForm,
    DecisionForm,
    EvidenceForm,
    MeasuresForm,
    MilestoneForm,
    StatusForm,
    UpdateForm,
    apply_errors,
    contribution_ids,
)
from byconsent.actions.models import Action, Concern, Decision, FeedbackDelivery, Milestone
from byconsent.core import audit
from byconsent.core.models import Area
from byconsent.core.policy import Action as Do
from byconsent.core.policy import areas_where, get_visible_or_404
from byconsent.core.views import staff_required

PAGE_SIZE = 25


def _evidence_input(form: EvidenceForm) -> services.EvidenceInput:
    data = form.cleaned_data
    kind = data.get("record_type")
    return services.EvidenceInput(title=data["title"], content_type=kind,
                                  object_id=data.get("record_id") or "" if kind else "",
                                  url=data.get("url") or "", note=data.get("note") or "")


# ---- staff: overview ---------------------------------------------------------------------------------------------

@staff_required(Do.MANAGE_ACTIONS)
def staff_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "overdue": selectors.overdue_actions_for(user).select_related("area", "owner")[:20],
        "concerns": selectors.concerns_for(user)[:5],
        "decisions": selectors.decisions_for(user)[:5],
        "actions": selectors.actions_for(user, {"mine": True}).filter(status__in=Action.OPEN_STATUSES)[:10],
        "letters": FeedbackDelivery.objects.filter(status=FeedbackDelivery.Status.TO_PRINT).filter(
            Q(event__decision__area__in=areas_where(user, Do.MANAGE_ACTIONS))
            | Q(event__action__area__in=areas_where(user, Do.MANAGE_ACTIONS))).count(),
    }
    return render(request, "actions/staff_home.html", context)


@require_POST
@staff_required(Do.MANAGE_ACTIONS)
def send_feedback(request: HttpRequest) -> HttpResponse:
    progress = services.request_feedback_batch(request.user)
    return redirect("core:task_detail", pk=progress.pk)


# ---- staff: concerns ---------------------------------------------------------------------------------------------

@staff_required(Do.MANAGE_ACTIONS)
def concern_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.concerns_for(request.user, {"q": request.GET.get("q", "")}), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "actions/concern_list.html", {"page": page, "q": request.GET.get("q", "")})


def _contribution_page(request: HttpRequest) -> tuple[ContributionSearchForm, Any]:
    search = ContributionSearchForm(request.GET or None, user=request.user, prefix="search")
    filters = search.cleaned_data if search.is_bound and search.is_valid() else {}
    page = Paginator(selectors.contribution_choices(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return search, page


@staff_required(Do.MANAGE_ACTIONS)
def concern_create(request: HttpRequest) -> HttpResponse:
    form = ConcernForm(request.POST or None, user=request.user)
    search, page = _contribution_page(request)
    chosen = contribution_ids(request.POST) if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        try:
            concern = services.create_concern_from_contributions(
                request.user, form.cleaned_data["area"], form.cleaned_data["summary"], chosen,
                detail=form.cleaned_data["detail"], is_public=form.cleaned_data["is_public"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Concern recorded."))
            return redirect("actions:concern_detail", pk=concern.pk)
    return render(request, "actions/concern_form.html",
                  {"form": form, "search": search, "page": page, "chosen": set(chosen)})


@staff_required(Do.MANAGE_ACTIONS)
def concern_detail(request: HttpRequest, pk: int) -> HttpResponse:
    concern = get_visible_or_404(request.user, Do.MANAGE_ACTIONS, Concern.objects.select_related("area"), pk=pk)
    form = ConcernForm(request.POST or None, user=request.user, initial={
        "area": concern.area, "summary": concern.summary, "detail": concern.detail, "is_public": concern.is_public})
    search, page = _contribution_page(request)
    if request.method == "POST":
        operation = request.POST.get("operation")
        if operation == "link":
            added = services.link_contributions(request.user, concern, contribution_ids(request.POST))
            messages.success(request, _("%(n)d contributions linked.") % {"n": len(added)})
            return redirect("actions:concern_detail", pk=pk)
        if operation == "unlink":
            services.unlink_contribution(request.user, concern, int(request.POST.get("contribution", 0) or 0))
            messages.success(request, _("Contribution unlinked."))
            return redirect("actions:concern_detail", pk=pk)
        if form.is_valid():
            try:
                services.update_concern(request.user, concern, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Concern saved."))
                return redirect("actions:concern_detail", pk=pk)
    linked = concern.contributions.select_related("area").order_by("-created_on", "-pk")
    context = {"concern": concern, "form": form, "search": search, "page": page, "linked": linked,
               "linked_ids": set(linked.values_list("pk", flat=True)),
               "counts": selectors.protected_counts(concern.contributions.all(), f"concern-{concern.pk}"),
               "raw": selectors.raw_breakdowns(concern.contributions.all()),
               "history": audit.entries_for(concern)}
    return render(request, "actions/concern_detail.html", context)


# ---- staff: decisions --------------------------------------------------------------------------------------------

@staff_required(Do.MANAGE_ACTIONS)
def decision_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.decisions_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "actions/decision_list.html", {"page": page})


@staff_required(Do.MANAGE_ACTIONS)
def decision_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("concern"):
        initial["concerns"] = [request.GET["concern"]]
    form = DecisionForm(request.POST or None, user=request.user, initial=initial)
    evidence = EvidenceForm(request.POST or None, prefix="evidence", required=False)
    if request.method == "POST" and form.is_valid() and evidence.is_valid():
        data = form.cleaned_data
        try:
            decision = services.record_decision(
                request.user, area=data["area"], forum=data["forum"], decided_on=data["decided_on"],
                outcome=data["outcome"], summary=data["summary"], reasons=data["reasons"],
                is_public=data["is_public"],
                concerns=data["concerns"], evidence=[_evidence_input(evidence)] if evidence.has_evidence else [])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Decision recorded. People who asked to hear back will be told."))
            return redirect("actions:decision_detail", pk=decision.pk)
    return render(request, "actions/decision_form.html",
                  {"form": form, "evidence": evidence, "all_forms": [form, evidence]})


@staff_required(Do.MANAGE_ACTIONS)
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_visible_or_404(request.user, Do.MANAGE_ACTIONS, Decision.objects.select_related("area"), pk=pk)
    evidence = EvidenceForm(request.POST or None)
    if request.method == "POST" and evidence.is_valid():
        try:
            services.add_evidence(request.user, decision, _evidence_input(evidence))
        except ValidationError as error:
            apply_errors(evidence, error)
        else:
            messages.success(request, _("Evidence added."))
            return redirect("actions:decision_detail", pk=pk)
    context = {"decision": decision, "evidence_form": evidence, "history": audit.entries_for(decision)}
    return render(request, "actions/decision_detail.html", context)


# ---- staff: actions ----------------------------------------------------------------------------------------------

@staff_required(Do.MANAGE_ACTIONS)
def action_list(request: HttpRequest) -> HttpResponse:
    form = ActionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = Paginator(selectors.actions_for(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "actions/action_list.html", {"form": form, "page": page, "today": timezone.localdate()})


@staff_required(Do.MANAGE_ACTIONS)
def action_create(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    if request.GET.get("decision"):
        initial["decision"] = request.GET["decision"]
    form = ActionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = services.create_action(request.user, area=data["area"], title=data["title"],
                                            description=data["description"], owner=data["owner"],
                                            due_on=data["due_on"], decision=data["decision"],
                                            concerns=data["concerns"], is_public=data["is_public"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Action recorded."))
            return redirect("actions:action_detail", pk=action.pk)
    return render(request, "actions/action_form.html", {"form": form, "editing": None})


@staff_required(Do.MANAGE_ACTIONS)
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_visible_or_404(request.user, Do.MANAGE_ACTIONS, Action.objects.select_related("area"), pk=pk)
    form = ActionForm(request.POST or None, user=request.user, initial={
        "area": action.area, "title": action.title, "description": action.description, "owner": action.owner,
        "due_on": action.due_on, "decision": action.decision, "concerns": list(action.concerns.all()),
        "is_public": action.is_public})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        concerns = data.pop("concerns")
        try:
            services.update_action(request.user, action, **data)
            services.set_action_concerns(request.user, action, concerns)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Action saved."))
            return redirect("actions:action_detail", pk=pk)
    return render(request, "actions/action_form.html", {"form": form, "editing": action})


@staff_required(Do.MANAGE_ACTIONS)
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_visible_or_404(request.user, Do.MANAGE_ACTIONS,
                                Action.objects.select_related("area", "owner", "decision"), pk=pk)
    operation = request.POST.get("operation") if request.method == "POST" else None
    status_form = StatusForm(request.POST if operation == "status" else None, prefix="status",
                             initial={"status": action.status, "progress": action.progress})
    update_form = UpdateForm(request.POST if operation == "update" else None, prefix="update")
    milestone_form = MilestoneForm(request.POST if operation == "milestone" else None, prefix="milestone")
    try:
        if operation == "status" and status_form.is_valid():
            data = status_form.cleaned_data
            services.change_status(request.user, action, data["status"], progress=data["progress"],
                                   public_text=data["public_text"])
            messages.success(request, _("Status saved."))
            return redirect("actions:action_detail", pk=pk)
        if operation == "update" and update_form.is_valid():
            services.post_update(request.user, action, update_form.cleaned_data["text"],
                                 update_form.cleaned_data["progress"])
            messages.success(request, _("Update published."))
            return redirect("actions:action_detail", pk=pk)
        if operation == "milestone" and milestone_form.is_valid():
            services.add_milestone(request.user, action, milestone_form.cleaned_data["title"],
                                   milestone_form.cleaned_data["due_on"])
            messages.success(request, _("Milestone added."))
            return redirect("actions:action_detail", pk=pk)
        if operation == "milestone_done":
            milestone = get_object_or_404(Milestone, pk=request.POST.get("milestone"), action=action)
            services.complete_milestone(request.user, milestone)
            messages.success(request, _("Milestone marked as reached."))
            return redirect("actions:action_detail", pk=pk)
    except ValidationError as error:
        form = {"status": status_form, "update": update_form, "milestone": milestone_form}[operation or "status"]
        apply_errors(form, error)
    context = {"action": action, "status_form": status_form, "update_form": update_form,
               "milestone_form": milestone_form, "history": audit.entries_for(action),
               "all_forms": [status_form, update_form, milestone_form],
               "overdue": action.is_overdue()}
    return render(request, "actions/action_detail.html", context)


# ---- staff: letters and measures ---------------------------------------------------------------------------------

@staff_required(Do.MANAGE_ACTIONS)
def letters(request: HttpRequest) -> HttpResponse:
    areas = areas_where(request.user, Do.MANAGE_ACTIONS)
    pending = (FeedbackDelivery.objects.filter(status=FeedbackDelivery.Status.TO_PRINT)
               .filter(Q(event__decision__area__in=areas) | Q(event__action__area__in=areas))
               .select_related("person", "event", "event__decision", "event__action").order_by("id"))
    if request.method == "POST":
        chosen = pending.filter(pk__in=contribution_ids_from(request.POST, "delivery"))
        count = services.mark_letters_printed(request.user, chosen)
        messages.success(request, _("%(n)d letters marked as printed and posted.") % {"n": count})
        return redirect("actions:letters")
    rows = []
    for delivery in pending:
        subject, body = services.letter_text(delivery)
        rows.append({"delivery": delivery, "subject": subject, "body": body,
                     "address": selectors.postal_address(delivery.person)})
    return render(request, "actions/letters.html", {"rows": rows})


def contribution_ids_from(data: Any, name: str) -> list[int]:
    values = []
    for value in data.getlist(name):
        if str(value).isdigit():
            values.append(int(value))
    return values


@staff_required(Do.MANAGE_ACTIONS)
def measures(request: HttpRequest) -> HttpResponse:
    form = MeasuresForm(request.GET or None, user=request.user)
    area = form.cleaned_data.get("area") if form.is_bound and form.is_valid() else None
    if area is None:
        area = areas_where(request.user, Do.MANAGE_ACTIONS).order_by("level", "path").first()
    if area is None:
        raise Http404
    data = selectors.measures(request.user, area)
    return render(request, "actions/measures.html", {"form": form, "area": area, **data,
                                                     "deliveries": selectors.delivery_counts()})


# ---- public ------------------------------------------------------------------------------------------------------

def _concern_cards(concerns: Any, source: tuple[int, str] | None = None) -> list[dict[str, Any]]:
    cards = []
    for concern in concerns:
        counts = selectors.protected_counts(concern.contributions.all(), f"concern-{concern.pk}")
        cards.append({
            "concern": concern, "counts": counts,
            "source_count": selectors.count_for_source(concern, *source) if source else None,
            "quotes": selectors.approved_quotes(concern, limit=2, source=source),
            "decisions": list(concern.decisions.all()), "actions": list(concern.actions.all()),
        })
    return cards


def _crumbs(*items: tuple[str, str | None]) -> list[dict[str, Any]]:
    trail = [{"text": _("You said, we did"), "href": reverse("actions:public_index")}]
    return trail + [{"text": text, "href": href} for text, href in items]


def _area_crumb(area: Area) -> tuple[str, str]:
    return area.name, reverse("actions:public_area", args=[area.code])


def _public_page(request: HttpRequest, *, title: str, area: Area | None = None,
                 source: tuple[int, str] | None = None) -> HttpResponse:
    concerns = Paginator(selectors.public_concerns(area, source), 10).get_page(request.GET.get("page"))
    decisions = selectors.public_decisions(area)
    actions = selectors.public_actions(area)
    if source is not None:
        ids = list(selectors.public_concerns(area, source).values_list("pk", flat=True))
        decisions = decisions.filter(concerns__in=ids).distinct()
        actions = actions.filter(Q(concerns__in=ids) | Q(decision__concerns__in=ids)).distinct()
    feed_query = ""
    if area is not None:
        feed_query = f"?area={area.code}"
    elif source is not None:
        feed_query = f"?source={source[0]}:{source[1]}"
    context = {"title": title, "area": area, "source": source, "page": concerns,
               "cards": _concern_cards(concerns, source), "decisions": decisions[:10],
               "actions": actions[:20], "feed_query": feed_query, "today": timezone.localdate(),
               "areas": Area.objects.filter(level__lte=Area.Level.LOCAL_AREA).order_by("path"),
               "breadcrumbs": _crumbs((area.name if area else title, None))}
    return render(request, "actions/public_index.html", context)


def public_index(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("area")
    if code:
        return redirect("actions:public_area", code=code)
    return _public_page(request, title=_("You said, we did"))


def public_area(request: HttpRequest, code: str) -> HttpResponse:
    area = get_object_or_404(Area, code=code)
    return _public_page(request, title=_("You said, we did: %(area)s") % {"area": area.name}, area=area)


def public_source(request: HttpRequest, type_id: int, object_id: str) -> HttpResponse:
    get_object_or_404(ContentType, pk=type_id)
    # Only sources with published concerns have a page: the title shows the source's name, and any other object
    # (an account, say) must not be nameable through this address.
    if not selectors.public_concerns(None, (type_id, object_id)).exists():
        raise Http404
    title = _("You said, we did: %(source)s") % {"source": selectors.source_title(type_id, object_id)}
    return _public_page(request, title=title, source=(type_id, object_id))


def public_concern(request: HttpRequest, pk: int) -> HttpResponse:
    concern = get_object_or_404(Concern.objects.select_related("area"), pk=pk, is_public=True)
    counts = selectors.protected_counts(concern.contributions.all(), f"concern-{concern.pk}")
    context = {"concern": concern, "counts": counts, "quotes": selectors.approved_quotes(concern, limit=10),
               "decisions": concern.decisions.filter(is_public=True).prefetch_related("evidence"),
               "actions": concern.actions.filter(is_public=True).select_related("area"),
               "timeline": selectors.public_timeline(concern),
               "breadcrumbs": _crumbs(_area_crumb(concern.area), (concern.summary, None))}
    return render(request, "actions/public_concern.html", context)


def public_decision(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(Decision.objects.select_related("area"), pk=pk, is_public=True)
    context = {"decision": decision, "concerns": decision.concerns.filter(is_public=True),
               "evidence": decision.evidence.select_related("content_type"),
               "actions": decision.actions.filter(is_public=True), "timeline": selectors.public_timeline(decision),
               "breadcrumbs": _crumbs(_area_crumb(decision.area), (str(decision), None))}
    return render(request, "actions/public_decision.html", context)


def public_action(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(Action.objects.select_related("area", "decision"), pk=pk, is_public=True)
    context = {"action": action, "concerns": action.concerns.filter(is_public=True),
               "milestones": action.milestones.all(), "updates": action.updates.all()[:20],
               "timeline": selectors.public_timeline(action), "overdue": action.is_overdue(),
               "breadcrumbs": _crumbs(_area_crumb(action.area), (action.title, None))}
    return render(request, "actions/public_action.html", context)


def _feed_scope(request: HttpRequest) -> tuple[Area | None, tuple[int, str] | None]:
    area = None
    source = None
    if request.GET.get("area"):
        area = get_object_or_404(Area, code=request.GET["area"])
    if request.GET.get("source"):
        type_id, _sep, object_id = request.GET["source"].partition(":")
        if not type_id.isdigit() or not object_id:
            raise Http404
        source = (int(type_id), object_id)
    return area, source


def feed_json(request: HttpRequest) -> JsonResponse:
    area, source = _feed_scope(request)
    rows = selectors.feed_rows(area, source)
    body = {"generated_at": timezone.now().isoformat(), "licence": "Open Government Licence v3.0",
            "columns": selectors.FEED_COLUMNS, "records": rows}
    response = JsonResponse(body, json_dumps_params={"indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def feed_csv(request: HttpRequest) -> HttpResponse:
    area, source = _feed_scope(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="you-said-we-did.csv"'
    writer = csv.DictWriter(response, fieldnames=selectors.FEED_COLUMNS)
    writer.writeheader()
    for row in selectors.feed_rows(area, source):
        writer.writerow({key: _csv_safe(value) for key, value in row.items()})
    return response


def _csv_safe(value: Any) -> Any:
    """Stop spreadsheet formula injection from text people or staff typed."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

