"""Thin HTTP views for the shared kernel: parse, call a service or selector, render. No view writes itself."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from byconsent.core import audit, notifications, privacy, selectors, services, tasks
from byconsent.core.forms import (
    AreaImportForm,
    AuditFilterForm,
    BroadcastForm,
    ContributionFilterForm,
    EraseConfirmForm,
    ModerationForm,
    PersonLookupForm,
    PostcodeForm,
    RoleAssignmentForm,
)
from byconsent.core.models import Area, Contribution, RoleAssignment, TaskProgress, User, WorkerHeartbeat
from byconsent.core.policy import Action, areas_where, can, get_visible_or_404, require
from byconsent.core.postcodes import find_area
from byconsent.core.ratelimit import rate_limited
from byconsent.core.registries import attention_items, public_listings

PAGE_SIZE = 50


def staff_required(action: Action) -> Any:
    """Sign-in required, then the policy decides; a user without the action anywhere gets 403."""

    def decorator(view: Any) -> Any:
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require(request.user, action)
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorator


# ---- public -----------------------------------------------------------------------------------------------------

def public_home(request: HttpRequest) -> HttpResponse:
    form = PostcodeForm(request.GET or None)
    area = None
    searched = False
    if form.is_bound and form.is_valid():
        searched = True
        area = find_area(form.cleaned_data["postcode"])
    context = {"form": form, "area": area, "searched": searched,
               "listings": public_listings(area) if searched else public_listings(None)}
    return render(request, "core/public_home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    from django.conf import settings

    database_ok = _database_ok()
    stale_after = timezone.now() - timedelta(seconds=settings.BYCONSENT_WORKER_STALE_SECONDS)
    worker = WorkerHeartbeat.objects.filter(last_seen__gte=stale_after).order_by("-last_seen").first() \
        if database_ok else None
    body = {
        "database": "ok" if database_ok else "unavailable",
        "task_worker": "ok" if worker else "not running",
        "worker_last_seen": worker.last_seen.isoformat() if worker else None,
    }
    return JsonResponse(body, status=200 if database_ok and worker else 503)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any failure means the database is not usable
        return False


@require_http_methods(["GET", "POST"])
@rate_limited("unsubscribe", per_minute=10, burst=20)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        preference = notifications.unsubscribe(token, everything=request.POST.get("scope") == "all")
        return render(request, "core/unsubscribed.html", {"preference": preference})
    return render(request, "core/unsubscribe.html", {"token": token})


@login_required
def message_preferences(request: HttpRequest) -> HttpResponse:
    """A signed-in person chooses which kinds of message they get; '*' is everything."""
    email = cast(User, request.user).email
    if request.method == "POST":
        topic = request.POST.get("topic", "")
        subscribed = request.POST.get("subscribed") == "yes"
        if topic:
            notifications.set_subscription(request.user, email, topic, subscribed)
            messages.success(request, _("Your choice is saved."))
        return redirect("core:message_preferences")
    preferences = notifications.preferences_for(email)
    everything = next((p for p in preferences if p.topic == notifications.ALL_TOPICS), None)
    topics = [p for p in preferences if p.topic != notifications.ALL_TOPICS]
    return render(request, "core/message_preferences.html", {
        "all_on": everything is None or everything.subscribed, "topics": topics})


# ---- staff home, areas and roles --------------------------------------------------------------------------------

@staff_required(Action.VIEW_STAFF_PAGES)
def staff_home(request: HttpRequest) -> HttpResponse:
    my_areas = RoleAssignment.objects.filter(user=cast(User, request.user)).select_related("area")
    return render(request, "core/staff_home.html", {"items": attention_items(request.user), "assignments": my_areas})


@staff_required(Action.VIEW_AREA)
def area_list(request: HttpRequest) -> HttpResponse:
    areas = areas_where(request.user, Action.VIEW_AREA).filter(level__lte=Area.Level.LOCAL_AREA)
    return render(request, "core/area_list.html", {"areas": areas,
                                                    "can_import": can(request.user, Action.MANAGE_AREAS)})


@staff_required(Action.VIEW_AREA)
def area_detail(request: HttpRequest, code: str) -> HttpResponse:
    area = get_visible_or_404(request.user, Action.VIEW_AREA, Area.objects.all(), code=code)
    context = {"area": area, "children": area.children.all(), "ancestors": area.ancestors(),
               "assignments": area.role_assignments.select_related("user"),
               "history": audit.entries_for(area)[:20]}
    return render(request, "core/area_detail.html", context)


@staff_required(Action.MANAGE_AREAS)
def area_import(request: HttpRequest) -> HttpResponse:
    form = AreaImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        progress = tasks.start(_("Import areas"), "byconsent.core.tasks.import_areas_task",
                               {"csv_text": form.cleaned_data["file"]}, requested_by=request.user)
        return redirect("core:task_detail", pk=progress.pk)
    return render(request, "core/area_import.html", {"form": form})


@staff_required(Action.MANAGE_ROLES)
def role_list(request: HttpRequest) -> HttpResponse:
    areas = areas_where(request.user, Action.MANAGE_ROLES)
    form = RoleAssignmentForm(request.POST or None, areas=areas.filter(level__lte=Area.Level.LOCAL_AREA))
    if request.method == "POST" and form.is_valid():
        user = _find_or_create_user(request.user, form.cleaned_data["email"], form.cleaned_data["full_name"])
        services.assign_role(request.user, user, form.cleaned_data["role"], form.cleaned_data["area"])
        messages.success(request, _("Role assigned."))
        return redirect("core:role_list")
    assignments = RoleAssignment.objects.filter(area__in=areas).select_related("user", "area").order_by(
        "area__path", "role")
    return render(request, "core/role_list.html", {"form": form, "assignments": assignments})


def _find_or_create_user(actor: Any, email: str, full_name: str) -> User:
    existing = User.objects.filter(email__iexact=email).first()
    return existing or services.create_user(actor, email=email, full_name=full_name)


@require_POST
@staff_required(Action.MANAGE_ROLES)
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_visible_or_404(request.user, Action.MANAGE_ROLES, RoleAssignment.objects.all(), pk=pk)
    services.revoke_role(request.user, assignment)
    messages.success(request, _("Role removed."))
    return redirect("core:role_list")


# ---- contributions ---------------------------------------------------------------------------------------------

@staff_required(Action.VIEW_CONTRIBUTIONS)
def contribution_list(request: HttpRequest) -> HttpResponse:
    areas = areas_where(request.user, Action.VIEW_CONTRIBUTIONS).filter(level__lte=Area.Level.LOCAL_AREA)
    form = ContributionFilterForm(request.GET or None, areas=areas)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = Paginator(selectors.contributions_for(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/contribution_list.html", {"form": form, "page": page})


@staff_required(Action.VIEW_CONTRIBUTIONS)
def contribution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_visible_or_404(request.user, Action.VIEW_CONTRIBUTIONS,
                                      Contribution.objects.select_related("area"), pk=pk)
    may_moderate = can(request.user, Action.MODERATE_CONTRIBUTIONS, contribution)
    form = ModerationForm(request.POST or None, initial={"state": contribution.moderation_state})
    if request.method == "POST":
        require(request.user, Action.MODERATE_CONTRIBUTIONS, contribution)
        if form.is_valid():
            try:
                services.moderate_contribution(request.user, contribution, form.cleaned_data["state"],
                                               form.cleaned_data["reason"])
                messages.success(request, _("Moderation decision saved."))
                return redirect("core:contribution_detail", pk=pk)
            except ValueError as error:
                form.add_error("state", str(error))
    context = {"contribution": contribution, "form": form, "may_moderate": may_moderate,
               "history": audit.entries_for(contribution)}
    return render(request, "core/contribution_detail.html", context)


# ---- audit, privacy, tasks, live --------------------------------------------------------------------------------

@staff_required(Action.VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = Paginator(selectors.audit_entries_for(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"form": form, "page": page})


@staff_required(Action.MANAGE_PRIVACY)
def privacy_home(request: HttpRequest) -> HttpResponse:
    form = PersonLookupForm(request.GET or None)
    person = None
    if form.is_bound and form.is_valid():
        person = User.objects.filter(email__iexact=form.cleaned_data["email"]).first()
        if person is None:
            form.add_error("email", _("No one with that email address is recorded"))
    return render(request, "core/privacy_home.html", {"form": form, "person": person,
                                                       "handlers": privacy.handlers()})


@staff_required(Action.MANAGE_PRIVACY)
def privacy_export(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    export = privacy.subject_access_export(request.user, person)
    response = HttpResponse(json.dumps(export, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="subject-access-{person.pk}.json"'
    return response


@staff_required(Action.MANAGE_PRIVACY)
def privacy_erase(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk, is_active=True)
    form = EraseConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        counts = privacy.erase_person(request.user, person)
        return render(request, "core/privacy_erased.html", {"counts": counts})
    return render(request, "core/privacy_erase.html", {"form": form, "person": person})


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    visible = TaskProgress.objects.all() if request.user.is_superuser else \
        TaskProgress.objects.filter(requested_by=cast(User, request.user))
    return render(request, "core/task_list.html", {"tasks": visible[:100]})


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    progress = get_object_or_404(TaskProgress, pk=pk)
    if not (request.user.is_superuser or progress.requested_by_id == request.user.pk):
        return HttpResponse(status=404)
    if request.method == "POST":
        tasks.retry(progress)
        return redirect("core:task_detail", pk=pk)
    if request.GET.get("format") == "json":  # polled by the page's script to update the progress bar in place
        return JsonResponse({"status": progress.status, "percent": round(progress.fraction * 100),
                             "message": progress.message})
    return render(request, "core/task_detail.html", {"progress": progress, "percent": round(progress.fraction * 100)})


@staff_required(Action.VIEW_STAFF_PAGES)
def live_announcements(request: HttpRequest) -> HttpResponse:
    form = BroadcastForm(request.POST or None)
    channel = "staff-announcements"
    if request.method == "POST" and form.is_valid():
        tasks.start(_("Send announcement"), "byconsent.core.tasks.broadcast_task",
                    {"channel": channel, "text": form.cleaned_data["text"]}, requested_by=request.user)
        messages.success(request, _("Announcement queued; it appears below when the worker sends it."))
        return redirect("core:live_announcements")
    return render(request, "core/live_announcements.html", {"form": form, "channel": channel})
