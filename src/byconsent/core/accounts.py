"""django-allauth and django-axes glue."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Members of the public may create an account (to follow consultations and hear back); staff roles are
        # only ever granted by an administrator.
        return True


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """allauth authenticates with `email`; the login form posts `login`. Axes counts failures per that address."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or request.POST.get("login", "")
    return str(value).strip().lower()
