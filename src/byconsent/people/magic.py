"""Magic sign-in links for the self-service details page: signed, time-limited and single-use.

The token is a Django-signed (HMAC with SECRET_KEY) payload holding the person's id and a random nonce; the
database keeps only a SHA-256 hash of the nonce and when it was used. A link works once, for
BYCONSENT_MAGIC_LINK_MINUTES (default 30) minutes. Opening the link shows a "Continue" button; only pressing it
(a POST) uses the link up, so mail scanners that fetch links cannot spend it.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone

from byconsent.people.models import MagicLink, Person

SALT = "byconsent.people.magic-link"


def lifetime_minutes() -> int:
    try:
        return max(1, int(os.environ.get("BYCONSENT_MAGIC_LINK_MINUTES", "30")))
    except ValueError:
        return 30


def create_token(person: Person) -> tuple[str, MagicLink]:
    nonce = secrets.token_urlsafe(24)
    link = MagicLink.objects.create(person=person, nonce_hash=MagicLink.hash(nonce))
    return signing.dumps({"p": person.pk, "n": nonce}, salt=SALT, compress=True), link


def _payload(token: str) -> dict[str, Any] | None:
    try:
        payload = signing.loads(token, salt=SALT, max_age=lifetime_minutes() * 60)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), int) or not isinstance(payload.get("n"), str):
        return None
    return payload


def peek(token: str) -> bool:
    """Is the token still usable (signed, in time, not yet used)? Does not use it up."""
    payload = _payload(token)
    if payload is None:
        return False
    return MagicLink.objects.filter(nonce_hash=MagicLink.hash(payload["n"]), person_id=payload["p"],
                                    used_at__isnull=True).exists()


def consume(token: str) -> Person | None:
    """Use the token up and return its person, or None if it is forged, expired, already used or the person gone."""
    payload = _payload(token)
    if payload is None:
        return None
    with transaction.atomic():
        used = MagicLink.objects.filter(nonce_hash=MagicLink.hash(payload["n"]), person_id=payload["p"],
                                        used_at__isnull=True).update(used_at=timezone.now())
        if used != 1:
            return None
        person = Person.objects.current().filter(pk=payload["p"]).first()
    return person
