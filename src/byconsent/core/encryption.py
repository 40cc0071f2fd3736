"""Encrypted model fields for special-category data (ethnicity, religion, disability, sexual orientation, health).

Values are encrypted with Fernet under FIELD_ENCRYPTION_KEYS (newest first). MultiFernet decrypts with any listed
key, so keys can be rotated: put a new key first, run `byconsent manage rotate_encryption`, then drop the old key.
The database only ever holds ciphertext; reads are audited by the services that display the values.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise ValueError("Cannot decrypt a field: is FIELD_ENCRYPTION_KEYS missing the key it was written with?") \
            from error


def rotate_token(token: str) -> str:
    """Re-encrypt a token under the newest key (MultiFernet.rotate)."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored encrypted. It cannot be filtered or ordered in the database: decrypt and compare in Python."""

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        return encrypt_text(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt_text(value)


class EncryptedJSONField(models.TextField):  # type: ignore[type-arg]
    """Any JSON-serialisable value stored encrypted (e.g. a dict of demographic answers)."""

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt_text(json.dumps(value, sort_keys=True))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        return json.loads(decrypt_text(value))

    def to_python(self, value: Any) -> Any:
        return value
