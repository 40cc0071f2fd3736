"""The one place that decides whether the force may contact a person for a purpose through a channel.

Every sending and exporting path calls `may_contact` (one person) or `contactable` (many, same rule, fewer
queries). Both gather the facts from the database and hand them to `decide`, a pure function holding the whole rule,
so the rule can be tested exhaustively (tests/people/test_consent_properties.py).

The rule, in order:
1. An erased or merged-away record is never contacted.
2. The person must have a detail for the channel (an email address for email, a phone number for phone or text,
   an address and postcode for post).
3. Service messages the person asked for themselves (sign-in links, confirmations) are then allowed: the lawful
   basis is their own request.
4. Nothing else goes to someone who asked to be erased, is marked "do not contact", or unsubscribed from this
   purpose or from everything (a one-click unsubscribe applies to every channel, not just email).
5. The newest consent or lawful-basis record for the purpose that had started by now decides: there must be one,
   it must not be withdrawn or expired, and it must cover the channel (an empty channel list covers all).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from byconsent.core.models import NotificationPreference
from byconsent.core.notifications import ALL_TOPICS
from byconsent.people.models import (
    ConsentRecord,
    ContactChannel,
    ErasureRequest,
    Person,
    Purpose,
)


@dataclass(frozen=True)
class BasisFact:
    """What `decide` needs from one ConsentRecord."""

    lawful_basis: str
    channels: tuple[str, ...]
    given_at: datetime
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None
    record_id: int | None = None


@dataclass(frozen=True)
class ContactFacts:
    channel: str
    now: datetime
    is_service: bool = False
    erased: bool = False
    has_detail: bool = True
    erasure_pending: bool = False
    do_not_contact: bool = False
    unsubscribed: bool = False
    records: Sequence[BasisFact] = field(default_factory=tuple)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    basis: BasisFact | None = None

    def __bool__(self) -> bool:
        return self.allowed


CHANNEL_LABELS = {value: str(label) for value, label in ContactChannel.choices}


def decide(facts: ContactFacts) -> Decision:
    """The whole rule (see the module docstring). Pure: no database, no clock."""
    channel_label = CHANNEL_LABELS.get(facts.channel, facts.channel).lower()
    if facts.channel not in CHANNEL_LABELS:
        return Decision(False, f"'{facts.channel}' is not a channel messages can be sent through")
    if facts.erased:
        return Decision(False, "This record has been erased or merged")
    if not facts.has_detail:
        return Decision(False, f"No {channel_label} contact details are held")
    if facts.is_service:
        return Decision(True, "A service message the person asked for")
    if facts.erasure_pending:
        return Decision(False, "The person has asked to be erased")
    if facts.do_not_contact:
        return Decision(False, "Marked 'do not contact'")
    if facts.unsubscribed:
        return Decision(False, "Unsubscribed from these messages")
    started = [r for r in facts.records if r.given_at <= facts.now]
    if not started:
        return Decision(False, "No consent or lawful basis is recorded for this purpose")
    newest = max(started, key=lambda r: (r.given_at, r.record_id or 0))
    if newest.withdrawn_at is not None and newest.withdrawn_at <= facts.now:
        return Decision(False, f"Consent withdrawn on {newest.withdrawn_at:%d %B %Y}", newest)
    if newest.expires_at is not None and newest.expires_at <= facts.now:
        return Decision(False, f"Consent expired on {newest.expires_at:%d %B %Y}", newest)
    if newest.channels and facts.channel not in newest.channels:
        return Decision(False, f"Has not agreed to {channel_label} for this purpose", newest)
    return Decision(True, f"{newest.lawful_basis.replace('_', ' ').capitalize()} recorded "
                          f"{newest.given_at:%d %B %Y}", newest)


def has_detail(person: Person, channel: str) -> bool:
    if channel == ContactChannel.EMAIL:
        return bool(person.email)
    if channel in (ContactChannel.PHONE, ContactChannel.SMS):
        return bool(person.phone)
    if channel == ContactChannel.POST:
        return bool(person.address and person.postcode)
    return False


def _fact(record: ConsentRecord) -> BasisFact:
    return BasisFact(lawful_basis=record.lawful_basis, channels=tuple(record.channels or ()),
                     given_at=record.given_at, expires_at=record.expires_at, withdrawn_at=record.withdrawn_at,
                     record_id=record.pk)


def _purpose(purpose: Purpose | str) -> Purpose:
    if isinstance(purpose, Purpose):
        return purpose
    return Purpose.objects.get(slug=purpose)


def may_contact(person: Person, purpose: Purpose | str, channel: str, *, now: datetime | None = None) -> Decision:
    """May the force contact `person` for `purpose` through `channel` now? The reason says why (not)."""
    return contactable([person], purpose, channel, now=now)[person.pk]


def contactable(people: Iterable[Person], purpose: Purpose | str, channel: str, *,
                now: datetime | None = None) -> dict[int, Decision]:
    """The same decision for many people at once, in a fixed number of queries (person id -> Decision)."""
    people = list(people)
    purpose = _purpose(purpose)
    now = now or timezone.now()
    ids = [p.pk for p in people]
    records: dict[int, list[BasisFact]] = defaultdict(list)
    pending: set[int] = set()
    unsubscribed: set[str] = set()
    if not purpose.is_service and ids:
        for record in ConsentRecord.objects.filter(person_id__in=ids, purpose=purpose):
            records[record.person_id].append(_fact(record))
        pending = set(ErasureRequest.objects.filter(person_id__in=ids, status=ErasureRequest.Status.PENDING)
                      .values_list("person_id", flat=True))
        emails = {p.email.lower() for p in people if p.email}
        if emails:
            unsubscribed = set(NotificationPreference.objects.filter(
                email__in=emails, topic__in=[purpose.slug, ALL_TOPICS], subscribed=False).values_list("email",
                                                                                                    flat=True))
    decisions = {}
    for person in people:
        facts = ContactFacts(
            channel=channel, now=now, is_service=purpose.is_service, erased=not person.is_current,
            has_detail=has_detail(person, channel), erasure_pending=person.pk in pending,
            do_not_contact=person.do_not_contact,
            unsubscribed=bool(person.email) and person.email.lower() in unsubscribed,
            records=tuple(records.get(person.pk, ())))
        decisions[person.pk] = decide(facts)
    return decisions
