"""The site information pages every public service needs: accessibility statement, privacy notice and cookies."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.views.generic import TemplateView


def contact_details() -> dict[str, str]:
    """How people reach the force about this service. Operators set these in the environment (docs/look-and-feel.md);
    when an address is unset the pages fall back to the 101 non-emergency number, which every UK force answers."""
    return {
        "contact_email": getattr(settings, "BYCONSENT_CONTACT_EMAIL", ""),
        "dpo_email": getattr(settings, "BYCONSENT_DPO_EMAIL", ""),
        "statement_prepared": getattr(settings, "BYCONSENT_ACCESSIBILITY_STATEMENT_DATE", ""),
    }


def cookie_names() -> dict[str, str]:
    """The cookie names actually configured, so the cookies page never drifts from the settings."""
    return {
        "session": settings.SESSION_COOKIE_NAME,
        "csrf": settings.CSRF_COOKIE_NAME,
        "language": settings.LANGUAGE_COOKIE_NAME,
    }


class InformationPage(TemplateView):
    """A page of information about the service, filled in with the force's own contact details."""

    http_method_names = ["get", "head", "options"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(contact_details())
        context["cookie_names"] = cookie_names()
        context["session_cookie_days"] = settings.SESSION_COOKIE_AGE // 86400
        return context
