from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from byconsent.core.policy import Action, can

register = template.Library()


@dataclass(frozen=True)
class StaffLink:
    label: str
    href: str
    current: bool


STAFF_PAGES = [
    ("core:staff_home", _("Home"), Action.VIEW_STAFF_PAGES),
    ("core:area_list", _("Areas"), Action.VIEW_AREA),
    ("core:contribution_list", _("Contributions"), Action.VIEW_CONTRIBUTIONS),
    ("core:role_list", _("Roles"), Action.MANAGE_ROLES),
    ("core:audit_list", _("Audit trail"), Action.VIEW_AUDIT),
    ("core:privacy_home", _("Privacy requests"), Action.MANAGE_PRIVACY),
    ("core:task_list", _("Background tasks"), Action.VIEW_STAFF_PAGES),
    ("core:live_announcements", _("Live announcements"), Action.VIEW_STAFF_PAGES),
]


def register_staff_page(url_name: str, label: Any, action: Action) -> None:
    """Feature apps add their staff pages to the staff navigation from AppConfig.ready()."""
    if all(existing[0] != url_name for existing in STAFF_PAGES):
        STAFF_PAGES.append((url_name, label, action))


@register.simple_tag(takes_context=True)
def staff_links(context: Any) -> list[StaffLink]:
    request = context["request"]
    links = []
    for url_name, label, action in STAFF_PAGES:
        if can(request.user, action):
            try:
                href = reverse(url_name)
            except NoReverseMatch:  # an app registered a page it has not wired up: leave it out, do not break pages
                continue
            links.append(StaffLink(str(label), href, request.path == href))
    return links


@register.filter
def user_html(value: str) -> str:
    """{{ text|user_html }}: render user-supplied HTML safely."""
    from byconsent.core.html import clean_html

    return clean_html(value)
