"""Credentials are encrypted at rest and the key can be rotated."""

from __future__ import annotations

import pytest

from connector.crypto import CredentialBox, generate_key
from connector.domain.errors import ConfigError, CredentialsError
from connector.domain.model import ShopCredentials

CREDS = ShopCredentials(consumer_key="ck_live", consumer_secret="cs_live", webhook_secret="whsec-value-123")


def test_sealed_credentials_do_not_contain_the_secrets_and_open_again():
    box = CredentialBox(generate_key())
    sealed = box.seal(CREDS)
    assert "cs_live" not in sealed and "ck_live" not in sealed
    assert box.open(sealed) == CREDS


def test_a_rotated_key_still_opens_old_tokens_and_rotate_reencrypts():
    old, new = generate_key(), generate_key()
    sealed = CredentialBox(old).seal(CREDS)
    both = CredentialBox(f"{new},{old}")
    assert both.open(sealed) == CREDS
    assert CredentialBox(new).open(both.rotate(sealed)) == CREDS


def test_the_wrong_key_is_a_clear_error():
    with pytest.raises(CredentialsError, match="CONNECTOR_SECRET_KEY"):
        CredentialBox(generate_key()).open(CredentialBox(generate_key()).seal(CREDS))


def test_no_key_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match="CONNECTOR_SECRET_KEY"):
        CredentialBox(None)


def test_the_repr_of_credentials_hides_the_secrets():
    assert "cs_live" not in repr(CREDS) and "whsec-value-123" not in repr(CREDS)
