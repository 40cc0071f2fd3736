"""Template context every page needs: who runs the service, its navigation and the language choices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language, get_language_info

from byconsent.ui.navigation import HOME_URL_NAME, STAFF_URL_NAME, public_navigation, reverse_or_none

SERVICE_NAME = "ByConsent"
DEFAULT_FORCE_NAME = "Demo Police"


@dataclass(frozen=True)
class LanguageChoice:
    code: str
    name: str  # in the language itself, so a reader finds their own language whatever the page is in
    current: bool


def language_choices() -> list[LanguageChoice]:
    current = (get_language() or settings.LANGUAGE_CODE).lower()
    choices = []
    for code, _name in settings.LANGUAGES:
        # "British English" is what Django calls en-gb in English; people look for "English".
        name = "English" if code.startswith("en") else get_language_info(code)["name_local"]
        choices.append(LanguageChoice(code=code, name=name, current=code.lower() == current))
    return choices


def ui_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "service_name": SERVICE_NAME,
        "force_name": getattr(settings, "BYCONSENT_FORCE_NAME", DEFAULT_FORCE_NAME) or DEFAULT_FORCE_NAME,
        "home_url": reverse_or_none(HOME_URL_NAME) or "/",
        "staff_url": reverse_or_none(STAFF_URL_NAME),
        "public_navigation": public_navigation(request),
        "language_choices": language_choices(),
        "source_code_url": getattr(settings, "BYCONSENT_SOURCE_CODE_URL", ""),
    }
