"""An event published by the real task worker reaches a page open in a real browser, over Server-Sent Events."""

from __future__ import annotations

import pytest

from byconsent.core.models import Role

from .servers import asgi_server, task_worker  # noqa: F401  (fixtures)
from .signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_worker_event_reaches_open_page(asgi_server, task_worker, page, make_user, area_tree):  # noqa: F811
    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"], email="live@example.test")
    assert officer.is_staff_member
    sign_in(page, asgi_server, "live@example.test", "correct horse battery staple")
    page.goto(f"{asgi_server}/staff/live/")
    listening = page.context.new_page()  # a second open page that only listens
    listening.goto(f"{asgi_server}/staff/live/")
    page.fill("input[name=text]", "Town hall moved to the library")
    page.locator("form button").filter(has_text="Send").click()
    received = listening.locator("#live-messages li")
    received.first.wait_for(timeout=20_000)
    assert received.first.inner_text() == "Town hall moved to the library"
    assert int(received.first.get_attribute("data-event-id")) > 0
    listening.close()
