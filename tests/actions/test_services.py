"""State changes of the ledger and the feedback they send: one message per change per person, respecting consent
and unsubscribes, batched into one digest per person per run."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from byconsent.actions import services
from byconsent.actions.models import Action, Concern, ContributionFeedback, Decision, FeedbackDelivery, FeedbackEvent
from byconsent.core import notifications
from byconsent.core.audit import entries_for
from byconsent.core.models import NotificationRecord

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


def concern_for(people: dict[str, Any], said: dict[str, Any], area: Any) -> Concern:
    return services.create_concern_from_contributions(
        people["officer"], area, "Speeding on Mill Road", [c.pk for c in said.values()])


def decide(people: dict[str, Any], area: Any, concern: Concern, outcome: str = Decision.Outcome.ADOPTED,
           reasons: str = "") -> Decision:
    return services.record_decision(
        people["officer"], area=area, forum="Northtown community meeting", decided_on=timezone.localdate(),
        outcome=outcome, summary="Speed checks every week on Mill Road.", reasons=reasons, concerns=[concern])


def make_action(people: dict[str, Any], area: Any, concern: Concern, due: datetime.date | None = None) -> Action:
    return services.create_action(people["officer"], area=area, title="Weekly speed checks on Mill Road",
                                  owner=people["officer"], due_on=due or timezone.localdate() + datetime.timedelta(30),
                                  concerns=[concern])


def sent_to(email: str) -> list[NotificationRecord]:
    return list(NotificationRecord.objects.filter(recipient=email, topic=services.FEATURE_TOPIC))


# ---- concerns ----------------------------------------------------------------------------------------------------

def test_concern_links_contributions_and_is_audited(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    assert concern.contributions.count() == 6
    entry = entries_for(concern).get()
    assert entry.action == "concern.created" and len(entry.after["contributions"]) == 6


def test_concern_from_a_theme_is_safe_to_repeat(area_tree, people, said):
    ids = [said["alice_1"].pk, said["bob"].pk]
    first = services.create_concern_from_contributions(people["officer"],
                                                       area_tree["north_ward"], "Speeding", ids,
                                                       source=Concern.Source.THEME, source_reference="theme:7")
    again = services.create_concern_from_contributions(people["officer"], area_tree["north_ward"], "Speeding",
                                                       [*ids, said["carol"].pk], source=Concern.Source.THEME,
                                                       source_reference="theme:7")
    assert again.pk == first.pk and Concern.objects.count() == 1
    assert again.contributions.count() == 3


def test_double_submitted_concern_is_not_duplicated(area_tree, people, said):
    a = services.create_concern_from_contributions(people["officer"], area_tree["north_ward"], "Litter", [])
    b = services.create_concern_from_contributions(people["officer"], area_tree["north_ward"], "Litter", [])
    assert a.pk == b.pk


def test_concern_outside_the_officers_area_is_refused(area_tree, people, said):
    with pytest.raises(PermissionDenied):
        services.create_concern_from_contributions(people["south_officer"], area_tree["north_ward"], "x", [])
    with pytest.raises(PermissionDenied):  # may manage in South, but cannot see North's contributions
        services.create_concern_from_contributions(people["south_officer"], area_tree["south_ward"], "x",
                                                   [said["alice_1"].pk])
    with pytest.raises(PermissionDenied):  # analysts see contributions but do not manage actions
        services.create_concern_from_contributions(people["analyst"], area_tree["north_ward"], "x", [])


def test_unknown_contribution_is_a_clear_error(area_tree, people):
    with pytest.raises(ValidationError, match="do not exist: 999"):
        services.create_concern_from_contributions(people["officer"], area_tree["north_ward"], "x", [999])


def test_unlink_and_link_again(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    assert services.unlink_contribution(people["officer"], concern, said["bob"].pk)
    assert not services.unlink_contribution(people["officer"], concern, said["bob"].pk)
    assert services.link_contributions(people["officer"], concern, [said["bob"].pk]) == [said["bob"].pk]
    assert services.link_contributions(people["officer"], concern, [said["bob"].pk]) == []


# ---- decisions ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("outcome", [Decision.Outcome.PARTLY, Decision.Outcome.NOT_ADOPTED])
def test_decision_against_what_people_asked_needs_reasons(area_tree, people, said, outcome):
    concern = concern_for(people, said, area_tree["north_ward"])
    with pytest.raises(ValidationError) as error:
        decide(people, area_tree["north_town"], concern, outcome=outcome)
    assert "reasons" in error.value.message_dict
    decision = decide(people, area_tree["north_town"], concern, outcome=outcome, reasons="No money this year.")
    assert decision.reasons == "No money this year."


def test_decision_in_the_future_is_refused(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    with pytest.raises(ValidationError):
        services.record_decision(people["officer"], area=area_tree["north_town"], forum="x",
                                 decided_on=timezone.localdate() + datetime.timedelta(days=3),
                                 outcome="adopted", summary="y", concerns=[concern])


def test_decision_evidence_generic_link_or_url(area_tree, people, said):
    from django.contrib.contenttypes.models import ContentType

    concern = concern_for(people, said, area_tree["north_ward"])
    decision = services.record_decision(
        people["officer"], area=area_tree["north_town"], forum="Meeting", decided_on=timezone.localdate(),
        outcome="adopted", summary="Do it", concerns=[concern],
        evidence=[services.EvidenceInput("Survey results", ContentType.objects.get_for_model(concern), concern.pk),
                  services.EvidenceInput("Road casualty figures", url="https://example.org/casualties")])
    assert decision.evidence.count() == 2
    assert decision.evidence.first().linked_object == concern
    with pytest.raises(ValidationError):
        services.add_evidence(people["officer"], decision, services.EvidenceInput("Nothing"))
    again = services.add_evidence(people["officer"], decision,
                                  services.EvidenceInput("Road casualty figures", url="https://example.org/casualties"))
    assert decision.evidence.count() == 2 and again.url


# ---- actions -----------------------------------------------------------------------------------------------------

def test_owner_must_manage_actions_in_the_area(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    with pytest.raises(ValidationError):
        services.create_action(people["officer"], area=area_tree["north_ward"], title="x", owner=people["alice"],
                               due_on=TODAY, concerns=[concern])
    with pytest.raises(ValidationError):
        services.create_action(people["officer"], area=area_tree["north_ward"], title="x",
                               owner=people["south_officer"], due_on=TODAY)


def test_status_change_records_update_feedback_event_and_audit(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    action = make_action(people, area_tree["north_ward"], concern)
    services.change_status(people["officer"], action, Action.Status.IN_PROGRESS, progress=20,
                           public_text="The first checks took place on Monday.")
    action.refresh_from_db()
    assert action.status == "in_progress" and action.progress == 20
    assert FeedbackEvent.objects.filter(action=action).count() == 1
    # the same state again with nothing new changes nothing and tells no one
    services.change_status(people["officer"], action, Action.Status.IN_PROGRESS)
    assert FeedbackEvent.objects.filter(action=action).count() == 1
    services.change_status(people["officer"], action, Action.Status.DONE)
    action.refresh_from_db()
    assert action.progress == 100 and action.completed_on == timezone.localdate() and action.done_on_time
    assert [e.action for e in entries_for(action)] == ["action.status_changed", "action.status_changed",
                                                       "action.created"]


def test_not_possible_needs_a_public_explanation(area_tree, people, said):
    action = make_action(people, area_tree["north_ward"], concern_for(people, said, area_tree["north_ward"]))
    with pytest.raises(ValidationError):
        services.change_status(people["officer"], action, Action.Status.NOT_POSSIBLE)


def test_other_division_cannot_change_an_action(area_tree, people, said):
    action = make_action(people, area_tree["north_ward"], concern_for(people, said, area_tree["north_ward"]))
    with pytest.raises(PermissionDenied):
        services.change_status(people["south_commander"], action, Action.Status.DONE)


def test_milestones_and_updates(area_tree, people, said):
    action = make_action(people, area_tree["north_ward"], concern_for(people, said, area_tree["north_ward"]))
    milestone = services.add_milestone(people["officer"], action, "Signs ordered", TODAY)
    assert services.add_milestone(people["officer"], action, "Signs ordered", TODAY) == milestone
    services.complete_milestone(people["officer"], milestone, TODAY)
    services.post_update(people["officer"], action, "Signs have arrived.", progress=40)
    services.post_update(people["officer"], action, "Signs have arrived.", progress=40)  # double click
    assert action.updates.count() == 1
    assert FeedbackEvent.objects.filter(action=action).count() == 0  # progress notes email no one


# ---- feedback ----------------------------------------------------------------------------------------------------

def test_decision_tells_each_person_who_asked_once(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    decide(people, area_tree["north_town"], concern)
    result = services.run_feedback_batch()
    assert result.emails == 2 and result.letters == 1
    alice = sent_to("alice@example.test")
    assert len(alice) == 1  # two contributions, one message
    assert "Speed checks every week" in alice[0].body and "agreed to do what people asked" in alice[0].body
    assert "Speeding on Mill Road at night" in alice[0].body
    assert len(sent_to("carol@example.test")) == 1
    assert sent_to("bob@example.test") == []  # did not ask to hear back
    assert FeedbackDelivery.objects.get(person=people["paper"]).status == FeedbackDelivery.Status.TO_PRINT
    # running again sends nothing more
    again = services.run_feedback_batch()
    assert again.batch is None and len(sent_to("alice@example.test")) == 1


def test_changes_in_one_batch_arrive_as_one_digest(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    decide(people, area_tree["north_town"], concern)
    action = make_action(people, area_tree["north_ward"], concern)
    services.change_status(people["officer"], action, Action.Status.IN_PROGRESS)
    services.run_feedback_batch()
    [digest] = sent_to("alice@example.test")
    assert "2 updates" in digest.subject and "Work on this has started" in digest.body
    services.change_status(people["officer"], action, Action.Status.DONE)
    services.run_feedback_batch()
    messages = sent_to("alice@example.test")
    assert len(messages) == 2 and "This has been done" in messages[-1].body
    assert FeedbackDelivery.objects.filter(person=people["alice"]).count() == 3


def test_unsubscribed_from_one_action_still_hears_about_the_decision(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    action = make_action(people, area_tree["north_ward"], concern)
    notifications.set_subscription(people["alice"], "alice@example.test", f"action-{action.pk}", False)
    decide(people, area_tree["north_town"], concern)
    services.change_status(people["officer"], action, Action.Status.IN_PROGRESS)
    services.run_feedback_batch()
    [digest] = sent_to("alice@example.test")
    assert "A decision has been made" in digest.body and "Work on this has started" not in digest.body
    statuses = dict(FeedbackDelivery.objects.filter(person=people["alice"]).values_list("event__kind", "status"))
    assert statuses == {"decision": "queued", "action_status": "suppressed"}


def test_unsubscribed_from_everything_hears_nothing(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    notifications.set_subscription(people["carol"], "carol@example.test", notifications.ALL_TOPICS, False)
    notifications.set_subscription(people["alice"], "alice@example.test", services.FEATURE_TOPIC, False)
    decide(people, area_tree["north_town"], concern)
    result = services.run_feedback_batch()
    assert sent_to("carol@example.test") == [] and sent_to("alice@example.test") == []
    assert result.suppressed == 2 and result.emails == 0


def test_digest_has_per_item_and_global_unsubscribe_links_that_work(area_tree, people, said, client):
    concern = concern_for(people, said, area_tree["north_ward"])
    decision = decide(people, area_tree["north_town"], concern)
    services.run_feedback_batch()
    [digest] = sent_to("carol@example.test")
    item_token = notifications.preference("carol@example.test", f"decision-{decision.pk}").token
    assert f"/unsubscribe/{item_token}/" in digest.body
    client.post(f"/unsubscribe/{item_token}/")
    assert not notifications.allows("carol@example.test", f"decision-{decision.pk}")
    from django.core import mail

    notifications.deliver(digest.pk)  # the email as sent ends with the link that stops all of these messages
    global_token = notifications.preference("carol@example.test", services.FEATURE_TOPIC).token
    assert f"/unsubscribe/{global_token}/" in mail.outbox[-1].body


def test_letters_printed_count_as_told(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    decide(people, area_tree["north_town"], concern)
    services.run_feedback_batch()
    letter = FeedbackDelivery.objects.get(method="letter")
    _subject, body = services.letter_text(letter)
    assert "Speed bumps on Mill Road" in body and "unsubscribe" not in body.lower()
    with pytest.raises(PermissionDenied):
        services.mark_letters_printed(people["south_officer"], [letter])
    assert services.mark_letters_printed(people["officer"], [letter]) == 1
    assert services.mark_letters_printed(people["officer"], [letter]) == 0
    assert ContributionFeedback.objects.filter(contribution=said["paper"]).exists()


def test_erased_person_is_not_contacted(area_tree, people, said):
    from byconsent.core.privacy import erase_person

    admin = people["admin"]
    concern = concern_for(people, said, area_tree["north_ward"])
    erase_person(admin, people["alice"])
    decide(people, area_tree["north_town"], concern)
    services.run_feedback_batch()
    assert not FeedbackDelivery.objects.filter(person=people["alice"]).exists()


# ---- overdue -----------------------------------------------------------------------------------------------------

def test_overdue_actions_flag_owner_and_commander_once_a_day(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    action = make_action(people, area_tree["north_ward"], concern, due=TODAY - datetime.timedelta(days=3))
    first = services.check_overdue_actions(TODAY)
    assert first == {"overdue_flagged": 1, "overdue_emails": 2}
    recipients = set(NotificationRecord.objects.filter(topic=services.OVERDUE_TOPIC).values_list("recipient",
                                                                                                  flat=True))
    assert recipients == {"officer@example.test", "commander@example.test"}
    assert services.check_overdue_actions(TODAY) == {"overdue_flagged": 0, "overdue_emails": 0}
    assert services.check_overdue_actions(TODAY + datetime.timedelta(days=1))["overdue_emails"] == 2
    services.change_status(people["officer"], action, Action.Status.DONE)
    assert services.check_overdue_actions(TODAY + datetime.timedelta(days=2))["overdue_flagged"] == 0


def test_overdue_shows_on_the_staff_home(area_tree, people, said, client_for):
    concern = concern_for(people, said, area_tree["north_ward"])
    make_action(people, area_tree["north_ward"], concern, due=timezone.localdate() - datetime.timedelta(days=1))
    from byconsent.actions.selectors import attention

    titles = {item.title: item.count for item in attention(people["commander"])}
    assert titles["Overdue actions you own or command"] == 1
    titles = {item.title: item.count for item in attention(people["south_commander"])}
    assert titles["Overdue actions you own or command"] == 0


def test_periodic_job_and_command(area_tree, people, said):
    from io import StringIO

    from django.core.management import call_command

    concern = concern_for(people, said, area_tree["north_ward"])
    decide(people, area_tree["north_town"], concern)
    out = StringIO()
    call_command("you_said_we_did_periodic", stdout=out)
    assert "feedback_emails: 2" in out.getvalue()


def test_feedback_batch_task(area_tree, people, said):
    concern = concern_for(people, said, area_tree["north_ward"])
    decide(people, area_tree["north_town"], concern)
    progress = services.request_feedback_batch(people["officer"])
    from byconsent.actions.tasks import feedback_batch_task

    outcome = feedback_batch_task.call(progress.pk)
    assert outcome["emails"] == 2


def test_people_linked_after_the_decision_still_hear_once(area_tree, people, said):
    concern = services.create_concern_from_contributions(people["officer"], area_tree["north_ward"], "Speeding",
                                                         [said["alice_1"].pk])
    decide(people, area_tree["north_town"], concern)
    action = make_action(people, area_tree["north_ward"], concern)
    services.change_status(people["officer"], action, Action.Status.IN_PROGRESS)
    services.run_feedback_batch()
    assert len(sent_to("alice@example.test")) == 1 and sent_to("carol@example.test") == []
    services.link_contributions(people["officer"], concern, [said["carol"].pk, said["alice_2"].pk])
    services.run_feedback_batch()
    [carol] = sent_to("carol@example.test")
    assert "A decision has been made" in carol.body and "Work on this has started" in carol.body
    assert len(sent_to("alice@example.test")) == 1  # already told about both changes: nothing again


def test_privacy_export_and_erase_of_feedback(area_tree, people, said):
    from byconsent.actions import privacy

    concern = concern_for(people, said, area_tree["north_ward"])
    decide(people, area_tree["north_town"], concern)
    services.run_feedback_batch()
    exported = privacy.export_feedback(people["alice"])
    assert exported["feedback_sent"][0]["status"] == "queued"
    assert privacy.export_feedback(people["officer"])["actions_owned"] == []
    assert privacy.erase_feedback(people["alice"]) == 1
    assert privacy.expire_feedback(timezone.now() + datetime.timedelta(days=1)) == 1  # carol's; the letter waits


def test_protected_counts_hide_small_figures_and_their_complements(area_tree, people):
    from django.core.cache import cache

    from byconsent.actions.selectors import protected_counts
    from byconsent.core.models import Channel
    from byconsent.core.services import record_contribution

    cache.clear()
    items = [record_contribution(channel=Channel.ONLINE_SURVEY, text=f"a{i}", area=area_tree["north_ward"])
             for i in range(30)]
    items += [record_contribution(channel=Channel.PHONE, text=f"b{i}", area=area_tree["north_ward"])
              for i in range(3)]
    concern = services.create_concern_from_contributions(people["officer"], area_tree["north_ward"], "x",
                                                         [c.pk for c in items])
    counts = protected_counts(concern.contributions.all())
    assert counts.total == 33
    channel = dict(counts.breakdown("channel").rows)
    assert channel["Phone"] is None and channel["Online survey"] is None  # 3 hidden, and 30 (= 33 - 3) with it


def test_demo_content_loads_once():
    from django.core.management import call_command

    from byconsent.actions.demo import load_demo
    from byconsent.actions.models import Action
    from byconsent.neighbourhoods.models import Priority

    assert "skipped" in load_demo()  # before the core demo there is nothing to hang it on
    call_command("load_demo")  # the core demo runs this app's registered demo loader too
    assert Action.objects.count() == 2
    assert Priority.objects.get().ledger_action_id in set(Action.objects.values_list("id", flat=True))
    assert load_demo() == {"skipped": "already loaded"}


def test_unpublished_decision_and_action_tell_no_one_and_stay_off_public_pages(area_tree, people, said, client):
    concern = concern_for(people, said, area_tree["north_ward"])
    decision = services.record_decision(people["officer"], area=area_tree["north_town"], forum="Tasking meeting",
                                        decided_on=timezone.localdate(), outcome="adopted",
                                        summary="Covert patrols.", concerns=[concern], is_public=False)
    action = services.create_action(people["officer"], area=area_tree["north_ward"], title="Plain-clothes patrols",
                                    owner=people["officer"], due_on=TODAY, concerns=[concern], is_public=False)
    services.change_status(people["officer"], action, Action.Status.IN_PROGRESS)
    assert services.run_feedback_batch().batch is None
    assert client.get(f"/you-said-we-did/decisions/{decision.pk}/").status_code == 404
    assert client.get(f"/you-said-we-did/actions/{action.pk}/").status_code == 404
    page = client.get(f"/you-said-we-did/concerns/{concern.pk}/").content.decode()
    assert "Covert patrols" not in page and "Plain-clothes" not in page
    assert "Covert" not in client.get("/you-said-we-did/feed.csv").content.decode()
