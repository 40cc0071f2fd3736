from __future__ import annotations

from django.core.management import call_command

from byconsent.core.demo import load_demo
from byconsent.people.models import Demographics, Person, Segment


def test_people_demo_loads_once_into_the_demo_force(db, capsys):
    load_demo()
    call_command("load_people_demo")
    assert Person.objects.count() == 9 and Segment.objects.filter(is_panel=True).count() == 1
    rhona = Person.objects.get(email="resident@demo.byconsent.test")
    assert rhona.user is not None and rhona.consents.count() == 2
    assert Demographics.objects.count() == 7
    call_command("load_people_demo")
    assert Person.objects.count() == 9
