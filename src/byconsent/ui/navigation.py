"""The links in the service navigation bar.

`ui` imports no feature app (an import-linter contract), so feature apps add their own public links from their
AppConfig.ready() with `register_public_link`. A link whose URL name does not resolve (its app is not installed, or
not wired into urls.py yet) is left out rather than breaking every page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

HOME_URL_NAME = "core:public_home"
STAFF_URL_NAME = "core:staff_home"


@dataclass(frozen=True)
class PublicLink:
    url_name: str
    label: str | Promise
    order: int


@dataclass(frozen=True)
class NavigationItem:
    label: str | Promise
    href: str
    current: bool


_public_links: dict[str, PublicLink] = {HOME_URL_NAME: PublicLink(HOME_URL_NAME, _("Home"), order=0)}


def register_public_link(url_name: str, label: str | Promise, order: int = 100) -> None:
    """Add (or replace) a public link in the service navigation; lower `order` comes first."""
    _public_links[url_name] = PublicLink(url_name, label, order)


def reverse_or_none(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def is_current(request_path: str, href: str) -> bool:
    """The home link is current only on the home page; other links also for the pages beneath them."""
    if href == "/":
        return request_path == "/"
    return request_path == href or request_path.startswith(href.rstrip("/") + "/")


def public_navigation(request: HttpRequest) -> list[NavigationItem]:
    items = []
    for link in sorted(_public_links.values(), key=lambda link: (link.order, str(link.label))):
        href = reverse_or_none(link.url_name)
        if href is not None:
            items.append(NavigationItem(link.label, href, is_current(request.path, href)))
    return items
