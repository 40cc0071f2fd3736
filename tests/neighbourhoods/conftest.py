from __future__ import annotations

from typing import Any

import pytest

from byconsent.core.models import Role, RoleAssignment, User


def quick_user(email: str, role: str | None = None, area: Any = None) -> Any:
    """A user without a password (hashing costs seconds on a busy machine; these tests never sign in)."""
    user = User.objects.create_user(email=email, password=None)
    if role is not None:
        RoleAssignment.objects.create(user=user, role=role, area=area)
    return user


@pytest.fixture
def staff(area_tree: dict[str, Any]) -> dict[str, Any]:
    return {
        "engagement": quick_user("engage@example.test", Role.ENGAGEMENT_OFFICER, area_tree["north"]),
        "force_engagement": quick_user("force-engage@example.test", Role.ENGAGEMENT_OFFICER, area_tree["force"]),
        "south": quick_user("south-engage@example.test", Role.ENGAGEMENT_OFFICER, area_tree["south"]),
        "officer": quick_user("officer@example.test", Role.LOCAL_OFFICER, area_tree["north"]),
    }


@pytest.fixture
def staff_client(client: Any) -> Any:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    def signed_in(user: Any) -> Any:
        if not Authenticator.objects.filter(user=user).exists():
            TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return signed_in
