"""Property tests of the consent rule (people.consent.decide), which every send goes through."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byconsent.people.consent import BasisFact, ContactFacts, decide

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CHANNELS = ["email", "sms", "phone", "post"]
offsets = st.integers(min_value=-400, max_value=400).map(lambda days: NOW + timedelta(days=days))
maybe_time = st.none() | offsets


@st.composite
def records(draw: st.DrawFn) -> BasisFact:
    return BasisFact(
        lawful_basis=draw(st.sampled_from(["consent", "public_task", "legitimate_interests"])),
        channels=tuple(draw(st.lists(st.sampled_from(CHANNELS), unique=True, max_size=3))),
        given_at=draw(offsets), expires_at=draw(maybe_time), withdrawn_at=draw(maybe_time),
        record_id=draw(st.integers(min_value=1, max_value=10_000)))


# A loaded CI machine can be slow to generate; the rule itself is what is under test, so no timing checks.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)

facts_strategy = st.builds(
    ContactFacts, channel=st.sampled_from(CHANNELS), now=st.just(NOW), is_service=st.booleans(),
    erased=st.booleans(), has_detail=st.booleans(), erasure_pending=st.booleans(), do_not_contact=st.booleans(),
    # Record ids are primary keys: unique, which is what makes "the newest record" well defined.
    unsubscribed=st.booleans(), records=st.lists(records(), max_size=4, unique_by=lambda r: r.record_id).map(tuple))


@relaxed
@given(facts_strategy)
def test_an_allowed_contact_always_has_a_reason_and_the_details(facts):
    decision = decide(facts)
    assert decision.reason
    if decision.allowed:
        assert not facts.erased and facts.has_detail


@relaxed
@given(facts_strategy)
def test_suppressions_always_win_over_any_consent(facts):
    if facts.is_service:
        return
    for suppressed in (replace(facts, erasure_pending=True), replace(facts, do_not_contact=True),
                       replace(facts, unsubscribed=True), replace(facts, erased=True),
                       replace(facts, has_detail=False)):
        assert not decide(suppressed)


@relaxed
@given(facts_strategy)
def test_non_service_contact_needs_a_started_unwithdrawn_unexpired_basis_covering_the_channel(facts):
    decision = decide(facts)
    if decision.allowed and not facts.is_service:
        basis = decision.basis
        assert basis is not None and basis in facts.records
        assert basis.given_at <= NOW
        assert basis.withdrawn_at is None or basis.withdrawn_at > NOW
        assert basis.expires_at is None or basis.expires_at > NOW
        assert not basis.channels or facts.channel in basis.channels
        # and it is the newest record that had started
        assert all((r.given_at, r.record_id) <= (basis.given_at, basis.record_id)
                   for r in facts.records if r.given_at <= NOW)


@relaxed
@given(facts_strategy, st.integers(min_value=0, max_value=400))
def test_withdrawing_the_deciding_record_always_stops_contact(facts, days_ago):
    decision = decide(facts)
    if decision.allowed and not facts.is_service:
        withdrawn = replace(decision.basis, withdrawn_at=NOW - timedelta(days=days_ago))
        others = tuple(withdrawn if r is decision.basis else r for r in facts.records)
        assert not decide(replace(facts, records=others))


@relaxed
@given(facts_strategy)
def test_a_fresh_grant_for_every_channel_allows_unless_suppressed(facts):
    fresh = BasisFact("consent", (), NOW, record_id=10_001)
    decision = decide(replace(facts, records=(*facts.records, fresh)))
    suppressed = (facts.erased or not facts.has_detail or
                  (not facts.is_service and (facts.erasure_pending or facts.do_not_contact or facts.unsubscribed)))
    assert decision.allowed == (not suppressed)


@relaxed
@given(facts_strategy)
def test_the_order_records_are_listed_in_does_not_matter(facts):
    assert decide(facts) == decide(replace(facts, records=tuple(reversed(facts.records))))
