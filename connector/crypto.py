"""Encryption at rest for shop credentials (Fernet; several keys allow rotation)."""

from __future__ import annotations

import json
from dataclasses import asdict

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from connector.domain.errors import ConfigError, CredentialsError
from connector.domain.model import ShopCredentials

FERNET_PREFIX = "gAAAAA"
"""Every Fernet token starts with the base64 of version byte 0x80 and a timestamp's zero high bytes."""


class CredentialBox:
    """Encrypts and decrypts ShopCredentials with CONNECTOR_SECRET_KEY.

    The key setting may hold several comma-separated keys: the first encrypts, all decrypt,
    so a key can be rotated without downtime.
    """

    def __init__(self, secret_key: str | None) -> None:
        if not secret_key:
            raise ConfigError("CONNECTOR_SECRET_KEY", "is required to store or read shop credentials")
        keys = [Fernet(key.strip().encode()) for key in secret_key.split(",") if key.strip()]
        self._fernet = MultiFernet(keys)

    def seal(self, credentials: ShopCredentials) -> str:
        return self._fernet.encrypt(json.dumps(asdict(credentials)).encode()).decode()

    def open(self, token: str) -> ShopCredentials:
        try:
            data = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise CredentialsError("stored credentials do not decrypt with CONNECTOR_SECRET_KEY") from None
        return ShopCredentials(**data)

    def seal_json(self, value: object) -> str:
        """Encrypt any JSON-serialisable value (supplier secrets)."""
        return self._fernet.encrypt(json.dumps(value).encode()).decode()

    def open_json(self, token: str) -> object:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise CredentialsError("stored secret does not decrypt with CONNECTOR_SECRET_KEY") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt with the first (newest) key."""
        return self._fernet.rotate(token.encode()).decode()


def generate_key() -> str:
    return Fernet.generate_key().decode()
