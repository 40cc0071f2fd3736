"""Fixtures shared by every test: a small area tree, users with roles, and a client signed in as them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def area_tree(db: Any) -> dict[str, Any]:
    """Force > two divisions > one local area each > one neighbourhood each."""
    from byconsent.core.models import Area

    force = Area.objects.create(code="F", name="Test Force", level=Area.Level.FORCE)
    north = Area.objects.create(code="DN", name="North Division", level=Area.Level.DIVISION, parent=force)
    south = Area.objects.create(code="DS", name="South Division", level=Area.Level.DIVISION, parent=force)
    north_town = Area.objects.create(code="LN", name="Northtown", level=Area.Level.LOCAL_AREA, parent=north)
    south_town = Area.objects.create(code="LS", name="Southtown", level=Area.Level.LOCAL_AREA, parent=south)
    north_ward = Area.objects.create(code="WN", name="North Ward", level=Area.Level.NEIGHBOURHOOD, parent=north_town,
                                     zone_codes=["S01000001", "S01000002"])
    south_ward = Area.objects.create(code="WS", name="South Ward", level=Area.Level.NEIGHBOURHOOD, parent=south_town)
    return {"force": force, "north": north, "south": south, "north_town": north_town, "south_town": south_town,
            "north_ward": north_ward, "south_ward": south_ward}


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """make_user(role=None, area=None, mfa=True): a user, optionally holding a role over an area."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP

    from byconsent.core.models import RoleAssignment, User

    counter = {"n": 0}

    def make(role: str | None = None, area: Any = None, mfa: bool = True, email: str | None = None) -> Any:
        counter["n"] += 1
        user = User.objects.create_user(email=email or f"user{counter['n']}@example.test",
                                        password="correct horse battery staple", full_name=f"User {counter['n']}")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        if role is not None:
            RoleAssignment.objects.create(user=user, role=role, area=area)
            if mfa:
                TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        return user

    return make


@pytest.fixture
def client_for(client: Any) -> Callable[[Any], Any]:
    def signed_in(user: Any) -> Any:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return signed_in
