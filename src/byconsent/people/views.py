"""HTTP views of the people app (thin: parse, call a service or selector, render). Staff pages under /staff/people/,
the self-service details pages under /my-details/."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from byconsent.core import audit
from byconsent.core.models import Area
from byconsent.core.policy import areas_where, can, get_visible_or_404
from byconsent.core.ratelimit import allow, rate_limited
from byconsent.core.views import staff_required
from byconsent.people import characteristics, fatigue, importing, magic, selectors, services
from byconsent.people import privacy as people_privacy
from byconsent.people.consent import contactable
from byconsent.people.forms import (
    ConfirmForm,
    ConsentForm,
    ContactNoteForm,
    DemographicsForm,
    EraseDecisionForm,
    ExportForm,
    ImportUploadForm,
    MappingForm,
    MembershipForm,
    MergeForm,
    OrganisationFilterForm,
    OrganisationForm,
    PanelMemberForm,
    PersonFilterForm,
    PersonForm,
    PortalEmailForm,
    SegmentForm,
    SelfServiceDetailsForm,
    SendForm,
)
from byconsent.people.models import (
    ConsentSource,
    ContactChannel,
    ErasureRequest,
    ImportJob,
    Organisation,
    Person,
    PersonMerge,
    Purpose,
    Segment,
)
from byconsent.people.permissions import (
    EDIT_ACTIONS,
    MANAGE_ERASURE,
    MANAGE_SEGMENTS,
    VIEW_PEOPLE,
    SelfService,
    can_edit,
    can_see_special_category,
)
from byconsent.people.tabular import TableError

PAGE_SIZE = 50


def _listable(areas: Any) -> Any:
    return areas.filter(level__lte=Area.Level.LOCAL_AREA)


def _edit_areas(user: Any) -> Any:
    result = Area.objects.none()
    for action in EDIT_ACTIONS:
        result = result | areas_where(user, action)
    return result.distinct().order_by("path")


def _person(request: HttpRequest, pk: int) -> Person:
    return get_visible_or_404(request.user, VIEW_PEOPLE, Person.objects.current().select_related("area"), pk=pk)


def _require_edit(request: HttpRequest, obj: Any) -> None:
    if not can_edit(request.user, obj):
        raise PermissionDenied


def _form_errors_from(error: ValidationError, form: Any) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# ---- people ----------------------------------------------------------------------------------------------------

@staff_required(VIEW_PEOPLE)
def person_list(request: HttpRequest) -> HttpResponse:
    form = PersonFilterForm(request.GET or None, areas=_listable(areas_where(request.user, VIEW_PEOPLE)))
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = Paginator(selectors.people_for(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/person_list.html", {
        "form": form, "page": page, "may_add": can_edit(request.user),
        "may_import": can(request.user, MANAGE_SEGMENTS)})


@staff_required(VIEW_PEOPLE)
def person_create(request: HttpRequest) -> HttpResponse:
    if not can_edit(request.user):
        raise PermissionDenied
    form = PersonForm(request.POST or None, areas=_edit_areas(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        interests = data.pop("interests")
        try:
            person = services.create_person(request.user, interests=interests, **data)
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("Person added."))
            return redirect("people:person_detail", pk=person.pk)
    return render(request, "people/person_form.html", {"form": form, "title": _("Add a person")})


@staff_required(VIEW_PEOPLE)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    purposes = Purpose.objects.filter(is_service=False)
    decisions = {p.pk: contactable([person], p, person.preferred_channel)[person.pk] for p in purposes}
    context = {
        "person": person,
        "consents": services.current_consents(person),
        "decisions": [(p, decisions[p.pk]) for p in purposes],
        "memberships": person.memberships.select_related("organisation"),
        "panels": person.panel_memberships.filter(left_at__isnull=True).select_related("segment"),
        "events": person.contact_events.select_related("purpose")[:50],
        "fatigue": fatigue.check(person.pk),
        "may_edit": can_edit(request.user, person),
        "may_see_special": can_see_special_category(request.user, person),
        "may_erase": can(request.user, MANAGE_ERASURE, person),
        "pending_erasure": person.erasure_requests.filter(status=ErasureRequest.Status.PENDING).first(),
        "merges": PersonMerge.objects.filter(kept=person),
        "history": audit.entries_for(person)[:30],
    }
    return render(request, "people/person_detail.html", context)


@staff_required(VIEW_PEOPLE)
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    _require_edit(request, person)
    form = PersonForm(request.POST or None, instance=Person.objects.get(pk=person.pk), areas=_edit_areas(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        interests = data.pop("interests")
        try:
            services.update_person(request.user, person, data)
            services.set_interests(request.user, person, interests)
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("Details saved."))
            return redirect("people:person_detail", pk=person.pk)
    return render(request, "people/person_form.html", {"form": form, "person": person,
                                                        "title": _("Change details")})


@staff_required(VIEW_PEOPLE)
def person_consent(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    _require_edit(request, person)
    form = ConsentForm(request.POST or None, initial={"source": ConsentSource.STAFF})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_consent(request.user, person, data["purpose"], lawful_basis=data["lawful_basis"],
                                    source=data["source"], wording=data["wording"], channels=data["channels"])
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("people:person_detail", pk=person.pk)
    return render(request, "people/consent_form.html", {"form": form, "person": person})


@require_POST
@staff_required(VIEW_PEOPLE)
def person_consent_withdraw(request: HttpRequest, pk: int, purpose: int) -> HttpResponse:
    person = _person(request, pk)
    _require_edit(request, person)
    services.withdraw_consent(request.user, person, get_object_or_404(Purpose, pk=purpose),
                              source=request.POST.get("source") or ConsentSource.STAFF)
    messages.success(request, _("Consent withdrawn."))
    return redirect("people:person_detail", pk=person.pk)


@staff_required(VIEW_PEOPLE)
def person_demographics(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    if not can_see_special_category(request.user, person):
        raise PermissionDenied
    if request.method == "POST":
        form = DemographicsForm(request.POST)
        if form.is_valid():
            services.save_demographics(request.user, person, form.cleaned_data)
            messages.success(request, _("Equality information saved."))
            return redirect("people:person_demographics", pk=person.pk)
    else:
        answers = services.read_demographics(request.user, person, reason="staff page")
        form = DemographicsForm(initial=answers)
    return render(request, "people/demographics_form.html", {"form": form, "person": person})


@staff_required(VIEW_PEOPLE)
def person_contact(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    _require_edit(request, person)
    form = ContactNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_contact_note(request.user, person, form.cleaned_data["kind"], form.cleaned_data["channel"],
                                  form.cleaned_data["note"])
        messages.success(request, _("Contact recorded."))
        return redirect("people:person_detail", pk=person.pk)
    return render(request, "people/simple_form.html", {
        "form": form, "person": person, "title": _("Record a contact"), "button": _("Save"),
        "back": reverse("people:person_detail", args=[person.pk])})


@staff_required(VIEW_PEOPLE)
def person_membership(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    _require_edit(request, person)
    form = MembershipForm(request.POST or None, organisations=selectors.visible_organisations(request.user))
    if request.method == "POST" and form.is_valid():
        services.add_membership(request.user, person, form.cleaned_data["organisation"], form.cleaned_data["role"],
                                form.cleaned_data["is_main_contact"])
        messages.success(request, _("Membership added."))
        return redirect("people:person_detail", pk=person.pk)
    return render(request, "people/simple_form.html", {
        "form": form, "person": person, "title": _("Add to an organisation"), "button": _("Add"),
        "back": reverse("people:person_detail", args=[person.pk])})


@require_POST
@staff_required(VIEW_PEOPLE)
def person_request_erasure(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff record a request the person made to them (by phone, letter, in person)."""
    person = _person(request, pk)
    _require_edit(request, person)
    services.request_erasure(request.user, person, source=ConsentSource.STAFF)
    messages.success(request, _("Erasure request recorded. Contact has stopped; an administrator will carry it out."))
    return redirect("people:person_detail", pk=person.pk)


# ---- organisations ---------------------------------------------------------------------------------------------

@staff_required(VIEW_PEOPLE)
def organisation_list(request: HttpRequest) -> HttpResponse:
    form = OrganisationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = Paginator(selectors.organisations_for(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/organisation_list.html", {"form": form, "page": page,
                                                              "may_add": can_edit(request.user)})


@staff_required(VIEW_PEOPLE)
def organisation_create(request: HttpRequest) -> HttpResponse:
    if not can_edit(request.user):
        raise PermissionDenied
    form = OrganisationForm(request.POST or None, areas=_edit_areas(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        interests = data.pop("interests")
        try:
            organisation = services.create_organisation(request.user, interests=interests, **data)
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("Organisation added."))
            return redirect("people:organisation_detail", pk=organisation.pk)
    return render(request, "people/organisation_form.html", {"form": form, "title": _("Add an organisation")})


@staff_required(VIEW_PEOPLE)
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_visible_or_404(request.user, VIEW_PEOPLE, Organisation.objects.select_related("area"), pk=pk)
    members = organisation.memberships.filter(person__erased_at__isnull=True, person__merged_into__isnull=True) \
        .select_related("person", "person__area")
    visible = [m for m in members if can(request.user, VIEW_PEOPLE, m.person)]
    return render(request, "people/organisation_detail.html", {
        "organisation": organisation, "memberships": visible, "may_edit": can_edit(request.user, organisation),
        "history": audit.entries_for(organisation)[:20]})


@staff_required(VIEW_PEOPLE)
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_visible_or_404(request.user, VIEW_PEOPLE, Organisation.objects.all(), pk=pk)
    _require_edit(request, organisation)
    form = OrganisationForm(request.POST or None, instance=Organisation.objects.get(pk=pk),
                            areas=_edit_areas(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        interests = data.pop("interests")
        try:
            services.update_organisation(request.user, organisation, data, interests)
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("Organisation saved."))
            return redirect("people:organisation_detail", pk=pk)
    return render(request, "people/organisation_form.html", {"form": form, "organisation": organisation,
                                                              "title": _("Change organisation")})


# ---- segments and panels ---------------------------------------------------------------------------------------

@staff_required(MANAGE_SEGMENTS)
def segment_list(request: HttpRequest) -> HttpResponse:
    return render(request, "people/segment_list.html", {"segments": selectors.visible_segments(request.user)})


def _segment(request: HttpRequest, pk: int) -> Segment:
    return get_visible_or_404(request.user, MANAGE_SEGMENTS, Segment.objects.select_related("area", "purpose"), pk=pk)


def _segment_form(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    areas = _listable(areas_where(request.user, MANAGE_SEGMENTS))
    with_characteristics = can_see_special_category(request.user)
    initial: dict[str, Any] = {}
    if segment is not None:
        filters = segment.filters or {}
        initial = {"name": segment.name, "description": segment.description, "area": segment.area,
                   "purpose": segment.purpose, "is_panel": segment.is_panel, "seldom_heard": segment.seldom_heard,
                   "areas": filters.get("areas", []), "interests": filters.get("interests", []),
                   "organisation_kinds": filters.get("organisation_kinds", [])}
        for key, values in (filters.get("characteristics") or {}).items():
            initial[f"c_{key}"] = values
    form = SegmentForm(request.POST or None, areas=areas, with_characteristics=with_characteristics, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            segment = services.save_segment(
                request.user, segment, name=data["name"], area=data["area"], purpose=data["purpose"],
                filters=form.filters(), description=data["description"], is_panel=data["is_panel"],
                seldom_heard=data["seldom_heard"])
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("Segment saved."))
            return redirect("people:segment_detail", pk=segment.pk)
    return render(request, "people/segment_form.html", {"form": form, "segment": segment,
                                                         "with_characteristics": with_characteristics})


@staff_required(MANAGE_SEGMENTS)
def segment_create(request: HttpRequest) -> HttpResponse:
    return _segment_form(request, None)


@staff_required(MANAGE_SEGMENTS)
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _segment(request, pk)
    if segment.uses_characteristics and not can_see_special_category(request.user, segment.area):
        raise PermissionDenied
    return _segment_form(request, segment)


@staff_required(MANAGE_SEGMENTS)
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _segment(request, pk)
    members = selectors.segment_members(segment, actor=request.user)
    plan = services.plan_send(members, segment.purpose)
    reasons = dict(plan.skipped)
    warnings = dict(plan.warnings)
    rows = [(person, reasons.get(person.pk, ""), warnings.get(person.pk, "")) for person in members[:PAGE_SIZE]]
    panel_form = PanelMemberForm() if segment.is_panel else None
    return render(request, "people/segment_detail.html", {
        "segment": segment, "count": len(members), "rows": rows, "plan": plan, "panel_form": panel_form,
        "reasons": services._tally(reasons.values()), "limit": fatigue.current_limit(),
        "reach": selectors.reach(members),
        "characteristics": [(characteristics.BY_KEY[k].label, ", ".join(
            characteristics.BY_KEY[k].label_for(v) for v in values))
            for k, values in (segment.filters.get("characteristics") or {}).items()],
        "history": audit.entries_for(segment)[:20]})


@staff_required(MANAGE_SEGMENTS)
def segment_send(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _segment(request, pk)
    form = SendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        progress = services.start_segment_send(request.user, segment, form.cleaned_data["subject"],
                                               form.cleaned_data["body"], form.cleaned_data["kind"])
        return redirect("core:task_detail", pk=progress.pk)
    members = selectors.segment_members(segment, actor=request.user)
    plan = services.plan_send(members, segment.purpose)
    return render(request, "people/segment_send.html", {
        "form": form, "segment": segment, "plan": plan, "count": len(members),
        "reasons": services._tally(reason for _pid, reason in plan.skipped), "limit": fatigue.current_limit()})


@staff_required(MANAGE_SEGMENTS)
def segment_export(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _segment(request, pk)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        text, _rows, _left_out = services.export_segment_csv(request.user, segment, form.cleaned_data["channel"])
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="segment-{segment.pk}-{stamp}.csv"'
        return response
    return render(request, "people/simple_form.html", {
        "form": form, "title": _("Export for a mail merge"), "button": _("Download CSV"), "caption": segment.name,
        "intro": _("Only people who may be contacted for this segment's purpose by the chosen channel are included: "
                   "anyone who withdrew consent, unsubscribed or asked to be erased is left out. Equality data is "
                   "never exported. The export is recorded in the audit trail."),
        "back": reverse("people:segment_detail", args=[segment.pk])})


@require_POST
@staff_required(MANAGE_SEGMENTS)
def panel_add(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _segment(request, pk)
    form = PanelMemberForm(request.POST)
    if form.is_valid():
        person = selectors.visible_people(request.user).filter(email__iexact=form.cleaned_data["email"]).first()
        if person is None:
            messages.error(request, _("No one with that email address is in your areas."))
        else:
            try:
                services.join_panel(request.user, segment, person)
                messages.success(request, _("Added to the panel."))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
    return redirect("people:segment_detail", pk=pk)


@require_POST
@staff_required(MANAGE_SEGMENTS)
def panel_remove(request: HttpRequest, pk: int, person: int) -> HttpResponse:
    segment = _segment(request, pk)
    services.leave_panel(request.user, segment, get_object_or_404(Person, pk=person))
    messages.success(request, _("Removed from the panel."))
    return redirect("people:segment_detail", pk=pk)


# ---- import, duplicates and merging ----------------------------------------------------------------------------

@staff_required(MANAGE_SEGMENTS)
def import_start(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None,
                            areas=_listable(areas_where(request.user, MANAGE_SEGMENTS)))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = importing.create_job(request.user, kind=form.cleaned_data["kind"], filename=upload.name,
                                       content=upload.read(), area=form.cleaned_data["area"])
        except TableError as error:
            form.add_error("file", str(error))
        else:
            return redirect("people:import_mapping", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user)[:10] if request.user.is_authenticated else []
    return render(request, "people/import_start.html", {"form": form, "jobs": jobs})


def _job(request: HttpRequest, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob.objects.select_related("area"), pk=pk)
    if not can(request.user, MANAGE_SEGMENTS, job.area):
        raise Http404
    return job


@staff_required(MANAGE_SEGMENTS)
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.status not in (ImportJob.Status.UPLOADED, ImportJob.Status.MAPPED):
        return redirect("people:import_preview", pk=pk)
    form = MappingForm(request.POST or None, job=job)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            importing.save_mapping(request.user, job, form.mapping(), purpose=data.get("purpose"),
                                   lawful_basis=data.get("lawful_basis", ""),
                                   consent_wording=data.get("consent_wording", ""),
                                   consent_source=data.get("consent_source", ""))
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            return redirect("people:import_preview", pk=pk)
    sample = job.rows[:3]
    return render(request, "people/import_mapping.html", {"form": form, "job": job, "sample": sample})


@staff_required(MANAGE_SEGMENTS)
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.status == ImportJob.Status.UPLOADED:
        return redirect("people:import_mapping", pk=pk)
    if job.status == ImportJob.Status.DONE:
        outcome = job.outcome or {}
        return render(request, "people/import_result.html", {
            "job": job, "created": outcome.get("created", 0), "left_out": outcome.get("lines left out", []),
            "duplicates": outcome.get("duplicates to check", [])})
    if job.status == ImportJob.Status.RUNNING and job.progress_id:
        return redirect("core:task_detail", pk=job.progress_id)
    if request.method == "POST":
        progress = importing.start_import(request.user, job)
        return redirect("core:task_detail", pk=progress.pk)
    preview = importing.preview(job)
    targets = list(job.mapping)
    labels = [importing.fields_for(job.kind)[t][0] for t in targets]
    sample = [(r.line, [r.values.get(t, "") for t in targets], r) for r in preview.rows[:20]]
    return render(request, "people/import_preview.html", {"job": job, "preview": preview, "labels": labels,
                                                           "sample": sample})


@staff_required(MANAGE_SEGMENTS)
def duplicate_list(request: HttpRequest) -> HttpResponse:
    return render(request, "people/duplicate_list.html", {"pairs": selectors.duplicate_pairs(request.user)})


@staff_required(MANAGE_SEGMENTS)
def merge(request: HttpRequest, keep: int, other: int) -> HttpResponse:
    kept = get_visible_or_404(request.user, MANAGE_SEGMENTS, Person.objects.current(), pk=keep)
    merged = get_visible_or_404(request.user, MANAGE_SEGMENTS, Person.objects.current(), pk=other)
    form = MergeForm(request.POST or None, keep=kept, other=merged)
    if request.method == "POST" and form.is_valid():
        try:
            services.merge_people(request.user, kept, merged, form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, str(error) if isinstance(error, PermissionDenied) else error.messages)
        else:
            messages.success(request, _("Records merged. The merge is recorded in the history."))
            return redirect("people:person_detail", pk=kept.pk)
    summary = [(getattr(Person._meta.get_field(f), "verbose_name", f), getattr(kept, f), getattr(merged, f))
               for f in services.MERGEABLE_FIELDS]
    return render(request, "people/merge.html", {"form": form, "keep": kept, "other": merged, "summary": summary,
                                                  "counts": [(p, p.consents.count(), p.contact_events.count(),
                                                              p.memberships.count()) for p in (kept, merged)]})


# ---- erasure requests ------------------------------------------------------------------------------------------

@staff_required(MANAGE_ERASURE)
def erasure_list(request: HttpRequest) -> HttpResponse:
    done = ErasureRequest.objects.exclude(status=ErasureRequest.Status.PENDING).filter(
        Q(area__in=areas_where(request.user, MANAGE_ERASURE)) | Q(area__isnull=True))[:20]
    return render(request, "people/erasure_list.html", {"pending": selectors.pending_erasures(request.user),
                                                         "done": done})


@staff_required(MANAGE_ERASURE)
def erasure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    erasure = get_object_or_404(ErasureRequest.objects.select_related("person", "area"), pk=pk)
    if not can(request.user, MANAGE_ERASURE, erasure):
        raise Http404
    form = EraseDecisionForm(request.POST or None)
    if request.method == "POST" and erasure.status == ErasureRequest.Status.PENDING and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "erase":
                services.carry_out_erasure(request.user, erasure)
                messages.success(request, _("The person has been erased."))
            else:
                services.refuse_erasure(request.user, erasure, form.cleaned_data["reason"])
                messages.success(request, _("Refusal recorded."))
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            return redirect("people:erasure_list")
    return render(request, "people/erasure_detail.html", {"erasure": erasure, "form": form})


# ---- self-service ----------------------------------------------------------------------------------------------

PORTAL_SESSION_KEY = "people.portal"
PORTAL_SESSION_MINUTES = 60


def _portal_person(request: HttpRequest) -> Person | None:
    data = request.session.get(PORTAL_SESSION_KEY)
    if not data:
        return None
    started = datetime.fromisoformat(data["at"])
    if timezone.now() - started > timedelta(minutes=PORTAL_SESSION_MINUTES):
        request.session.pop(PORTAL_SESSION_KEY, None)
        return None
    return Person.objects.current().select_related("area").filter(pk=data["person"]).first()


def portal_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = _portal_person(request)
        if person is None:
            messages.info(request, _("Sign in with a link sent to your email address."))
            return redirect("people:portal_start")
        return view(request, person, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@rate_limited("people-portal-link", per_minute=5, burst=10)
def portal_start(request: HttpRequest) -> HttpResponse:
    form = PortalEmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        # At most a few links an hour to any one address, whoever asks. The bucket is keyed by a hash: the rate-limit
        # table is not reached by erasure, so it must not hold the address itself.
        if allow(f"people-portal-email:{hashlib.sha256(email.encode()).hexdigest()[:32]}", per_minute=0.05,
                 burst=3):
            services.send_magic_link(email)
        return render(request, "people/portal_check_email.html", {"email": email})
    return render(request, "people/portal_start.html", {"form": form})


@rate_limited("people-portal-use", per_minute=10, burst=20)
def portal_link(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        person = magic.consume(token)
        if person is None:
            return render(request, "people/portal_link_invalid.html", status=400)
        request.session.cycle_key()
        request.session[PORTAL_SESSION_KEY] = {"person": person.pk, "at": timezone.now().isoformat()}
        audit.record(str(SelfService(person)), "portal.signed_in", person)
        return redirect("people:portal_home")
    if not magic.peek(token):
        return render(request, "people/portal_link_invalid.html", status=400)
    return render(request, "people/portal_link.html", {"token": token})


@require_POST
def portal_sign_out(request: HttpRequest) -> HttpResponse:
    request.session.pop(PORTAL_SESSION_KEY, None)
    messages.success(request, _("You have signed out."))
    return redirect("people:portal_start")


@portal_required
def portal_home(request: HttpRequest, person: Person) -> HttpResponse:
    return render(request, "people/portal_home.html", {
        "person": person, "consents": services.current_consents(person),
        "pending_erasure": person.erasure_requests.filter(status=ErasureRequest.Status.PENDING).exists()})


@portal_required
def portal_details(request: HttpRequest, person: Person) -> HttpResponse:
    form = SelfServiceDetailsForm(request.POST or None, instance=Person.objects.get(pk=person.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_person(SelfService(person), person, dict(form.cleaned_data))
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("Your details are saved."))
            return redirect("people:portal_home")
    return render(request, "people/portal_details.html", {"form": form, "person": person})


@portal_required
def portal_consents(request: HttpRequest, person: Person) -> HttpResponse:
    if request.method == "POST":
        purpose = get_object_or_404(Purpose, pk=request.POST.get("purpose"), is_service=False)
        if request.POST.get("action") == "agree":
            if purpose.slug not in services.SELF_SERVICE_PURPOSES:
                raise Http404
            # What the person reads on this page is the wording they agree to.
            services.record_consent(SelfService(person), person, purpose, source=ConsentSource.SELF_SERVICE,
                                    wording=f"{purpose.name}: {purpose.description}")
            messages.success(request, _("Done: you have agreed to “%(purpose)s”.") % {"purpose": purpose.name})
        else:
            services.withdraw_consent(SelfService(person), person, purpose, source=ConsentSource.SELF_SERVICE)
            messages.success(request, _("Done: we will not contact you for “%(purpose)s” any more.")
                             % {"purpose": purpose.name})
        return redirect("people:portal_consents")
    consents = services.current_consents(person)
    active = {c.purpose_id for c in consents if c.withdrawn_at is None}
    offered = Purpose.objects.filter(slug__in=services.SELF_SERVICE_PURPOSES).exclude(pk__in=active)
    return render(request, "people/portal_consents.html", {"person": person, "consents": consents,
                                                            "offered": offered})


@portal_required
def portal_equality(request: HttpRequest, person: Person) -> HttpResponse:
    actor = SelfService(person)
    if request.method == "POST":
        form = DemographicsForm(request.POST)
        if form.is_valid():
            if request.POST.get("action") == "delete":
                services.delete_demographics(actor, person)
                messages.success(request, _("Your equality information is deleted."))
            else:
                services.save_demographics(actor, person, form.cleaned_data, source=ConsentSource.SELF_SERVICE)
                messages.success(request, _("Your equality information is saved."))
            return redirect("people:portal_home")
    else:
        form = DemographicsForm(initial=services.read_demographics(actor, person, reason="self-service"))
    return render(request, "people/portal_equality.html", {"form": form, "person": person})


@portal_required
def portal_download(request: HttpRequest, person: Person) -> HttpResponse:
    data = people_privacy.export_person_everywhere(person)
    audit.record(str(SelfService(person)), "demographics.read", person, after={"reason": "self-service download"})
    body = json.dumps({"generated_at": timezone.now().isoformat(), "data": data}, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-details.json"'
    return response


@portal_required
def portal_data(request: HttpRequest, person: Person) -> HttpResponse:
    data = people_privacy.export_person_record(person)
    audit.record(str(SelfService(person)), "demographics.read", person, after={"reason": "self-service page"})
    labels = {c.key: (c.label, c) for c in characteristics.CHARACTERISTICS}
    equality = [(labels[k][0], labels[k][1].label_for(v)) for k, v in data["equality_information"].items()
                if k in labels]
    return render(request, "people/portal_data.html", {"person": person, "data": data, "equality": equality,
                                                        "channels": dict(ContactChannel.choices)})


@portal_required
def portal_erase(request: HttpRequest, person: Person) -> HttpResponse:
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_erasure(SelfService(person), person)
        request.session.pop(PORTAL_SESSION_KEY, None)
        return render(request, "people/portal_erase_requested.html")
    return render(request, "people/portal_erase.html", {"form": form, "person": person})

