"""Staff must set up a second factor (authenticator app, security key) before any staff page opens."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

# Paths a staff member without MFA may still reach: signing in and out, setting up MFA, public pages, assets.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/", "/live/public-")
STAFF_PREFIXES = ("/staff/", "/api/")


class StaffMfaRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._needs_mfa_setup(request):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _needs_mfa_setup(request: HttpRequest) -> bool:
        path = request.path
        if path.startswith(OPEN_PREFIXES) or not path.startswith(STAFF_PREFIXES):
            return False
        user = request.user
        if not (user.is_authenticated and user.is_staff_member):  # type: ignore[union-attr]
            return False
        return not Authenticator.objects.filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exists()
