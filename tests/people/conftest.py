"""People-app fixtures: a person factory and the default purposes (created by the people migrations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def make_person(area_tree: dict[str, Any]) -> Callable[..., Any]:
    from byconsent.people.models import Person

    counter = {"n": 0}

    def make(area: Any = None, **values: Any) -> Any:
        counter["n"] += 1
        n = counter["n"]
        values.setdefault("full_name", f"Person {n}")
        values.setdefault("email", f"person{n}@example.test")
        return Person.objects.create(area=area or area_tree["north_ward"], **values)

    return make


@pytest.fixture
def purpose(db: Any) -> Any:
    from byconsent.people.models import Purpose

    return Purpose.objects.get(slug="consultation-alerts")


@pytest.fixture
def consented(purpose: Any) -> Callable[..., Any]:
    """consented(person, channels=()) -> the person, with consent for consultation alerts."""
    from byconsent.people.models import ConsentRecord

    def give(person: Any, channels: tuple[str, ...] = (), **values: Any) -> Any:
        ConsentRecord.objects.create(person=person, purpose=values.pop("purpose", purpose), source="web_form",
                                     wording="Email me about consultations in my area", channels=list(channels),
                                     **values)
        return person

    return give
