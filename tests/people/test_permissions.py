"""Who sees and changes whom: areas scope everything; special-category targeting needs a privileged role."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from byconsent.core.models import Role
from byconsent.people import services
from byconsent.people.models import Organisation, Person


@pytest.fixture
def two_people(make_person, area_tree):
    return (make_person(area=area_tree["north_ward"], full_name="Nora North"),
            make_person(area=area_tree["south_ward"], full_name="Sam South"))


def test_a_local_officer_sees_only_people_in_their_areas(two_people, area_tree, make_user, client_for):
    north, south = two_people
    officer = make_user(Role.LOCAL_OFFICER, area_tree["north_town"])
    client = client_for(officer)
    listing = client.get(reverse("people:person_list")).content.decode()
    assert "Nora North" in listing and "Sam South" not in listing
    assert client.get(reverse("people:person_detail", args=[north.pk])).status_code == 200
    assert client.get(reverse("people:person_detail", args=[south.pk])).status_code == 404
    assert client.get(reverse("people:person_edit", args=[south.pk])).status_code == 404
    searched = client.get(reverse("people:person_list"), {"q": "Sam"}).content.decode()
    assert "Sam South" not in searched


def test_a_local_officer_may_edit_their_people_but_not_move_them_out_of_their_area(two_people, area_tree,
                                                                                    make_user):
    north, _south = two_people
    officer = make_user(Role.LOCAL_OFFICER, area_tree["north_town"])
    services.update_person(officer, north, {"phone": "0131 496 0000"})
    with pytest.raises(PermissionDenied):
        services.update_person(officer, north, {"area": area_tree["south_ward"]})
    assert Person.objects.get(pk=north.pk).area == area_tree["north_ward"]


def test_an_analyst_may_look_but_not_change(two_people, area_tree, make_user):
    north, _south = two_people
    analyst = make_user(Role.ANALYST, area_tree["force"])
    with pytest.raises(PermissionDenied):
        services.update_person(analyst, north, {"phone": "1"})


def test_ethics_panel_and_public_see_no_one(two_people, area_tree, make_user, client_for):
    ethics = make_user(Role.ETHICS_PANEL, area_tree["force"])
    assert client_for(ethics).get(reverse("people:person_list")).status_code == 403
    public = make_user()
    assert client_for(public).get(reverse("people:person_list")).status_code == 403


def test_organisations_are_scoped_too(area_tree, make_user, client_for):
    Organisation.objects.create(name="North Mosque", kind="faith_group", area=area_tree["north_ward"])
    south = Organisation.objects.create(name="South School", kind="school", area=area_tree["south_ward"])
    officer = make_user(Role.LOCAL_OFFICER, area_tree["north"])
    client = client_for(officer)
    listing = client.get(reverse("people:organisation_list")).content.decode()
    assert "North Mosque" in listing and "South School" not in listing
    assert client.get(reverse("people:organisation_detail", args=[south.pk])).status_code == 404


def test_only_privileged_roles_target_on_characteristics(area_tree, make_user, purpose):
    engagement = make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])
    with pytest.raises(PermissionDenied):
        services.save_segment(engagement, None, name="x", area=area_tree["force"], purpose=purpose,
                              filters={"characteristics": {"religion": ["muslim"]}})
    analyst_admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    segment = services.save_segment(analyst_admin, None, name="Muslim residents", area=area_tree["force"],
                                    purpose=purpose, filters={"characteristics": {"religion": ["muslim"]}})
    assert segment.uses_characteristics
    with pytest.raises(PermissionDenied):  # and an engagement officer may not change it afterwards
        services.save_segment(engagement, segment, name="y", area=area_tree["force"], purpose=purpose, filters={})


def test_a_segment_officer_cannot_build_segments_outside_their_area(area_tree, make_user, purpose):
    engagement = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    with pytest.raises(PermissionDenied):
        services.save_segment(engagement, None, name="South", area=area_tree["south"], purpose=purpose, filters={})


def test_relationship_owners_offered_are_staff_of_the_editors_areas(area_tree, make_user):
    from byconsent.people.forms import PersonForm
    from byconsent.people.views import _edit_areas

    north_officer = make_user(Role.LOCAL_OFFICER, area_tree["north_town"])
    south_officer = make_user(Role.LOCAL_OFFICER, area_tree["south_town"])
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    make_user()  # a member of the public is never offered
    offered = set(PersonForm(areas=_edit_areas(north_officer)).fields["relationship_owner"].queryset)
    assert offered == {north_officer, admin} and south_officer not in offered
