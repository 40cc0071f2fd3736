"""Service tests: quotas from census shares, registration with codes, selection end to end (real engine and solver),
replacements that keep quotas, youth safeguarding, permissions, running the panel and the privacy registry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from byconsent.core.models import AuditEntry, Channel, Contribution, NotificationRecord, Role, TaskProgress
from byconsent.engines.sortition import Quota as EngineQuota
from byconsent.engines.sortition import SelectionProblem, panel_problems
from byconsent.panels import services
from byconsent.panels.models import Panel, Selection, Volunteer
from byconsent.panels.services import PanelError, Registration
from tests.panels.conftest import BALANCED, SHARES, address_csv, register_pool

pytestmark = pytest.mark.django_db


# ---- quotas ------------------------------------------------------------------------------------------------------

def test_quotas_are_built_from_census_shares(panel, officer):
    quotas = {(q.category, q.value): (q.minimum, q.maximum, q.target) for q in panel.quotas.all()}
    assert quotas == {("sex", "Female"): (2, 2, 2.0), ("sex", "Male"): (2, 2, 2.0),
                      ("age", "16-39"): (2, 2, 2.0), ("age", "40+"): (2, 2, 2.0)}
    services.update_panel(officer, panel, quota_tolerance=1)
    services.build_quotas_from_census(officer, panel)
    assert {(q.minimum, q.maximum) for q in panel.quotas.all()} == {(1, 3)}
    assert AuditEntry.objects.filter(action="panel.quotas_built").count() == 2


def test_bad_census_shares_change_nothing(panel, officer):
    with pytest.raises(PanelError) as error:
        services.set_census_shares(officer, panel, "category,value,share\nsex,F,0.9\n")
    assert "add up to 0.900" in error.value.errors[0]
    assert panel.census_shares.count() == 4


def test_quota_edits_are_checked(panel, officer):
    quota = panel.quotas.first()
    with pytest.raises(PanelError):
        services.save_quotas(officer, panel, {quota.pk: (3, 2)})
    services.save_quotas(officer, panel, {quota.pk: (1, 3)})
    quota.refresh_from_db()
    assert (quota.minimum, quota.maximum) == (1, 3)


def test_census_counts_become_shares():
    text = services.census_shares_from_counts("ethnic group", {"White": 900, "Asian, Asian British": 100})
    assert text.splitlines()[2] == 'ethnic group,"Asian, Asian British",0.100000'


# ---- recruitment -------------------------------------------------------------------------------------------------

def test_round_draws_addresses_with_unique_codes_and_repeats_safely(panel, officer):
    round_ = services.create_round(officer, panel, address_csv(50), sample_size=10, oversample_text="Northtown = 3",
                                   seed="public-seed")
    drawn = round_.addresses.filter(drawn=True)
    assert drawn.count() == 10 and round_.address_count == 50
    assert len(set(drawn.values_list("code", flat=True))) == 10
    assert round_.allocation["Northtown"]["drawn"] > round_.allocation["Southtown"]["drawn"]
    assert services.create_round(officer, panel, address_csv(50), sample_size=10, oversample_text="Northtown = 3",
                                 seed="public-seed").pk == round_.pk
    panel.refresh_from_db()
    assert panel.status == Panel.Status.RECRUITING


def test_bad_address_list_is_reported_and_nothing_is_written(panel, officer):
    with pytest.raises(PanelError) as error:
        services.create_round(officer, panel, "address,area\n1 A St,North\n,North\n", sample_size=1)
    assert error.value.errors == ["Line 3: the address is empty."]
    assert not panel.rounds.exists()


def _code(panel, officer):
    round_ = services.create_round(officer, panel, address_csv(5), sample_size=3, seed="s")
    return round_.addresses.filter(drawn=True).first().code


def _registration(code, **extra):
    data = {"code": code, "full_name": "Ann Example", "email": "ann@example.test",
            "answers": {"sex": "Female", "age": "40+"}, "consent": True}
    data.update(extra)
    return Registration(**data)


# ---- registration ------------------------------------------------------------------------------------------------

def test_a_code_works_once_and_a_double_submit_registers_once(panel, officer):
    code = _code(panel, officer)
    pretty = f"{code[:4].lower()}-{code[4:]}"
    first, created = services.register_volunteer(panel, _registration(pretty))
    again, created_again = services.register_volunteer(panel, _registration(code))
    assert created and not created_again and first.pk == again.pk
    assert Volunteer.objects.count() == 1
    with pytest.raises(PanelError) as error:
        services.register_volunteer(panel, _registration(code, full_name="Someone Else", email="else@example.test"))
    assert error.value.field == "code" and "already been used" in str(error.value)
    assert NotificationRecord.objects.filter(recipient="ann@example.test").count() == 1


def test_unknown_code_and_missing_answers_are_refused(panel, officer):
    code = _code(panel, officer)
    with pytest.raises(PanelError) as error:
        services.register_volunteer(panel, _registration("ZZZZ-ZZZZ"))
    assert error.value.field == "code"
    with pytest.raises(PanelError) as error:
        services.register_volunteer(panel, _registration(code, answers={"sex": "Female"}))
    assert error.value.field == "answer_age"
    with pytest.raises(PanelError) as error:
        services.register_volunteer(panel, _registration(code, consent=False))
    assert error.value.field == "consent"
    assert not Volunteer.objects.exists()


def test_answers_are_stored_encrypted_apart_from_identity(panel, officer):
    volunteer, _ = services.register_volunteer(panel, _registration(_code(panel, officer),
                                                                    accessibility_needs="Wheelchair user"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers, accessibility_needs FROM panels_volunteeranswers")
        raw_answers, raw_needs = cursor.fetchone()
    assert "Female" not in raw_answers and "Wheelchair" not in raw_needs
    volunteer.refresh_from_db()
    assert volunteer.answers.answers == {"sex": "Female", "age": "40+"}


def test_phone_registration_needs_staff_permission(panel, officer, make_user, area_tree):
    code = _code(panel, officer)
    outsider = make_user(Role.ENGAGEMENT_OFFICER, area_tree["south"])
    with pytest.raises(PermissionDenied):
        services.register_volunteer(panel, _registration(code), recorded_by=outsider)
    volunteer, _ = services.register_volunteer(panel, _registration(code), recorded_by=officer)
    assert volunteer.channel == Volunteer.Channel.PHONE


def test_registration_closes_when_the_panel_stops_recruiting(panel, officer):
    code = _code(panel, officer)
    services.update_panel(officer, panel, status=Panel.Status.CLOSED)
    with pytest.raises(PanelError):
        services.register_volunteer(panel, _registration(code))


# ---- selection ---------------------------------------------------------------------------------------------------

def _run_selection(panel, officer, seed="lottery-seed", django_capture_on_commit_callbacks=None):
    from byconsent.panels.tasks import select_task

    selection = services.start_selection(officer, panel, seed=seed)
    select_task.call(selection.task_id)
    selection.refresh_from_db()
    return selection


def test_selection_task_end_to_end_with_the_real_engine(panel, officer):
    register_pool(panel, officer, BALANCED)
    assert services.check_feasibility(panel).feasible
    selection = _run_selection(panel, officer)
    assert selection.status == Selection.Status.DONE
    progress = TaskProgress.objects.get(pk=selection.task_id)
    assert progress.status == TaskProgress.Status.DONE and progress.fraction == 1.0
    members = list(panel.volunteers.filter(status=Volunteer.Status.SELECTED))
    assert len(members) == 4
    assert panel.volunteers.filter(status=Volunteer.Status.RESERVE).count() == 2
    # Every quota is met by the selected panel, checked independently of the engine's solver.
    problem = SelectionProblem(
        tuple(services.pool_respondents(panel)[0]),
        tuple(EngineQuota(q.category, q.value, q.minimum, q.maximum) for q in panel.quotas.all()), 4)
    assert panel_problems(problem, [m.reference for m in members]) == []
    # Leximin over a balanced pool: everyone's chance is 4/12.
    assert all(abs(v.selection_probability - 1 / 3) < 0.01 for v in panel.volunteers.all())
    outcome = selection.outcome
    assert outcome["seed"] == "lottery-seed" and outcome["lottery"]["size"] == 1000
    import hashlib
    assert outcome["lottery"]["drawn_ticket"] == int(hashlib.sha256(b"lottery-seed").hexdigest(), 16) % 1000
    panel.refresh_from_db()
    assert panel.status == Panel.Status.SELECTED


def test_same_seed_same_panel(panel, officer):
    register_pool(panel, officer, BALANCED)
    first = _run_selection(panel, officer, seed="same")
    second = _run_selection(panel, officer, seed="same")
    assert first.outcome["selected"] == second.outcome["selected"]


def test_a_waiting_selection_is_not_queued_twice(panel, officer):
    register_pool(panel, officer, BALANCED)
    first = services.start_selection(officer, panel)
    assert services.start_selection(officer, panel).pk == first.pk


def test_infeasible_quotas_report_conflicts_and_the_smallest_relaxation(panel, officer):
    register_pool(panel, officer, [("Female", "16-39")] * 3 + [("Female", "40+")] * 3)
    feasibility = services.check_feasibility(panel)
    assert not feasibility.feasible and feasibility.reasons
    assert feasibility.relaxation
    selection = _run_selection(panel, officer)
    assert selection.status == Selection.Status.INFEASIBLE and selection.problems["reasons"]
    services.apply_relaxation(officer, panel, feasibility.relaxation)
    assert services.check_feasibility(panel).feasible


# ---- replacements ------------------------------------------------------------------------------------------------

def test_replacement_keeps_every_quota(panel, officer):
    register_pool(panel, officer, BALANCED)
    services.update_panel(officer, panel, reserve_size=8)  # everyone not chosen is a reserve: the test is certain
    _run_selection(panel, officer)
    member = panel.volunteers.filter(status=Volunteer.Status.SELECTED).first()
    outcome = services.replace_member(officer, member, "Moved away")
    assert outcome.replacement is not None
    assert outcome.replacement.answers.answers == member.answers.answers  # quotas are exact: same group needed
    members = [v.reference for v in panel.volunteers.filter(status=Volunteer.Status.SELECTED)]
    problem = SelectionProblem(tuple(services.pool_respondents(panel)[0]),
                               tuple(services.engine_quotas(panel)), 4)
    assert panel_problems(problem, members) == []
    # Repeating the request changes nothing more.
    again = services.replace_member(officer, Volunteer.objects.get(pk=member.pk), "Moved away")
    assert again.replacement.pk == outcome.replacement.pk


def test_no_quota_keeping_reserve_is_explained_and_nothing_changes(panel, officer):
    register_pool(panel, officer, BALANCED)
    services.update_panel(officer, panel, reserve_size=8)
    _run_selection(panel, officer)
    member = panel.volunteers.filter(status=Volunteer.Status.SELECTED).first()
    group = member.answers.answers
    for reserve in panel.volunteers.filter(status=Volunteer.Status.RESERVE):
        if reserve.answers.answers == group:
            reserve.status = Volunteer.Status.NOT_SELECTED
            reserve.save()
    with pytest.raises(PanelError) as error:
        services.replace_member(officer, member, "Ill")
    assert "seat needs someone with" in str(error.value)
    member.refresh_from_db()
    assert member.status == Volunteer.Status.SELECTED
    outcome = services.replace_member(officer, member, "Ill", leave_empty_if_none=True)
    assert outcome.replacement is None and outcome.dropped.status == Volunteer.Status.DROPPED_OUT
    # A matching reserve turns up later (say, someone back from holiday): the empty seat is filled keeping quotas.
    with pytest.raises(PanelError):
        services.fill_empty_seat(officer, panel)
    back = next(v for v in panel.volunteers.filter(status=Volunteer.Status.NOT_SELECTED)
                if v.answers.answers == group)
    back.status = Volunteer.Status.RESERVE
    back.save()
    assert services.fill_empty_seat(officer, panel).pk == back.pk
    assert panel.volunteers.filter(status=Volunteer.Status.SELECTED).count() == 4
    with pytest.raises(PanelError):
        services.fill_empty_seat(officer, panel)


def test_withdrawing_from_the_pool(panel, officer):
    volunteers = register_pool(panel, officer, BALANCED)
    services.withdraw_volunteer(officer, volunteers[0], "Changed their mind")
    assert len(services.pool_respondents(panel)[0]) == 11
    _run_selection(panel, officer)
    member = panel.volunteers.filter(status=Volunteer.Status.SELECTED).first()
    with pytest.raises(PanelError):
        services.withdraw_volunteer(officer, member, "x")
    assert AuditEntry.objects.filter(action="panel.volunteer_withdrawn").count() == 1


def test_confirmations_are_sent_once(panel, officer):
    register_pool(panel, officer, BALANCED)
    _run_selection(panel, officer)
    first = services.send_confirmations(officer, panel)
    services.send_confirmations(officer, panel)
    assert first == {"emails": 6, "letters": 0}
    assert NotificationRecord.objects.filter(subject__startswith="You have been chosen").count() == 4
    assert NotificationRecord.objects.filter(subject__startswith="You are a reserve").count() == 2


# ---- youth safeguarding ------------------------------------------------------------------------------------------

def test_youth_group_needs_a_safeguarding_lead(area_tree, officer, make_user):
    with pytest.raises(PanelError) as error:
        services.create_panel(officer, area=area_tree["north_town"], name="Youth", kind="youth", purpose="p",
                              panel_size=4)
    assert error.value.field == "safeguarding_lead"
    stranger = make_user()
    with pytest.raises(PanelError):
        services.create_panel(officer, area=area_tree["north_town"], name="Youth", kind="youth", purpose="p",
                              panel_size=4, safeguarding_lead=stranger)


@pytest.fixture
def youth_panel(area_tree, officer, make_user):
    lead = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    panel = services.create_panel(officer, area=area_tree["north_town"], name="Youth co-design", kind="youth",
                                  purpose="Co-design", panel_size=4, safeguarding_lead=lead)
    services.set_census_shares(officer, panel, SHARES)
    services.build_quotas_from_census(officer, panel)
    return panel


def test_under_16s_need_guardian_consent(youth_panel, officer):
    code = _code(youth_panel, officer)
    with pytest.raises(PanelError) as error:
        services.register_volunteer(youth_panel, _registration(code, is_under_16=True))
    assert error.value.field == "guardian_name"
    with pytest.raises(PanelError) as error:
        services.register_volunteer(youth_panel, _registration(code, is_under_16=True, guardian_name="Parent",
                                                               guardian_email="parent@example.test"))
    assert error.value.field == "guardian_consent"
    volunteer, _ = services.register_volunteer(youth_panel, _registration(
        code, is_under_16=True, guardian_name="Parent", guardian_email="parent@example.test", guardian_consent=True))
    assert volunteer.guardian_consent
    assert NotificationRecord.objects.filter(recipient="parent@example.test").exists()


def test_under_16s_cannot_join_an_adult_panel(panel, officer):
    with pytest.raises(PanelError):
        services.register_volunteer(panel, _registration(_code(panel, officer), is_under_16=True,
                                                         guardian_name="P", guardian_email="p@example.test",
                                                         guardian_consent=True))


def test_youth_contact_details_only_for_the_safeguarding_lead(youth_panel, panel, officer, make_user, area_tree):
    assert not services.may_see_contact_details(officer, youth_panel)
    assert services.may_see_contact_details(youth_panel.safeguarding_lead, youth_panel)
    assert services.may_see_contact_details(officer, panel)
    ethics = make_user(Role.ETHICS_PANEL, area_tree["force"])
    assert services.may_view_safeguarding(ethics, youth_panel)
    assert not services.may_see_contact_details(ethics, youth_panel)


# ---- permissions -------------------------------------------------------------------------------------------------

def test_staff_outside_the_area_or_without_the_role_cannot_write(panel, make_user, area_tree):
    south = make_user(Role.ENGAGEMENT_OFFICER, area_tree["south"])
    analyst = make_user(Role.ANALYST, area_tree["force"])
    for user in (south, analyst):
        with pytest.raises(PermissionDenied):
            services.update_panel(user, panel, name="x")
        with pytest.raises(PermissionDenied):
            services.start_selection(user, panel)
        with pytest.raises(PermissionDenied):
            services.create_round(user, panel, address_csv(3), sample_size=1)
    with pytest.raises(PermissionDenied):
        services.create_panel(south, area=area_tree["north_town"], name="x", kind="standing", purpose="p",
                              panel_size=3)


# ---- running the panel -------------------------------------------------------------------------------------------

def test_sessions_attendance_payments_and_recommendations(panel, officer):
    register_pool(panel, officer, BALANCED)
    _run_selection(panel, officer)
    members = list(panel.volunteers.filter(status=Volunteer.Status.SELECTED))
    from django.utils import timezone
    session = services.create_session(officer, panel, title="First meeting", starts_at=timezone.now())
    assert services.create_session(officer, panel, title="First meeting", starts_at=session.starts_at).pk == \
        session.pk
    assert services.record_attendance(officer, session, {members[0].pk, members[1].pk}) == 2
    assert services.record_attendance(officer, session, {members[0].pk}) == 1
    payment = services.record_payment(officer, panel, volunteer=members[0], kind="thank_you",
                                      amount=Decimal("50.00"), idempotency_key="k1")
    assert services.record_payment(officer, panel, volunteer=members[0], kind="thank_you",
                                   amount=Decimal("50.00"), idempotency_key="k1").pk == payment.pk
    with pytest.raises(PanelError):
        services.record_payment(officer, panel, volunteer=members[0], kind="expense", amount=Decimal("0"))
    recommendation = services.add_recommendation(officer, panel, "Publish response times for each ward.")
    assert services.add_recommendation(officer, panel, "Publish response times for each ward.").pk == \
        recommendation.pk
    contribution = Contribution.objects.get()
    assert contribution.channel == Channel.PANEL and contribution.area == panel.area
    assert contribution.source == panel
    services.respond_to_recommendation(officer, recommendation, "We will from April.", publish=True)
    recommendation.refresh_from_db()
    assert recommendation.published and recommendation.responded_on


def test_privacy_export_and_erase_by_email(panel, officer, make_user):
    from byconsent.panels.privacy import erase_volunteers, export_volunteers

    services.register_volunteer(panel, _registration(_code(panel, officer)))
    person = make_user(email="ann@example.test")
    exported = export_volunteers(person)
    assert exported[0]["answers"] == {"sex": "Female", "age": "40+"}
    assert erase_volunteers(person) == 1
    volunteer = Volunteer.objects.get()
    assert volunteer.full_name == "(erased)" and volunteer.email == "" and volunteer.answers.answers == {}
    assert export_volunteers(person) == []


def test_privacy_handlers_are_registered_and_retention_applies(panel, officer):
    from datetime import timedelta

    from django.utils import timezone

    from byconsent.core.privacy import apply_retention, handlers

    names = {handler.name for handler in handlers()}
    assert {"panel_volunteers", "panel_addresses"} <= names
    services.register_volunteer(panel, _registration(_code(panel, officer)))
    services.update_panel(officer, panel, status=Panel.Status.CLOSED)
    results = apply_retention(timezone.now() + timedelta(days=800))
    assert results["panel_volunteers"] == 1 and results["panel_addresses"] == 4
    assert Volunteer.objects.get().full_name == "(erased)"
