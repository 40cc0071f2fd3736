from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from byconsent.core.audit import entries_for
from byconsent.core.models import AuditEntry, Role
from byconsent.core.services import assign_role, record_contribution


def test_audit_entries_cannot_be_edited_or_deleted(area_tree, make_user):
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    assign_role(admin, make_user(), Role.ANALYST, area_tree["north"])
    entry = AuditEntry.objects.get(action="role.assigned")
    entry.action = "something else"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "role.assigned"


def test_assigning_the_same_role_twice_is_one_assignment_and_one_entry(area_tree, make_user):
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    person = make_user()
    assign_role(admin, person, Role.ANALYST, area_tree["north"])
    assign_role(admin, person, Role.ANALYST, area_tree["north"])
    assert person.role_assignments.count() == 1
    assert AuditEntry.objects.filter(action="role.assigned").count() == 1


def test_audit_list_is_scoped_and_filterable(area_tree, make_user, client_for):
    north_commander = make_user(Role.COMMANDER, area_tree["north"])
    record_contribution(channel="paper", text="north", area=area_tree["north_ward"], recorded_by="clerk-north")
    record_contribution(channel="paper", text="south", area=area_tree["south_ward"], recorded_by="clerk-south")
    client = client_for(north_commander)
    page = client.get(reverse("core:audit_list")).content.decode()
    assert "clerk-north" in page and "clerk-south" not in page
    filtered = client.get(reverse("core:audit_list"), {"actor": "nobody"}).content.decode()
    assert "clerk-north" not in filtered


def test_history_per_object(area_tree):
    contribution = record_contribution(channel="paper", text="x", area=area_tree["north_ward"], recorded_by="clerk")
    assert [e.action for e in entries_for(contribution)] == ["contribution.recorded"]
