"""Deployment checks of our own, run by `byconsent check-deploy` with Django's `check --deploy`."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def byconsent_deploy_checks(app_configs: Any, **kwargs: Any) -> list[Any]:
    problems: list[Any] = []
    if not os.environ.get("SECRET_KEY"):
        problems.append(Error("SECRET_KEY is not set in the environment (a generated file key is for development).",
                              id="byconsent.E001"))
    if settings.DEBUG:
        problems.append(Error("DEBUG must be off in production.", id="byconsent.E002"))
    if not os.environ.get("FIELD_ENCRYPTION_KEYS"):
        problems.append(Error("FIELD_ENCRYPTION_KEYS is not set in the environment; special-category data would be "
                              "encrypted with a key kept beside the database.", id="byconsent.E003"))
    if not settings.BYCONSENT_SITE_URL.startswith("https://"):
        problems.append(Error("BYCONSENT_SITE_URL must be an https:// address.", id="byconsent.E004"))
    if not (settings.SECURE_SSL_REDIRECT or settings.SECURE_PROXY_SSL_HEADER):
        problems.append(Warning("Neither SECURE_SSL_REDIRECT nor BEHIND_HTTPS_PROXY is set: HTTPS is not enforced.",
                                id="byconsent.W001"))
    if settings.BYCONSENT_DEMO:
        problems.append(Error("BYCONSENT_DEMO is on: demo accounts with published passwords may exist.",
                              id="byconsent.E005"))
    return problems
