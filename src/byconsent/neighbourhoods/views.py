"""HTTP views of the neighbourhoods app (thin: parse, call a service or selector, render)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from byconsent.actions import selectors as ledger
from byconsent.core.models import Area
from byconsent.core.policy import Action as Do
from byconsent.core.policy import areas_where, get_visible_or_404, scope
from byconsent.core.views import staff_required
from byconsent.insights import services as crime_imports
from byconsent.neighbourhoods import selectors, services
from byconsent.neighbourhoods.forms import (
    FindForm,
    MeetingForm,
    PrioritiesImportForm,
    PriorityForm,
    TeamMemberForm,
    apply_errors,
)
from byconsent.neighbourhoods.models import Meeting, Priority, TeamMember

# ---- public ------------------------------------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    form = FindForm(request.GET or None)
    result = None
    if form.is_bound and form.is_valid():
        result = selectors.find_neighbourhood(form.cleaned_data["q"])
        if result.area is not None:
            return redirect("neighbourhoods:detail", code=result.area.code)
        if not result.matches:
            form.add_error("q", _("We could not find that postcode or place. Check it, or choose your "
                                  "neighbourhood from the list below."))
    return render(request, "neighbourhoods/index.html",
                  {"form": form, "result": result, "groups": selectors.neighbourhood_index()})


def detail(request: HttpRequest, code: str) -> HttpResponse:
    area = get_object_or_404(Area.objects.select_related("parent"), code=code, level__gte=Area.Level.LOCAL_AREA)
    crime = selectors.crime_table(area)
    context = {
        "area": area,
        "children": area.children.order_by("name"),
        "team": selectors.team(area),
        "priorities": selectors.priorities(area),
        "meetings": selectors.upcoming_meetings(area)[:10],
        "listings": selectors.open_listings(area),
        "concerns": ledger.public_concerns(area)[:3],
        "actions": ledger.public_actions(area).exclude(status="not_possible").order_by("-updated_at")[:5],
        "crime": crime,
        "crime_headers": [_("Month"), _("Crimes and anti-social behaviour")],
        "crime_rows": [[date_format(month, "F Y"), "[c]" if value is None else value]
                       for month, value in zip(crime.months, crime.month_totals, strict=True)] if crime else [],
    }
    return render(request, "neighbourhoods/detail.html", context)


def priorities_export(request: HttpRequest, code: str) -> JsonResponse:
    area = get_object_or_404(Area, code=code)
    response = JsonResponse(selectors.priorities_for_export(area), safe=False, json_dumps_params={"indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def team_photo(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(TeamMember, pk=pk)
    if not member.shows_photo:
        raise Http404
    response = HttpResponse(bytes(member.photo or b""), content_type=member.photo_content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- staff -------------------------------------------------------------------------------------------------------

@staff_required(Do.MANAGE_ENGAGEMENT)
def staff_index(request: HttpRequest) -> HttpResponse:
    areas = areas_where(request.user, Do.MANAGE_ENGAGEMENT).filter(level__gte=Area.Level.LOCAL_AREA).order_by("path")
    page = Paginator(areas.select_related("parent"), 50).get_page(request.GET.get("page"))
    context = {"page": page, "crime_figures": selectors.crime_figures_held(),
               # Crime figures are imported once for the whole platform, in the analysis workspace.
               "may_import_crime": crime_imports.may_import_crime(request.user)}
    return render(request, "neighbourhoods/staff_index.html", context)


def _managed_area(request: HttpRequest, code: str) -> Area:
    area: Area = get_visible_or_404(request.user, Do.MANAGE_ENGAGEMENT, Area.objects.all(), code=code)
    return area


@staff_required(Do.MANAGE_ENGAGEMENT)
def staff_area(request: HttpRequest, code: str) -> HttpResponse:
    area = _managed_area(request, code)
    form = PrioritiesImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = services.import_priorities(request.user, area, form.cleaned_data["file"])
        if report.ok:
            messages.success(request, _("%(created)d priorities added, %(updated)d updated.") % {
                "created": report.created, "updated": report.updated})
            return redirect("neighbourhoods:staff_area", code=code)
        for error in report.errors:
            form.add_error("file", error)
    context = {"area": area, "form": form, "team": TeamMember.objects.filter(area=area),
               "priorities": selectors.priorities(area, include_closed=True),
               "meetings": Meeting.objects.filter(area=area, starts_at__gte=timezone.now()).order_by("starts_at")}
    return render(request, "neighbourhoods/staff_area.html", context)


def _actions_for(request: HttpRequest) -> Any:
    return scope(request.user, Do.VIEW_AREA, ledger.public_actions(None))


@staff_required(Do.MANAGE_ENGAGEMENT)
def team_member_form(request: HttpRequest, code: str, pk: int | None = None) -> HttpResponse:
    area = _managed_area(request, code)
    member = get_object_or_404(TeamMember, pk=pk, area=area) if pk else None
    initial = {"area": area}
    if member is not None:
        initial.update({f: getattr(member, f) for f in ["name", "role_title", "contact_email", "contact_phone",
                                                          "order", "left_on", "photo_consent"]})
    form = TeamMemberForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("photo")
        data["order"] = data.get("order") or 0
        try:
            photo = upload.read() if upload else None
            saved = services.save_team_member(request.user, member, photo=photo, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": saved.name})
            return redirect("neighbourhoods:staff_area", code=saved.area.code)
    return render(request, "neighbourhoods/staff_form.html", {
        "form": form, "area": area, "multipart": True,
        "title": _("Change a team member") if member else _("Add a team member"), "member": member})


@require_POST
@staff_required(Do.MANAGE_ENGAGEMENT)
def team_member_remove(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    area = _managed_area(request, code)
    member = get_object_or_404(TeamMember, pk=pk, area=area)
    services.remove_team_member(request.user, member)
    messages.success(request, _("Removed from the team page."))
    return redirect("neighbourhoods:staff_area", code=code)


@staff_required(Do.MANAGE_ENGAGEMENT)
def priority_form(request: HttpRequest, code: str, pk: int | None = None) -> HttpResponse:
    area = _managed_area(request, code)
    priority = get_object_or_404(Priority, pk=pk, area=area) if pk else None
    initial: dict[str, Any] = {"area": area}
    if priority is not None:
        initial.update({f: getattr(priority, f) for f in ["issue", "issue_date", "action", "action_date", "status",
                                                            "set_with", "ledger_action"]})
    form = PriorityForm(request.POST or None, user=request.user, actions=_actions_for(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_priority(request.user, priority, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Priority saved."))
            return redirect("neighbourhoods:staff_area", code=saved.area.code)
    return render(request, "neighbourhoods/staff_form.html", {
        "form": form, "area": area, "title": _("Change a priority") if priority else _("Add a priority")})


@staff_required(Do.MANAGE_ENGAGEMENT)
def meeting_form(request: HttpRequest, code: str, pk: int | None = None) -> HttpResponse:
    area = _managed_area(request, code)
    meeting = get_object_or_404(Meeting, pk=pk, area=area) if pk else None
    initial: dict[str, Any] = {"area": area}
    if meeting is not None:
        starts = timezone.localtime(meeting.starts_at)
        initial.update({"title": meeting.title, "day": starts.date(), "start_time": starts.strftime("%H:%M"),
                        "end_time": timezone.localtime(meeting.ends_at).strftime("%H:%M") if meeting.ends_at else "",
                        "location": meeting.location, "online_url": meeting.online_url,
                        "description": meeting.description, "access_notes": meeting.access_notes,
                        "cancelled": meeting.cancelled})
    form = MeetingForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_meeting(request.user, meeting, **form.values())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Meeting saved."))
            return redirect("neighbourhoods:staff_area", code=saved.area.code)
    return render(request, "neighbourhoods/staff_form.html", {
        "form": form, "area": area, "title": _("Change a meeting") if meeting else _("Add a meeting")})
