"""Special-category data: encrypted at rest, apart from identity, readable only by privileged roles, reads audited."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from byconsent.core.models import AuditEntry, Role
from byconsent.people import services
from byconsent.people.models import Demographics, Person
from byconsent.people.permissions import SelfService

ANSWERS = {"ethnicity": "gypsy_traveller", "religion": "sikh", "sexual_orientation": "bisexual",
           "disability": "limited_a_lot", "health": "Uses a wheelchair; epilepsy"}


def _raw_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_demographics")
        return cursor.fetchall()


def test_stored_apart_from_identity_and_never_in_clear_text(make_person, area_tree, make_user):
    analyst = make_user(Role.ANALYST, area_tree["force"])
    person = make_person()
    services.save_demographics(analyst, person, ANSWERS)
    person_columns = {f.column for f in Person._meta.concrete_fields}
    assert not {"answers", "ethnicity", "religion"} & person_columns
    raw = repr(_raw_rows())
    for value in ["gypsy_traveller", "sikh", "bisexual", "limited_a_lot", "wheelchair", "epilepsy", "ethnicity"]:
        assert value not in raw
    assert services.read_demographics(analyst, person) == ANSWERS


def test_rotating_the_key_keeps_rows_readable_after_the_old_key_is_dropped(make_person, area_tree, make_user,
                                                                           settings):
    analyst = make_user(Role.ANALYST, area_tree["force"])
    person = make_person()
    services.save_demographics(analyst, person, ANSWERS)
    before = _raw_rows()
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    call_command("rotate_encryption")
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # old key dropped
    assert _raw_rows() != before
    assert Demographics.objects.get(person=person).answers == ANSWERS


@pytest.mark.parametrize("role,allowed", [
    (Role.ADMINISTRATOR, True), (Role.ANALYST, True), (Role.ENGAGEMENT_OFFICER, False),
    (Role.LOCAL_OFFICER, False), (Role.COMMANDER, False), (Role.ETHICS_PANEL, False)])
def test_only_privileged_roles_read_special_category_data(role, allowed, make_person, area_tree, make_user,
                                                          client_for):
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    person = make_person()
    services.save_demographics(admin, person, ANSWERS)
    user = make_user(role, area_tree["force"])
    if allowed:
        assert services.read_demographics(user, person)["religion"] == "sikh"
    else:
        with pytest.raises(PermissionDenied):
            services.read_demographics(user, person)
    response = client_for(user).get(reverse("people:person_demographics", args=[person.pk]))
    if role == Role.ETHICS_PANEL:
        assert response.status_code == 403  # cannot see people at all
    else:
        assert response.status_code == (200 if allowed else 403)
    if allowed:
        assert "Sikh" in response.content.decode()
    detail = client_for(user).get(reverse("people:person_detail", args=[person.pk]))
    if detail.status_code == 200:
        assert "Sikh" not in detail.content.decode()  # never on the ordinary person page


def test_an_analyst_in_one_division_cannot_read_another_divisions_people(make_person, area_tree, make_user):
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    person = make_person(area=area_tree["south_ward"])
    services.save_demographics(admin, person, ANSWERS)
    north_analyst = make_user(Role.ANALYST, area_tree["north"])
    with pytest.raises(PermissionDenied):
        services.read_demographics(north_analyst, person)


def test_every_read_is_audited_without_the_values(make_person, area_tree, make_user, client_for):
    analyst = make_user(Role.ANALYST, area_tree["force"])
    person = make_person()
    services.save_demographics(analyst, person, ANSWERS)
    client_for(analyst).get(reverse("people:person_demographics", args=[person.pk]))
    services.read_demographics(SelfService(person), person, reason="self-service")
    reads = AuditEntry.objects.filter(action="demographics.read", object_id=str(person.pk))
    assert reads.count() == 2
    assert {e.actor_label for e in reads} == {str(analyst), f"Person #{person.pk} (self-service)"}
    everything = repr(list(AuditEntry.objects.values_list("before", "after")))
    assert "sikh" not in everything and "epilepsy" not in everything


def test_answers_outside_the_options_are_refused(make_person, area_tree, make_user):
    analyst = make_user(Role.ANALYST, area_tree["force"])
    with pytest.raises(ValueError):
        services.save_demographics(analyst, make_person(), {"religion": "jedi"})
    with pytest.raises(ValueError):
        services.save_demographics(analyst, make_person(), {"shoe_size": "9"})
