"""Read queries for the ledger: staff lists scoped by the policy, public "You said, we did" data, disclosure-safe
counts, the public timeline, and the feedback measures."""

from __future__ import annotations

import datetime
import hashlib
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from byconsent.actions.models import (
    Action,
    ActionUpdate,
    Concern,
    ContributionFeedback,
    Decision,
    FeedbackDelivery,
)
from byconsent.core import audit
from byconsent.core.models import Area, Channel, Contribution, ModerationState, Role
from byconsent.core.policy import Action as Do
from byconsent.core.policy import areas_where, scope
from byconsent.core.registries import AttentionItem
from byconsent.engines.disclosure import AdditiveTable, DisclosureSettings, protect

# ---- extension points for other apps -----------------------------------------------------------------------------

# A breakdown of a concern's contributions by a characteristic another app knows (the people app: age band,
# ethnicity...). The function receives a Contribution queryset and returns {label: count}; contributions it cannot
# classify are counted as "Not known" here, so every breakdown adds up to the same total.
BreakdownProvider = Callable[[QuerySet[Contribution]], dict[str, int]]
_breakdowns: dict[str, tuple[Any, BreakdownProvider]] = {}
# Where a letter to a person without email is sent: the people app can supply a postal address.
AddressProvider = Callable[[Any], str | None]
_address_providers: list[AddressProvider] = []


def register_breakdown(name: str, label: Any, provider: BreakdownProvider) -> None:
    _breakdowns[name] = (label, provider)


def register_postal_address(provider: AddressProvider) -> None:
    _address_providers.append(provider)


def postal_address(person: Any) -> str | None:
    for provider in _address_providers:
        address = provider(person)
        if address:
            return address
    return None


# ---- staff lists -------------------------------------------------------------------------------------------------

def concerns_for(user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Concern]:
    filters = filters or {}
    queryset = scope(user, Do.MANAGE_ACTIONS, Concern.objects.select_related("area")).annotate(
        contribution_count=Count("links", distinct=True))
    if filters.get("area"):
        queryset = queryset.filter(area__path__startswith=filters["area"].path)
    if filters.get("q"):
        queryset = queryset.filter(summary__icontains=filters["q"])
    return queryset.order_by("-created_at", "-id")


def decisions_for(user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Decision]:
    filters = filters or {}
    queryset = scope(user, Do.MANAGE_ACTIONS, Decision.objects.select_related("area"))
    if filters.get("area"):
        queryset = queryset.filter(area__path__startswith=filters["area"].path)
    return queryset.order_by("-decided_on", "-id")


def actions_for(user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Action]:
    filters = filters or {}
    queryset = scope(user, Do.MANAGE_ACTIONS, Action.objects.select_related("area", "owner"))
    if filters.get("area"):
        queryset = queryset.filter(area__path__startswith=filters["area"].path)
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("overdue"):
        queryset = queryset.filter(status__in=Action.OPEN_STATUSES, due_on__lt=timezone.localdate())
    if filters.get("mine"):
        queryset = queryset.filter(owner=user)
    return queryset.order_by("due_on", "id")


def contribution_choices(user: Any, filters: dict[str, Any]) -> QuerySet[Contribution]:
    """The searchable list staff pick contributions from."""
    queryset = scope(user, Do.VIEW_CONTRIBUTIONS, Contribution.objects.select_related("area"))
    if filters.get("q"):
        queryset = queryset.filter(text__icontains=filters["q"])
    if filters.get("area"):
        queryset = queryset.filter(area__path__startswith=filters["area"].path)
    if filters.get("channel"):
        queryset = queryset.filter(channel=filters["channel"])
    return queryset.exclude(moderation_state=ModerationState.REJECTED).order_by("-created_on", "-id")


def overdue_actions_for(user: Any, today: datetime.date | None = None) -> QuerySet[Action]:
    """Overdue actions the user owns, or in an area where they are a commander."""
    today = today or timezone.localdate()
    commander_paths = [a.area.path for a in user.role_assignments.filter(role=Role.COMMANDER).select_related("area")]
    condition = Q(owner=user)
    for path in commander_paths:
        condition |= Q(area__path__startswith=path)
    return Action.objects.filter(condition, status__in=Action.OPEN_STATUSES, due_on__lt=today)


def attention(user: Any) -> list[AttentionItem]:
    from django.urls import reverse

    if not getattr(user, "is_authenticated", False):
        return []
    letters = FeedbackDelivery.objects.filter(status=FeedbackDelivery.Status.TO_PRINT)
    letters = letters.filter(Q(event__decision__area__in=areas_where(user, Do.MANAGE_ACTIONS))
                             | Q(event__action__area__in=areas_where(user, Do.MANAGE_ACTIONS)))
    return [
        AttentionItem(_("Overdue actions you own or command"), overdue_actions_for(user).count(),
                      reverse("actions:action_list") + "?overdue=on"),
        AttentionItem(_("Feedback letters to print"), letters.count(), reverse("actions:letters")),
    ]


# ---- disclosure-safe counts ----------------------------------------------------------------------------------------

@dataclass
class Breakdown:
    name: str
    label: str
    rows: list[tuple[str, int | None]]
    keys: list[str] = field(default_factory=list)


@dataclass
class ProtectedCounts:
    total: int | None
    breakdowns: list[Breakdown]
    note: str
    threshold: int

    def breakdown(self, name: str) -> Breakdown | None:
        return next((b for b in self.breakdowns if b.name == name), None)


def _source_label(source_type_id: int | None, source_id: str) -> str:
    if not source_type_id:
        return str(_("Other ways of telling us"))
    try:
        model = ContentType.objects.get_for_id(source_type_id)
        if model.model_class() is get_user_model():  # never name a person as a source
            return str(_("Other ways of telling us"))
        obj = model.get_object_for_this_type(pk=source_id)
        return str(obj)
    except Exception:
        return str(_("Other ways of telling us"))


def source_key(source_type_id: int | None, source_id: str) -> str:
    return f"{source_type_id}:{source_id}" if source_type_id else "none"


def raw_breakdowns(contributions: QuerySet[Contribution]) -> dict[str, dict[str, int]]:
    """Counts per channel, per source, per language and per registered characteristic (all with the same total)."""
    total = contributions.count()
    channels = dict(Channel.choices)
    by_channel = {str(channels.get(row["channel"], row["channel"])): row["n"]
                  for row in contributions.values("channel").annotate(n=Count("pk")).order_by("channel")}
    by_source = {source_key(row["source_type"], row["source_id"]): row["n"]
                 for row in contributions.values("source_type", "source_id").annotate(n=Count("pk"))
                 .order_by("source_type", "source_id")}
    by_language = {row["language"]: row["n"]
                   for row in contributions.values("language").annotate(n=Count("pk")).order_by("language")}
    result = {"channel": by_channel, "source": by_source, "language": by_language}
    for name, (_label, provider) in _breakdowns.items():
        counts = dict(provider(contributions))
        known = sum(counts.values())
        if known < total:
            counts[str(_("Not known"))] = counts.get(str(_("Not known")), 0) + total - known
        result[name] = counts
    return result


BREAKDOWN_LABELS = {"channel": gettext_lazy("How people told us"), "source": gettext_lazy("Where"),
                    "language": gettext_lazy("Language")}


def protected_counts(contributions: QuerySet[Contribution], cache_prefix: str = "") -> ProtectedCounts:
    """Every breakdown of the same contributions protected together as one linked table (they share the total),
    so no small count can be shown or worked out by subtracting one breakdown from another."""
    threshold = settings.BYCONSENT_DISCLOSURE_THRESHOLD
    raw = raw_breakdowns(contributions)
    total = contributions.count()
    labels: list[str] = []
    values: list[int] = []
    sums: list[tuple[int, tuple[int, ...]]] = []
    spans: list[tuple[str, list[str], int]] = []
    for name, counts in raw.items():
        start = len(values)
        keys = sorted(counts)
        values.extend(counts[k] for k in keys)
        labels.extend(f"{name}:{k}" for k in keys)
        spans.append((name, keys, start))
    total_index = len(values)
    values.append(total)
    labels.append("total")
    for _name, keys, start in spans:
        if keys:
            sums.append((total_index, tuple(range(start, start + len(keys)))))
    digest = hashlib.sha256(json.dumps([labels, values, threshold]).encode()).hexdigest()
    key = f"actions:protected:{cache_prefix}:{digest}"
    published = cache.get(key)
    note = ""
    if published is None:
        table = AdditiveTable(values=tuple(values), sums=tuple(sums), labels=tuple(labels))
        result = protect(table, DisclosureSettings(threshold=threshold))
        published = list(result.published)
        note = result.method_note
        cache.set(key, {"published": published, "note": note}, 24 * 3600)
    else:
        note = published["note"]
        published = published["published"]
    breakdowns = []
    for name, keys, start in spans:
        if name == "source":
            rows = [(_source_label(*_split_source(k)), published[start + i]) for i, k in enumerate(keys)]
        else:
            rows = [(k, published[start + i]) for i, k in enumerate(keys)]
        label = BREAKDOWN_LABELS.get(name) or _breakdowns.get(name, (name, None))[0]
        breakdowns.append(Breakdown(name, str(label), rows, list(keys)))
    return ProtectedCounts(total=published[total_index], breakdowns=breakdowns, note=note, threshold=threshold)


def _split_source(key: str) -> tuple[int | None, str]:
    if key == "none":
        return None, ""
    type_id, _sep, object_id = key.partition(":")
    return int(type_id), object_id


def count_for_source(concern: Concern, source_type_id: int, source_id: str) -> int | None:
    """The published count of a concern's contributions from one source (None when hidden)."""
    counts = protected_counts(concern.contributions.all(), f"concern-{concern.pk}")
    breakdown = counts.breakdown("source")
    if breakdown is None:
        return None
    wanted = source_key(source_type_id, source_id)
    return next((row[1] for key, row in zip(breakdown.keys, breakdown.rows, strict=True) if key == wanted), None)


# ---- public pages ------------------------------------------------------------------------------------------------

def public_concerns(area: Area | None = None, source: tuple[int, str] | None = None) -> QuerySet[Concern]:
    queryset = Concern.objects.filter(is_public=True).select_related("area")
    if area is not None:
        queryset = queryset.filter(area__path__startswith=area.path)
    if source is not None:
        queryset = queryset.filter(links__contribution__source_type_id=source[0],
                                   links__contribution__source_id=source[1]).distinct()
    return queryset.prefetch_related(
        Prefetch("decisions", queryset=Decision.objects.filter(is_public=True).order_by("-decided_on")),
        Prefetch("actions", queryset=Action.objects.filter(is_public=True).select_related("area").order_by("due_on")),
    ).order_by("-created_at", "-id")


def public_decisions(area: Area | None = None) -> QuerySet[Decision]:
    queryset = Decision.objects.filter(is_public=True).select_related("area").prefetch_related("evidence",
                                                                                                 "concerns")
    if area is not None:
        queryset = queryset.filter(area__path__startswith=area.path)
    return queryset.order_by("-decided_on", "-id")


def public_actions(area: Area | None = None) -> QuerySet[Action]:
    queryset = Action.objects.filter(is_public=True).select_related("area", "decision")
    if area is not None:
        queryset = queryset.filter(area__path__startswith=area.path)
    return queryset.order_by("due_on", "id")


def approved_quotes(concern: Concern, limit: int = 5, source: tuple[int, str] | None = None) -> list[Contribution]:
    """Only words a moderator approved for publication; never a name."""
    queryset = concern.contributions.filter(moderation_state=ModerationState.APPROVED)
    if source is not None:
        queryset = queryset.filter(source_type_id=source[0], source_id=source[1])
    return list(queryset.order_by("-created_on", "-pk")[:limit])


def source_title(source_type_id: int, source_id: str) -> str:
    return _source_label(source_type_id, source_id)


def you_said_we_did_url(obj: Any) -> str:
    """The public "You said, we did" page for any object contributions come from (a consultation, an event...)."""
    from django.urls import reverse

    content_type = ContentType.objects.get_for_model(obj)
    return reverse("actions:public_source", args=[content_type.pk, str(obj.pk)])


@dataclass
class TimelineEntry:
    day: datetime.date
    text: str


def _public_text(entry: Any) -> str | None:
    statuses: dict[Any, Any] = dict(Action.Status.choices)
    outcomes: dict[Any, Any] = dict(Decision.Outcome.choices)
    after = entry.after or {}
    before = entry.before or {}
    name = entry.action
    if name == "action.created":
        return _("Action recorded, due %(date)s.") % {"date": _format_day(after.get("due_on"))}
    if name == "action.status_changed":
        text = _("Status changed from %(old)s to %(new)s.") % {
            "old": statuses.get(before.get("status"), before.get("status")),
            "new": statuses.get(after.get("status"), after.get("status"))}
        return f"{text} {after.get('public_text', '')}".strip()
    if name in ("action.progress_updated", "action.update_published"):
        text = after.get("text") or after.get("public_text") or ""
        return f"{text} ({_('progress')}: {after.get('progress')}%)".strip()
    if name == "action.updated":
        changes = []
        if "due_on" in after:
            changes.append(_("Due date changed from %(old)s to %(new)s.") % {
                "old": _format_day(before.get("due_on")), "new": _format_day(after.get("due_on"))})
        if "owner" in after:
            changes.append(_("A new officer now leads this action."))
        if "title" in after or "description" in after:
            changes.append(_("The description was updated."))
        if "area" in after:
            changes.append(_("The area was changed."))
        return " ".join(changes) or None
    if name == "action.milestone_added":
        return _("Milestone planned: %(title)s (by %(date)s).") % {"title": after.get("milestone"),
                                                                   "date": _format_day(after.get("due_on"))}
    if name == "action.milestone_done":
        return _("Milestone reached: %(title)s.") % {"title": after.get("milestone")}
    if name == "action.concerns_changed":
        return _("The concerns this action answers were updated.")
    if name == "decision.recorded":
        return _("Decision recorded: %(outcome)s.") % {"outcome": outcomes.get(after.get("outcome"), "")}
    if name == "decision.evidence_added":
        return _("Evidence added: %(title)s.") % {"title": after.get("title")}
    if name == "concern.created":
        return _("Concern recorded.")
    if name == "concern.contributions_linked":
        return _("More of what people said was linked to this concern.")
    if name == "concern.updated":
        return _("The summary of this concern was updated.")
    return None


def _format_day(value: Any) -> str:
    from django.utils.formats import date_format

    try:
        return date_format(datetime.date.fromisoformat(str(value)), "j F Y")
    except ValueError:
        return str(value)


def public_timeline(obj: Any) -> list[TimelineEntry]:
    """Every audited change to a concern, decision or action, in public words (no names), newest first."""
    entries = []
    for entry in audit.entries_for(obj).order_by("-created_at", "-id"):
        text = _public_text(entry)
        if text:
            entries.append(TimelineEntry(timezone.localtime(entry.created_at).date(), text))
    return entries


def latest_update(action: Action) -> ActionUpdate | None:
    return action.updates.order_by("-created_at", "-id").first()


# ---- the feed ----------------------------------------------------------------------------------------------------

FEED_COLUMNS = ["record", "id", "area_code", "area", "date", "title", "outcome_or_status", "progress", "due_on",
                "reasons", "concern_ids", "decision_id", "url"]


def feed_rows(area: Area | None = None, source: tuple[int, str] | None = None) -> list[dict[str, Any]]:
    """Concerns, decisions and actions as flat rows for the JSON and CSV feed (no personal data, no counts
    below the threshold: counts are left out of the feed entirely; the pages show the protected figures)."""
    from django.urls import reverse

    base = settings.BYCONSENT_SITE_URL
    concerns = list(public_concerns(area, source))
    concern_ids = {c.pk for c in concerns}
    rows: list[dict[str, Any]] = []
    for concern in concerns:
        rows.append({"record": "concern", "id": concern.pk, "area_code": concern.area.code, "area": concern.area.name,
                     "date": concern.created_at.date().isoformat(), "title": concern.summary,
                     "outcome_or_status": "", "progress": "", "due_on": "", "reasons": "", "concern_ids": "",
                     "decision_id": "", "url": base + reverse("actions:public_concern", args=[concern.pk])})
    decisions = public_decisions(area)
    actions = public_actions(area)
    if source is not None:
        decisions = decisions.filter(concerns__in=concern_ids).distinct()
        actions = actions.filter(Q(concerns__in=concern_ids) | Q(decision__concerns__in=concern_ids)).distinct()
    for decision in decisions:
        rows.append({"record": "decision", "id": decision.pk, "area_code": decision.area.code,
                     "area": decision.area.name, "date": decision.decided_on.isoformat(),
                     "title": decision.summary, "outcome_or_status": decision.outcome, "progress": "", "due_on": "",
                     "reasons": decision.reasons,
                     "concern_ids": ";".join(str(c.pk) for c in decision.concerns.all() if c.is_public),
                     "decision_id": "", "url": base + reverse("actions:public_decision", args=[decision.pk])})
    for action in actions.prefetch_related("concerns"):
        rows.append({"record": "action", "id": action.pk, "area_code": action.area.code, "area": action.area.name,
                     "date": action.created_at.date().isoformat(), "title": action.title,
                     "outcome_or_status": action.status, "progress": action.progress,
                     "due_on": action.due_on.isoformat(), "reasons": "",
                     "concern_ids": ";".join(str(c.pk) for c in action.concerns.all() if c.is_public),
                     "decision_id": action.decision_id or "",
                     "url": base + reverse("actions:public_action", args=[action.pk])})
    return rows


# ---- measures ----------------------------------------------------------------------------------------------------

@dataclass
class MeasureRow:
    label: str
    people_to_tell: int = 0
    people_told: int = 0
    median_days: float | None = None
    actions_finished: int = 0
    actions_on_time: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def coverage(self) -> float | None:
        return self.people_told / self.people_to_tell if self.people_to_tell else None

    @property
    def on_time_share(self) -> float | None:
        return self.actions_on_time / self.actions_finished if self.actions_finished else None


def _feedback_measures(contributions: Iterable[Contribution], first: dict[int, datetime.datetime],
                       row: MeasureRow) -> MeasureRow:
    people: set[int] = set()
    told: set[int] = set()
    days: list[int] = []
    for contribution in contributions:
        assert contribution.contributor_id is not None
        people.add(contribution.contributor_id)
        when = first.get(contribution.pk)
        if when is not None:
            told.add(contribution.contributor_id)
            days.append((timezone.localtime(when).date() - contribution.created_on).days)
    row.people_to_tell, row.people_told = len(people), len(told)
    row.median_days = statistics.median(days) if days else None
    return row


def measures(user: Any, area: Area) -> dict[str, list[MeasureRow]]:
    """Feedback coverage (share of people who asked to hear back and were told an outcome), median days from
    contribution to first feedback, and actions done on time: per area below `area` and per channel."""
    eligible = list(scope(user, Do.MANAGE_ACTIONS,
                          Contribution.objects.filter(concern_links__isnull=False, wants_feedback=True,
                                                      contributor__isnull=False,
                                                      area__path__startswith=area.path))
                    .select_related("area").distinct())
    first = dict(ContributionFeedback.objects.filter(contribution__in=[c.pk for c in eligible])
                 .values_list("contribution_id", "first_told_at"))
    actions = list(scope(user, Do.MANAGE_ACTIONS, Action.objects.filter(area__path__startswith=area.path))
                   .select_related("area"))
    groups = [area, *area.children.order_by("name")]
    by_area = []
    for group in groups:
        label = _("All of %(name)s") % {"name": group.name} if group == area else group.name
        row = _feedback_measures([c for c in eligible if c.area and c.area.is_within(group)], first,
                                 MeasureRow(label))
        finished = [a for a in actions if a.area.is_within(group) and a.status == Action.Status.DONE]
        row.actions_finished = len(finished)
        row.actions_on_time = sum(1 for a in finished if a.done_on_time)
        row.extra["overdue"] = sum(1 for a in actions if a.area.is_within(group) and a.is_overdue())
        by_area.append(row)
    channels = dict(Channel.choices)
    by_channel_contributions: dict[str, list[Contribution]] = defaultdict(list)
    for contribution in eligible:
        by_channel_contributions[contribution.channel].append(contribution)
    by_channel = [_feedback_measures(items, first, MeasureRow(str(channels.get(key, key))))
                  for key, items in sorted(by_channel_contributions.items())]
    return {"by_area": by_area, "by_channel": by_channel}


def delivery_counts() -> Counter[str]:
    return Counter(FeedbackDelivery.objects.values_list("status", flat=True))
