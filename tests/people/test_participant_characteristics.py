"""Many people's equality answers at once, for aggregate analysis: scoped like a single read, audited once per
call (who, why, how many), never with the values."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from byconsent.core.models import AuditEntry
from byconsent.people.models import Person
from byconsent.people.selectors import participant_characteristics
from byconsent.people.services import save_demographics


@pytest.fixture
def answered(make_person: Any, make_user: Any, area_tree: dict[str, Any]) -> dict[str, Any]:
    admin = make_user("administrator", area_tree["force"])
    north = [make_person(area=area_tree["north_ward"], full_name=f"North {n}") for n in range(3)]
    south = make_person(area=area_tree["south_ward"], full_name="South")
    for n, person in enumerate(north):
        save_demographics(admin, person, {"age_band": "25-34", "sex": "female" if n else "male",
                                          "religion": "prefer_not", "health": "needs a hearing loop"})
    save_demographics(admin, south, {"ethnicity": "white"})
    return {"north": north, "south": south, "silent": make_person(area=area_tree["north_ward"])}


def test_an_analyst_reads_everyone_in_their_areas_with_one_audit_entry(
        make_user: Any, area_tree: dict[str, Any], answered: dict[str, Any]) -> None:
    analyst = make_user("analyst", area_tree["north"])
    before = AuditEntry.objects.filter(action="demographics.read").count()
    read = participant_characteristics(analyst, Person.objects.all(), reason="who we heard from")
    assert set(read) == {p.pk for p in answered["north"]}  # the south is not theirs; the silent one holds nothing
    first = read[answered["north"][0].pk]
    assert first == {"age_band": "25-34", "sex": "male", "religion": "prefer_not"}  # the free-text note stays out
    entries = AuditEntry.objects.filter(action="demographics.read")
    assert entries.count() == before + 1
    entry = entries.order_by("-pk").first()
    assert entry.actor == analyst
    assert entry.after == {"reason": "who we heard from", "people": 4, "answered": 3,
                           "characteristics": ["age_band", "religion", "sex"]}
    assert "female" not in str(entry.after) and "hearing" not in str(entry.after)


def test_roles_without_special_category_access_are_refused(
        make_user: Any, area_tree: dict[str, Any], answered: dict[str, Any]) -> None:
    officer = make_user("engagement_officer", area_tree["force"])
    with pytest.raises(PermissionDenied):
        participant_characteristics(officer, Person.objects.all(), reason="curious")
    assert not AuditEntry.objects.filter(action="demographics.read", actor=officer).exists()
