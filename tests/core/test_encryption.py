from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from byconsent.core.encryption import EncryptedJSONField, EncryptedTextField, decrypt_text, encrypt_text, rotate_token


def test_text_round_trip_and_ciphertext_hides_the_value():
    field = EncryptedTextField()
    stored = field.get_prep_value("Muslim")
    assert "Muslim" not in stored
    assert field.from_db_value(stored, None, None) == "Muslim"
    assert field.get_prep_value("") == "" and field.get_prep_value(None) is None


def test_json_round_trip():
    field = EncryptedJSONField()
    value = {"ethnicity": "Black Scottish", "disability": ["mobility"]}
    stored = field.get_prep_value(value)
    assert "Scottish" not in stored and field.from_db_value(stored, None, None) == value


def test_rotation_keeps_old_data_readable_and_moves_it_to_the_new_key(settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    token = encrypt_text("bisexual")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert decrypt_text(token) == "bisexual"  # the old key still decrypts
    rotated = rotate_token(token)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # old key dropped
    assert decrypt_text(rotated) == "bisexual"
    with pytest.raises(ValueError, match="FIELD_ENCRYPTION_KEYS"):
        decrypt_text(token)
