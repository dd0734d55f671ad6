"""Unit-test fixtures on a real SQLite file (no services needed)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from connector.crypto import CredentialBox
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop


@pytest.fixture
def uow(tmp_path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path}/unit.db")
    upgrade(engine)
    yield UnitOfWork(engine)
    engine.dispose()


@pytest.fixture
def shop_id(uow):  # type: ignore[no-untyped-def]
    box = CredentialBox(Fernet.generate_key().decode())
    return add_shop(uow, box, Platform.SHOPIFY, "unit.myshopify.com", ShopCredentials(access_token="t")).id
