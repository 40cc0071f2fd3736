"""Two submissions of the same code at the same moment register one volunteer (the database decides, not luck)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from byconsent.panels import services
from byconsent.panels.models import Volunteer
from tests.panels.conftest import address_csv

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_double_submit_registers_once(panel, officer):
    round_ = services.create_round(officer, panel, address_csv(3), sample_size=1, seed="s")
    code = round_.addresses.get(drawn=True).code
    data = services.Registration(code=code, full_name="Ann Example", email="ann@example.test",
                                 answers={"sex": "Female", "age": "40+"}, consent=True)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def submit() -> None:
        try:
            barrier.wait()
            results.append(services.register_volunteer(panel, data))
        except Exception as error:  # recorded for the assertion below
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(result, tuple) for result in results), results
    assert sorted(created for _volunteer, created in results) == [False, True]  # type: ignore[misc]
    assert Volunteer.objects.count() == 1
