"""Every write to the "You said, we did" ledger: permission, transaction, audit entry, feedback event, live event.

Views, tasks, the management command and other apps (insights turns a signed-off theme into a concern with
`create_concern_from_contributions`) call these functions; nothing else writes to the ledger.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from byconsent.actions import messages as plain
from byconsent.actions.models import (
    Action,
    ActionUpdate,
    Concern,
    ConcernContribution,
    ContributionFeedback,
    Decision,
    Evidence,
    FeedbackBatch,
    FeedbackDelivery,
    FeedbackEvent,
    Milestone,
    OverdueNotice,
)
from byconsent.core import audit, notifications
from byconsent.core.models import Area, Contribution, Role, RoleAssignment, User
from byconsent.core.policy import Action as Do
from byconsent.core.policy import can, require
from byconsent.core.services import publish_event

FEATURE_TOPIC = "you-said-we-did"
OVERDUE_TOPIC = "staff-overdue-actions"
LIVE_CHANNEL = "public-you-said-we-did"
# A form submitted twice (double click, back button) within this window returns the first record, not a copy.
REPEAT_WINDOW = datetime.timedelta(minutes=10)


def _snap(obj: Any, fields: list[str]) -> dict[str, Any]:
    return audit.snapshot(obj, fields)


def _contributions_for(actor: Any, contribution_ids: Iterable[int]) -> list[Contribution]:
    ids = sorted({int(i) for i in contribution_ids})
    found = list(Contribution.objects.filter(pk__in=ids).select_related("area"))
    if len(found) != len(ids):
        missing = sorted(set(ids) - {c.pk for c in found})
        raise ValidationError(f"These contributions do not exist: {', '.join(map(str, missing))}")
    for contribution in found:
        if actor is not None and not can(actor, Do.VIEW_CONTRIBUTIONS, contribution):
            raise PermissionDenied("Not allowed: view_contributions")
    return found


def _link(concern: Concern, contributions: Sequence[Contribution]) -> list[int]:
    already = set(concern.links.values_list("contribution_id", flat=True))
    new = [c for c in contributions if c.pk not in already]
    ConcernContribution.objects.bulk_create([ConcernContribution(concern=concern, contribution=c) for c in new],
                                            ignore_conflicts=True)
    return [c.pk for c in new]


# ---- concerns ----------------------------------------------------------------------------------------------------

def create_concern_from_contributions(
    actor: Any,
    area: Area,
    summary: str,
    contribution_ids: Iterable[int],
    source: str = Concern.Source.MANUAL,
    *,
    source_reference: str = "",
    detail: str = "",
    is_public: bool = True,
) -> Concern:
    """Record a concern and link it to the contributions it came from.

    Safe to repeat: with a `source_reference` (e.g. "theme:42") a second call finds the same concern and only adds
    contributions not yet linked; without one, the same summary in the same area by the same person within a few
    minutes is treated as a repeated submission.
    """
    require(actor, Do.MANAGE_ACTIONS, area)
    summary = (summary or "").strip()
    if not summary:
        raise ValidationError({"summary": "Write a short summary of the concern"})
    if source not in Concern.Source.values:
        raise ValidationError({"source": f"Unknown source {source}"})
    contributions = _contributions_for(actor, contribution_ids)
    with transaction.atomic():
        existing = None
        if source_reference:
            existing = Concern.objects.select_for_update().filter(source=source,
                                                                  source_reference=source_reference).first()
        else:
            existing = Concern.objects.filter(area=area, summary=summary, created_by=_user(actor),
                                              created_at__gte=timezone.now() - REPEAT_WINDOW).first()
        if existing is not None:
            added = _link(existing, contributions)
            if added:
                audit.record(actor, "concern.contributions_linked", existing, after={"contributions": added})
                _catch_up(existing)
            return existing
        concern = Concern.objects.create(area=area, summary=summary, detail=detail, source=source,
                                         source_reference=source_reference, is_public=is_public,
                                         created_by=_user(actor))
        added = _link(concern, contributions)
        audit.record(actor, "concern.created", concern,
                     after={**_snap(concern, ["area", "summary", "detail", "source", "source_reference",
                                              "is_public"]), "contributions": added})
    return concern


def update_concern(actor: Any, concern: Concern, **changes: Any) -> Concern:
    allowed = {"summary", "detail", "is_public", "area"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Cannot change {', '.join(sorted(unknown))}")
    require(actor, Do.MANAGE_ACTIONS, concern)
    if "area" in changes:
        require(actor, Do.MANAGE_ACTIONS, changes["area"])
    fields = sorted(changes)
    with transaction.atomic():
        before = _snap(concern, fields)
        for name, value in changes.items():
            setattr(concern, name, value)
        if not (concern.summary or "").strip():
            raise ValidationError({"summary": "Write a short summary of the concern"})
        concern.save()
        after = _snap(concern, fields)
        if before != after:
            audit.record(actor, "concern.updated", concern, before=before, after=after)
    return concern


def link_contributions(actor: Any, concern: Concern, contribution_ids: Iterable[int]) -> list[int]:
    require(actor, Do.MANAGE_ACTIONS, concern)
    contributions = _contributions_for(actor, contribution_ids)
    with transaction.atomic():
        added = _link(concern, contributions)
        if added:
            audit.record(actor, "concern.contributions_linked", concern, after={"contributions": added})
            _catch_up(concern)
    return added


def unlink_contribution(actor: Any, concern: Concern, contribution_id: int) -> bool:
    require(actor, Do.MANAGE_ACTIONS, concern)
    with transaction.atomic():
        deleted, _ = ConcernContribution.objects.filter(concern=concern, contribution_id=contribution_id).delete()
        if deleted:
            audit.record(actor, "concern.contribution_unlinked", concern, before={"contribution": contribution_id})
    return bool(deleted)


# ---- decisions ---------------------------------------------------------------------------------------------------

@dataclass
class EvidenceInput:
    title: str
    content_type: ContentType | None = None
    object_id: str = ""
    url: str = ""
    note: str = ""


def record_decision(
    actor: Any,
    *,
    area: Area,
    forum: str,
    decided_on: datetime.date,
    outcome: str,
    summary: str,
    reasons: str = "",
    concerns: Iterable[Concern] = (),
    evidence: Iterable[EvidenceInput] = (),
    is_public: bool = True,
) -> Decision:
    """Record a decision; everyone who asked to hear back about its concerns is told in the next feedback batch."""
    require(actor, Do.MANAGE_ACTIONS, area)
    concern_list = list(concerns)
    for concern in concern_list:
        require(actor, Do.MANAGE_ACTIONS, concern)
    decision = Decision(area=area, forum=forum.strip(), decided_on=decided_on, outcome=outcome,
                        summary=summary.strip(), reasons=reasons.strip(), created_by=_user(actor),
                        is_public=is_public)
    decision.full_clean(exclude=["created_by"])
    evidence_rows = [Evidence(title=e.title.strip(), content_type=e.content_type, object_id=str(e.object_id or ""),
                              url=e.url, note=e.note) for e in evidence]
    with transaction.atomic():
        repeat = Decision.objects.filter(area=area, forum=decision.forum, decided_on=decided_on, outcome=outcome,
                                         summary=decision.summary, created_by=_user(actor),
                                         created_at__gte=timezone.now() - REPEAT_WINDOW).first()
        if repeat is not None:
            return repeat
        decision.save()
        decision.concerns.set(concern_list)
        for row in evidence_rows:
            row.decision = decision
            row.full_clean()
            row.save()
        audit.record(actor, "decision.recorded", decision,
                     after={**_snap(decision, ["area", "forum", "decided_on", "outcome", "summary", "reasons",
                                               "is_public"]),
                            "concerns": [c.pk for c in concern_list],
                            "evidence": [e.title for e in evidence_rows]})
        if decision.is_public:
            FeedbackEvent.objects.create(kind=FeedbackEvent.Kind.DECISION, decision=decision, status_after=outcome)
            publish_event(LIVE_CHANNEL, "decision", {"id": decision.pk, "area": area.code})
    return decision


def add_evidence(actor: Any, decision: Decision, item: EvidenceInput) -> Evidence:
    require(actor, Do.MANAGE_ACTIONS, decision)
    row = Evidence(decision=decision, title=item.title.strip(), content_type=item.content_type,
                   object_id=str(item.object_id or ""), url=item.url, note=item.note)
    row.full_clean()
    with transaction.atomic():
        duplicate = decision.evidence.filter(title=row.title, content_type=row.content_type,
                                             object_id=row.object_id, url=row.url).first()
        if duplicate is not None:
            return duplicate
        row.save()
        audit.record(actor, "decision.evidence_added", decision,
                     after={"title": row.title, "url": row.url, "object_id": row.object_id,
                            "content_type": row.content_type_id})
    return row


# ---- actions -----------------------------------------------------------------------------------------------------

def _check_owner(owner: User, area: Area) -> None:
    if not owner.is_active or not can(owner, Do.MANAGE_ACTIONS, area):
        raise ValidationError({"owner": "The owner must be a staff member who manages actions in this area"})


@dataclass
class MilestoneInput:
    title: str
    due_on: datetime.date


def create_action(
    actor: Any,
    *,
    area: Area,
    title: str,
    owner: User,
    due_on: datetime.date,
    description: str = "",
    decision: Decision | None = None,
    concerns: Iterable[Concern] = (),
    milestones: Iterable[MilestoneInput] = (),
    is_public: bool = True,
) -> Action:
    require(actor, Do.MANAGE_ACTIONS, area)
    _check_owner(owner, area)
    if decision is not None:
        require(actor, Do.MANAGE_ACTIONS, decision)
    concern_list = list(concerns)
    for concern in concern_list:
        require(actor, Do.MANAGE_ACTIONS, concern)
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Say what will be done"})
    with transaction.atomic():
        repeat = Action.objects.filter(area=area, title=title, owner=owner, due_on=due_on,
                                       created_at__gte=timezone.now() - REPEAT_WINDOW).first()
        if repeat is not None:
            return repeat
        action = Action.objects.create(area=area, title=title, description=description, owner=owner, due_on=due_on,
                                       decision=decision, is_public=is_public)
        if not concern_list and decision is not None:
            concern_list = list(decision.concerns.all())
        action.concerns.set(concern_list)
        for item in milestones:
            Milestone.objects.create(action=action, title=item.title, due_on=item.due_on)
        audit.record(actor, "action.created", action,
                     after={**_snap(action, ["area", "title", "description", "owner", "due_on", "status",
                                             "decision", "is_public"]), "concerns": [c.pk for c in concern_list]})
    return action


def update_action(actor: Any, action: Action, **changes: Any) -> Action:
    """Change an action's details (not its status: use `change_status`)."""
    allowed = {"title", "description", "owner", "due_on", "area", "decision", "is_public"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Cannot change {', '.join(sorted(unknown))}")
    require(actor, Do.MANAGE_ACTIONS, action)
    if "area" in changes:
        require(actor, Do.MANAGE_ACTIONS, changes["area"])
    fields = sorted(changes)
    with transaction.atomic():
        before = _snap(action, fields)
        for name, value in changes.items():
            setattr(action, name, value)
        _check_owner(action.owner, action.area)
        action.save()
        after = _snap(action, fields)
        if before != after:
            audit.record(actor, "action.updated", action, before=before, after=after)
    return action


def set_action_concerns(actor: Any, action: Action, concerns: Iterable[Concern]) -> None:
    require(actor, Do.MANAGE_ACTIONS, action)
    concern_list = list(concerns)
    for concern in concern_list:
        require(actor, Do.MANAGE_ACTIONS, concern)
    with transaction.atomic():
        before = sorted(action.concerns.values_list("pk", flat=True))
        action.concerns.set(concern_list)
        after = sorted(c.pk for c in concern_list)
        if before != after:
            audit.record(actor, "action.concerns_changed", action, before={"concerns": before},
                         after={"concerns": after})


def change_status(
    actor: Any,
    action: Action,
    status: str,
    *,
    progress: int | None = None,
    public_text: str = "",
    today: datetime.date | None = None,
) -> Action:
    """Move an action to a new state with a public update. A real change of state tells the people whose
    contributions it answers (once, in the next feedback batch); repeating the same state changes nothing."""
    require(actor, Do.MANAGE_ACTIONS, action)
    if status not in Action.Status.values:
        raise ValidationError({"status": f"Unknown status {status}"})
    if status == Action.Status.NOT_POSSIBLE and not public_text.strip():
        raise ValidationError({"public_text": "Explain publicly why this cannot be done"})
    if progress is not None and not 0 <= progress <= 100:
        raise ValidationError({"progress": "Progress must be between 0 and 100"})
    today = today or timezone.localdate()
    with transaction.atomic():
        action = Action.objects.select_for_update().get(pk=action.pk)
        if action.status == status and (progress is None or progress == action.progress) and not public_text:
            return action
        before = _snap(action, ["status", "progress", "completed_on"])
        status_changed = action.status != status
        old_status = action.status
        action.status = status
        if progress is not None:
            action.progress = progress
        if status == Action.Status.DONE:
            action.progress = 100
            action.completed_on = action.completed_on or today
        elif status_changed:
            action.completed_on = None
        action.save()
        ActionUpdate.objects.create(action=action, text=public_text.strip() or plain.status_sentence(status),
                                    status_before=old_status if status_changed else "",
                                    status_after=status if status_changed else "",
                                    progress=action.progress, author=_user(actor), published_on=today)
        audit.record(actor, "action.status_changed" if status_changed else "action.progress_updated", action,
                     before=before, after={**_snap(action, ["status", "progress", "completed_on"]),
                                           "public_text": public_text.strip()})
        if status_changed and action.is_public:
            FeedbackEvent.objects.create(kind=FeedbackEvent.Kind.ACTION_STATUS, action=action, status_after=status)
        if action.is_public:
            publish_event(LIVE_CHANNEL, "action", {"id": action.pk, "status": action.status,
                                                   "progress": action.progress})
    return action


def post_update(actor: Any, action: Action, text: str, progress: int | None = None) -> ActionUpdate:
    """A public progress note that does not change the action's state (no one is emailed for it)."""
    require(actor, Do.MANAGE_ACTIONS, action)
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the update"})
    if progress is not None and not 0 <= progress <= 100:
        raise ValidationError({"progress": "Progress must be between 0 and 100"})
    with transaction.atomic():
        repeat = action.updates.filter(text=text, created_at__gte=timezone.now() - REPEAT_WINDOW).first()
        if repeat is not None:
            return repeat
        before = {"progress": action.progress}
        if progress is not None:
            action.progress = progress
            action.save(update_fields=["progress", "updated_at"])
        update = ActionUpdate.objects.create(action=action, text=text, progress=action.progress,
                                             author=_user(actor))
        audit.record(actor, "action.update_published", action, before=before,
                     after={"progress": action.progress, "text": text})
    return update


def add_milestone(actor: Any, action: Action, title: str, due_on: datetime.date) -> Milestone:
    require(actor, Do.MANAGE_ACTIONS, action)
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Name the milestone"})
    with transaction.atomic():
        milestone, created = Milestone.objects.get_or_create(action=action, title=title, due_on=due_on)
        if created:
            audit.record(actor, "action.milestone_added", action, after={"milestone": title,
                                                                         "due_on": due_on.isoformat()})
    return milestone


def complete_milestone(actor: Any, milestone: Milestone, done_on: datetime.date | None = None) -> Milestone:
    require(actor, Do.MANAGE_ACTIONS, milestone.action)
    with transaction.atomic():
        if milestone.done_on is None:
            milestone.done_on = done_on or timezone.localdate()
            milestone.save(update_fields=["done_on"])
            audit.record(actor, "action.milestone_done", milestone.action,
                         after={"milestone": milestone.title, "done_on": milestone.done_on.isoformat()})
    return milestone


# ---- feedback to people ------------------------------------------------------------------------------------------

def has_usable_email(person: User) -> bool:
    email = (person.email or "").strip().lower()
    return bool(email) and "@" in email and not email.endswith(".invalid")


def _concerns_of(event: FeedbackEvent) -> list[Concern]:
    if event.decision_id:
        return list(Concern.objects.filter(decisions=event.decision_id))
    assert event.action is not None
    ids = set(event.action.concerns.values_list("pk", flat=True))
    if event.action.decision_id:
        ids |= set(Concern.objects.filter(decisions=event.action.decision_id).values_list("pk", flat=True))
    return list(Concern.objects.filter(pk__in=ids))


def recipients_for(event: FeedbackEvent) -> dict[int, list[Contribution]]:
    """Everyone who asked to hear back about a contribution linked to the event's concerns: person id -> their
    contributions. People who are anonymous, or who did not ask, are never contacted."""
    concerns = _concerns_of(event)
    contributions = (Contribution.objects.filter(concern_links__concern__in=concerns, wants_feedback=True,
                                                 contributor__isnull=False, contributor__is_active=True)
                     .distinct().order_by("created_on", "pk"))
    people: dict[int, list[Contribution]] = defaultdict(list)
    for contribution in contributions:
        assert contribution.contributor_id is not None
        people[contribution.contributor_id].append(contribution)
    return people


@dataclass
class BatchResult:
    batch: FeedbackBatch | None
    events: int = 0
    emails: int = 0
    letters: int = 0
    suppressed: int = 0
    people: list[int] = field(default_factory=list)


def run_feedback_batch(now: datetime.datetime | None = None) -> BatchResult:
    """Tell people about every change not yet processed: one digest email per person per run (idempotency key per
    batch and person), a letter for people without an email address, nothing for anyone who unsubscribed from
    this item, from "You said, we did" or from everything. Each (change, person) is handled exactly once."""
    now = now or timezone.now()
    with transaction.atomic():
        events = list(FeedbackEvent.objects.select_for_update(of=("self",)).filter(processed_at__isnull=True)
                      .select_related("decision", "action", "decision__area", "action__area").order_by("id"))
        if not events:
            return BatchResult(batch=None)
        batch = FeedbackBatch.objects.create(started_at=now, events=len(events))
        result = BatchResult(batch=batch, events=len(events))
        digest: dict[int, list[tuple[FeedbackEvent, list[Contribution]]]] = defaultdict(list)
        people: dict[int, User] = {}
        seen: set[tuple[int, int]] = set()
        for event in events:
            recipients = recipients_for(event)
            done = _already_told(event)
            for person_id, contributions in recipients.items():
                if person_id in done or (event.pk, person_id) in seen:
                    continue
                seen.add((event.pk, person_id))
                digest[person_id].append((event, contributions))
            people.update({u.pk: u for u in User.objects.filter(pk__in=list(recipients))})
        for person_id, items in digest.items():
            person = people[person_id]
            if has_usable_email(person):
                _email_digest(batch, person, items, now, result)
            else:
                for event, _contributions in items:
                    FeedbackDelivery.objects.create(event=event, person=person, batch=batch,
                                                    method=FeedbackDelivery.Method.LETTER,
                                                    status=FeedbackDelivery.Status.TO_PRINT)
                    result.letters += 1
        FeedbackEvent.objects.filter(pk__in=[e.pk for e in events]).update(processed_at=now)
        batch.emails, batch.letters, batch.suppressed = result.emails, result.letters, result.suppressed
        batch.finished_at = timezone.now()
        batch.save()
        audit.record("feedback batch", "feedback.batch_run", batch,
                     after={"events": result.events, "emails": result.emails, "letters": result.letters,
                            "suppressed": result.suppressed})
    return result


def _same_change(event: FeedbackEvent) -> Any:
    """Events describing the same change: the same decision, or the same action reaching the same state."""
    if event.decision_id:
        return FeedbackEvent.objects.filter(kind=event.kind, decision_id=event.decision_id)
    return FeedbackEvent.objects.filter(kind=event.kind, action=event.action, status_after=event.status_after)


def _already_told(event: FeedbackEvent) -> set[int]:
    """People who already have a delivery (sent, suppressed or a letter) for this change, through any event."""
    return set(FeedbackDelivery.objects.filter(event__in=_same_change(event)).values_list("person_id", flat=True))


def _catch_up(concern: Concern) -> int:
    """People linked to a concern after its decision was made (or its action moved on) still hear the outcome:
    queue the existing changes again; people already told about them are skipped by the batch."""
    created = 0
    for decision in concern.decisions.filter(is_public=True):
        FeedbackEvent.objects.create(kind=FeedbackEvent.Kind.DECISION, decision=decision,
                                     status_after=decision.outcome)
        created += 1
    actions = Action.objects.filter(Q(concerns=concern) | Q(decision__concerns=concern), is_public=True).exclude(
        status=Action.Status.PLANNED).distinct()
    for action in actions:
        FeedbackEvent.objects.create(kind=FeedbackEvent.Kind.ACTION_STATUS, action=action, status_after=action.status)
        created += 1
    return created


def _wants(email: str, event: FeedbackEvent) -> bool:
    return notifications.allows(email, event.topic) and notifications.allows(email, FEATURE_TOPIC)


def _email_digest(batch: FeedbackBatch, person: User, items: list[tuple[FeedbackEvent, list[Contribution]]],
                  now: datetime.datetime, result: BatchResult) -> None:
    wanted = [(event, contributions) for event, contributions in items if _wants(person.email, event)]
    wanted_ids = {event.pk for event, _contributions in wanted}
    key = f"you-said-we-did:batch-{batch.pk}:person-{person.pk}"
    for event, _contributions in items:
        told = event.pk in wanted_ids
        FeedbackDelivery.objects.create(
            event=event, person=person, batch=batch, method=FeedbackDelivery.Method.EMAIL,
            status=FeedbackDelivery.Status.QUEUED if told else FeedbackDelivery.Status.SUPPRESSED,
            idempotency_key=key if told else "")
        if not told:
            result.suppressed += 1
    if not wanted:
        return
    with translation.override(person.preferred_language or "en-gb"):
        subject, body = plain.digest(person, wanted)
    notifications.queue_email(person.email, FEATURE_TOPIC, subject, body, idempotency_key=key)
    result.emails += 1
    result.people.append(person.pk)
    _mark_first_feedback([c for _event, contributions in wanted for c in contributions], now)


def _mark_first_feedback(contributions: Iterable[Contribution], when: datetime.datetime) -> None:
    ids = {c.pk for c in contributions}
    have = set(ContributionFeedback.objects.filter(contribution_id__in=ids).values_list("contribution_id", flat=True))
    ContributionFeedback.objects.bulk_create(
        [ContributionFeedback(contribution_id=i, first_told_at=when) for i in sorted(ids - have)],
        ignore_conflicts=True)


def letter_text(delivery: FeedbackDelivery) -> tuple[str, str]:
    """The subject and body of one printed letter (the same words as the email digest)."""
    event = delivery.event
    contributions = recipients_for(event).get(delivery.person_id, [])
    with translation.override(delivery.person.preferred_language or "en-gb"):
        return plain.digest(delivery.person, [(event, contributions)], letter=True)


def mark_letters_printed(actor: Any, deliveries: Iterable[FeedbackDelivery]) -> int:
    rows = list(deliveries)
    for row in rows:
        area = (row.event.decision or row.event.action).area  # type: ignore[union-attr]
        require(actor, Do.MANAGE_ACTIONS, area)
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for row in rows:
            if row.status != FeedbackDelivery.Status.TO_PRINT:
                continue
            row.status = FeedbackDelivery.Status.PRINTED
            row.printed_at = now
            row.save(update_fields=["status", "printed_at"])
            _mark_first_feedback(recipients_for(row.event).get(row.person_id, []), now)
            count += 1
        if count:
            audit.record(actor, "feedback.letters_printed", None, after={"deliveries": [r.pk for r in rows]})
    return count


def request_feedback_batch(actor: Any) -> Any:
    """Staff ask for the feedback batch to run now (in the background, with a progress page)."""
    require(actor, Do.MANAGE_ACTIONS)
    from byconsent.core import tasks

    with transaction.atomic():
        progress = tasks.start("Send 'You said, we did' feedback", "byconsent.actions.tasks.feedback_batch_task",
                               {}, requested_by=actor)
        audit.record(actor, "feedback.batch_requested", progress)
    return progress


# ---- overdue actions ---------------------------------------------------------------------------------------------

def commanders_for(area: Area) -> list[User]:
    """People holding the commander role on the area or any area above it."""
    return list(User.objects.filter(role_assignments__role=Role.COMMANDER, role_assignments__area__in=area.ancestors(),
                                    is_active=True).distinct())


def overdue_actions(today: datetime.date | None = None) -> Any:
    today = today or timezone.localdate()
    return Action.objects.filter(status__in=Action.OPEN_STATUSES, due_on__lt=today).select_related("owner", "area")


def check_overdue_actions(today: datetime.date | None = None) -> dict[str, int]:
    """Email each overdue action's owner and their commanders, at most once per action per day."""
    today = today or timezone.localdate()
    flagged = emails = 0
    for action in overdue_actions(today):
        with transaction.atomic():
            notice, created = OverdueNotice.objects.get_or_create(action=action, sent_on=today)
            if not created:
                continue
            recipients = {action.owner.pk: action.owner}
            recipients.update({u.pk: u for u in commanders_for(action.area)})
            for person in recipients.values():
                if not has_usable_email(person):
                    continue
                subject, body = plain.overdue(action, today)
                notifications.queue_email(person.email, OVERDUE_TOPIC, subject, body,
                                          idempotency_key=f"action-overdue:{action.pk}:{today.isoformat()}:{person.pk}")
                emails += 1
            notice.recipients = len(recipients)
            notice.save(update_fields=["recipients"])
            audit.record("overdue check", "action.overdue_flagged", action,
                         after={"due_on": action.due_on.isoformat(), "days_overdue": (today - action.due_on).days,
                                "recipients": sorted(recipients)})
            flagged += 1
    return {"overdue_flagged": flagged, "overdue_emails": emails}


def _user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def assignments_managing(area: Area) -> Any:
    """Role assignments that let someone manage actions in `area` (for choosing an owner)."""
    from byconsent.core.policy import roles_allowing

    return RoleAssignment.objects.filter(role__in=roles_allowing(Do.MANAGE_ACTIONS), area__in=area.ancestors())
