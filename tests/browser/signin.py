"""Signing in through the real pages: email and password, then the authenticator code for staff."""

from __future__ import annotations

from typing import Any

from byconsent.core.demo import DEMO_TOTP_SECRET, current_code


def sign_in(page: Any, base_url: str, email: str, password: str, totp_secret: str = DEMO_TOTP_SECRET) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state()
    if "/accounts/2fa/authenticate/" in page.url:
        page.fill("input[name=code]", current_code(totp_secret))
        page.locator("form button[type=submit], form input[type=submit]").last.click()
        page.wait_for_load_state()
