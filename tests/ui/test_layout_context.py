"""The context every page gets, and the navigation registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import RequestFactory, override_settings
from django.utils import translation

from byconsent.ui import navigation
from byconsent.ui.context_processors import language_choices, ui_context


@override_settings(BYCONSENT_FORCE_NAME="Dyfed-Powys Police")
def test_force_name_comes_from_settings() -> None:
    context = ui_context(RequestFactory().get("/"))
    assert context["force_name"] == "Dyfed-Powys Police"
    assert context["service_name"] == "ByConsent"


@override_settings(BYCONSENT_FORCE_NAME="")
def test_force_name_has_a_default() -> None:
    assert ui_context(RequestFactory().get("/"))["force_name"] == "Demo Police"


def test_languages_are_named_in_their_own_language_and_the_current_one_is_marked() -> None:
    with translation.override("cy"):
        choices = language_choices()
    assert [(c.code, c.name, c.current) for c in choices] == [
        ("en-gb", "English", False),
        ("cy", "Cymraeg", True),
        ("gd", "Gàidhlig", False),
    ]


@pytest.fixture
def restore_navigation() -> Iterator[None]:
    """Only Home plus what the test registers: feature apps' own links are set aside for the test."""
    saved = dict(navigation._public_links)
    navigation._public_links.clear()
    navigation._public_links[navigation.HOME_URL_NAME] = saved[navigation.HOME_URL_NAME]
    yield
    navigation._public_links.clear()
    navigation._public_links.update(saved)


@pytest.mark.usefixtures("restore_navigation")
def test_registered_links_appear_in_order_and_unresolvable_ones_are_left_out() -> None:
    navigation.register_public_link("ui:privacy", "Privacy", order=20)
    navigation.register_public_link("ui:cookies", "Cookies", order=10)
    navigation.register_public_link("no_such_app:index", "Missing", order=5)
    items = navigation.public_navigation(RequestFactory().get("/cookies/"))
    assert [(i.label, i.href, i.current) for i in items] == [
        ("Home", "/", False),
        ("Cookies", "/cookies/", True),
        ("Privacy", "/privacy/", False),
    ]


@pytest.mark.parametrize(
    ("path", "href", "expected"),
    [("/", "/", True), ("/cookies/", "/", False), ("/staff/areas/", "/staff/", True), ("/staffing/", "/staff/", False)],
)
def test_current_section(path: str, href: str, expected: bool) -> None:
    assert navigation.is_current(path, href) is expected
