"""HTTP views of the consultations app (thin: parse, call a service or selector, render)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from byconsent.consultations import selectors, services
from byconsent.consultations.forms import (
    AlertForm,
    ConsultationForm,
    DocumentForm,
    FeedbackForm,
    GunningForm,
    HubFilterForm,
    TransitionForm,
)
from byconsent.consultations.models import Consultation, Document, State
from byconsent.core import audit
from byconsent.core.policy import Action, areas_where, get_visible_or_404, scope
from byconsent.core.postcodes import find_area
from byconsent.core.ratelimit import rate_limited
from byconsent.core.views import staff_required
from byconsent.surveys import reports
from byconsent.surveys import selectors as survey_selectors
from byconsent.surveys.models import Questionnaire

STATE_ACTIONS: dict[str, Any] = {
    State.IN_REVIEW: gettext_lazy("Send for review"),
    State.DRAFT: gettext_lazy("Return to draft"),
    State.SCHEDULED: gettext_lazy("Approve and schedule"),
    State.OPEN: gettext_lazy("Open now"),
    State.CLOSED: gettext_lazy("Close now"),
    State.ANALYSING: gettext_lazy("Start analysing responses"),
    State.FEEDBACK_PUBLISHED: gettext_lazy("Publish feedback"),
}


def _post(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


# ---- public -----------------------------------------------------------------------------------------------------

def hub(request: HttpRequest) -> HttpResponse:
    form = HubFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    area = None
    if form.is_bound and form.is_valid():
        filters = form.cleaned_data
        if filters.get("postcode"):
            area = find_area(filters["postcode"])
            if area is None:
                messages.info(request, _("We could not match that postcode to one of our areas, so we show "
                                         "consultations everywhere."))
    results = selectors.search(filters, area)
    searched = form.is_bound and any(v for k, v in request.GET.items() if k != "page")
    page_obj = Paginator(results, 20).get_page(request.GET.get("page")) if searched else None
    return render(request, "consultations/hub.html", {
        "form": form, "searched": searched, "page_obj": page_obj, "area": area,
        "groups": None if searched else selectors.grouped(selectors.public()[:200])})


def _public_consultation(slug: str) -> Consultation:
    consultation = Consultation.objects.filter(slug=slug).prefetch_related("areas", "documents", "related").first()
    if consultation is None or not consultation.is_public:
        raise Http404
    return consultation


def _detail_context(consultation: Consultation) -> dict[str, Any]:
    return {"consultation": consultation, "documents": consultation.documents.all(),
            "related": [c for c in consultation.related.all() if c.is_public],
            "transitions": consultation.transitions.all()}


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _public_consultation(slug)
    return render(request, "consultations/detail.html", _detail_context(consultation))


def preview(request: HttpRequest, token: str) -> HttpResponse:
    consultation = services.consultation_from_preview(token)
    if consultation is None:
        raise Http404
    return render(request, "consultations/detail.html", {**_detail_context(consultation), "preview": True})


def results(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _public_consultation(slug)
    if consultation.state != State.FEEDBACK_PUBLISHED:
        raise Http404
    report = None
    published = []
    if consultation.questionnaire is not None:
        report = reports.disclosure_safe(reports.summary(consultation.questionnaire, published_only=True))
        published = list(survey_selectors.published_answers(consultation.questionnaire)[:200])
    return render(request, "consultations/results.html", {"consultation": consultation, "report": report,
                                                          "published": published})


@rate_limited("consultation-alerts", per_minute=5, burst=10)
def alerts(request: HttpRequest) -> HttpResponse:
    form = AlertForm(_post(request))
    if request.method == "POST" and form.is_valid():
        area = find_area(form.cleaned_data["postcode"]) if form.cleaned_data["postcode"] else None
        services.subscribe(form.cleaned_data["email"], area=area, interests=form.cleaned_data["interests"],
                           confirm_url=lambda token: request.build_absolute_uri(
                               reverse("consultations:alerts_confirm", args=[token])))
        return render(request, "consultations/alerts_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "consultations/alerts.html", {"form": form})


def alerts_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        subscription = services.confirm(token)
        if subscription is None:
            raise Http404
        return render(request, "consultations/alerts_done.html", {"confirmed": True})
    return render(request, "consultations/alerts_confirm.html", {"token": token})


def alerts_stop(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        services.unsubscribe(token)
        return render(request, "consultations/alerts_done.html", {"confirmed": False})
    return render(request, "consultations/alerts_stop.html", {"token": token})


# ---- staff ------------------------------------------------------------------------------------------------------

def _staff_consultation(request: HttpRequest, pk: int) -> Consultation:
    return get_visible_or_404(request.user, Action.MANAGE_ENGAGEMENT,  # type: ignore[no-any-return]
                              Consultation.objects.select_related("area", "questionnaire"), pk=pk)


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_list(request: HttpRequest) -> HttpResponse:
    consultations = scope(request.user, Action.MANAGE_ENGAGEMENT, Consultation.objects.select_related("area"))
    state = request.GET.get("state")
    if state in State.values:
        consultations = consultations.filter(state=state)
    return render(request, "consultations/staff/list.html", {"consultations": consultations, "states": State.choices,
                                                             "state": state})


def _form_kwargs(request: HttpRequest, consultation: Consultation | None = None) -> dict[str, Any]:
    areas = areas_where(request.user, Action.MANAGE_ENGAGEMENT)
    others = scope(request.user, Action.MANAGE_ENGAGEMENT, Consultation.objects.all())
    if consultation is not None:
        others = others.exclude(pk=consultation.pk)
    return {"areas": areas, "questionnaires": scope(request.user, Action.MANAGE_ENGAGEMENT,
                                                    Questionnaire.objects.all()),
            "others": others, "editing": consultation is not None}


def _day_start(day: datetime.date | None) -> datetime.datetime | None:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min)) if day else None


def _day_end(day: datetime.date | None) -> datetime.datetime | None:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59))) if day else None


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in data.items() if k not in ("opens_on", "closes_on", "slug")}
    fields["opens_at"] = _day_start(data.get("opens_on"))
    fields["closes_at"] = _day_end(data.get("closes_on"))
    return fields


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_create(request: HttpRequest) -> HttpResponse:
    form = ConsultationForm(_post(request), **_form_kwargs(request))
    if request.method == "POST" and form.is_valid():
        try:
            consultation = services.create(request.user, slug=form.cleaned_data["slug"], **_fields(form.cleaned_data))
        except ValueError as error:
            form.add_error("slug", str(error))
        else:
            messages.success(request, _("Consultation created as a draft."))
            return redirect("consultations:staff_detail", pk=consultation.pk)
    return render(request, "consultations/staff/form.html", {"form": form, "heading": _("New consultation")})


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _staff_consultation(request, pk)
    initial = {name: getattr(consultation, name) for name in (
        "title", "summary", "why_asking", "can_change", "cannot_change", "area", "owning_team", "contact_email",
        "contact_phone", "questionnaire")}
    initial.update(areas=list(consultation.areas.all()), audiences=consultation.audiences,
                   interests=consultation.interests, related=list(consultation.related.all()),
                   opens_on=timezone.localtime(consultation.opens_at).date() if consultation.opens_at else None,
                   closes_on=timezone.localtime(consultation.closes_at).date() if consultation.closes_at else None)
    form = ConsultationForm(_post(request), initial=initial, **_form_kwargs(request, consultation))
    if request.method == "POST" and form.is_valid():
        fields = _fields(form.cleaned_data)
        fields.pop("area", None)
        services.update(request.user, consultation, **fields)
        messages.success(request, _("Changes saved."))
        return redirect("consultations:staff_detail", pk=pk)
    return render(request, "consultations/staff/form.html", {"form": form, "consultation": consultation,
                                                             "heading": _("Edit consultation")})


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _staff_consultation(request, pk)
    gunning = GunningForm(_post(request) if "checklist" in request.POST else None, instance=consultation)
    feedback = FeedbackForm(_post(request) if "feedback" in request.POST else None, instance=consultation)
    if request.method == "POST":
        form = gunning if "checklist" in request.POST else feedback
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in form.Meta.fields}  # type: ignore[attr-defined]
            services.update(request.user, consultation, **fields)
            messages.success(request, _("Saved."))
            return redirect("consultations:staff_detail", pk=pk)
    problems = services.readiness_problems(consultation)
    moves = [(state, STATE_ACTIONS[state]) for state in services.TRANSITIONS.get(consultation.state, set())]
    moves.sort(key=lambda move: list(State.values).index(move[0]))
    preview_url = request.build_absolute_uri(reverse("consultations:preview", args=[
        services.preview_token(request.user, consultation)]))
    return render(request, "consultations/staff/detail.html", {
        "consultation": consultation, "problems": problems, "moves": moves, "gunning": gunning,
        "feedback": feedback, "all_forms": [gunning, feedback], "preview_url": preview_url,
        "short_period": services.short_period(consultation), "documents": consultation.documents.all(),
        "transitions": consultation.transitions.select_related("actor"),
        "history": audit.entries_for(consultation)[:20]})


@require_POST
@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_transition(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _staff_consultation(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        services.transition(request.user, consultation, form.cleaned_data["to_state"], form.cleaned_data["note"])
    except services.TransitionError as error:
        # One message (one banner): the full list of what is missing is on the page itself.
        messages.error(request, _("Not moved: %(problems)s") % {"problems": "; ".join(error.problems)})
    else:
        consultation.refresh_from_db()
        messages.success(request, _("Now: %(state)s") % {"state": consultation.get_state_display()})
    return redirect("consultations:staff_detail", pk=pk)


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_documents(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _staff_consultation(request, pk)
    form = DocumentForm(_post(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and "remove" in request.POST:
        document = get_object_or_404(Document, pk=request.POST["remove"], consultation=consultation)
        services.remove_document(request.user, document)
        messages.success(request, _("Document removed."))
        return redirect("consultations:staff_documents", pk=pk)
    if request.method == "POST" and form.is_valid():
        services.add_document(request.user, consultation, title=form.cleaned_data["title"],
                              file=form.cleaned_data.get("file"), url=form.cleaned_data.get("url", ""))
        messages.success(request, _("Document added."))
        return redirect("consultations:staff_documents", pk=pk)
    return render(request, "consultations/staff/documents.html", {"consultation": consultation, "form": form,
                                                                  "documents": consultation.documents.all()})
