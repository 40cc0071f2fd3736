"""An officer assigned to one division can neither read nor change another division's records."""

from __future__ import annotations

import pytest
from django.urls import reverse

from byconsent.core.models import AuditEntry, Contribution, ModerationState, Role
from byconsent.core.policy import Action, areas_where, can
from byconsent.core.services import record_contribution


@pytest.fixture
def contributions(area_tree):
    north = record_contribution(channel="online_survey", text="Speeding on the north road",
                                area=area_tree["north_ward"])
    south = record_contribution(channel="paper", text="Lighting in the south park", area=area_tree["south_ward"])
    return {"north": north, "south": south}


def test_role_covers_its_subtree_only(area_tree, make_user):
    officer = make_user(Role.LOCAL_OFFICER, area_tree["north"])
    assert can(officer, Action.VIEW_CONTRIBUTIONS, area_tree["north_ward"])
    assert not can(officer, Action.VIEW_CONTRIBUTIONS, area_tree["south_ward"])
    assert not can(officer, Action.VIEW_CONTRIBUTIONS, area_tree["force"])
    visible = set(areas_where(officer, Action.VIEW_AREA).values_list("code", flat=True))
    assert visible == {"DN", "LN", "WN"}


def test_role_grants_only_its_actions(area_tree, make_user):
    analyst = make_user(Role.ANALYST, area_tree["force"])
    assert can(analyst, Action.ANALYSE, area_tree["south_ward"])
    assert not can(analyst, Action.MODERATE_CONTRIBUTIONS, area_tree["south_ward"])
    assert not can(analyst, Action.MANAGE_ROLES)


def test_public_and_anonymous_users_have_no_staff_actions(area_tree, make_user):
    from django.contrib.auth.models import AnonymousUser

    resident = make_user()
    for user in (resident, AnonymousUser()):
        assert not can(user, Action.VIEW_STAFF_PAGES)
        assert not areas_where(user, Action.VIEW_AREA).exists()


def test_contribution_list_shows_only_own_division(area_tree, make_user, client_for, contributions):
    officer = make_user(Role.LOCAL_OFFICER, area_tree["north"])
    page = client_for(officer).get(reverse("core:contribution_list")).content.decode()
    assert "Speeding on the north road" in page
    assert "Lighting in the south park" not in page


def test_url_guessing_another_division_is_not_found(area_tree, make_user, client_for, contributions):
    officer = make_user(Role.LOCAL_OFFICER, area_tree["north"])
    client = client_for(officer)
    assert client.get(reverse("core:contribution_detail", args=[contributions["north"].pk])).status_code == 200
    assert client.get(reverse("core:contribution_detail", args=[contributions["south"].pk])).status_code == 404
    assert client.get(reverse("core:area_detail", args=["DS"])).status_code == 404
    assert client.get(reverse("core:area_detail", args=["DN"])).status_code == 200


def test_moderating_another_division_is_refused_and_changes_nothing(area_tree, make_user, client_for, contributions):
    engagement = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    client = client_for(engagement)
    south = contributions["south"]
    response = client.post(reverse("core:contribution_detail", args=[south.pk]), {"state": "approved"})
    assert response.status_code == 404
    south.refresh_from_db()
    assert south.moderation_state == ModerationState.PENDING
    assert not AuditEntry.objects.filter(action="contribution.moderated").exists()


def test_moderating_own_division_is_saved_and_audited(area_tree, make_user, client_for, contributions):
    engagement = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    north = contributions["north"]
    response = client_for(engagement).post(reverse("core:contribution_detail", args=[north.pk]),
                                           {"state": "approved", "reason": "fine"})
    assert response.status_code == 302
    north.refresh_from_db()
    assert north.moderation_state == ModerationState.APPROVED
    entry = AuditEntry.objects.get(action="contribution.moderated")
    assert entry.actor == engagement
    assert entry.before == {"moderation_state": "pending"}
    assert entry.after["moderation_state"] == "approved"


def test_officer_cannot_manage_roles_or_privacy(area_tree, make_user, client_for):
    officer = make_user(Role.LOCAL_OFFICER, area_tree["north"])
    client = client_for(officer)
    assert client.get(reverse("core:role_list")).status_code == 403
    assert client.get(reverse("core:privacy_home")).status_code == 403
    assert client.get(reverse("core:area_import")).status_code == 403


def test_divisional_admin_cannot_assign_roles_elsewhere(area_tree, make_user, client_for):
    admin = make_user(Role.ADMINISTRATOR, area_tree["north"])
    target = make_user()
    response = client_for(admin).post(reverse("core:role_list"), {
        "email": target.email, "role": Role.ANALYST, "area": area_tree["south"].pk})
    assert response.status_code == 200  # the form refuses: the south division is not a choice
    assert not target.role_assignments.exists()
    response = client_for(admin).post(reverse("core:role_list"), {
        "email": target.email, "role": Role.ANALYST, "area": area_tree["north"].pk})
    assert response.status_code == 302
    assert target.role_assignments.get().area == area_tree["north"]


def test_restricted_contribution_can_never_be_approved(area_tree, make_user, client_for):
    engagement = make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])
    risky = record_contribution(channel="online_survey", text="I was attacked outside my flat last night",
                                area=area_tree["north_ward"])
    assert risky.moderation_state == ModerationState.RESTRICTED
    response = client_for(engagement).post(reverse("core:contribution_detail", args=[risky.pk]),
                                           {"state": "approved"})
    assert response.status_code == 200
    assert Contribution.objects.get(pk=risky.pk).moderation_state == ModerationState.RESTRICTED


def test_an_area_knows_its_force_from_its_path(area_tree):
    assert area_tree["north_ward"].root_id == area_tree["force"].pk == area_tree["force"].root_id
    assert area_tree["north_ward"].ancestors().first() == area_tree["force"]
