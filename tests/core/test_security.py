"""MFA for staff, lockout after repeated failures, rate limits, safeguarding flags, security headers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from byconsent.core import ratelimit
from byconsent.core.models import Role
from byconsent.core.safeguarding import check_text


def test_staff_without_a_second_factor_are_sent_to_set_one_up(area_tree, make_user, client_for):
    officer = make_user(Role.LOCAL_OFFICER, area_tree["north"], mfa=False)
    response = client_for(officer).get(reverse("core:staff_home"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_public_users_need_no_second_factor(db, make_user, client_for):
    resident = make_user()
    assert client_for(resident).get("/").status_code == 200
    assert client_for(resident).get(reverse("core:staff_home")).status_code == 403


def test_login_with_password_then_totp(area_tree, make_user, client):
    from byconsent.core.demo import current_code

    officer = make_user(Role.LOCAL_OFFICER, area_tree["north"], email="pc@example.test")
    response = client.post(reverse("account_login"), {"login": "pc@example.test",
                                                      "password": "correct horse battery staple"})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": current_code()})
    assert response.status_code == 302
    assert client.get(reverse("core:staff_home")).status_code == 200
    assert officer.pk == int(client.session["_auth_user_id"])


def test_repeated_wrong_passwords_lock_the_account(db, make_user, client, settings):
    make_user(email="target@example.test")
    responses = [client.post(reverse("account_login"), {"login": "target@example.test", "password": "wrong"})
                 for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert responses[-1].status_code == 429  # the attempt that reaches the limit gets the lockout page
    assert "Too many attempts" in responses[-1].content.decode()
    response = client.post(reverse("account_login"), {"login": "target@example.test",
                                                      "password": "correct horse battery staple"})
    assert "_auth_user_id" not in client.session  # even the right password is refused while locked
    assert response.status_code in (200, 429)


def test_token_bucket_refuses_after_burst(db):
    results = [ratelimit.allow("submit:1.2.3.4", per_minute=1, burst=3) for _ in range(5)]
    assert results == [True, True, True, False, False]
    assert ratelimit.allow("submit:5.6.7.8", per_minute=1, burst=3)


def test_safeguarding_flags_crime_reports_and_risk():
    assert check_text("My neighbour said he will kill me").reasons == ("risk to life or safety",)
    assert "possible crime report" in check_text("I was robbed at the bus stop").reasons
    assert "allegation against a named person" in check_text("PC Smith took a bribe").reasons
    assert not check_text("More patrols near the school at home time please").flagged


def test_pages_carry_a_nonce_based_csp_and_no_inline_script_without_it(db, client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    html = response.content.decode()
    for chunk in html.split("<script")[1:]:
        opening = chunk.split(">")[0]
        assert f'nonce="{nonce}"' in opening or "src=" in opening
    assert response["X-Frame-Options"] == "DENY"


def test_public_posts_beyond_the_bucket_get_429(db, client):
    responses = [client.post("/unsubscribe/unknown-token/", {"scope": "all"}).status_code for _ in range(22)]
    assert responses[:20] == [200] * 20
    assert responses[20:] == [429, 429]


def test_the_bucket_refills_with_time_up_to_the_burst(db):
    from datetime import timedelta

    from byconsent.core.models import RateLimitBucket

    assert [ratelimit.allow("refill:1.1.1.1", per_minute=2, burst=2) for _ in range(3)] == [True, True, False]
    # 45 seconds later one and a half tokens have come back (2 a minute): one request, not two.
    RateLimitBucket.objects.filter(key="refill:1.1.1.1").update(
        updated_at=RateLimitBucket.objects.get(key="refill:1.1.1.1").updated_at - timedelta(seconds=45))
    assert [ratelimit.allow("refill:1.1.1.1", per_minute=2, burst=2) for _ in range(2)] == [True, False]
    # A long quiet spell refills only up to the burst.
    RateLimitBucket.objects.filter(key="refill:1.1.1.1").update(
        updated_at=RateLimitBucket.objects.get(key="refill:1.1.1.1").updated_at - timedelta(hours=5))
    assert [ratelimit.allow("refill:1.1.1.1", per_minute=2, burst=2) for _ in range(3)] == [True, True, False]


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_share_one_bucket_and_never_overspend():
    """Requests racing from many threads (separate connections) create one bucket and take exactly the burst."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from byconsent.core.models import RateLimitBucket

    def request(_: int) -> bool:
        try:
            return ratelimit.allow("race:2.2.2.2", per_minute=0, burst=5)
        finally:
            connection.close()

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers anyway; the race that matters is on PostgreSQL")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(request, range(20)))
    assert results.count(True) == 5
    assert RateLimitBucket.objects.filter(key="race:2.2.2.2").count() == 1
