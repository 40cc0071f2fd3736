"""A small ledger: officers and a commander in the North division, contributions from people who did and did not
ask to hear back."""

from __future__ import annotations

from typing import Any

import pytest

from byconsent.core.models import Channel, Role, RoleAssignment, User
from byconsent.core.services import record_contribution


def quick_user(email: str, role: str | None = None, area: Any = None, name: str = "") -> Any:
    """A user without a password (hashing one costs seconds on a busy machine; service tests never sign in)."""
    user = User.objects.create_user(email=email, password=None, full_name=name)
    if role is not None:
        RoleAssignment.objects.create(user=user, role=role, area=area)
    return user


@pytest.fixture
def people(area_tree: dict[str, Any]) -> dict[str, Any]:
    return {
        "officer": quick_user("officer@example.test", Role.LOCAL_OFFICER, area_tree["north_town"], "Pat Officer"),
        "commander": quick_user("commander@example.test", Role.COMMANDER, area_tree["north"], "Chief North"),
        "south_commander": quick_user("south-commander@example.test", Role.COMMANDER, area_tree["south"]),
        "south_officer": quick_user("south@example.test", Role.LOCAL_OFFICER, area_tree["south_town"]),
        "analyst": quick_user("analyst@example.test", Role.ANALYST, area_tree["north"]),
        "admin": quick_user("admin@example.test", Role.ADMINISTRATOR, area_tree["force"]),
        "alice": quick_user("alice@example.test", name="Alice Example"),
        "bob": quick_user("bob@example.test"),
        "carol": quick_user("carol@example.test"),
        "paper": quick_user("paper-7@no-email.invalid", name="Paper Respondent"),
    }


@pytest.fixture
def said(area_tree: dict[str, Any], people: dict[str, Any]) -> dict[str, Any]:
    ward = area_tree["north_ward"]
    alice_1 = record_contribution(channel=Channel.ONLINE_SURVEY, text="Speeding on Mill Road at night", area=ward,
                                  contributor=people["alice"], wants_feedback=True)
    alice_2 = record_contribution(channel=Channel.FOCUS_GROUP, text="Cars race on Mill Road", area=ward,
                                  contributor=people["alice"], wants_feedback=True)
    bob = record_contribution(channel=Channel.ONLINE_SURVEY, text="Mill Road is dangerous", area=ward,
                              contributor=people["bob"], wants_feedback=False)
    anonymous = record_contribution(channel=Channel.PAPER, text="Too fast on Mill Road", area=ward)
    carol = record_contribution(channel=Channel.PHONE, text="Please put a camera on Mill Road", area=ward,
                                contributor=people["carol"], wants_feedback=True)
    paper = record_contribution(channel=Channel.PAPER, text="Speed bumps on Mill Road please", area=ward,
                                contributor=people["paper"], wants_feedback=True)
    return {"alice_1": alice_1, "alice_2": alice_2, "bob": bob, "anonymous": anonymous, "carol": carol,
            "paper": paper}


@pytest.fixture
def staff_client(client: Any) -> Any:
    """A test client signed in as `user`, with a second factor set up (staff pages need one)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    def signed_in(user: Any) -> Any:
        if not Authenticator.objects.filter(user=user).exists():
            TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return signed_in
