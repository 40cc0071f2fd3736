"""Force single sign-on through OpenID Connect, against a fake provider served over loopback HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from byconsent.core.models import Role, User


class FakeProvider(BaseHTTPRequestHandler):
    """Discovery document, token and userinfo endpoints; whoever signs in is `FakeProvider.person`."""

    person: dict[str, Any] = {}
    token_requests: list[dict[str, list[str]]] = []

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _json(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/.well-known/openid-configuration":
            self._json({"issuer": base, "authorization_endpoint": f"{base}/authorize",
                        "token_endpoint": f"{base}/token", "userinfo_endpoint": f"{base}/userinfo",
                        "jwks_uri": f"{base}/jwks"})
        elif self.path == "/userinfo" and self.headers.get("Authorization") == "Bearer access-123":
            self._json(self.person)
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        self.token_requests.append(form)
        if self.path == "/token" and form.get("code") == ["code-abc"]:
            self._json({"access_token": "access-123", "token_type": "Bearer", "expires_in": 300})
        else:
            self.send_error(400)


@pytest.fixture
def provider(settings: Any) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), FakeProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [{
        "provider_id": "force-sso", "name": "Force single sign-on", "client_id": "byconsent", "secret": "s3cret",
        "settings": {"server_url": url}}]}}
    FakeProvider.token_requests = []
    try:
        yield url
    finally:
        server.shutdown()


def _sign_in_through_provider(client: Any, provider_url: str) -> Any:
    response = client.post("/accounts/oidc/force-sso/login/")
    assert response.status_code == 302
    authorize = urlparse(response["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == provider_url and authorize.path == "/authorize"
    query = parse_qs(authorize.query)
    assert query["client_id"] == ["byconsent"] and "code_challenge" in query  # PKCE is on
    return client.get("/accounts/oidc/force-sso/login/callback/", {"code": "code-abc", "state": query["state"][0]})


def test_new_person_signs_in_with_force_sso(db, client, provider):
    FakeProvider.person = {"sub": "1001", "email": "new.starter@force.example", "email_verified": True,
                           "name": "New Starter"}
    response = _sign_in_through_provider(client, provider)
    assert response.status_code == 302
    user = User.objects.get(email="new.starter@force.example")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert "code_verifier" in FakeProvider.token_requests[0]
    assert not user.is_staff_member  # single sign-on never grants a role by itself


def test_staff_member_signing_in_with_sso_still_needs_the_second_factor(area_tree, make_user, client, provider):
    make_user(Role.COMMANDER, area_tree["north"], email="commander@force.example")
    FakeProvider.person = {"sub": "2002", "email": "commander@force.example", "email_verified": True}
    response = _sign_in_through_provider(client, provider)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_wrong_code_is_refused(db, client, provider):
    response = client.post("/accounts/oidc/force-sso/login/")
    state = parse_qs(urlparse(response["Location"]).query)["state"][0]
    response = client.get("/accounts/oidc/force-sso/login/callback/", {"code": "forged", "state": state})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 401
