"""From an empty database: load the demo, sign in as each demo role, and visit every page that role can see,
checking each with axe (zero violations) and keeping a screenshot."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from byconsent.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from byconsent.core.models import Area, Contribution, RoleAssignment, User
from byconsent.core.policy import Action, can
from byconsent.core.templatetags.core_tags import STAFF_PAGES

from .accessibility import check_page
from .signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = ["/", "/?postcode=EH1+1YZ", "/accessibility/", "/privacy/", "/cookies/", "/account/messages/"]


def pages_for(user: User) -> list[str]:
    pages = list(PUBLIC_PAGES)
    for url_name, _label, action in STAFF_PAGES:
        if can(user, action):
            pages.append(reverse(url_name))
    assignment = RoleAssignment.objects.filter(user=user).select_related("area").first()
    if assignment and can(user, Action.VIEW_AREA, assignment.area):
        pages.append(reverse("core:area_detail", args=[assignment.area.code]))
    contribution = next((c for c in Contribution.objects.all() if can(user, Action.VIEW_CONTRIBUTIONS, c)), None)
    if contribution is not None:
        pages.append(reverse("core:contribution_detail", args=[contribution.pk]))
    if can(user, Action.MANAGE_AREAS):
        pages.append(reverse("core:area_import"))
    return pages


def test_every_demo_role_sees_its_pages_accessibly(live_server, browser_context_factory):
    assert not Area.objects.exists()
    call_command("load_demo")
    assert Area.objects.count() > 400 and User.objects.count() == len(DEMO_ACCOUNTS)
    for account in DEMO_ACCOUNTS:
        context = browser_context_factory()
        page = context.new_page()
        sign_in(page, live_server.url, account.email, DEMO_PASSWORD)
        assert "/accounts/login/" not in page.url, f"{account.email} could not sign in"
        user = User.objects.get(email=account.email)
        for path in pages_for(user):
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, f"{account.email} {path}: {response.status}"
            check_page(page, f"{account.role or 'public'}{path.replace('/', '_').replace('?', '_')}")
        context.close()


def test_pages_outside_a_role_are_refused(live_server, browser_context_factory):
    call_command("load_demo")
    context = browser_context_factory()
    page = context.new_page()
    sign_in(page, live_server.url, "officer@demo.byconsent.test", DEMO_PASSWORD)
    glasgow = Area.objects.get(code="S32000018")
    for path in [reverse("core:role_list"), reverse("core:privacy_home"), reverse("core:area_import")]:
        assert page.goto(live_server.url + path).status == 403
    assert page.goto(live_server.url + reverse("core:area_detail", args=[glasgow.code])).status == 404
    context.close()
